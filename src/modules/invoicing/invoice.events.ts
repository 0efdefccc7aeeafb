import { z } from "zod";
import type { Paise } from "../../kernel/money.ts";
import { CANCELLATION_REASONS, NOTE_REASONS, SUPPLY_TYPES } from "./invoice.schemas.ts";

/**
 * Events of the invoicing module. Payloads are wire format: money is a string of integer paise ("11800000") so that
 * they survive JSON unchanged, and dates are "YYYY-MM-DD" or ISO 8601 date-times.
 */
export const INVOICING_EVENT_TYPES = {
  issued: "invoice.issued",
  dueSoon: "invoice.due-soon",
  overdue: "invoice.overdue",
  disputed: "invoice.disputed",
  paid: "invoice.paid",
  cancelled: "invoice.cancelled",
  creditNoteIssued: "credit-note.issued",
} as const;
export type InvoicingEventType = (typeof INVOICING_EVENT_TYPES)[keyof typeof INVOICING_EVENT_TYPES];

/** Integer paise as text, the wire form of money. */
export const ZPaiseText = z.string().regex(/^-?\d+$/, { error: "is a whole number of paise as text" });
export type PaiseText = z.output<typeof ZPaiseText>;

export function toPaiseText(paise: Paise): PaiseText {
  return paise.toString();
}

const ZDate = z.iso.date();
const ZTimestamp = z.iso.datetime({ offset: true });

const invoiceRef = {
  invoiceId: z.string().min(1),
  invoiceNumber: z.string().min(1).max(16),
  customerId: z.string().min(1).nullable(),
};

export const ZInvoiceIssuedPayload = z.object({
  ...invoiceRef,
  buyerGstin: z.string().length(15).nullable(),
  supplyType: z.enum(SUPPLY_TYPES),
  issueDate: ZDate,
  dueDate: ZDate.nullable(),
  taxableValuePaise: ZPaiseText,
  taxPaise: ZPaiseText,
  totalPaise: ZPaiseText,
  irn: z.string().length(64).nullable(),
  issuedAt: ZTimestamp,
});
export type InvoiceIssuedPayload = z.output<typeof ZInvoiceIssuedPayload>;

export const ZInvoiceDueSoonPayload = z.object({
  ...invoiceRef,
  dueDate: ZDate,
  daysUntilDue: z.int().min(0),
  outstandingPaise: ZPaiseText,
  asOf: ZDate,
});
export type InvoiceDueSoonPayload = z.output<typeof ZInvoiceDueSoonPayload>;

export const ZInvoiceOverduePayload = z.object({
  ...invoiceRef,
  dueDate: ZDate,
  daysOverdue: z.int().min(1),
  outstandingPaise: ZPaiseText,
  asOf: ZDate,
});
export type InvoiceOverduePayload = z.output<typeof ZInvoiceOverduePayload>;

export const ZInvoiceDisputedPayload = z.object({
  ...invoiceRef,
  reason: z.string().min(1),
  raisedAt: ZTimestamp,
  outstandingPaise: ZPaiseText,
});
export type InvoiceDisputedPayload = z.output<typeof ZInvoiceDisputedPayload>;

export const ZInvoicePaidPayload = z.object({
  ...invoiceRef,
  totalPaise: ZPaiseText,
  paidPaise: ZPaiseText,
  creditedPaise: ZPaiseText,
  debitedPaise: ZPaiseText,
  /** Settled by a payment, or by a credit note covering what was left. */
  settledBy: z.enum(["payment", "credit-note"]),
  paidAt: ZTimestamp,
});
export type InvoicePaidPayload = z.output<typeof ZInvoicePaidPayload>;

export const ZInvoiceCancelledPayload = z.object({
  ...invoiceRef,
  reason: z.enum(CANCELLATION_REASONS),
  remark: z.string().min(1),
  cancelledAt: ZTimestamp,
  irn: z.string().length(64).nullable(),
});
export type InvoiceCancelledPayload = z.output<typeof ZInvoiceCancelledPayload>;

export const ZCreditNoteIssuedPayload = z.object({
  noteId: z.string().min(1),
  noteNumber: z.string().min(1).max(16),
  ...invoiceRef,
  issueDate: ZDate,
  reason: z.enum(NOTE_REASONS),
  taxableValuePaise: ZPaiseText,
  taxPaise: ZPaiseText,
  totalPaise: ZPaiseText,
  /** False when issued after the s.34(2) deadline: the note settles the amount but does not reduce output tax. */
  reducesOutputTax: z.boolean(),
});
export type CreditNoteIssuedPayload = z.output<typeof ZCreditNoteIssuedPayload>;

export const INVOICING_EVENT_SCHEMAS = {
  "invoice.issued": ZInvoiceIssuedPayload,
  "invoice.due-soon": ZInvoiceDueSoonPayload,
  "invoice.overdue": ZInvoiceOverduePayload,
  "invoice.disputed": ZInvoiceDisputedPayload,
  "invoice.paid": ZInvoicePaidPayload,
  "invoice.cancelled": ZInvoiceCancelledPayload,
  "credit-note.issued": ZCreditNoteIssuedPayload,
} as const;

export type InvoicingEvent =
  | { type: "invoice.issued"; payload: InvoiceIssuedPayload }
  | { type: "invoice.due-soon"; payload: InvoiceDueSoonPayload }
  | { type: "invoice.overdue"; payload: InvoiceOverduePayload }
  | { type: "invoice.disputed"; payload: InvoiceDisputedPayload }
  | { type: "invoice.paid"; payload: InvoicePaidPayload }
  | { type: "invoice.cancelled"; payload: InvoiceCancelledPayload }
  | { type: "credit-note.issued"; payload: CreditNoteIssuedPayload };
