import { describe, expect, it } from "vitest";
import { isAppError } from "../../kernel/app-error.ts";
import type { FieldIssue } from "../../kernel/app-error.ts";
import { parseRupees } from "../../kernel/money.ts";
import { GSTINS, buildInvoice, line } from "./invoice.fixtures.testing.ts";
import type { InvoiceLineInput } from "./invoice.schemas.ts";
import { readReferenceCsv } from "./reference-data.testing.ts";
import {
  apportionByLargestRemainder,
  calculateInvoiceTax,
  roundToNearestRupee,
  toDocumentAmounts,
} from "./tax.calculator.ts";
import type { DocumentTax } from "./tax.calculator.ts";

const vectors = readReferenceCsv("gst/gst_rounding_vectors.csv");

/** "AssAmt 100000.00 GstRt 18 Seller 02" -> { AssAmt: "100000.00", GstRt: "18", Seller: "02" } */
function keyValues(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const match of text.matchAll(/([A-Za-z]+)\s+(-?[0-9][0-9.,]*|[A-Z]{2,})/g)) {
    const [, key, value] = match;
    if (key !== undefined && value !== undefined) result[key] = value;
  }
  return result;
}

const SELLER_BY_STATE: Record<string, string> = { "02": GSTINS.himachal, "27": GSTINS.maharashtra };

/** Builds the invoice a vector describes; the reference payloads date from 2022-2023, before the 2025 reform. */
function invoiceFor(input: string): DocumentTax {
  const values = keyValues(input);
  const seller = values.Seller ?? "02";
  const lineCount = Number(/(\d+) lines/.exec(input)?.[1] ?? "1");
  const assessable = parseRupees(values.AssAmt ?? "0");
  const lines: InvoiceLineInput[] = Array.from({ length: lineCount }, () =>
    line({
      quantity: "1",
      unitPricePaise: assessable,
      gstRateBasisPoints: Math.round(Number(values.GstRt ?? "0") * 100),
      ...(values.HsnCd !== undefined ? { hsnSac: values.HsnCd } : {}),
    }),
  );
  const supplyType = values.SupTyp === "EXPWOP" ? "EXPWOP" : "B2B";
  return calculateInvoiceTax({
    invoice: buildInvoice({
      issueDate: "2023-10-03",
      supplyType,
      placeOfSupply: values.Pos ?? seller,
      supplier: {
        legalName: "Test Indian Registered Company",
        gstin: SELLER_BY_STATE[seller] ?? "",
        address: { line1: "Test Address 1", city: "Test City", pinCode: "171302", stateCode: seller },
      },
      ...(supplyType === "EXPWOP"
        ? {
            buyer: {
              legalName: "Test Foreign Customer",
              address: { line1: "Test Address 9", city: "Test City", stateCode: "96", country: "US" },
            },
          }
        : {}),
      lines,
      nonTaxableChargesPaise: values.OthChrg === undefined ? 0n : parseRupees(values.OthChrg),
    }),
  });
}

const DOCUMENT_FIELDS: Record<string, (tax: DocumentTax) => bigint> = {
  CgstAmt: (tax) => tax.cgstPaise,
  Cgst: (tax) => tax.cgstPaise,
  CgstVal: (tax) => tax.cgstPaise,
  SgstAmt: (tax) => tax.sgstPaise,
  Sgst: (tax) => tax.sgstPaise,
  SgstVal: (tax) => tax.sgstPaise,
  IgstAmt: (tax) => tax.igstPaise,
  AssVal: (tax) => tax.taxableValuePaise,
  RndOffAmt: (tax) => tax.roundOffPaise,
  TotInvVal: (tax) => tax.totalPaise,
  TotItemVal: (tax) => tax.lines[0]?.totalPaise ?? -1n,
};

const LINE_FIELDS: Record<string, (tax: DocumentTax, index: number) => bigint> = {
  Cgst: (tax, index) => tax.lines[index]?.cgstPaise ?? -1n,
  Sgst: (tax, index) => tax.lines[index]?.sgstPaise ?? -1n,
  TotItemVal: (tax, index) => tax.lines[index]?.totalPaise ?? -1n,
};

describe("gst_rounding_vectors.csv", () => {
  it("has every case", () => {
    expect(vectors.map((row) => row.case)).toEqual([
      "s170_tax_paise_below_50",
      "s170_exactly_50_paise",
      "goods_b2b_intra_18",
      "service_b2b_intra_18",
      "two_lines_12pct_paise_split",
      "othchrg_and_roundoff",
      "intra_18_qty",
      "export_wop",
    ]);
  });

  it.each(vectors.filter((row) => row.case?.startsWith("s170")).map((row) => [row.case, row] as const))(
    "%s: rounds to the nearest rupee",
    (_name, row) => {
      const amounts = [...(row.input ?? "").matchAll(/[0-9][0-9,]*\.[0-9]{2}/g)].map((match) =>
        parseRupees(match[0]),
      );
      const expected = [...(row.expected ?? "").matchAll(/[0-9][0-9,]*/g)].map((match) =>
        parseRupees(match[0]),
      );
      expect(amounts.length).toBeGreaterThan(0);
      const rounded = amounts.map(roundToNearestRupee);
      expect(rounded).toEqual(expected.slice(0, amounts.length));
      if (expected.length > amounts.length) {
        expect(rounded.reduce((sum, value) => sum + value, 0n)).toBe(expected[amounts.length]);
      }
    },
  );

  it.each(vectors.filter((row) => !row.case?.startsWith("s170")).map((row) => [row.case, row] as const))(
    "%s",
    (_name, row) => {
      const tax = invoiceFor(row.input ?? "");
      let checked = 0;
      for (const segment of (row.expected ?? "").split(";")) {
        const lineNumber = /line(\d+)/.exec(segment)?.[1];
        for (const [key, value] of Object.entries(keyValues(segment.replace(/line\d+/, "")))) {
          const pick = lineNumber === undefined ? DOCUMENT_FIELDS[key] : LINE_FIELDS[key];
          expect(pick, `no mapping for ${key}`).toBeDefined();
          const actual = pick?.(tax, Number(lineNumber ?? "1") - 1);
          expect(actual, `${key} ${lineNumber ?? ""}`).toBe(parseRupees(value));
          checked += 1;
        }
      }
      expect(checked).toBeGreaterThan(1);
      if ((row.input ?? "").includes("IsServc Y")) expect(tax.lines[0]?.isService).toBe(true);
    },
  );
});

function issuesOf(run: () => unknown): FieldIssue[] {
  try {
    run();
  } catch (error) {
    if (isAppError(error) && error.code === "INVALID_INPUT") return error.issues;
    throw error;
  }
  throw new Error("expected INVALID_INPUT");
}

describe("tax heads by place of supply", () => {
  it("charges IGST across States, whatever the buyer's address", () => {
    const tax = calculateInvoiceTax({ invoice: buildInvoice({ placeOfSupply: "29" }) });
    expect(tax.regime.kind).toBe("inter-state");
    expect(tax).toMatchObject({
      igstPaise: 18_000_00n,
      cgstPaise: 0n,
      sgstPaise: 0n,
      totalPaise: 1_18_000_00n,
    });
  });

  it("charges CGST + SGST within a State even when the buyer is registered elsewhere", () => {
    const invoice = buildInvoice({
      placeOfSupply: "27",
      buyer: {
        legalName: "Karnataka Buyer Pvt Ltd",
        gstin: GSTINS.karnataka,
        address: { line1: "1 Residency Road", city: "Bengaluru", pinCode: "560025", stateCode: "29" },
      },
    });
    const tax = calculateInvoiceTax({ invoice });
    expect(tax).toMatchObject({ cgstPaise: 9_000_00n, sgstPaise: 9_000_00n, igstPaise: 0n });
  });

  it("charges CGST + UTGST in a Union Territory without legislature", () => {
    const invoice = buildInvoice({
      placeOfSupply: "04",
      supplier: {
        legalName: "Chandigarh Supplier Ltd",
        gstin: GSTINS.chandigarh,
        address: { line1: "Sector 17", city: "Chandigarh", pinCode: "160017", stateCode: "04" },
      },
    });
    const tax = calculateInvoiceTax({ invoice });
    expect(tax.regime.localHead).toBe("UTGST");
    expect(tax).toMatchObject({ cgstPaise: 9_000_00n, sgstPaise: 0n, utgstPaise: 9_000_00n });
    expect(tax.lines[0]).toMatchObject({ utgstPaise: 9_000_00n, sgstPaise: 0n });
  });

  it("charges IGST on a supply to an SEZ in the supplier's own State, and nothing without payment", () => {
    const withPayment = calculateInvoiceTax({ invoice: buildInvoice({ supplyType: "SEZWP" }) });
    expect(withPayment).toMatchObject({ igstPaise: 18_000_00n, cgstPaise: 0n });
    const withoutPayment = calculateInvoiceTax({ invoice: buildInvoice({ supplyType: "SEZWOP" }) });
    expect(withoutPayment).toMatchObject({ igstPaise: 0n, taxPaise: 0n, totalPaise: 1_00_000_00n });
    expect(withoutPayment.regime.zeroRated).toBe(true);
  });

  it("charges IGST on an export with payment and IGST on intra-State when flagged", () => {
    const exportInvoice = buildInvoice({
      supplyType: "EXPWP",
      placeOfSupply: "96",
      buyer: {
        legalName: "Acme Inc",
        address: { line1: "1 Main St", city: "Austin", stateCode: "96", country: "US" },
      },
    });
    expect(calculateInvoiceTax({ invoice: exportInvoice }).igstPaise).toBe(18_000_00n);
    expect(calculateInvoiceTax({ invoice: buildInvoice({ igstOnIntra: true }) }).igstPaise).toBe(18_000_00n);
  });

  it("refuses an export inside India and a domestic supply outside it", () => {
    expect(issuesOf(() => calculateInvoiceTax({ invoice: buildInvoice({ supplyType: "EXPWOP" }) }))).toEqual([
      { field: "placeOfSupply", reason: "the place of supply of an export is outside India (96)" },
    ]);
    expect(issuesOf(() => calculateInvoiceTax({ invoice: buildInvoice({ placeOfSupply: "96" }) }))).toEqual([
      { field: "placeOfSupply", reason: "96 (outside India) is only the place of supply of an export" },
    ]);
  });
});

describe("rates by date", () => {
  it("accepts 12% before 22 September 2025 and refuses it from that day", () => {
    const before = buildInvoice({ issueDate: "2025-09-21", lines: [line({ gstRateBasisPoints: 1200 })] });
    expect(calculateInvoiceTax({ invoice: before }).cgstPaise).toBe(6_000_00n);
    const after = buildInvoice({ issueDate: "2025-09-22", lines: [line({ gstRateBasisPoints: 1200 })] });
    const issues = issuesOf(() => calculateInvoiceTax({ invoice: after }));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.field).toBe("lines.0.gstRateBasisPoints");
    expect(issues[0]?.reason).toContain(
      "12% is not a GST rate on 2025-09-22 (the 12% slab ended on 21 September 2025)",
    );
  });

  it("refuses 40% before the reform and notes 28% as restricted after it", () => {
    const early = buildInvoice({ issueDate: "2025-09-01", lines: [line({ gstRateBasisPoints: 4000 })] });
    expect(issuesOf(() => calculateInvoiceTax({ invoice: early }))[0]?.reason).toContain(
      "(the 40% rate applies from 22 September 2025)",
    );
    const late = buildInvoice({
      lines: [line({ gstRateBasisPoints: 2800 }), line({ gstRateBasisPoints: 4000 })],
    });
    const tax = calculateInvoiceTax({ invoice: late });
    expect(tax.igstPaise + tax.cgstPaise).toBe(tax.cgstPaise);
    expect(tax.cgstPaise).toBe(14_000_00n + 20_000_00n);
    expect(tax.rateNotes).toEqual([
      {
        line: 0,
        note: "only for tobacco products and pan masala, until the compensation-cess loans are repaid",
      },
    ]);
  });

  it("refuses an unknown rate unless the organisation adds it, and a date before GST", () => {
    const odd = buildInvoice({ lines: [line({ gstRateBasisPoints: 1300 })] });
    expect(issuesOf(() => calculateInvoiceTax({ invoice: odd }))[0]?.reason).toMatch(
      /^13% is not a GST rate on 2025-10-01; rates then: 0%, 0.1%/,
    );
    expect(calculateInvoiceTax({ invoice: odd, extraRatesBasisPoints: [1300] }).cgstPaise).toBe(6_500_00n);
    const ancient = buildInvoice({ issueDate: "2017-06-30" });
    expect(issuesOf(() => calculateInvoiceTax({ invoice: ancient }))[0]?.reason).toBe(
      "GST did not exist before 2017-07-01",
    );
  });

  it("splits 0.25% into exact halves of 0.125%", () => {
    const invoice = buildInvoice({
      lines: [line({ quantity: "1", unitPricePaise: 1_00_000_00n, gstRateBasisPoints: 25 })],
    });
    expect(calculateInvoiceTax({ invoice })).toMatchObject({ cgstPaise: 125_00n, sgstPaise: 125_00n });
  });
});

describe("line arithmetic", () => {
  it("multiplies decimal quantities exactly and rounds half up to the paisa", () => {
    const invoice = buildInvoice({
      placeOfSupply: "29",
      lines: [
        line({ quantity: "2.5", unitPricePaise: 333n }),
        line({ quantity: "0.125", unitPricePaise: 1_00n, discountPaise: 1n }),
      ],
    });
    const tax = calculateInvoiceTax({ invoice });
    expect(tax.lines.map((entry) => [entry.grossPaise, entry.taxableValuePaise])).toEqual([
      [833n, 833n],
      [13n, 12n],
    ]);
    expect(tax.igstPaise).toBe(152n);
    expect(tax.totalBeforeRoundOffPaise).toBe(997n);
    expect(tax.roundOffPaise).toBe(3n);
    expect(tax.totalPaise).toBe(1000n);
  });

  it("adds ad valorem cess and keeps paise when rounding is off", () => {
    const invoice = buildInvoice({
      issueDate: "2025-06-01",
      roundTotal: false,
      lines: [
        line({
          quantity: "1",
          unitPricePaise: 10_00_000_33n,
          gstRateBasisPoints: 2800,
          cessRateBasisPoints: 1500,
        }),
      ],
    });
    const tax = calculateInvoiceTax({ invoice });
    expect(tax.cessPaise).toBe(1_50_000_05n);
    expect(tax.roundOffPaise).toBe(0n);
    expect(tax.totalPaise).toBe(tax.taxableValuePaise + tax.taxPaise);
  });

  it("names every line whose discount exceeds its value or whose rate is wrong, at once", () => {
    const invoice = buildInvoice({
      lines: [line({ discountPaise: 2_00_000_00n }), line(), line({ gstRateBasisPoints: 1234 })],
    });
    expect(issuesOf(() => calculateInvoiceTax({ invoice })).map((issue) => issue.field)).toEqual([
      "lines.0.discountPaise",
      "lines.2.gstRateBasisPoints",
    ]);
  });

  it("records amounts in the stored shape", () => {
    const amounts = toDocumentAmounts(calculateInvoiceTax({ invoice: buildInvoice() }));
    expect(amounts).toMatchObject({
      taxableValuePaise: 1_00_000_00n,
      cgstPaise: 9_000_00n,
      totalPaise: 1_18_000_00n,
    });
    expect(amounts.lines).toHaveLength(1);
  });
});

describe("rounding helpers", () => {
  it("rounds half away from zero to the rupee", () => {
    expect([49n, 50n, 150n, -49n, -50n, 10230n].map(roundToNearestRupee)).toEqual([
      0n,
      100n,
      200n,
      0n,
      -100n,
      10200n,
    ]);
  });

  it("apportions by largest remainder, earlier lines first on ties", () => {
    expect(
      apportionByLargestRemainder({ total: 91n, numerators: [912n * 5n, 912n * 5n], denominator: 100n }),
    ).toEqual([46n, 45n]);
    expect(
      apportionByLargestRemainder({ total: 3n, numerators: [50n, 50n, 50n, 50n, 50n], denominator: 100n }),
    ).toEqual([1n, 1n, 1n, 0n, 0n]);
    expect(() =>
      apportionByLargestRemainder({ total: 10n, numerators: [100n], denominator: 100n }),
    ).toThrow();
  });
});
