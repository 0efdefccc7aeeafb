import { z } from "zod";
import { RECEIPT_CHANNELS } from "./payment.events.ts";

/**
 * What payments answers to callers (HTTP and actions): plain JSON, money as strings of digits of paise (a minus
 * sign for reversals), dates as YYYY-MM-DD, instants as ISO 8601.
 */
export const ZMoneyText = z.string().regex(/^-?\d+$/, "an integer number of paise as text");
const ZDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const ZInstantText = z.string();

export const money = (value: bigint): string => value.toString();

export const ZReceivableView = z.object({
  invoiceId: z.string(),
  invoiceNumber: z.string(),
  customerId: z.string(),
  customerName: z.string().nullable(),
  issueDate: ZDate,
  dueDate: ZDate,
  totalPaise: ZMoneyText,
  taxableValuePaise: ZMoneyText,
  openPaise: ZMoneyText,
  settledPaise: ZMoneyText,
  /** Credit notes taken off the invoice's total, and debit notes added to it. */
  creditedPaise: ZMoneyText,
  debitedPaise: ZMoneyText,
  status: z.enum(["open", "settled", "cancelled"]),
  version: z.number().int(),
});
export type ReceivableView = z.infer<typeof ZReceivableView>;

export const ZRegisterReceivableResult = z.object({
  created: z.boolean(),
  changed: z.boolean(),
  receivable: ZReceivableView,
});
export type RegisterReceivableResult = z.infer<typeof ZRegisterReceivableResult>;

export const ZPayerProfileView = z.object({
  customerId: z.string(),
  name: z.string(),
  aliases: z.array(z.string()),
  vpas: z.array(z.string()),
  accountNumbers: z.array(z.string()),
  tan: z.string().nullable(),
  tdsProfile: z.record(z.string(), z.unknown()).nullable(),
});
export type PayerProfileView = z.infer<typeof ZPayerProfileView>;

export const ZAllocationView = z.object({
  id: z.string(),
  paymentId: z.string(),
  invoiceId: z.string(),
  customerId: z.string(),
  batchId: z.string(),
  kind: z.enum(["allocation", "reversal"]),
  reversesId: z.string().nullable(),
  /** For an allocation: whether a reversal has taken it back. */
  reversed: z.boolean(),
  allocatedOn: ZDate,
  cashPaise: ZMoneyText,
  incomeTaxTdsPaise: ZMoneyText,
  gstTdsPaise: ZMoneyText,
  writeOffPaise: ZMoneyText,
  settledPaise: ZMoneyText,
  tdsSection: z.string().nullable(),
  writeOffReason: z.string().nullable(),
});
export type AllocationView = z.infer<typeof ZAllocationView>;

export const ZPaymentView = z.object({
  id: z.string(),
  customerId: z.string().nullable(),
  method: z.enum(RECEIPT_CHANNELS),
  reference: z.string().nullable(),
  payer: z.record(z.string(), z.unknown()),
  receivedOn: ZDate,
  receivedAt: ZInstantText.nullable(),
  amountPaise: ZMoneyText,
  allocatedCashPaise: ZMoneyText,
  /** Cash not allocated to any invoice: the customer's credit from this receipt (zero once reversed). */
  unallocatedPaise: ZMoneyText,
  status: z.enum(["received", "reversed", "bounced"]),
  reversalReason: z.string().nullable(),
  reversedOn: ZDate.nullable(),
  source: z.enum(["manual", "razorpay", "cashfree", "bank-statement", "import"]),
  externalId: z.string().nullable(),
  paymentLinkId: z.string().nullable(),
  note: z.string().nullable(),
  createdAt: ZInstantText,
  version: z.number().int(),
});
export type PaymentView = z.infer<typeof ZPaymentView>;

export const ZPaymentDetailView = ZPaymentView.extend({ allocations: z.array(ZAllocationView) });
export type PaymentDetailView = z.infer<typeof ZPaymentDetailView>;

export const ZRecordPaymentResult = z.object({
  payment: ZPaymentDetailView,
  /** The allocation made with the receipt, when one was asked for. */
  batchId: z.string().nullable(),
});
export type RecordPaymentResult = z.infer<typeof ZRecordPaymentResult>;

export const ZAllocateResult = z.object({
  batchId: z.string(),
  payment: ZPaymentView,
  allocations: z.array(ZAllocationView),
  receivables: z.array(ZReceivableView),
  /** Cash of the receipt still unallocated: the customer's credit from it. */
  creditPaise: ZMoneyText,
});
export type AllocateResult = z.infer<typeof ZAllocateResult>;

export const ZReverseResult = z.object({
  payment: ZPaymentView,
  /** The reversal rows written, one per allocation taken back. */
  reversals: z.array(ZAllocationView),
  receivables: z.array(ZReceivableView),
  creditRemovedPaise: ZMoneyText,
});
export type ReverseResult = z.infer<typeof ZReverseResult>;

export const ZUndoAllocationResult = z.object({
  payment: ZPaymentView,
  /** The reversal row written for the allocation taken back. */
  reversal: ZAllocationView,
  receivable: ZReceivableView,
  /** Cash of the receipt not allocated after the undo: the customer's credit from it. */
  unallocatedPaise: ZMoneyText,
  /** TDS-receivable entries of the allocation that were cancelled. */
  tdsEntriesCancelled: z.int(),
});
export type UndoAllocationResult = z.infer<typeof ZUndoAllocationResult>;

export const ZCustomerCreditView = z.object({
  customerId: z.string(),
  balancePaise: ZMoneyText,
  receipts: z.array(z.object({ paymentId: z.string(), receivedOn: ZDate, unallocatedPaise: ZMoneyText })),
});
export type CustomerCreditView = z.infer<typeof ZCustomerCreditView>;

export const ZTdsPositionRow = z.object({
  kind: z.enum(["income-tax", "gst"]),
  section: z.string().nullable(),
  tan: z.string().nullable(),
  financialYear: z.string(),
  quarter: z.enum(["Q1", "Q2", "Q3", "Q4"]),
  returnDueDate: ZDate,
  /** Deducted and not reversed. */
  receivablePaise: ZMoneyText,
  creditedPaise: ZMoneyText,
  pendingPaise: ZMoneyText,
  mismatchPaise: ZMoneyText,
  entryCount: z.number().int(),
});
export const ZTdsPositionView = z.object({
  customerId: z.string(),
  rows: z.array(ZTdsPositionRow),
  totalReceivablePaise: ZMoneyText,
});
export type TdsPositionView = z.infer<typeof ZTdsPositionView>;

export const ZSettingsView = z.object({
  shortPaymentTolerance: z.object({
    maxPaise: ZMoneyText,
    maxBasisPoints: z.number().int(),
    combine: z.enum(["lower", "higher"]),
  }),
  autoApplyThreshold: z.number(),
  payeeKind: z.enum(["individual-or-huf", "other"]),
  upiVpa: z.string().nullable(),
  upiPayeeName: z.string().nullable(),
  tdsGraceDays: z.number().int(),
  gateways: z.array(
    z.object({
      provider: z.enum(["razorpay", "cashfree"]),
      keyId: z.string(),
      secretsEncrypted: z.boolean(),
    }),
  ),
});
export type SettingsView = z.infer<typeof ZSettingsView>;
