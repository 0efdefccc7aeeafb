import { AppError } from "./app-error.ts";
import type { FieldIssue } from "./app-error.ts";
import { findIndiaState, isGstinStateCode } from "./india-states.ts";
import { checkPan } from "./pan.ts";
import type { Pan } from "./pan.ts";

/**
 * GST Identification Number: 15 characters.
 *   1-2   state code (see india-states.ts)
 *   3-12  PAN of the holder (a TAN-like departmental id for government departments and tax deductors;
 *         year + country + serial for non-resident, OIDAR and UIN holders)
 *   13    entity number of that PAN in that state: 1-9 then A-Z (A = 10 ... Z = 35)
 *   14    'Z' for a regular taxpayer; 'C' e-commerce operator collecting TCS; 'D' tax deductor;
 *         'N' of "NR" / "UN" / "ON", 'S' of "OS" for the special families
 *   15    check character, GSTN "Luhn mod 36" over characters 1-14
 * The 14th character of a regular GSTIN must be 'Z' (as python-stdnum requires): the looser published regex that lets it
 * be 1-9, A, B or E-J describes no registration we can verify, so such values are refused.
 */
export type Gstin = string & { readonly __brand: "Gstin" };

export type GstinKind =
  /** Normal taxpayer (also composition and casual taxpayers): PAN + entity + 'Z'. */
  | "regular"
  /** E-commerce operator registered to collect tax at source under CGST s.52: 14th char 'C'. */
  | "tax-collector"
  /** Government deductor registered to deduct tax at source under CGST s.51: 14th char 'D'. */
  | "tax-deductor"
  /** Government department id: departmental (TAN-like) id, digit entity, 'Z', digit check. */
  | "government-department"
  /** Non-resident taxable person: "NR". */
  | "non-resident"
  /** Online information and database access or retrieval services supplier from outside India: "99..OS". */
  | "oidar"
  /** Unique Identification Number of UN bodies, embassies and other notified persons: "UN" / "ON". */
  | "uin";

export interface ParsedGstin {
  gstin: Gstin;
  kind: GstinKind;
  stateCode: string;
  stateName: string;
  /** Holder's PAN for PAN-based kinds (regular, tax collector, tax deductor registered on a PAN); otherwise null. */
  pan: Pan | null;
  /** Departmental id or TAN held in characters 3-12 for government departments and TAN-based deductors. */
  tan: string | null;
  /** Characters 3-12 whatever they hold. */
  embeddedId: string;
  /** Registration number of the holder within the state (1-35), null where the 13th character is not one. */
  entityNumber: number | null;
  checkCharacter: string;
}

export type GstinCheck = { ok: true; value: ParsedGstin } | { ok: false; issues: FieldIssue[] };

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/**
 * Check character of the first 14 characters: left to right, factor 1 on even positions (0-based) and 2 on odd ones,
 * add quotient and remainder of (value * factor) by 36, then take (36 - sum mod 36) mod 36.
 */
export function computeGstinCheckCharacter(first14: string): string {
  const text = first14.toUpperCase();
  if (!/^[0-9A-Z]{14}$/.test(text)) {
    throw AppError.invalidInput([
      { field: "gstin", reason: "the check character needs 14 letters or digits" },
    ]);
  }
  let sum = 0;
  for (let index = 0; index < 14; index += 1) {
    const value = ALPHABET.indexOf(text.charAt(index));
    const product = value * (index % 2 === 0 ? 1 : 2);
    sum += Math.floor(product / 36) + (product % 36);
  }
  return ALPHABET.charAt((36 - (sum % 36)) % 36);
}

/** Trims and upper-cases; inner spaces are not removed (a GSTIN has none). */
export function normalizeGstin(input: string): string {
  return input.trim().toUpperCase();
}

const SPECIAL_FAMILIES: ReadonlyArray<{ kind: GstinKind; pattern: RegExp }> = [
  { kind: "oidar", pattern: /^99[0-9]{2}[A-Z]{3}[0-9]{5}OS[0-9A-Z]$/ },
  { kind: "non-resident", pattern: /^[0-9]{4}[A-Z]{3}[0-9]{5}NR[0-9A-Z]$/ },
  { kind: "uin", pattern: /^[0-9]{4}[A-Z]{3}[0-9]{5}[UO]N[0-9A-Z]$/ },
];

function entityNumberOf(character: string): number | null {
  const value = ALPHABET.indexOf(character);
  return value >= 1 ? value : null;
}

/** Checks a GSTIN and lists every problem found (format, state code, embedded PAN, check character); never throws. */
export function checkGstin(input: string, field = "gstin"): GstinCheck {
  const gstin = normalizeGstin(input);
  const issues: FieldIssue[] = [];
  const fail = (reason: string): void => {
    issues.push({ field, reason });
  };

  if (gstin.length !== 15) {
    fail(`a GSTIN has 15 characters, got ${gstin.length}`);
    return { ok: false, issues };
  }
  if (!/^[0-9A-Z]{15}$/.test(gstin)) {
    fail("a GSTIN holds only the letters A-Z and digits 0-9");
    return { ok: false, issues };
  }

  const stateCode = gstin.slice(0, 2);
  if (!/^[0-9]{2}$/.test(stateCode)) {
    fail("the first two characters must be the digits of a GST state code");
  } else if (!isGstinStateCode(stateCode)) {
    fail(`"${stateCode}" is not a GST state code (01-38, 97 or 99)`);
  }

  const embeddedId = gstin.slice(2, 12);
  const entityCharacter = gstin.charAt(12);
  const defaultCharacter = gstin.charAt(13);
  let kind: GstinKind | null = null;
  let pan: Pan | null = null;
  let tan: string | null = null;
  let entityNumber: number | null = null;

  const special = SPECIAL_FAMILIES.find((family) => family.pattern.test(gstin));
  if (special) {
    kind = special.kind;
  } else if (/^[0-9]{2}$/.test(gstin.slice(2, 4))) {
    fail(
      "characters 3-12 must hold a PAN, or the layout must be that of a non-resident (NR), OIDAR (99..OS) or UIN (UN/ON) number",
    );
  } else if (/^[A-Z]{4}[0-9]{5}[A-Z]$/.test(embeddedId)) {
    // Departmental id / TAN layout: government departments ('Z') and TAN-based tax deductors ('D').
    tan = embeddedId;
    if (defaultCharacter === "Z" && /^[0-9]$/.test(entityCharacter) && /^[0-9]$/.test(gstin.charAt(14))) {
      kind = "government-department";
      entityNumber = Number(entityCharacter);
    } else if (defaultCharacter === "D" && entityCharacter !== "0") {
      kind = "tax-deductor";
      entityNumber = entityNumberOf(entityCharacter);
    } else {
      fail(
        "a GSTIN built on a departmental id (4 letters, 5 digits, 1 letter) must be a government department (digit, 'Z', digit) or a tax deductor ('D' as 14th character)",
      );
    }
  } else {
    const panCheck = checkPan(embeddedId, field);
    if (!panCheck.ok) {
      for (const issue of panCheck.issues) fail(`characters 3-12 must be a valid PAN: ${issue.reason}`);
    } else {
      pan = panCheck.value.pan;
    }
    if (entityCharacter === "0") {
      fail("the 13th character (entity number) is 1-9 or A-Z, never 0");
    } else {
      entityNumber = entityNumberOf(entityCharacter);
    }
    if (defaultCharacter === "Z") kind = "regular";
    else if (defaultCharacter === "C") kind = "tax-collector";
    else if (defaultCharacter === "D") kind = "tax-deductor";
    else {
      fail(
        `the 14th character must be 'Z' (regular taxpayer), 'C' (e-commerce operator collecting TCS) or 'D' (tax deductor), got '${defaultCharacter}'`,
      );
    }
  }

  const expected = computeGstinCheckCharacter(gstin.slice(0, 14));
  const checkCharacter = gstin.charAt(14);
  if (expected !== checkCharacter) {
    fail(`check character is '${checkCharacter}' but characters 1-14 give '${expected}'`);
  }

  if (issues.length > 0 || kind === null) return { ok: false, issues };
  return {
    ok: true,
    value: {
      gstin: gstin as Gstin,
      kind,
      stateCode,
      stateName: findIndiaState(stateCode)?.name ?? stateCode,
      pan,
      tan,
      embeddedId,
      entityNumber,
      checkCharacter,
    },
  };
}

/** Parses a GSTIN or throws AppError INVALID_INPUT listing every problem. */
export function parseGstin(input: string, field = "gstin"): ParsedGstin {
  const result = checkGstin(input, field);
  if (!result.ok) throw AppError.invalidInput(result.issues);
  return result.value;
}

export function isValidGstin(input: string): boolean {
  return checkGstin(input).ok;
}

/** The state code of a GSTIN (first two characters) without validating the rest. */
export function stateCodeOfGstin(gstin: string): string {
  return normalizeGstin(gstin).slice(0, 2);
}
