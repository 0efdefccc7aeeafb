import { describe, expect, it } from "vitest";
import { isAppError } from "../../kernel/app-error.ts";
import { computeIrn } from "./einvoice/irn.ts";
import { GSTINS, buildInvoice } from "./invoice.fixtures.testing.ts";
import { INVOICING_EVENT_SCHEMAS } from "./invoice.events.ts";
import type { InvoicingEvent } from "./invoice.events.ts";
import type { Invoice, InvoiceStatus } from "./invoice.schemas.ts";
import { ALLOWED_ACTIONS, applyInvoiceAction, nextInvoiceStatus } from "./invoice-status.machine.ts";
import type { InvoiceAction } from "./invoice-status.machine.ts";

const AT = new Date("2025-10-01T10:00:00Z");
const TOTAL = 1_18_000_00n;

function issued(overrides: Parameters<typeof buildInvoice>[0] = {}): Invoice {
  return applyInvoiceAction({
    invoice: buildInvoice({ terms: { creditDays: 30 }, ...overrides }),
    action: { type: "issue" },
    at: AT,
  }).invoice;
}

function run(invoice: Invoice, ...actions: InvoiceAction[]): { invoice: Invoice; events: InvoicingEvent[] } {
  let current = invoice;
  const events: InvoicingEvent[] = [];
  for (const action of actions) {
    const result = applyInvoiceAction({ invoice: current, action, at: AT });
    current = result.invoice;
    events.push(...result.events);
  }
  for (const event of events)
    expect(INVOICING_EVENT_SCHEMAS[event.type].safeParse(event.payload).success).toBe(true);
  return { invoice: current, events };
}

function errorOf(action: () => unknown): { code: string; message: string; fields: string[] } {
  try {
    action();
  } catch (error) {
    if (isAppError(error))
      return { code: error.code, message: error.message, fields: error.issues.map((issue) => issue.field) };
    throw error;
  }
  throw new Error("expected an AppError");
}

describe("issuing", () => {
  it("computes amounts, sets the due date from the terms and emits invoice.issued", () => {
    const { invoice, events } = run(buildInvoice({ terms: { creditDays: 30 } }), { type: "issue" });
    expect(invoice.status).toBe("issued");
    expect(invoice.amounts?.totalPaise).toBe(TOTAL);
    expect(invoice.dueDate).toBe("2025-10-31");
    expect(invoice.issuedAt).toBe(AT.toISOString());
    expect(events).toEqual([
      {
        type: "invoice.issued",
        payload: {
          invoiceId: "inv_1",
          invoiceNumber: "INV/2025-26/001",
          customerId: "cus_1",
          buyerGstin: "27AAGCG4576J1Z6",
          buyerName: "Sharma Traders Private Limited",
          supplyType: "B2B",
          issueDate: "2025-10-01",
          dueDate: "2025-10-31",
          taxableValuePaise: "10000000",
          taxPaise: "1800000",
          totalPaise: "11800000",
          interState: false,
          irn: null,
          issuedAt: "2025-10-01T10:00:00.000Z",
        },
      },
    ]);
  });

  it("refuses to issue an invoice with blocking findings, naming them", () => {
    const error = errorOf(() =>
      run(
        buildInvoice({
          buyer: {
            legalName: "No GSTIN Buyer",
            address: { line1: "x", city: "Pune", pinCode: "411001", stateCode: "27" },
          },
        }),
        {
          type: "issue",
        },
      ),
    );
    expect(error).toMatchObject({ code: "INVALID_INPUT", fields: ["buyer.gstin"] });
    expect(error.message).toContain("a B2B invoice needs the buyer's GSTIN");
  });

  it("refuses to issue twice or to issue an invoice whose tax cannot be computed", () => {
    expect(errorOf(() => run(issued(), { type: "issue" }))).toMatchObject({
      code: "CONFLICT",
      message:
        "invoice INV/2025-26/001 is issued: cannot issue; allowed: record-payment, apply-credit-note, apply-debit-note, dispute, write-off, cancel",
    });
    expect(errorOf(() => run(buildInvoice({ placeOfSupply: "96" }), { type: "issue" }))).toMatchObject({
      code: "INVALID_INPUT",
      fields: ["placeOfSupply"],
    });
  });
});

describe("payments", () => {
  it("moves issued -> partially_paid -> paid and emits invoice.paid once", () => {
    const { invoice, events } = run(
      issued(),
      { type: "record-payment", amountPaise: 18_000_00n },
      { type: "record-payment", amountPaise: TOTAL - 18_000_00n },
    );
    expect(invoice.status).toBe("paid");
    expect(invoice.settlement.paidPaise).toBe(TOTAL);
    expect(events.map((event) => event.type)).toEqual(["invoice.paid"]);
    expect(events[0]?.payload).toMatchObject({ paidPaise: "11800000", settledBy: "payment" });
  });

  it("reverses a bounced payment back to issued", () => {
    const { invoice } = run(
      issued(),
      { type: "record-payment", amountPaise: TOTAL },
      { type: "reverse-payment", amountPaise: TOTAL },
    );
    expect(invoice.status).toBe("issued");
  });

  it("refuses overpayment, zero payments and reversing more than received", () => {
    expect(errorOf(() => run(issued(), { type: "record-payment", amountPaise: TOTAL + 1n }))).toMatchObject({
      code: "INVALID_INPUT",
      message:
        "invalid input: amountPaise: payment of 11800001 paise exceeds the 11800000 paise outstanding; allocate the excess elsewhere",
    });
    expect(errorOf(() => run(issued(), { type: "record-payment", amountPaise: 0n })).fields).toEqual([
      "amountPaise",
    ]);
    expect(
      errorOf(() =>
        run(
          issued(),
          { type: "record-payment", amountPaise: 100n },
          { type: "reverse-payment", amountPaise: 101n },
        ),
      ).message,
    ).toContain("only 100 paise were received");
  });

  it("counts credit notes and debit notes in what is outstanding", () => {
    const { invoice, events } = run(
      issued(),
      { type: "apply-debit-note", amountPaise: 1_000_00n },
      { type: "record-payment", amountPaise: 1_00_000_00n },
      { type: "apply-credit-note", amountPaise: 19_000_00n },
    );
    expect(invoice.status).toBe("paid");
    expect(events.at(-1)?.payload).toMatchObject({
      settledBy: "credit-note",
      creditedPaise: "1900000",
      debitedPaise: "100000",
    });
    expect(
      errorOf(() => run(issued(), { type: "apply-credit-note", amountPaise: TOTAL + 1n })).message,
    ).toContain("exceeds the 11800000 paise that remain");
  });
});

describe("disputes, write-offs and cancellation", () => {
  it("disputes, keeps disputed through a partial payment, and resolves by the amounts", () => {
    const { invoice, events } = run(
      issued(),
      { type: "dispute", reason: "Short delivery of 10 units" },
      { type: "record-payment", amountPaise: 50_000_00n },
    );
    expect(invoice.status).toBe("disputed");
    expect(invoice.dispute?.reason).toBe("Short delivery of 10 units");
    expect(events.map((event) => event.type)).toEqual(["invoice.disputed"]);
    const resolved = run(invoice, { type: "resolve-dispute" }).invoice;
    expect(resolved.status).toBe("partially_paid");
    expect(resolved.dispute).toBeUndefined();
  });

  it("writes off what is outstanding and still accepts a recovery", () => {
    const { invoice } = run(
      issued(),
      { type: "record-payment", amountPaise: 18_000_00n },
      { type: "write-off", reason: "Buyer insolvent" },
    );
    expect(invoice.status).toBe("written_off");
    expect(invoice.settlement.writtenOffPaise).toBe(1_00_000_00n);
    expect(run(invoice, { type: "record-payment", amountPaise: 40_000_00n }).invoice.status).toBe(
      "written_off",
    );
    expect(run(invoice, { type: "record-payment", amountPaise: 1_00_000_00n }).invoice.status).toBe("paid");
  });

  it("cancels with a reason and emits invoice.cancelled", () => {
    const { invoice, events } = run(issued(), {
      type: "cancel",
      reason: "data-entry-mistake",
      remark: "Wrong buyer",
    });
    expect(invoice.status).toBe("cancelled");
    expect(invoice.cancellation).toEqual({
      reason: "data-entry-mistake",
      remark: "Wrong buyer",
      cancelledAt: AT.toISOString(),
    });
    expect(events.map((event) => event.type)).toEqual(["invoice.cancelled"]);
  });

  it("refuses to cancel with money received, an old e-invoice, or an empty remark", () => {
    const partly = run(issued(), { type: "record-payment", amountPaise: 100n }).invoice;
    expect(errorOf(() => run(partly, { type: "cancel", reason: "other", remark: "x" })).message).toContain(
      "cannot cancel",
    );
    const disputedPaid = run(
      issued(),
      { type: "record-payment", amountPaise: 100n },
      { type: "dispute", reason: "x" },
    ).invoice;
    expect(errorOf(() => run(disputedPaid, { type: "cancel", reason: "other", remark: "x" })).message).toBe(
      "invoice INV/2025-26/001 has payments or notes against it; issue a credit note instead of cancelling",
    );
    const einvoiced = issued({
      einvoice: {
        irn: computeIrn({
          supplierGstin: GSTINS.maharashtra,
          financialYear: "2025-26",
          documentType: "INV",
          documentNumber: "INV/2025-26/001",
        }),
        ackDate: "2025-09-30 10:00:00",
      },
    });
    expect(
      errorOf(() => run(einvoiced, { type: "cancel", reason: "duplicate", remark: "Duplicate" })).message,
    ).toContain("older than 24 hours");
    expect(errorOf(() => run(issued(), { type: "cancel", reason: "other", remark: " " })).fields).toEqual([
      "remark",
    ]);
  });

  it("treats cancelled and paid as closed to the wrong actions", () => {
    const cancelled = run(issued(), {
      type: "cancel",
      reason: "order-cancelled",
      remark: "Order withdrawn",
    }).invoice;
    expect(errorOf(() => run(cancelled, { type: "record-payment", amountPaise: 1n })).message).toBe(
      "invoice INV/2025-26/001 is cancelled: cannot record-payment; allowed: nothing (final)",
    );
    const paid = run(issued(), { type: "record-payment", amountPaise: TOTAL }).invoice;
    expect(errorOf(() => run(paid, { type: "dispute", reason: "late" })).code).toBe("CONFLICT");
    expect(errorOf(() => run(buildInvoice(), { type: "record-payment", amountPaise: 1n })).code).toBe(
      "CONFLICT",
    );
  });
});

describe("nextInvoiceStatus", () => {
  const zero = { paidPaise: 0n, creditedPaise: 0n, debitedPaise: 0n, writtenOffPaise: 0n };

  it("derives open statuses from the amounts", () => {
    expect(
      nextInvoiceStatus({
        status: "issued",
        action: "record-payment",
        totalPaise: 100n,
        settlement: { ...zero, paidPaise: 40n },
      }),
    ).toBe("partially_paid");
    expect(
      nextInvoiceStatus({
        status: "partially_paid",
        action: "apply-credit-note",
        totalPaise: 100n,
        settlement: { ...zero, paidPaise: 40n, creditedPaise: 60n },
      }),
    ).toBe("paid");
    expect(
      nextInvoiceStatus({
        status: "paid",
        action: "apply-debit-note",
        totalPaise: 100n,
        settlement: { ...zero, paidPaise: 100n, debitedPaise: 5n },
      }),
    ).toBe("partially_paid");
  });

  it("refuses every action a status does not list", () => {
    const all: InvoiceAction["type"][] = [
      "issue",
      "record-payment",
      "reverse-payment",
      "apply-credit-note",
      "apply-debit-note",
      "dispute",
      "resolve-dispute",
      "write-off",
      "cancel",
    ];
    for (const [status, allowed] of Object.entries(ALLOWED_ACTIONS) as [InvoiceStatus, readonly string[]][]) {
      for (const action of all.filter((candidate) => !allowed.includes(candidate))) {
        expect(
          errorOf(() => nextInvoiceStatus({ status, action, totalPaise: 100n, settlement: zero })).code,
        ).toBe("CONFLICT");
      }
    }
  });
});
