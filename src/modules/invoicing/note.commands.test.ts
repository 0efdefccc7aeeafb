import { describe, expect, it } from "vitest";
import { isAppError } from "../../kernel/app-error.ts";
import { buildInvoice, buildNote, line } from "./invoice.fixtures.testing.ts";
import { INVOICING_EVENT_SCHEMAS } from "./invoice.events.ts";
import { applyInvoiceAction } from "./invoice-status.machine.ts";
import { issueNote } from "./note.commands.ts";

const AT = new Date("2025-10-10T09:00:00Z");
const issued = applyInvoiceAction({
  invoice: buildInvoice(),
  action: { type: "issue" },
  at: new Date("2025-10-01T10:00:00Z"),
}).invoice;

describe("issueNote", () => {
  it("issues a credit note, credits the invoice and emits credit-note.issued", () => {
    const result = issueNote({
      invoice: issued,
      note: buildNote({ lines: [line({ quantity: "10" })] }),
      at: AT,
    });
    expect(result.note.amounts?.totalPaise).toBe(11_800_00n);
    expect(result.invoice.settlement.creditedPaise).toBe(11_800_00n);
    expect(result.invoice.status).toBe("issued");
    expect(result.events).toEqual([
      {
        type: "credit-note.issued",
        payload: {
          noteId: "cn_1",
          noteNumber: "CN/2025-26/001",
          invoiceId: "inv_1",
          invoiceNumber: "INV/2025-26/001",
          customerId: "cus_1",
          issueDate: "2025-10-10",
          reason: "sales-return",
          taxableValuePaise: "1000000",
          taxPaise: "180000",
          totalPaise: "1180000",
          reducesOutputTax: true,
        },
      },
    ]);
    for (const event of result.events)
      expect(INVOICING_EVENT_SCHEMAS[event.type].safeParse(event.payload).success).toBe(true);
  });

  it("settles the invoice when a credit note covers what is left", () => {
    const paid = applyInvoiceAction({
      invoice: issued,
      action: { type: "record-payment", amountPaise: 1_06_200_00n },
      at: AT,
    }).invoice;
    const result = issueNote({
      invoice: paid,
      note: buildNote({ lines: [line({ quantity: "10" })] }),
      at: AT,
    });
    expect(result.invoice.status).toBe("paid");
    expect(result.events.map((event) => event.type)).toEqual(["credit-note.issued", "invoice.paid"]);
  });

  it("applies a debit note without a credit-note event and refuses a note issued twice", () => {
    const debit = issueNote({
      invoice: issued,
      note: buildNote({ id: "dn_1", kind: "debit", number: "DN-1", reason: "correction-in-invoice" }),
      at: AT,
    });
    expect(debit.invoice.settlement.debitedPaise).toBe(11_800_00n);
    expect(debit.events).toEqual([]);
    try {
      issueNote({ invoice: debit.invoice, note: debit.note, at: AT });
      expect.unreachable();
    } catch (error) {
      expect(isAppError(error) && error.code).toBe("CONFLICT");
    }
  });

  it("marks a late credit note as not reducing output tax", () => {
    const late = issueNote({ invoice: issued, note: buildNote({ issueDate: "2026-12-15" }), at: AT });
    expect(late.events[0]?.payload).toMatchObject({ reducesOutputTax: false });
  });
});
