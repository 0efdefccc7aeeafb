import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { sharedPath } from "../../test/support/shared-path.ts";
import { isAppError } from "./app-error.ts";
import { checkPan, maskPan, parsePan } from "./pan.ts";

/** The reference files mix CRLF and LF endings and start with "#" comment lines. */
function withoutComments(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .filter((line) => !line.startsWith("#"))
    .join("\n");
}

const rows: Record<string, string>[] = parse(
  withoutComments(readFileSync(sharedPath("reference/india/ids/pan_test_vectors.csv"), "utf8")),
  { columns: true, skip_empty_lines: true },
);

/** The reference names the python-stdnum exception; map each to words our reasons use. */
const REASON_WORDS: Record<string, string> = {
  InvalidLength: "10 characters",
  InvalidFormat: "five letters, four digits and one letter",
  InvalidComponent: "",
};

describe("PAN reference vectors", () => {
  it("reads every row", () => {
    expect(rows.length).toBe(10);
  });

  it.each(rows.map((row) => [row.input ?? "", row] as const))("%s", (input, row) => {
    const result = checkPan(input);
    if (row.expected === "valid") {
      expect(result.ok).toBe(true);
      return;
    }
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const words = REASON_WORDS[row.expected_error ?? ""];
    expect(words).toBeDefined();
    expect(result.issues.some((issue) => issue.reason.includes(words ?? ""))).toBe(true);
  });
});

describe("PAN details", () => {
  it("reads the holder type and name initial", () => {
    expect(parsePan("AAKFD7113K")).toMatchObject({
      holderType: "firm-or-llp",
      holderTypeCode: "F",
      nameInitial: "D",
    });
    expect(parsePan("aappv8261k").holderType).toBe("individual");
  });

  it("names a bad holder type and a zero serial together", () => {
    const result = checkPan("ABMXA0000G");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((issue) => issue.reason)).toEqual([
      '4th character "X" is not a PAN holder type (one of A, B, C, F, G, H, L, J, P, T, K)',
      "the serial number (characters 6-9) may not be 0000",
    ]);
  });

  it("throws INVALID_INPUT naming the field", () => {
    try {
      parsePan("ABMPA32111", "customer.pan");
      expect.unreachable();
    } catch (error) {
      expect(isAppError(error) && error.code).toBe("INVALID_INPUT");
      expect(isAppError(error) && error.issues[0]?.field).toBe("customer.pan");
    }
  });

  it("masks as first five plus last", () => {
    expect(maskPan("AAPPV8261K")).toBe("AAPPVXXXXK");
  });
});
