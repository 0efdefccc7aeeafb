import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { sharedPath } from "../../test/support/shared-path.ts";
import {
  INDIA_STATES,
  findIndiaState,
  isGstinStateCode,
  isPlaceOfSupplyCode,
  localTaxHeadFor,
} from "./india-states.ts";

/** The reference files mix CRLF and LF endings and start with "#" comment lines. */
function withoutComments(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .filter((line) => !line.startsWith("#"))
    .join("\n");
}

const referenceRows: Record<string, string>[] = parse(
  withoutComments(readFileSync(sharedPath("reference/india/gstin/gst_state_codes.csv"), "utf8")),
  { columns: true, skip_empty_lines: true },
);

describe("India states table", () => {
  it("has exactly the codes of the reference list", () => {
    expect(INDIA_STATES.map((state) => state.code)).toEqual(referenceRows.map((row) => row.code));
  });

  it.each(referenceRows.map((row) => [row.code ?? "", row] as const))(
    "code %s matches the reference",
    (code, row) => {
      const state = findIndiaState(code);
      expect(state).toBeDefined();
      expect(state?.status).toBe(row.status === "legacy" ? "legacy" : "active");
      // Names agree up to the reference's qualifiers.
      expect((row.name ?? "").toLowerCase()).toContain(
        (state?.name ?? "").toLowerCase().replace(/ \(.*\)$/, ""),
      );
    },
  );

  it("levies UTGST exactly in the Union Territories without legislature and Other Territory", () => {
    const utgst = INDIA_STATES.filter((state) => localTaxHeadFor(state.code) === "UTGST").map(
      (state) => state.code,
    );
    expect(utgst).toEqual(["04", "25", "26", "31", "35", "38", "97"]);
    expect(localTaxHeadFor("07")).toBe("SGST");
    expect(localTaxHeadFor("34")).toBe("SGST");
    expect(localTaxHeadFor("01")).toBe("SGST");
  });

  it("separates GSTIN prefixes from place-of-supply codes", () => {
    expect(isGstinStateCode("96")).toBe(false);
    expect(isPlaceOfSupplyCode("96")).toBe(true);
    expect(isGstinStateCode("99")).toBe(true);
    expect(isPlaceOfSupplyCode("99")).toBe(false);
    expect(isGstinStateCode("00")).toBe(false);
    expect(isGstinStateCode("39")).toBe(false);
  });

  it("pads single-digit codes", () => {
    expect(findIndiaState("7")?.name).toBe("Delhi");
    expect(findIndiaState(" 27 ")?.name).toBe("Maharashtra");
  });
});
