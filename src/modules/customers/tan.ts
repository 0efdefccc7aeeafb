import type { FieldIssue } from "../../kernel/app-error.ts";

/**
 * Tax Deduction and Collection Account Number (Income-tax Act s.203A), quoted by every deductor of TDS:
 * four letters (three for the jurisdiction, the fourth the initial of the deductor's name), five digits, one letter.
 * The check letter's algorithm is not published, so only the layout is verified.
 */
export type Tan = string & { readonly __brand: "Tan" };

const TAN_PATTERN = /^[A-Z]{4}[0-9]{5}[A-Z]$/;

export function normalizeTan(input: string): string {
  return input.trim().toUpperCase();
}

/** Problems with a TAN, empty when it is well formed. */
export function checkTan(input: string, field = "tan"): FieldIssue[] {
  const tan = normalizeTan(input);
  if (tan.length !== 10) return [{ field, reason: `a TAN has 10 characters, got ${tan.length}` }];
  if (!TAN_PATTERN.test(tan)) {
    return [{ field, reason: "a TAN is four letters, five digits and one letter (e.g. DELA12345B)" }];
  }
  if (tan.slice(4, 9) === "00000") return [{ field, reason: "the serial number of a TAN may not be 00000" }];
  return [];
}

export function isValidTan(input: string): boolean {
  return checkTan(input).length === 0;
}
