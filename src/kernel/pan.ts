import { AppError } from "./app-error.ts";
import type { FieldIssue } from "./app-error.ts";

/**
 * Permanent Account Number (Income-tax Act 1961 s.139A): five letters, four digits, one letter.
 * The 4th character is the holder type, the 5th the initial of the holder's (sur)name, digits 0001-9999, and the
 * 10th a check letter whose algorithm is not published (so it cannot be verified here).
 */
export type Pan = string & { readonly __brand: "Pan" };

export type PanHolderType =
  | "association-of-persons"
  | "body-of-individuals"
  | "company"
  | "firm-or-llp"
  | "government-agency"
  | "hindu-undivided-family"
  | "local-authority"
  | "artificial-juridical-person"
  | "individual"
  | "trust"
  | "krish";

/** Holder type by 4th character (the codes accepted by python-stdnum's PAN validator). */
export const PAN_HOLDER_TYPES: Readonly<Record<string, PanHolderType>> = Object.freeze({
  A: "association-of-persons",
  B: "body-of-individuals",
  C: "company",
  F: "firm-or-llp",
  G: "government-agency",
  H: "hindu-undivided-family",
  L: "local-authority",
  J: "artificial-juridical-person",
  P: "individual",
  T: "trust",
  K: "krish",
});

export interface ParsedPan {
  pan: Pan;
  holderTypeCode: string;
  holderType: PanHolderType;
  /** 5th character: first letter of the surname (individuals) or of the name (others). */
  nameInitial: string;
}

export type PanCheck = { ok: true; value: ParsedPan } | { ok: false; issues: FieldIssue[] };

/** Trims and upper-cases; no other characters are removed. */
export function normalizePan(input: string): string {
  return input.trim().toUpperCase();
}

/** Checks a PAN and lists every problem found; never throws. */
export function checkPan(input: string, field = "pan"): PanCheck {
  const pan = normalizePan(input);
  const issues: FieldIssue[] = [];
  if (pan.length !== 10) {
    issues.push({ field, reason: `a PAN has 10 characters, got ${pan.length}` });
    return { ok: false, issues };
  }
  if (!/^[A-Z]{5}[0-9]{4}[A-Z]$/.test(pan)) {
    issues.push({ field, reason: "a PAN is five letters, four digits and one letter (AAAAA9999A)" });
    return { ok: false, issues };
  }
  const holderTypeCode = pan.charAt(3);
  const holderType = PAN_HOLDER_TYPES[holderTypeCode];
  if (holderType === undefined) {
    issues.push({
      field,
      reason: `4th character "${holderTypeCode}" is not a PAN holder type (one of ${Object.keys(PAN_HOLDER_TYPES).join(", ")})`,
    });
  }
  if (pan.slice(5, 9) === "0000") {
    issues.push({ field, reason: "the serial number (characters 6-9) may not be 0000" });
  }
  if (holderType === undefined || issues.length > 0) return { ok: false, issues };
  return { ok: true, value: { pan: pan as Pan, holderTypeCode, holderType, nameInitial: pan.charAt(4) } };
}

/** Parses a PAN or throws AppError INVALID_INPUT naming every problem. */
export function parsePan(input: string, field = "pan"): ParsedPan {
  const result = checkPan(input, field);
  if (!result.ok) throw AppError.invalidInput(result.issues);
  return result.value;
}

export function isValidPan(input: string): boolean {
  return checkPan(input).ok;
}

/** Masks a PAN for display the usual way: first five and last character kept (AAPPVXXXXK). */
export function maskPan(pan: string): string {
  const normalized = normalizePan(pan);
  if (normalized.length !== 10) return "X".repeat(normalized.length);
  return `${normalized.slice(0, 5)}XXXX${normalized.slice(9)}`;
}
