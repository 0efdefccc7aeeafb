import type { FieldIssue } from "../../kernel/app-error.ts";

/** A telephone number in E.164 form: "+" country code and subscriber number, at most 15 digits, no spaces. */
export type E164PhoneNumber = string & { readonly __brand: "E164PhoneNumber" };

export type PhoneUse = "any" | "mobile";

const E164 = /^\+[1-9][0-9]{7,14}$/;

/**
 * Brings a number typed in common Indian ways into E.164: "+91 98765-43210", "098765 43210", "9876543210",
 * "919876543210" and "0091 98765 43210" all give "+919876543210". Numbers already in "+" form keep their country code.
 * Returns the cleaned text unchanged when no rule applies, so the check below can name the problem.
 */
export function normalizePhoneNumber(input: string): string {
  const compact = input.trim().replace(/[\s().-]/g, "");
  if (compact.startsWith("+")) return compact;
  if (compact.startsWith("00")) return `+${compact.slice(2)}`;
  if (/^0[1-9][0-9]{9}$/.test(compact)) return `+91${compact.slice(1)}`;
  if (/^[1-9][0-9]{9}$/.test(compact)) return `+91${compact}`;
  if (/^91[1-9][0-9]{9}$/.test(compact)) return `+${compact}`;
  return compact;
}

/**
 * Problems with a phone number after normalisation. Indian numbers (+91) have a ten-digit national number that never
 * starts with 0; mobile numbers (needed for WhatsApp) start with 6, 7, 8 or 9.
 */
export function checkPhoneNumber(
  input: string,
  options: { field?: string; use?: PhoneUse } = {},
): FieldIssue[] {
  const field = options.field ?? "phone";
  const value = normalizePhoneNumber(input);
  if (!E164.test(value)) {
    return [
      {
        field,
        reason: `"${input}" is not a phone number in E.164 form (+ country code and number, 8-15 digits)`,
      },
    ];
  }
  if (value.startsWith("+91")) {
    const national = value.slice(3);
    if (!/^[1-9][0-9]{9}$/.test(national)) {
      return [{ field, reason: "an Indian number has 10 digits after +91 and does not start with 0" }];
    }
    if (options.use === "mobile" && !/^[6-9]/.test(national)) {
      return [{ field, reason: "an Indian mobile number starts with 6, 7, 8 or 9 after +91" }];
    }
  }
  return [];
}
