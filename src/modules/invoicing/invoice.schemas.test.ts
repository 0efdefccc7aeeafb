import { describe, expect, it } from "vitest";
import { isAppError } from "../../kernel/app-error.ts";
import type { FieldIssue } from "../../kernel/app-error.ts";
import { invoiceInput, line } from "./invoice.fixtures.testing.ts";
import { parseInvoice, parseNote } from "./invoice.parser.ts";
import { formatQuantity, multiplyByQuantity, normalizeQuantity, quantityToThousandths } from "./quantity.ts";

function issuesOf(run: () => unknown): FieldIssue[] {
  try {
    run();
  } catch (error) {
    if (isAppError(error) && error.code === "INVALID_INPUT") return error.issues;
    throw error;
  }
  throw new Error("expected INVALID_INPUT");
}

describe("parseInvoice", () => {
  it("normalises a valid invoice and fills defaults", () => {
    const invoice = parseInvoice(
      invoiceInput({
        placeOfSupply: "7",
        lines: [line({ quantity: 2.5, unitPricePaise: "12345", unit: "kgs", discountPaise: 10 })],
      }),
    );
    expect(invoice.placeOfSupply).toBe("07");
    expect(invoice.lines[0]).toMatchObject({
      quantity: "2.5",
      unit: "KGS",
      unitPricePaise: 12345n,
      discountPaise: 10n,
      cessRateBasisPoints: 0,
    });
    expect(invoice).toMatchObject({
      status: "draft",
      reverseCharge: false,
      igstOnIntra: false,
      roundTotal: true,
      nonTaxableChargesPaise: 0n,
    });
    expect(invoice.settlement).toEqual({
      paidPaise: 0n,
      creditedPaise: 0n,
      debitedPaise: 0n,
      writtenOffPaise: 0n,
    });
  });

  it("names every bad field with its reason at once", () => {
    const issues = issuesOf(() =>
      parseInvoice({
        ...invoiceInput(),
        number: "INV#2025-26-000001",
        issueDate: "2025-02-30",
        supplyType: "B2X",
        placeOfSupply: "39",
        supplier: {
          legalName: "Ab",
          gstin: "27-AAPFU0939F1ZV",
          address: { line1: "x", city: "Pune", stateCode: "27" },
        },
        lines: [
          line({
            quantity: "1.2345",
            hsnSac: "731",
            unit: "BOXES",
            unitPricePaise: -1n,
            gstRateBasisPoints: 18.5,
          }),
        ],
      }),
    );
    const byField = Object.fromEntries(issues.map((issue) => [issue.field, issue.reason]));
    expect(issues).toEqual(
      expect.arrayContaining([
        { field: "number", reason: "rule 46(b): at most 16 characters" },
        { field: "number", reason: "rule 46(b): only letters, digits, hyphen (-) and slash (/)" },
      ]),
    );
    expect(byField).toMatchObject({
      issueDate: "is a date in YYYY-MM-DD form",
      placeOfSupply: "is not a GST state code (01-38, 97, or 96 for outside India)",
      "supplier.legalName": "must have at least 3 characters",
      "supplier.gstin": "a GSTIN is two digits and 13 letters or digits",
      "supplier.address.pinCode": "an address in India needs a PIN code",
      "lines.0.quantity": "is a non-negative decimal with at most 10 integer digits and 3 decimals",
      "lines.0.hsnSac": "an HSN/SAC code is 2, 4, 6 or 8 digits",
      "lines.0.unit": "is not a GST unit quantity code (UQC) such as NOS, KGS, MTR",
      "lines.0.unitPricePaise": "must not be negative",
      "lines.0.gstRateBasisPoints": "is a whole number of basis points (1800 = 18%)",
    });
    expect(Object.keys(byField)).toContain("supplyType");
    expect(issuesOf(() => parseInvoice({ ...invoiceInput(), number: "INV#1" }))).toEqual([
      { field: "number", reason: "rule 46(b): only letters, digits, hyphen (-) and slash (/)" },
    ]);
  });

  it("refuses an invoice without lines and a foreign address without state 96", () => {
    expect(issuesOf(() => parseInvoice({ ...invoiceInput(), lines: [] }))).toEqual([
      { field: "lines", reason: "an invoice needs at least one line" },
    ]);
    const issues = issuesOf(() =>
      parseInvoice({
        ...invoiceInput(),
        buyer: {
          legalName: "Acme Inc",
          address: { line1: "1 Main St", city: "Austin", stateCode: "27", country: "US" },
        },
      }),
    );
    expect(issues).toEqual([
      {
        field: "buyer.address.stateCode",
        reason: "state code 96 (Other Countries) goes with, and only with, an address abroad",
      },
    ]);
  });

  it("parses notes and names their bad fields", () => {
    expect(
      issuesOf(() =>
        parseNote({
          id: "cn",
          kind: "refund",
          number: "CN-1",
          issueDate: "2025-10-10",
          invoiceId: "inv_1",
          reason: "sales-return",
          lines: [],
        }),
      ).map((issue) => issue.field),
    ).toEqual(["kind", "lines"]);
  });
});

describe("quantities", () => {
  it("scales to thousandths and back", () => {
    expect(quantityToThousandths("2.5")).toBe(2500n);
    expect(quantityToThousandths("0.001")).toBe(1n);
    expect(formatQuantity(1_000_500n)).toBe("1000.5");
    expect(normalizeQuantity("007.250")).toBe("7.25");
    expect(normalizeQuantity(3)).toBe("3");
  });

  it("multiplies price by quantity rounding half up to the paisa", () => {
    expect(multiplyByQuantity({ unitPricePaise: 333n, quantity: "2.5" })).toBe(833n);
    expect(multiplyByQuantity({ unitPricePaise: 1n, quantity: "0.499" })).toBe(0n);
    expect(multiplyByQuantity({ unitPricePaise: 1n, quantity: "0.5" })).toBe(1n);
    expect(multiplyByQuantity({ unitPricePaise: 99_999_99n, quantity: "9999999999.999" })).toBe(
      99999989999990000n,
    );
  });

  it("refuses floats with more than three decimals, negatives and exponents", () => {
    for (const bad of [0.1 + 0.2, -1, "1e3", "1,000", ""]) {
      expect(() => normalizeQuantity(bad as string)).toThrow();
    }
  });
});
