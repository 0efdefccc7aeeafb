import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { sharedPath } from "../../test/support/shared-path.ts";
import { isAppError } from "./app-error.ts";
import {
  checkGstin,
  computeGstinCheckCharacter,
  isValidGstin,
  parseGstin,
  stateCodeOfGstin,
} from "./gstin.ts";

/** The reference files mix CRLF and LF endings and start with "#" comment lines. */
function withoutComments(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .filter((line) => !line.startsWith("#"))
    .join("\n");
}

function readCsv(path: string): Record<string, string>[] {
  return parse(withoutComments(readFileSync(sharedPath(path), "utf8")), {
    columns: true,
    skip_empty_lines: true,
  });
}

const validRows = readCsv("reference/india/gstin/gstin_valid.csv");
const invalidRows = readCsv("reference/india/gstin/gstin_invalid.csv");

describe("GSTIN reference vectors", () => {
  it("reads the whole reference files", () => {
    expect(validRows.length).toBe(58);
    expect(invalidRows.length).toBe(16);
  });

  it.each(validRows.map((row) => [row.gstin ?? "", row] as const))("accepts %s", (gstin, row) => {
    const parsed = parseGstin(gstin);
    expect(parsed.gstin).toBe(gstin);
    expect(parsed.stateCode).toBe(row.state_code);
    expect(parsed.pan).toBe(row.pan);
    expect(parsed.checkCharacter).toBe(row.check_char);
    expect(computeGstinCheckCharacter(gstin.slice(0, 14))).toBe(row.check_char_recomputed);
    const entity = row.entity_char ?? "";
    expect(parsed.entityNumber).toBe(/^[0-9]$/.test(entity) ? Number(entity) : entity.charCodeAt(0) - 55);
    expect(parsed.kind).toBe(row.char14 === "C" ? "tax-collector" : "regular");
  });

  it.each(invalidRows.map((row) => [row.input ?? "", row] as const))("refuses %s", (input, row) => {
    const result = checkGstin(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.length).toBeGreaterThan(0);
    for (const issue of result.issues) expect(issue.field).toBe("gstin");
    const recomputed = row.check_char_recomputed ?? "";
    if (input.length === 15 && recomputed !== "" && /^[0-9A-Z]{14}/.test(input)) {
      expect(computeGstinCheckCharacter(input.slice(0, 14))).toBe(recomputed);
      if (input.charAt(14) !== recomputed) {
        expect(result.issues.some((issue) => issue.reason.includes(`give '${recomputed}'`))).toBe(true);
      }
    }
  });
});

describe("checkGstin reasons", () => {
  function reasonsOf(input: string): string[] {
    const result = checkGstin(input);
    return result.ok ? [] : result.issues.map((issue) => issue.reason);
  }

  it("reproduces the published worked example of the check character", () => {
    expect(computeGstinCheckCharacter("27AAPFU0939F1Z")).toBe("V");
  });

  it("names the length problem", () => {
    expect(reasonsOf("27AAPFU0939F1Z")).toEqual(["a GSTIN has 15 characters, got 14"]);
  });

  it("names the character set problem", () => {
    expect(reasonsOf("123456789012@ab")).toEqual(["a GSTIN holds only the letters A-Z and digits 0-9"]);
  });

  it("lists both an unknown state code and a bad 14th character", () => {
    const reasons = reasonsOf("47AAGCG4576J1A6");
    expect(reasons.some((reason) => reason.includes('"47" is not a GST state code'))).toBe(true);
    expect(reasons.some((reason) => reason.includes("14th character must be 'Z'"))).toBe(true);
  });

  it("refuses a valid check character with a 14th character other than Z, C or D", () => {
    expect(reasonsOf("27AAPFU0939F1AA")).toEqual([
      "the 14th character must be 'Z' (regular taxpayer), 'C' (e-commerce operator collecting TCS) or 'D' (tax deductor), got 'A'",
    ]);
  });

  it("refuses entity number 0 and an invalid embedded PAN holder type", () => {
    const first14 = "27AAAXG4576J0Z";
    const reasons = reasonsOf(first14 + computeGstinCheckCharacter(first14));
    expect(reasons.some((reason) => reason.includes("entity number"))).toBe(true);
    expect(reasons.some((reason) => reason.includes("not a PAN holder type"))).toBe(true);
  });

  it("refuses 96 (a place-of-supply code for exports) as a GSTIN prefix", () => {
    const first14 = "96AAPFU0939F1Z";
    expect(reasonsOf(first14 + computeGstinCheckCharacter(first14))).toEqual([
      '"96" is not a GST state code (01-38, 97 or 99)',
    ]);
  });

  it("accepts the 97 and 99 special codes", () => {
    for (const code of ["97", "99"]) {
      const first14 = `${code}AAPFU0939F1Z`;
      expect(parseGstin(first14 + computeGstinCheckCharacter(first14)).stateCode).toBe(code);
    }
  });

  it("normalises case and surrounding spaces", () => {
    expect(parseGstin("  27aapfu0939f1zv ").gstin).toBe("27AAPFU0939F1ZV");
    expect(stateCodeOfGstin(" 07aaaci1681g1zr")).toBe("07");
  });

  it("throws an AppError with INVALID_INPUT and the given field", () => {
    try {
      parseGstin("27AAPFU0939F1ZO", "buyer.gstin");
      expect.unreachable();
    } catch (error) {
      expect(isAppError(error)).toBe(true);
      if (!isAppError(error)) return;
      expect(error.code).toBe("INVALID_INPUT");
      expect(error.issues).toEqual([
        { field: "buyer.gstin", reason: "check character is 'O' but characters 1-14 give 'V'" },
      ]);
    }
  });
});

describe("special GSTIN families", () => {
  function withCheck(first14: string): string {
    return first14 + computeGstinCheckCharacter(first14);
  }

  it("classifies e-commerce operators (TCS) and keeps their PAN", () => {
    const parsed = parseGstin("29AABCF8078M1C8");
    expect(parsed.kind).toBe("tax-collector");
    expect(parsed.pan).toBe("AABCF8078M");
  });

  it("classifies a TAN-based tax deductor", () => {
    const parsed = parseGstin(withCheck("07DELA12345B1D"));
    expect(parsed.kind).toBe("tax-deductor");
    expect(parsed.tan).toBe("DELA12345B");
    expect(parsed.pan).toBeNull();
  });

  it("classifies a PAN-based tax deductor", () => {
    const parsed = parseGstin(withCheck("27AAAGM0289C1D"));
    expect(parsed.kind).toBe("tax-deductor");
    expect(parsed.pan).toBe("AAAGM0289C");
  });

  it("classifies a government department id and refuses a letter check character there", () => {
    const first14 = "07DELA12345B0Z";
    const check = computeGstinCheckCharacter(first14);
    if (/^[0-9]$/.test(check)) {
      expect(parseGstin(first14 + check).kind).toBe("government-department");
    } else {
      expect(isValidGstin(first14 + check)).toBe(false);
    }
    const digitCheck = ["07DELA12345B1Z", "07DELA12345B2Z", "07DELA12345B3Z", "07DELA12345B4Z"].find(
      (candidate) => /^[0-9]$/.test(computeGstinCheckCharacter(candidate)),
    );
    expect(digitCheck).toBeDefined();
    const parsed = parseGstin(withCheck(digitCheck ?? ""));
    expect(parsed.kind).toBe("government-department");
    expect(parsed.tan).toBe("DELA12345B");
  });

  it("classifies non-resident, OIDAR and UIN numbers", () => {
    expect(parseGstin(withCheck("0717USA00012NR")).kind).toBe("non-resident");
    expect(parseGstin(withCheck("9917USA29001OS")).kind).toBe("oidar");
    expect(parseGstin(withCheck("0717UNO00001UN")).kind).toBe("uin");
    expect(parseGstin(withCheck("0717UNO00001UN")).pan).toBeNull();
  });

  it("refuses an OIDAR layout outside code 99 and a numeric layout of no family", () => {
    expect(isValidGstin(withCheck("0717USA29001OS"))).toBe(false);
    expect(isValidGstin("369296450896540")).toBe(false);
  });
});
