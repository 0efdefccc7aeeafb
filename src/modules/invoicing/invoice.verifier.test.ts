import { describe, expect, it } from "vitest";
import { computeIrn } from "./einvoice/irn.ts";
import { GSTINS, buildInvoice, line } from "./invoice.fixtures.testing.ts";
import type { Invoice } from "./invoice.schemas.ts";
import { verifyInvoice } from "./invoice.verifier.ts";
import type { Finding, VerificationContext } from "./invoice.verifier.ts";
import { calculateInvoiceTax, toDocumentAmounts } from "./tax.calculator.ts";

const CRORE = 1_00_00_000_00n;

function findingsOf(invoice: Invoice, context: VerificationContext = {}): Finding[] {
  return verifyInvoice({ invoice, context }).findings;
}

function rulesOf(invoice: Invoice, context: VerificationContext = {}): string[] {
  return findingsOf(invoice, context).map(
    (finding) => `${finding.severity}:${finding.rule}:${finding.field}`,
  );
}

function withComputedAmounts(invoice: Invoice): Invoice {
  return { ...invoice, amounts: toDocumentAmounts(calculateInvoiceTax({ invoice })) };
}

const unregisteredBuyer = {
  legalName: "Walk-in Customer",
  address: { line1: "Shop 4", city: "Pune", pinCode: "411001", stateCode: "27" },
};

describe("verifyInvoice", () => {
  it("passes a correct invoice with full context", () => {
    const invoice = withComputedAmounts(buildInvoice({ terms: { creditDays: 30, agreedInWriting: true } }));
    const report = verifyInvoice({
      invoice,
      context: {
        precedingYearTurnoverPaise: 4n * CRORE,
        highestTurnoverSince2017Paise: 4n * CRORE,
        supplierMsme: { category: "micro", udyamRegistered: true },
        existingInvoices: [],
      },
    });
    expect(report).toEqual({ ok: true, errors: 0, warnings: 0, findings: [] });
  });

  describe("GSTINs and place of supply", () => {
    it("requires a buyer GSTIN on B2B, SEZ and deemed exports", () => {
      for (const supplyType of ["B2B", "SEZWP", "DEXP"] as const) {
        const findings = findingsOf(buildInvoice({ supplyType, buyer: unregisteredBuyer }));
        expect(findings).toEqual([
          {
            rule: "buyer-gstin-missing",
            severity: "error",
            field: "buyer.gstin",
            message: `a ${supplyType} invoice needs the buyer's GSTIN (rule 46(d))`,
            fix: "Add the buyer's GSTIN, or make it a B2C invoice if the buyer is unregistered.",
          },
        ]);
      }
      expect(findingsOf(buildInvoice({ supplyType: "B2C", buyer: unregisteredBuyer }))).toEqual([]);
    });

    it("reports an invalid buyer GSTIN with its reason", () => {
      const invoice = buildInvoice({ buyer: { ...unregisteredBuyer, gstin: "27AAGCG4576J1Z8" } });
      expect(findingsOf(invoice)).toMatchObject([
        {
          rule: "buyer-gstin-invalid",
          severity: "error",
          field: "buyer.gstin",
          message: "buyer GSTIN 27AAGCG4576J1Z8: check character is '8' but characters 1-14 give '6'",
        },
      ]);
    });

    it("reports an invalid supplier GSTIN, a supplier address in another State and a GSTIN on B2C", () => {
      const invoice = buildInvoice({
        supplyType: "B2C",
        supplier: {
          legalName: "Prapti Demo Industries",
          gstin: "27AAPFU0939F1ZO",
          address: { line1: "Plot 7", city: "Pune", pinCode: "411026", stateCode: "27" },
        },
      });
      expect(rulesOf(invoice)).toEqual([
        "error:supplier-gstin-invalid:supplier.gstin",
        "warning:buyer-gstin-unexpected:buyer.gstin",
      ]);
      const elsewhere = buildInvoice({
        supplier: {
          legalName: "Prapti Demo Industries",
          gstin: GSTINS.maharashtra,
          address: { line1: "Plot 7", city: "Bengaluru", pinCode: "560001", stateCode: "29" },
        },
      });
      expect(rulesOf(elsewhere)).toEqual(["warning:supplier-state-mismatch:supplier.address.stateCode"]);
    });

    it("reports an export inside India and a domestic supply placed abroad", () => {
      const exportInside = buildInvoice({
        supplyType: "EXPWOP",
        buyer: {
          legalName: "Acme Inc",
          address: { line1: "1 Main St", city: "Austin", stateCode: "96", country: "US" },
        },
      });
      expect(rulesOf(exportInside)).toEqual(["error:place-of-supply:placeOfSupply"]);
      expect(rulesOf(buildInvoice({ placeOfSupply: "96" }))).toEqual(["error:place-of-supply:placeOfSupply"]);
    });
  });

  describe("HSN digits by turnover", () => {
    const shortCode = buildInvoice({ lines: [line({ hsnSac: "7318" }), line({ hsnSac: undefined })] });

    it("asks for 6 digits above ₹5 crore and 4 up to it (Notification 78/2020-CT)", () => {
      expect(rulesOf(shortCode, { precedingYearTurnoverPaise: 6n * CRORE })).toEqual([
        "error:hsn-too-short:lines.0.hsnSac",
        "error:hsn-missing:lines.1.hsnSac",
      ]);
      expect(findingsOf(shortCode, { precedingYearTurnoverPaise: 6n * CRORE })[0]?.message).toBe(
        "HSN/SAC 7318 has 4 digits; 6 are required at this turnover (Notification 78/2020-CT)",
      );
      expect(rulesOf(shortCode, { precedingYearTurnoverPaise: 5n * CRORE })).toEqual([
        "error:hsn-missing:lines.1.hsnSac",
      ]);
    });

    it("lets small suppliers omit the code on B2C invoices, and applies the 2017 rule to old invoices", () => {
      const b2c = buildInvoice({
        supplyType: "B2C",
        buyer: unregisteredBuyer,
        lines: [line({ hsnSac: undefined })],
      });
      expect(rulesOf(b2c, { precedingYearTurnoverPaise: 2n * CRORE })).toEqual([]);
      const old = buildInvoice({
        issueDate: "2020-06-01",
        lines: [line({ hsnSac: "73" }), line({ hsnSac: undefined })],
      });
      expect(rulesOf(old, { precedingYearTurnoverPaise: 3n * CRORE })).toEqual([
        "error:hsn-missing:lines.1.hsnSac",
      ]);
      expect(rulesOf(old, { precedingYearTurnoverPaise: 6n * CRORE })).toEqual([
        "error:hsn-too-short:lines.0.hsnSac",
        "error:hsn-missing:lines.1.hsnSac",
      ]);
    });

    it("warns when a service carries an HSN code or goods a SAC", () => {
      const invoice = buildInvoice({
        lines: [line({ isService: true }), line({ hsnSac: "998314", isService: false })],
      });
      expect(rulesOf(invoice)).toEqual([
        "warning:service-code-mismatch:lines.0.hsnSac",
        "warning:service-code-mismatch:lines.1.hsnSac",
      ]);
    });
  });

  describe("arithmetic and tax type", () => {
    it("accepts one paisa of per-line rounding difference", () => {
      const invoice = withComputedAmounts(
        buildInvoice({
          issueDate: "2022-09-17",
          lines: [
            line({ quantity: "1", unitPricePaise: 760n, gstRateBasisPoints: 1200 }),
            line({ quantity: "1", unitPricePaise: 760n, gstRateBasisPoints: 1200 }),
          ],
        }),
      );
      const amounts = invoice.amounts;
      if (!amounts) throw new Error("no amounts");
      const roundedPerLine = {
        ...amounts,
        lines: amounts.lines.map((entry) => ({ ...entry, cgstPaise: 46n, sgstPaise: 46n, totalPaise: 852n })),
        cgstPaise: 92n,
        sgstPaise: 92n,
        roundOffPaise: -4n,
      };
      expect(findingsOf({ ...invoice, amounts: roundedPerLine })).toEqual([]);
    });

    it("reports a wrong taxable value, tax and total with the recomputed figures", () => {
      const invoice = withComputedAmounts(buildInvoice());
      const amounts = invoice.amounts;
      if (!amounts) throw new Error("no amounts");
      const wrong = {
        ...amounts,
        lines: [
          {
            ...amounts.lines[0],
            taxableValuePaise: 99_000_00n,
            cgstPaise: 8_910_00n,
            sgstPaise: 9_000_00n,
            utgstPaise: 0n,
            igstPaise: 0n,
            cessPaise: 0n,
            totalPaise: 1_18_000_00n,
          },
        ],
        totalPaise: 1_18_500_00n,
      };
      const findings = findingsOf({ ...invoice, amounts: wrong });
      expect(findings.map((finding) => `${finding.rule}:${finding.field}`)).toEqual([
        "line-arithmetic:amounts.lines.0.taxableValuePaise",
        "tax-mismatch:amounts.lines.0.cgstPaise",
        "line-arithmetic:amounts.lines.0.totalPaise",
        "total-mismatch:amounts.totalPaise",
      ]);
      expect(findings[0]?.message).toBe(
        "taxable value ₹99,000.00 but quantity x price - discount is ₹1,00,000.00",
      );
      expect(findings[1]?.message).toBe("CGST ₹8,910.00 but 18% of ₹1,00,000.00 gives ₹9,000.00");
    });

    it("reports CGST/SGST on an inter-State supply and SGST in a UT without legislature", () => {
      const intraAmounts = toDocumentAmounts(calculateInvoiceTax({ invoice: buildInvoice() }));
      const interState = buildInvoice({ placeOfSupply: "29", amounts: intraAmounts });
      const findings = findingsOf(interState).filter((finding) => finding.rule === "wrong-tax-type");
      expect(findings).toEqual([
        {
          rule: "wrong-tax-type",
          severity: "error",
          field: "amounts",
          message:
            "CGST/SGST charged on an inter-State supply (IGST Act s.7: supplier in 27, place of supply 29); IGST applies",
          fix: "Decide the tax heads by the supplier's State and the place of supply, then recompute.",
        },
      ]);
      const chandigarh = buildInvoice({
        placeOfSupply: "04",
        supplier: {
          legalName: "Chandigarh Supplier Ltd",
          gstin: GSTINS.chandigarh,
          address: { line1: "Sector 17", city: "Chandigarh", pinCode: "160017", stateCode: "04" },
        },
        buyer: {
          ...unregisteredBuyer,
          gstin: "04AAACI1681G1ZX",
          address: { line1: "Sector 22", city: "Chandigarh", pinCode: "160022", stateCode: "04" },
        },
        amounts: intraAmounts,
      });
      expect(findingsOf(chandigarh).find((finding) => finding.rule === "wrong-tax-type")?.message).toBe(
        "SGST charged in Chandigarh, a Union Territory without legislature; UTGST applies",
      );
    });

    it("reports tax charged on a supply without payment of tax and a round-off above 50 paise", () => {
      const charged = toDocumentAmounts(
        calculateInvoiceTax({ invoice: buildInvoice({ supplyType: "SEZWP" }) }),
      );
      const invoice = buildInvoice({
        supplyType: "SEZWOP",
        amounts: { ...charged, roundOffPaise: 75n, totalPaise: charged.totalPaise + 75n },
      });
      const rules = rulesOf(invoice);
      expect(rules).toContain("error:wrong-tax-type:amounts");
      expect(rules).toContain("warning:round-off-too-large:amounts.roundOffPaise");
    });

    it("reports a rate not in force and a restricted one", () => {
      const invoice = buildInvoice({
        lines: [line({ gstRateBasisPoints: 1200 }), line({ gstRateBasisPoints: 2800 })],
      });
      expect(rulesOf(invoice)).toEqual([
        "error:gst-rate-invalid:lines.0.gstRateBasisPoints",
        "warning:gst-rate-restricted:lines.1.gstRateBasisPoints",
      ]);
    });
  });

  describe("MSME terms", () => {
    it("warns about agreed terms beyond 45 days for a micro or small supplier only", () => {
      const invoice = buildInvoice({ terms: { creditDays: 60, agreedInWriting: true } });
      expect(rulesOf(invoice, { supplierMsme: { category: "small", udyamRegistered: true } })).toEqual([
        "warning:msme-terms-beyond-45-days:terms.creditDays",
      ]);
      expect(rulesOf(invoice, { supplierMsme: { category: "medium", udyamRegistered: true } })).toEqual([]);
      expect(
        rulesOf(invoice, { supplierMsme: { category: "micro", udyamRegistered: true, isTrader: true } }),
      ).toEqual([]);
      expect(
        rulesOf(buildInvoice({ terms: { creditDays: 30 } }), {
          supplierMsme: { category: "micro", udyamRegistered: true },
        }),
      ).toEqual(["info:msme-terms-unwritten:terms.agreedInWriting"]);
    });
  });

  describe("e-invoice", () => {
    it("requires an IRN above the threshold in force on the invoice date", () => {
      const invoice = buildInvoice();
      expect(rulesOf(invoice, { highestTurnoverSince2017Paise: 6n * CRORE })).toEqual([
        "error:einvoice-irn-missing:einvoice.irn",
      ]);
      expect(findingsOf(invoice, { highestTurnoverSince2017Paise: 6n * CRORE })[0]?.message).toContain(
        "from 2023-08-01 (Notification 10/2023-CT)",
      );
      expect(rulesOf(invoice, { highestTurnoverSince2017Paise: 5n * CRORE })).toEqual([]);
      const in2022 = buildInvoice({ issueDate: "2022-09-01", lines: [line({ gstRateBasisPoints: 1200 })] });
      expect(rulesOf(in2022, { highestTurnoverSince2017Paise: 15n * CRORE })).toEqual([]);
      expect(
        rulesOf(
          { ...in2022, issueDate: "2022-10-01" as Invoice["issueDate"] },
          { highestTurnoverSince2017Paise: 15n * CRORE },
        ),
      ).toEqual(["error:einvoice-irn-missing:einvoice.irn"]);
    });

    it("skips B2C invoices and exempt suppliers, and checks the number and the IRN", () => {
      expect(
        rulesOf(buildInvoice({ supplyType: "B2C", buyer: unregisteredBuyer }), {
          highestTurnoverSince2017Paise: 600n * CRORE,
        }),
      ).toEqual([]);
      expect(
        rulesOf(buildInvoice(), { highestTurnoverSince2017Paise: 600n * CRORE, einvoiceExempt: true }),
      ).toEqual([]);
      const zeroNumber = buildInvoice({ number: "0045" });
      expect(rulesOf(zeroNumber, { highestTurnoverSince2017Paise: 600n * CRORE })).toEqual([
        "error:einvoice-irn-missing:einvoice.irn",
        "error:einvoice-number-format:number",
      ]);
      const irn = computeIrn({
        supplierGstin: GSTINS.maharashtra,
        financialYear: "2025-26",
        documentType: "INV",
        documentNumber: "INV/2025-26/001",
      });
      expect(
        rulesOf(buildInvoice({ einvoice: { irn } }), { highestTurnoverSince2017Paise: 600n * CRORE }),
      ).toEqual([]);
      expect(rulesOf(buildInvoice({ number: "INV/2025-26/002", einvoice: { irn } }))).toEqual([
        "error:einvoice-irn-mismatch:einvoice.irn",
      ]);
    });
  });

  describe("duplicates", () => {
    const original = buildInvoice({ id: "inv_0", number: "INV/2025-26/000", issueDate: "2025-09-29" });

    it("finds the same number in the same financial year, even on a cancelled invoice", () => {
      const sameNumber = buildInvoice({
        id: "inv_9",
        number: "inv/2025-26/001",
        issueDate: "2025-04-01",
        status: "cancelled",
        lines: [line({ quantity: "1" })],
      });
      const findings = findingsOf(buildInvoice(), { existingInvoices: [sameNumber] });
      expect(findings).toEqual([
        {
          rule: "duplicate-invoice",
          severity: "error",
          field: "number",
          message:
            "invoice number INV/2025-26/001 is already used by inv_9 in financial year 2025-26 (rule 46(b))",
          fix: "Give the invoice the next number of its series.",
          related: { invoiceId: "inv_9", invoiceNumber: "inv/2025-26/001", score: 1 },
        },
      ]);
      const lastYear = buildInvoice({
        id: "inv_8",
        issueDate: "2025-03-31",
        lines: [line({ quantity: "1" })],
      });
      expect(findingsOf(buildInvoice(), { existingInvoices: [lastYear] })).toEqual([]);
    });

    it("scores same customer + amount within the window and the same lines", () => {
      const findings = findingsOf(buildInvoice(), { existingInvoices: [original] });
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({
        severity: "warning",
        message: "looks like INV/2025-26/000 (same-customer-amount-date, same-lines, 2 days apart)",
        related: { invoiceId: "inv_0", score: 0.95 },
      });
      const sameAmountOnly = buildInvoice({
        id: "inv_2",
        number: "X-2",
        issueDate: "2025-09-24",
        lines: [line({ quantity: "50", unitPricePaise: 2_000_00n })],
      });
      expect(findingsOf(buildInvoice(), { existingInvoices: [sameAmountOnly] })[0]?.related?.score).toBe(0.7);
      expect(
        findingsOf(buildInvoice(), { existingInvoices: [sameAmountOnly], duplicateWindowDays: 3 }),
      ).toEqual([]);
      const otherCustomer = buildInvoice({
        id: "inv_3",
        number: "X-3",
        buyer: { ...unregisteredBuyer, customerId: "cus_2", gstin: GSTINS.gujarat },
      });
      expect(findingsOf(buildInvoice(), { existingInvoices: [otherCustomer] })).toEqual([]);
    });
  });

  it("warns about a due date before the invoice date", () => {
    expect(rulesOf(buildInvoice({ dueDate: "2025-09-30" }))).toEqual([
      "warning:due-date-before-issue:dueDate",
    ]);
  });
});
