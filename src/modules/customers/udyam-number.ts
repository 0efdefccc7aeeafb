import type { FieldIssue } from "../../kernel/app-error.ts";

/**
 * Udyam Registration Number of a micro, small or medium enterprise (Notification S.O. 2119(E) of 26 June 2020):
 * "UDYAM-" + two-letter state code + "-" + two-digit district code + "-" + seven-digit serial, e.g. UDYAM-MH-19-0067990.
 * No check digit is known; the state letters are not checked against a list because the portal's codes are not
 * published as a table.
 */
export type UdyamNumber = string & { readonly __brand: "UdyamNumber" };

const UDYAM_PATTERN = /^UDYAM-[A-Z]{2}-[0-9]{2}-[0-9]{7}$/;

/** Upper-cases and turns spaces, underscores and en dashes between the parts into hyphens. */
export function normalizeUdyamNumber(input: string): string {
  return input
    .trim()
    .toUpperCase()
    .replace(/[\s_\u2013\u2014]+/g, "-");
}

export function checkUdyamNumber(input: string, field = "udyamNumber"): FieldIssue[] {
  const value = normalizeUdyamNumber(input);
  if (!UDYAM_PATTERN.test(value)) {
    return [
      {
        field,
        reason:
          "a Udyam number looks like UDYAM-MH-19-0067990 (state letters, district digits, 7-digit serial)",
      },
    ];
  }
  if (value.endsWith("0000000"))
    return [{ field, reason: "the serial of a Udyam number may not be 0000000" }];
  return [];
}

export function isValidUdyamNumber(input: string): boolean {
  return checkUdyamNumber(input).length === 0;
}
