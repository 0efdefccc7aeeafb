import { describe, expect, it } from "vitest";
import { AppError } from "../../kernel/app-error.ts";
import { parseRupees } from "../../kernel/money.ts";
import {
  acceptedTdsAmounts,
  computeExpectedReceipt,
  computeGstTds,
  computeIncomeTaxTds,
  findTdsRate,
  isAcceptedTdsAmount,
  payeeKindFromPan,
} from "./tds.calculator.ts";
import { normaliseSectionCode } from "./tds-rates.data.ts";

const rupees = (text: string): bigint => parseRupees(text);

describe("TDS rates", () => {
  it("194C is 1% for individuals and HUFs, 2% for others", () => {
    expect(findTdsRate({ section: "194C", payee: "individual-or-huf", on: "2025-06-01" }).basisPoints).toBe(
      100,
    );
    expect(findTdsRate({ section: "194C", payee: "other", on: "2025-06-01" }).basisPoints).toBe(200);
  });

  it("194J is 2% for technical and 10% for professional services, technical 10% before April 2020", () => {
    expect(
      findTdsRate({ section: "194J", nature: "technical-services", payee: "other", on: "2025-06-01" })
        .basisPoints,
    ).toBe(200);
    expect(
      findTdsRate({ section: "194J", nature: "professional-services", payee: "other", on: "2025-06-01" })
        .basisPoints,
    ).toBe(1000);
    expect(
      findTdsRate({ section: "194J", nature: "technical-services", payee: "other", on: "2020-03-31" })
        .basisPoints,
    ).toBe(1000);
    expect(
      findTdsRate({ section: "194J", nature: "technical-services", payee: "other", on: "2020-04-01" })
        .basisPoints,
    ).toBe(200);
  });

  it("194H moves from 5% to 2% on 1 October 2024", () => {
    expect(findTdsRate({ section: "194H", payee: "other", on: "2024-09-30" }).basisPoints).toBe(500);
    expect(findTdsRate({ section: "194H", payee: "other", on: "2024-10-01" }).basisPoints).toBe(200);
  });

  it("194I is 2% for plant and machinery and 10% for land and building; 194Q is 0.1%", () => {
    expect(
      findTdsRate({ section: "194I", nature: "rent-plant-machinery", payee: "other", on: "2025-01-01" })
        .basisPoints,
    ).toBe(200);
    expect(
      findTdsRate({ section: "194I", nature: "rent-land-building", payee: "other", on: "2025-01-01" })
        .basisPoints,
    ).toBe(1000);
    expect(findTdsRate({ section: "194Q", payee: "other", on: "2025-01-01" }).basisPoints).toBe(10);
  });

  it("refuses a missing nature, a nature of another section and a date before the data", () => {
    expect(() => findTdsRate({ section: "194J", payee: "other", on: "2025-01-01" })).toThrow(/nature/);
    expect(() =>
      findTdsRate({ section: "194C", nature: "commission", payee: "other", on: "2025-01-01" }),
    ).toThrow(AppError);
    expect(() => findTdsRate({ section: "194Q", payee: "other", on: "2021-06-30" })).toThrow(/no rate/);
    expect(() => findTdsRate({ section: "194C", payee: "other", on: "2025-02-30" })).toThrow(/calendar date/);
  });

  it("reads the payee kind from the PAN", () => {
    expect(payeeKindFromPan("AAPPV8261K")).toBe("individual-or-huf");
    expect(payeeKindFromPan("AAAHA1234B")).toBe("individual-or-huf");
    expect(payeeKindFromPan("AAKFD7113K")).toBe("other");
  });

  it("normalises section codes as TRACES prints them", () => {
    expect(normaliseSectionCode("194JB")).toMatchObject({
      known: true,
      section: "194J",
      nature: "professional-services",
    });
    expect(normaliseSectionCode("194I(a)")).toMatchObject({
      known: true,
      section: "194I",
      nature: "rent-plant-machinery",
    });
    expect(normaliseSectionCode("94C")).toMatchObject({ known: true, section: "194C" });
    expect(normaliseSectionCode("194A")).toEqual({ known: true, printed: "194A" });
    expect(normaliseSectionCode("194Z").known).toBe(false);
  });
});

describe("income-tax TDS", () => {
  it("₹1,00,000 + 18% GST: 2% u/s 194C on the value before GST is ₹2,000 and ₹1,16,000 settles ₹1,18,000", () => {
    const tds = computeIncomeTaxTds({
      section: "194C",
      payee: "other",
      on: "2025-07-15",
      taxableValuePaise: rupees("1,00,000"),
      grossPaise: rupees("1,18,000"),
    });
    expect(tds.exactPaise).toBe(rupees("2000"));
    expect(tds.description).toBe("2% u/s 194C on ₹1,00,000");
    expect(
      computeExpectedReceipt({ grossPaise: rupees("1,18,000"), incomeTaxTdsPaise: tds.exactPaise }),
    ).toBe(rupees("1,16,000"));
  });

  it("on the gross when the deductor does not separate GST", () => {
    const tds = computeIncomeTaxTds({
      section: "194C",
      payee: "other",
      on: "2025-07-15",
      taxableValuePaise: rupees("1,00,000"),
      grossPaise: rupees("1,18,000"),
      base: "gross",
    });
    expect(tds.exactPaise).toBe(rupees("2360"));
    expect(tds.description).toBe("2% u/s 194C on ₹1,18,000");
  });

  it("0.1% u/s 194Q on ₹4,56,789.50 accepts ₹456.79 and ₹457", () => {
    const tds = computeIncomeTaxTds({
      section: "194Q",
      payee: "other",
      on: "2025-07-15",
      taxableValuePaise: rupees("4,56,789.50"),
      grossPaise: rupees("5,39,011.61"),
    });
    expect(tds.exactPaise).toBe(rupees("456.79"));
    expect(tds.description).toBe("0.1% u/s 194Q on ₹4,56,789.50");
    expect(isAcceptedTdsAmount({ claimedPaise: rupees("456.79"), exactPaise: tds.exactPaise })).toBe(true);
    expect(isAcceptedTdsAmount({ claimedPaise: rupees("457"), exactPaise: tds.exactPaise })).toBe(true);
    expect(isAcceptedTdsAmount({ claimedPaise: rupees("456"), exactPaise: tds.exactPaise })).toBe(false);
    expect(isAcceptedTdsAmount({ claimedPaise: rupees("458"), exactPaise: tds.exactPaise })).toBe(false);
  });

  it("accepted amounts have no duplicates for whole-rupee figures", () => {
    expect(acceptedTdsAmounts(rupees("2000"))).toEqual([rupees("2000")]);
    expect(acceptedTdsAmounts(rupees("10.40"))).toEqual([rupees("10.40"), rupees("10"), rupees("11")]);
  });

  it("applies a lower-deduction certificate rate and refuses nonsense inputs with every field named", () => {
    const tds = computeIncomeTaxTds({
      section: "194J",
      nature: "professional-services",
      payee: "other",
      on: "2025-07-15",
      taxableValuePaise: rupees("50,000"),
      grossPaise: rupees("59,000"),
      rateBasisPoints: 200,
    });
    expect(tds.exactPaise).toBe(rupees("1000"));
    try {
      computeIncomeTaxTds({
        section: "194C",
        payee: "other",
        on: "2025-07-15",
        taxableValuePaise: -1n,
        grossPaise: -5n,
        rateBasisPoints: 10_001,
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).issues.map((issue) => issue.field)).toEqual([
        "taxableValuePaise",
        "grossPaise",
        "rateBasisPoints",
      ]);
    }
  });
});

describe("GST TDS u/s 51", () => {
  it("is 1% CGST + 1% SGST intra-state and 2% IGST inter-state above ₹2.5 lakh", () => {
    const intra = computeGstTds({ taxableValuePaise: rupees("5,00,000"), interState: false });
    expect(intra).toMatchObject({
      applicable: true,
      cgstPaise: rupees("5000"),
      sgstPaise: rupees("5000"),
      igstPaise: 0n,
    });
    expect(intra.totalPaise).toBe(rupees("10000"));
    const inter = computeGstTds({ taxableValuePaise: rupees("5,00,000"), interState: true });
    expect(inter).toMatchObject({
      applicable: true,
      igstPaise: rupees("10000"),
      totalPaise: rupees("10000"),
    });
  });

  it("does not apply at or below ₹2,50,000 of contract value, but does for a small invoice of a big contract", () => {
    expect(computeGstTds({ taxableValuePaise: rupees("2,50,000"), interState: false }).applicable).toBe(
      false,
    );
    const part = computeGstTds({
      taxableValuePaise: rupees("1,00,000"),
      contractValuePaise: rupees("10,00,000"),
      interState: false,
    });
    expect(part.totalPaise).toBe(rupees("2000"));
  });

  it("government buyer pays total - 2% income-tax TDS - 2% GST TDS", () => {
    const taxable = rupees("5,00,000");
    const gross = rupees("5,90,000");
    const incomeTax = computeIncomeTaxTds({
      section: "194C",
      payee: "other",
      on: "2025-08-01",
      taxableValuePaise: taxable,
      grossPaise: gross,
    });
    const gst = computeGstTds({ taxableValuePaise: taxable, interState: false });
    expect(
      computeExpectedReceipt({
        grossPaise: gross,
        incomeTaxTdsPaise: incomeTax.exactPaise,
        gstTdsPaise: gst.totalPaise,
      }),
    ).toBe(rupees("5,70,000"));
  });
});
