import { AppError } from "../../kernel/app-error.ts";
import { INVOICING_EVENT_TYPES, toPaiseText } from "./invoice.events.ts";
import type { InvoicingEvent } from "./invoice.events.ts";
import type { Invoice, Note } from "./invoice.schemas.ts";
import { applyInvoiceAction } from "./invoice-status.machine.ts";
import { calculateNote } from "./note.calculator.ts";
import type { NoteCalculation } from "./note.calculator.ts";
import { toDocumentAmounts } from "./tax.calculator.ts";

export interface IssuedNote {
  note: Note;
  invoice: Invoice;
  calculation: NoteCalculation;
  events: InvoicingEvent[];
}

/**
 * Issues a credit or debit note against an invoice: computes it (refusing a credit beyond what remains), records its
 * amounts, applies it to the invoice's settlement (which may settle the invoice) and returns the events:
 * credit-note.issued for a credit note, plus invoice.paid when the note leaves nothing outstanding.
 */
export function issueNote(options: {
  invoice: Invoice;
  note: Note;
  priorNotes?: readonly Note[];
  at: Date;
}): IssuedNote {
  const { invoice, note } = options;
  if (note.amounts !== undefined) {
    throw AppError.conflict(`note ${note.number} already carries amounts; it was issued before`, {
      noteId: note.id,
    });
  }
  const calculation = calculateNote({
    invoice,
    note,
    ...(options.priorNotes !== undefined ? { priorNotes: options.priorNotes } : {}),
  });
  const amountPaise = calculation.tax.totalPaise;
  const applied =
    amountPaise === 0n
      ? { invoice, events: [] as InvoicingEvent[] }
      : applyInvoiceAction({
          invoice,
          action: { type: note.kind === "credit" ? "apply-credit-note" : "apply-debit-note", amountPaise },
          at: options.at,
        });
  const issuedNote: Note = { ...note, amounts: toDocumentAmounts(calculation.tax) };
  const events: InvoicingEvent[] = [];
  if (note.kind === "credit") {
    events.push({
      type: INVOICING_EVENT_TYPES.creditNoteIssued,
      payload: {
        noteId: note.id,
        noteNumber: note.number,
        invoiceId: invoice.id,
        invoiceNumber: invoice.number,
        customerId: invoice.buyer.customerId ?? null,
        issueDate: note.issueDate,
        reason: note.reason,
        taxableValuePaise: toPaiseText(calculation.tax.taxableValuePaise),
        taxPaise: toPaiseText(calculation.tax.taxPaise),
        totalPaise: toPaiseText(amountPaise),
        reducesOutputTax: calculation.withinTaxAdjustmentDeadline,
      },
    });
  }
  events.push(...applied.events);
  return { note: issuedNote, invoice: applied.invoice, calculation, events };
}
