import { describe, expect, it } from "vitest";
import { AppError, isAppError } from "../../kernel/app-error.ts";
import { buildInvoice, buildNote, line } from "./invoice.fixtures.testing.ts";
import type { Invoice } from "./invoice.schemas.ts";
import { calculateNote, creditNoteTaxDeadline } from "./note.calculator.ts";
import type { CalendarDate } from "./calendar-date.ts";

/** The reference return_invoice case: two lines of 7.60 at 12%, CGST 0.46 + 0.45. */
function twoLineInvoice(): Invoice {
  return buildInvoice({
    status: "issued",
    issueDate: "2022-09-17",
    lines: [
      line({ quantity: "1", unitPricePaise: 760n, gstRateBasisPoints: 1200 }),
      line({ quantity: "1", unitPricePaise: 760n, gstRateBasisPoints: 1200 }),
    ],
  });
}

function reasonsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (isAppError(error)) return error.issues.map((issue) => `${issue.field}: ${issue.reason}`);
    throw error;
  }
  throw new Error("expected an AppError");
}

describe("calculateNote", () => {
  it("computes a full credit note exactly like the invoice", () => {
    const invoice = twoLineInvoice();
    const note = buildNote({
      issueDate: "2022-09-20",
      lines: invoice.lines.map((entry) => ({ ...entry })),
    });
    const result = calculateNote({ invoice, note });
    expect(result.tax).toMatchObject({
      cgstPaise: 91n,
      sgstPaise: 91n,
      roundOffPaise: -2n,
      totalPaise: 1700n,
    });
    expect(result.tax.lines.map((entry) => entry.cgstPaise)).toEqual([46n, 45n]);
    expect(result.balanceBefore.valuePaise).toBe(1702n);
    expect(result.balanceAfter.valuePaise).toBe(0n);
  });

  it("gives the last partial note the remaining tax so the notes add up to the invoice", () => {
    const invoice = twoLineInvoice();
    const first = buildNote({
      id: "cn_1",
      number: "CN-1",
      issueDate: "2022-09-20",
      lines: [line({ quantity: "1", unitPricePaise: 760n, gstRateBasisPoints: 1200 })],
    });
    const second = buildNote({
      id: "cn_2",
      number: "CN-2",
      issueDate: "2022-09-21",
      lines: [line({ quantity: "1", unitPricePaise: 760n, gstRateBasisPoints: 1200 })],
    });
    const firstResult = calculateNote({ invoice, note: first });
    expect(firstResult.tax.cgstPaise).toBe(46n);
    const secondResult = calculateNote({ invoice, note: second, priorNotes: [first] });
    expect(secondResult.tax.cgstPaise).toBe(45n);
    expect(secondResult.tax.sgstPaise).toBe(45n);
    expect(firstResult.tax.cgstPaise + secondResult.tax.cgstPaise).toBe(91n);
    expect(secondResult.balanceAfter.byRate[0]).toMatchObject({
      taxableValuePaise: 0n,
      cgstPaise: 0n,
      sgstPaise: 0n,
    });
  });

  it("refuses a credit note beyond what remains, naming the rate and amounts", () => {
    const invoice = buildInvoice({ status: "issued" });
    const earlier = buildNote({ id: "cn_1", number: "CN-1", lines: [line({ quantity: "60" })] });
    const tooMuch = buildNote({ id: "cn_2", number: "CN-2", lines: [line({ quantity: "50" })] });
    expect(reasonsOf(() => calculateNote({ invoice, note: tooMuch, priorNotes: [earlier] }))).toEqual([
      "lines.0.taxableValuePaise: credits 5000000 paise of taxable value at 18% but only 4000000 paise remain",
    ]);
  });

  it("lets a debit note raise the balance a later credit note may use", () => {
    const invoice = buildInvoice({ status: "issued" });
    const debit = buildNote({
      id: "dn_1",
      kind: "debit",
      number: "DN-1",
      reason: "correction-in-invoice",
      lines: [line({ quantity: "20" })],
    });
    const credit = buildNote({
      id: "cn_2",
      number: "CN-2",
      issueDate: "2025-10-11",
      lines: [line({ quantity: "120" })],
    });
    const result = calculateNote({ invoice, note: credit, priorNotes: [debit] });
    expect(result.tax.taxableValuePaise).toBe(1_20_000_00n);
    expect(result.balanceAfter.valuePaise).toBe(0n);
  });

  it("refuses a rate the invoice never charged, a note before the invoice and a wrong link, all at once", () => {
    const invoice = buildInvoice({ status: "issued" });
    const note = buildNote({
      issueDate: "2025-09-30",
      invoiceId: "inv_other",
      lines: [line({ gstRateBasisPoints: 500 })],
    });
    expect(reasonsOf(() => calculateNote({ invoice, note }))).toEqual([
      "note.invoiceId: does not refer to invoice inv_1",
      "note.issueDate: is before the invoice date 2025-10-01",
    ]);
    const wrongRate = buildNote({ lines: [line({ gstRateBasisPoints: 500 })] });
    expect(reasonsOf(() => calculateNote({ invoice, note: wrongRate }))).toEqual([
      "lines.0.gstRateBasisPoints: the invoice has no supply at 5%",
    ]);
  });

  it("checks rates against the invoice's date, not the note's", () => {
    const invoice = buildInvoice({
      status: "issued",
      issueDate: "2025-09-10",
      lines: [line({ gstRateBasisPoints: 1200 })],
    });
    const note = buildNote({
      issueDate: "2025-10-10",
      lines: [line({ quantity: "10", gstRateBasisPoints: 1200 })],
    });
    expect(calculateNote({ invoice, note }).tax.cgstPaise).toBe(600_00n);
  });

  it("refuses notes against drafts and cancelled invoices", () => {
    try {
      calculateNote({ invoice: buildInvoice(), note: buildNote() });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe("CONFLICT");
    }
  });

  it("tells when a credit note comes after the s.34(2) deadline", () => {
    expect(creditNoteTaxDeadline("2025-10-01" as CalendarDate)).toBe("2026-11-30");
    expect(creditNoteTaxDeadline("2025-03-31" as CalendarDate)).toBe("2025-11-30");
    expect(creditNoteTaxDeadline("2020-06-01" as CalendarDate)).toBe("2021-09-30");
    const invoice = buildInvoice({ status: "issued" });
    const late = calculateNote({ invoice, note: buildNote({ issueDate: "2026-12-01" }) });
    expect(late.withinTaxAdjustmentDeadline).toBe(false);
    expect(calculateNote({ invoice, note: buildNote() }).withinTaxAdjustmentDeadline).toBe(true);
  });
});
