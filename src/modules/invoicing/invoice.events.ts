import { z } from "zod";
import type { Paise } from "../../kernel/money.ts";
import { CANCELLATION_REASONS, INVOICE_STATUSES, NOTE_REASONS, SUPPLY_TYPES } from "./invoice.schemas.ts";

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
  created: "invoice.created",
  updated: "invoice.updated",
  partiallyPaid: "invoice.partially-paid",
  settlementReversed: "invoice.settlement-reversed",
  writtenOff: "invoice.written-off",
  disputeResolved: "invoice.dispute-resolved",
  debitNoteIssued: "debit-note.issued",
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
  /** The buyer's legal name, as payments and collections show it. */
  buyerName: z.string().min(1).optional(),
  supplyType: z.enum(SUPPLY_TYPES),
  issueDate: ZDate,
  dueDate: ZDate.nullable(),
  taxableValuePaise: ZPaiseText,
  taxPaise: ZPaiseText,
  totalPaise: ZPaiseText,
  /** IGST was charged (inter-state supply): GST TDS on it is withheld as IGST. */
  interState: z.boolean().optional(),
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
  /**
   * When settled through invoicing.apply-settlement: the parts of `paidPaise` (cash received, income-tax TDS and
   * GST TDS withheld, a small difference written off) and the settlement's reference.
   */
  cashPaise: ZPaiseText.optional(),
  tdsPaise: ZPaiseText.optional(),
  gstTdsPaise: ZPaiseText.optional(),
  writeOffPaise: ZPaiseText.optional(),
  settlementReference: z.string().min(1).optional(),
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

export const ZInvoiceCreatedPayload = z.object({
  ...invoiceRef,
  issueDate: ZDate,
  dueDate: ZDate.nullable(),
  totalPaise: ZPaiseText,
  createdAt: ZTimestamp,
});
export type InvoiceCreatedPayload = z.output<typeof ZInvoiceCreatedPayload>;

export const ZInvoiceUpdatedPayload = z.object({
  ...invoiceRef,
  /** Top-level fields whose value changed, e.g. ["lines", "dueDate"]. */
  changedFields: z.array(z.string().min(1)).min(1),
  version: z.int().min(2),
  updatedAt: ZTimestamp,
});
export type InvoiceUpdatedPayload = z.output<typeof ZInvoiceUpdatedPayload>;

const settlementParts = {
  cashPaise: ZPaiseText,
  tdsPaise: ZPaiseText,
  gstTdsPaise: ZPaiseText,
  writeOffPaise: ZPaiseText,
};

export const ZInvoicePartiallyPaidPayload = z.object({
  ...invoiceRef,
  settlementReference: z.string().min(1),
  /** This settlement's parts. */
  ...settlementParts,
  totalPaise: ZPaiseText,
  outstandingPaise: ZPaiseText,
  paidAt: ZTimestamp,
});
export type InvoicePartiallyPaidPayload = z.output<typeof ZInvoicePartiallyPaidPayload>;

export const ZInvoiceSettlementReversedPayload = z.object({
  ...invoiceRef,
  /** The reversal's own reference (the original's with ":reversal") and the original's. */
  settlementReference: z.string().min(1),
  reversedReference: z.string().min(1),
  /** Amounts taken back, as positive paise. */
  ...settlementParts,
  outstandingPaise: ZPaiseText,
  status: z.enum(INVOICE_STATUSES),
  reversedAt: ZTimestamp,
});
export type InvoiceSettlementReversedPayload = z.output<typeof ZInvoiceSettlementReversedPayload>;

export const ZInvoiceWrittenOffPayload = z.object({
  ...invoiceRef,
  amountPaise: ZPaiseText,
  reason: z.string().min(1),
  writtenOffAt: ZTimestamp,
});
export type InvoiceWrittenOffPayload = z.output<typeof ZInvoiceWrittenOffPayload>;

export const ZInvoiceDisputeResolvedPayload = z.object({
  ...invoiceRef,
  status: z.enum(INVOICE_STATUSES),
  outstandingPaise: ZPaiseText,
  resolvedAt: ZTimestamp,
});
export type InvoiceDisputeResolvedPayload = z.output<typeof ZInvoiceDisputeResolvedPayload>;

export const ZDebitNoteIssuedPayload = z.object({
  noteId: z.string().min(1),
  noteNumber: z.string().min(1).max(16),
  ...invoiceRef,
  issueDate: ZDate,
  reason: z.enum(NOTE_REASONS),
  taxableValuePaise: ZPaiseText,
  taxPaise: ZPaiseText,
  totalPaise: ZPaiseText,
});
export type DebitNoteIssuedPayload = z.output<typeof ZDebitNoteIssuedPayload>;

export const INVOICING_EVENT_SCHEMAS = {
  "invoice.issued": ZInvoiceIssuedPayload,
  "invoice.due-soon": ZInvoiceDueSoonPayload,
  "invoice.overdue": ZInvoiceOverduePayload,
  "invoice.disputed": ZInvoiceDisputedPayload,
  "invoice.paid": ZInvoicePaidPayload,
  "invoice.cancelled": ZInvoiceCancelledPayload,
  "credit-note.issued": ZCreditNoteIssuedPayload,
  "invoice.created": ZInvoiceCreatedPayload,
  "invoice.updated": ZInvoiceUpdatedPayload,
  "invoice.partially-paid": ZInvoicePartiallyPaidPayload,
  "invoice.settlement-reversed": ZInvoiceSettlementReversedPayload,
  "invoice.written-off": ZInvoiceWrittenOffPayload,
  "invoice.dispute-resolved": ZInvoiceDisputeResolvedPayload,
  "debit-note.issued": ZDebitNoteIssuedPayload,
} as const;

export type InvoicingEvent =
  | { type: "invoice.issued"; payload: InvoiceIssuedPayload }
  | { type: "invoice.due-soon"; payload: InvoiceDueSoonPayload }
  | { type: "invoice.overdue"; payload: InvoiceOverduePayload }
  | { type: "invoice.disputed"; payload: InvoiceDisputedPayload }
  | { type: "invoice.paid"; payload: InvoicePaidPayload }
  | { type: "invoice.cancelled"; payload: InvoiceCancelledPayload }
  | { type: "credit-note.issued"; payload: CreditNoteIssuedPayload }
  | { type: "invoice.created"; payload: InvoiceCreatedPayload }
  | { type: "invoice.updated"; payload: InvoiceUpdatedPayload }
  | { type: "invoice.partially-paid"; payload: InvoicePartiallyPaidPayload }
  | { type: "invoice.settlement-reversed"; payload: InvoiceSettlementReversedPayload }
  | { type: "invoice.written-off"; payload: InvoiceWrittenOffPayload }
  | { type: "invoice.dispute-resolved"; payload: InvoiceDisputeResolvedPayload }
  | { type: "debit-note.issued"; payload: DebitNoteIssuedPayload };
