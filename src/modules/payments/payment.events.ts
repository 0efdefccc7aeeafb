import { z } from "zod";
import { parseWith } from "./field-issues.ts";
import { PAYMENT_METHODS, ZIsoDate, ZNonNegativePaise, ZPaise, ZPositivePaise } from "./payment.schema.ts";
import { TDS_SECTIONS } from "./tds-rates.data.ts";

/** Event type names published by the payments module. */
export const PAYMENT_EVENT_TYPES = [
  "payment.received",
  "payment.allocated",
  "payment.reversed",
  "payment.allocation-undone",
  "tds.credit-missing",
] as const;
export type PaymentEventType = (typeof PAYMENT_EVENT_TYPES)[number];

export const RECEIPT_CHANNELS = [...PAYMENT_METHODS, "netbanking", "wallet", "other"] as const;
export const ZReceiptChannel = z.enum(RECEIPT_CHANNELS);
export type ReceiptChannel = z.infer<typeof ZReceiptChannel>;

const ZInstant = z.iso.datetime({ offset: true });

export const ZPaymentReceivedPayload = z.object({
  /** Our receipt, once recorded. */
  paymentId: z.string().min(1).optional(),
  /** The customer, when the receipt is identified. */
  customerId: z.string().min(1).optional(),
  source: z.enum(["razorpay", "cashfree", "bank-statement", "manual", "import"]),
  /** The source's own id: gateway payment id, statement line fingerprint, import row key. */
  externalId: z.string().min(1),
  method: ZReceiptChannel,
  amountPaise: ZPositivePaise,
  currency: z.literal("INR"),
  receivedAt: ZInstant,
  /** Calendar date in India of `receivedAt`. */
  receivedOn: ZIsoDate,
  utr: z.string().min(1).optional(),
  payer: z
    .object({
      name: z.string().optional(),
      vpa: z.string().optional(),
      email: z.string().optional(),
      phone: z.string().optional(),
      accountNumber: z.string().optional(),
    })
    .default({}),
  /** Our reference carried through the gateway (payment-link reference, order receipt). */
  reference: z.string().optional(),
  paymentLinkId: z.string().optional(),
  notes: z.record(z.string(), z.string()).default({}),
});
export type PaymentReceivedPayload = z.output<typeof ZPaymentReceivedPayload>;

export const ZAllocationPart = z.object({
  allocationId: z.string().min(1),
  invoiceId: z.string().min(1),
  cashPaise: ZNonNegativePaise,
  incomeTaxTdsPaise: ZNonNegativePaise,
  gstTdsPaise: ZNonNegativePaise,
  writeOffPaise: ZNonNegativePaise,
  settledPaise: ZPositivePaise,
  tdsSection: z.enum(TDS_SECTIONS).optional(),
  writeOffReason: z.string().optional(),
});

export const ZPaymentAllocatedPayload = z
  .object({
    receiptId: z.string().min(1),
    customerId: z.string().min(1),
    date: ZIsoDate,
    allocations: z.array(ZAllocationPart).min(1),
    cashPaise: ZNonNegativePaise,
    incomeTaxTdsPaise: ZNonNegativePaise,
    gstTdsPaise: ZNonNegativePaise,
    writeOffPaise: ZNonNegativePaise,
    settledPaise: ZPositivePaise,
    /** Cash of the receipt not yet allocated after this step: the customer's credit from it. */
    unallocatedPaise: ZNonNegativePaise,
  })
  .superRefine((payload, context) => {
    const sum = (pick: (part: z.output<typeof ZAllocationPart>) => bigint): bigint =>
      payload.allocations.reduce((total, part) => total + pick(part), 0n);
    payload.allocations.forEach((part, index) => {
      if (
        part.cashPaise + part.incomeTaxTdsPaise + part.gstTdsPaise + part.writeOffPaise !==
        part.settledPaise
      ) {
        context.addIssue({
          code: "custom",
          path: ["allocations", index, "settledPaise"],
          message: "must equal cash + income-tax TDS + GST TDS + write-off",
        });
      }
    });
    const totals: Array<[keyof typeof payload, bigint]> = [
      ["cashPaise", sum((part) => part.cashPaise)],
      ["incomeTaxTdsPaise", sum((part) => part.incomeTaxTdsPaise)],
      ["gstTdsPaise", sum((part) => part.gstTdsPaise)],
      ["writeOffPaise", sum((part) => part.writeOffPaise)],
      ["settledPaise", sum((part) => part.settledPaise)],
    ];
    for (const [field, expected] of totals) {
      if (payload[field] !== expected) {
        context.addIssue({ code: "custom", path: [field], message: "must equal the sum over allocations" });
      }
    }
  });
export type PaymentAllocatedPayload = z.output<typeof ZPaymentAllocatedPayload>;

export const ZPaymentReversedPayload = z.object({
  receiptId: z.string().min(1),
  customerId: z.string().min(1),
  date: ZIsoDate,
  reason: z.enum(["cheque-bounced", "chargeback", "refund", "entered-in-error"]),
  note: z.string().optional(),
  amountPaise: ZPositivePaise,
  reversedAllocations: z.array(
    z.object({
      allocationId: z.string().min(1),
      invoiceId: z.string().min(1),
      reopenedPaise: ZPositivePaise,
      /**
       * The parts taken back, so a consumer can undo exactly what `payment.allocated` reported (for invoicing:
       * settlement reference `<allocationId>:reversal` with these parts negated).
       */
      cashPaise: ZNonNegativePaise.optional(),
      incomeTaxTdsPaise: ZNonNegativePaise.optional(),
      gstTdsPaise: ZNonNegativePaise.optional(),
      writeOffPaise: ZNonNegativePaise.optional(),
    }),
  ),
  /** Unallocated credit of the receipt that disappears with it. */
  creditRemovedPaise: ZNonNegativePaise,
});
export type PaymentReversedPayload = z.output<typeof ZPaymentReversedPayload>;

/**
 * One allocation of a receipt taken back (the receipt stands): the invoice reopens by `reopenedPaise`, the cash
 * returns to the receipt as customer credit, the TDS entries of the allocation are cancelled. A consumer undoes
 * exactly what `payment.allocated` reported for `allocationId` (for invoicing: `<allocationId>:reversal`).
 */
export const ZPaymentAllocationUndonePayload = z.object({
  receiptId: z.string().min(1),
  customerId: z.string().min(1),
  date: ZIsoDate,
  allocationId: z.string().min(1),
  invoiceId: z.string().min(1),
  reopenedPaise: ZPositivePaise,
  cashPaise: ZNonNegativePaise,
  incomeTaxTdsPaise: ZNonNegativePaise,
  gstTdsPaise: ZNonNegativePaise,
  writeOffPaise: ZNonNegativePaise,
  /** Cash of the receipt not allocated after the undo. */
  unallocatedPaise: ZNonNegativePaise,
  note: z.string().optional(),
});
export type PaymentAllocationUndonePayload = z.output<typeof ZPaymentAllocationUndonePayload>;

export const ZTdsCreditMissingPayload = z.object({
  customerId: z.string().optional(),
  tan: z.string().optional(),
  deductorName: z.string().optional(),
  section: z.enum(TDS_SECTIONS),
  financialYear: z.string().regex(/^\d{4}-\d{2}$/),
  quarter: z.enum(["Q1", "Q2", "Q3", "Q4"]),
  claimedPaise: ZNonNegativePaise,
  creditedPaise: ZNonNegativePaise,
  missingPaise: ZPaise,
  returnDueDate: ZIsoDate,
  detectedOn: ZIsoDate,
});
export type TdsCreditMissingPayload = z.output<typeof ZTdsCreditMissingPayload>;

export const ZPaymentEvent = z.discriminatedUnion("type", [
  z.object({ type: z.literal("payment.received"), payload: ZPaymentReceivedPayload }),
  z.object({ type: z.literal("payment.allocated"), payload: ZPaymentAllocatedPayload }),
  z.object({ type: z.literal("payment.reversed"), payload: ZPaymentReversedPayload }),
  z.object({ type: z.literal("payment.allocation-undone"), payload: ZPaymentAllocationUndonePayload }),
  z.object({ type: z.literal("tds.credit-missing"), payload: ZTdsCreditMissingPayload }),
]);
export type PaymentEvent = z.output<typeof ZPaymentEvent>;

/** Validates an event (payload paise may arrive as bigint or integer strings). */
export function parsePaymentEvent(input: unknown): PaymentEvent {
  return parseWith(ZPaymentEvent, input);
}

/** JSON-safe copy of a value: bigints become decimal strings, which the event schemas read back as paise. */
export function toJsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map((item) => toJsonSafe(item));
  if (value !== null && typeof value === "object") {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) result[key] = toJsonSafe(item);
    }
    return result;
  }
  return value;
}

/** Event type -> payload schema, as the module registers them. */
export const PAYMENT_EVENT_SCHEMAS: Record<PaymentEventType, z.ZodType> = {
  "payment.received": ZPaymentReceivedPayload,
  "payment.allocated": ZPaymentAllocatedPayload,
  "payment.reversed": ZPaymentReversedPayload,
  "payment.allocation-undone": ZPaymentAllocationUndonePayload,
  "tds.credit-missing": ZTdsCreditMissingPayload,
};
