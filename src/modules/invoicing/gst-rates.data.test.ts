import { describe, expect, it } from "vitest";
import { findIndiaState, localTaxHeadFor } from "../../kernel/india-states.ts";
import type { CalendarDate } from "./calendar-date.ts";
import { checkGstRate } from "./gst-rate.validator.ts";
import { EINVOICE_THRESHOLDS, einvoiceThresholdOn, requiredHsnDigits } from "./gst-rates.data.ts";
import { readReferenceCsv, readReferenceText } from "./reference-data.testing.ts";

const CRORE = 1_00_00_000_00n;
const date = (text: string): CalendarDate => text as CalendarDate;
const rates = readReferenceCsv("gst/gst_rates.csv");
const rules = readReferenceText("gst/gst_rules.txt");

const MONTHS: Record<string, string> = { Jan: "01", Apr: "04", Aug: "08", Oct: "10" };

describe("rate table against gst_rates.csv", () => {
  it.each(rates.map((row) => [row.rate_percent, row] as const))("%s%%", (percent, row) => {
    const basisPoints = Math.round(Number(percent) * 100);
    const before = checkGstRate({ rateBasisPoints: basisPoints, date: date("2025-09-21") });
    const after = checkGstRate({ rateBasisPoints: basisPoints, date: date("2025-09-22") });
    const statusBefore = row.status_before_2025_09_22 ?? "";
    const statusAfter = row.status_from_2025_09_22 ?? "";
    expect(before.ok).toBe(statusBefore !== "n/a");
    if (statusAfter.startsWith("slab removed except")) {
      expect(after.ok && after.restrictedTo !== null).toBe(true);
    } else if (statusAfter.startsWith("slab removed")) {
      expect(after.ok).toBe(false);
    } else {
      expect(after.ok).toBe(true);
      // Rates the reference marks unverified after the reform are accepted but flagged as unconfirmed.
      if (after.ok) expect(after.confirmed).toBe(!/unverified/.test(statusAfter));
    }
    // The intra-State split is half the rate to each head.
    const [cgst] = /CGST ([\d.]+)/.exec(row.intra_state_split ?? "")?.slice(1) ?? [];
    expect(Number(cgst) * 2).toBeCloseTo(Number(percent), 10);
  });
});

describe("facts of gst_rules.txt", () => {
  it("has the e-invoice phases of rule 6", () => {
    const phases = /Phases: ([^(]+)\(/.exec(rules.replace(/\s+/g, " "))?.[1] ?? "";
    const parsed = [...phases.matchAll(/(\d+)cr (\d+)-(\w+)-(\d{4})/g)].map((match) => ({
      crore: BigInt(match[1] ?? "0"),
      from: `${match[4]}-${MONTHS[match[3] ?? ""]}-${(match[2] ?? "").padStart(2, "0")}`,
    }));
    expect(parsed).toHaveLength(6);
    expect(
      EINVOICE_THRESHOLDS.map((entry) => ({ crore: entry.turnoverAbovePaise / CRORE, from: entry.from })),
    ).toEqual(parsed);
  });

  it("applies each threshold from its first day and none before October 2020", () => {
    expect(einvoiceThresholdOn(date("2020-09-30"))).toBeNull();
    expect(einvoiceThresholdOn(date("2023-07-31"))?.turnoverAbovePaise).toBe(10n * CRORE);
    expect(einvoiceThresholdOn(date("2023-08-01"))?.turnoverAbovePaise).toBe(5n * CRORE);
  });

  it("requires 4 HSN digits up to Rs 5 crore and 6 above, from April 2021 (rule 5)", () => {
    expect(rules).toMatch(/up to Rs 5 crore -> 4 digits/);
    expect(rules).toMatch(/more than Rs 5 crore -> 6 digits/);
    expect(
      requiredHsnDigits({ invoiceDate: date("2021-04-01"), aggregateTurnoverPaise: 5n * CRORE }),
    ).toMatchObject({ digits: 4, optionalOnB2c: true });
    expect(
      requiredHsnDigits({ invoiceDate: date("2021-04-01"), aggregateTurnoverPaise: 5n * CRORE + 1n }),
    ).toMatchObject({ digits: 6, optionalOnB2c: false });
    expect(
      requiredHsnDigits({ invoiceDate: date("2021-03-31"), aggregateTurnoverPaise: 5n * CRORE + 1n })?.digits,
    ).toBe(4);
    expect(requiredHsnDigits({ invoiceDate: date("2017-06-30"), aggregateTurnoverPaise: 0n })).toBeNull();
  });

  it("levies UTGST in the Union Territories rule 2 names", () => {
    const sentence =
      /UTGST instead of SGST in UTs without legislature: ([^(]+)\(/.exec(rules.replace(/\s+/g, " "))?.[1] ??
      "";
    const names = sentence
      .replace(/ and "Other Territory"/, ", Other Territory")
      .split(",")
      .map((name) => name.replace(/&/g, "and").replace(/"/g, "").trim())
      .filter((name) => name !== "");
    expect(names.length).toBeGreaterThanOrEqual(6);
    for (const name of names) {
      const state = ["01", "04", "26", "31", "35", "38", "97"]
        .map((code) => findIndiaState(code))
        .find((entry) =>
          entry?.name.toLowerCase().includes(
            name
              .toLowerCase()
              .replace(/islands?$/, "")
              .trim(),
          ),
        );
      expect(state, name).toBeDefined();
      expect(localTaxHeadFor(state?.code ?? "")).toBe("UTGST");
    }
    for (const code of ["07", "34", "01"]) expect(localTaxHeadFor(code)).toBe("SGST");
  });
});
