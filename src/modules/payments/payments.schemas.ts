import { z } from "zod";
import { ZBankCsvMapping } from "./bank-csv.parser.ts";
import { ZForm26asMapping } from "./form26as.parser.ts";
import { PAYMENT_METHODS, ZCheque, ZIsoDate, ZPayer } from "./payment.schema.ts";
import { TDS_SECTIONS } from "./tds-rates.data.ts";

/**
 * Inputs of the payments commands and queries, shared by the actions (workflows) and the HTTP routes. Money
 * travels as a string of digits of paise, never as a JSON number.
 */

export const PAYMENTS_PERMISSIONS = {
  read: "payments:read",
  write: "payments:write",
  review: "reconciliation:review",
} as const;

export const ZId = z.uuid({ error: "must be an id (UUID)" });

/** Paise as a string of digits ("118000" is ₹1,180.00). */
export const ZPaiseText = z
  .string()
  .regex(/^\d{1,15}$/, { error: "must be a whole, non-negative number of paise written as digits" })
  .transform((value) => BigInt(value));

export const ZPositivePaiseText = ZPaiseText.refine((value) => value > 0n, {
  error: "must be more than zero paise",
});

export const ZRegisterReceivableInput = z.object({
  invoiceId: ZId,
  invoiceNumber: z.string().trim().min(1).max(60),
  customerId: ZId,
  customerName: z.string().trim().min(1).max(200).optional(),
  issueDate: ZIsoDate,
  dueDate: ZIsoDate,
  totalPaise: ZPositivePaiseText,
  taxableValuePaise: ZPaiseText,
  contractValuePaise: ZPaiseText.optional(),
  interState: z.boolean().optional(),
});
export type RegisterReceivableInput = z.output<typeof ZRegisterReceivableInput>;

const TAN = /^[A-Z]{4}\d{5}[A-Z]$/;

export const ZTdsProfileInput = z.object({
  section: z.enum(TDS_SECTIONS),
  nature: z
    .enum([
      "contract",
      "technical-services",
      "professional-services",
      "commission",
      "rent-plant-machinery",
      "rent-land-building",
      "purchase-of-goods",
    ])
    .optional(),
  base: z.enum(["before-gst", "gross"]).optional(),
  rateBasisPoints: z.int().min(0).max(10_000).optional(),
  tan: z
    .string()
    .trim()
    .toUpperCase()
    .regex(TAN, { error: "a TAN is 4 letters, 5 digits, 1 letter" })
    .optional(),
  deductsGstTds: z.boolean().optional(),
  /** False when the business has not given this customer an operative PAN: the customer deducts u/s 206AA. */
  panFurnished: z.boolean().optional(),
});

export const ZRegisterPayerInput = z.object({
  customerId: ZId,
  name: z.string().trim().min(1).max(200),
  aliases: z.array(z.string().trim().min(1).max(200)).max(20).optional(),
  vpas: z.array(z.string().trim().min(3).max(255)).max(20).optional(),
  accountNumbers: z
    .array(
      z
        .string()
        .trim()
        .regex(/^\d{6,18}$/, { error: "an account number of 6 to 18 digits" }),
    )
    .max(20)
    .optional(),
  tdsProfile: ZTdsProfileInput.nullable().optional(),
});
export type RegisterPayerInput = z.output<typeof ZRegisterPayerInput>;

export const ZAllocationLineInput = z.object({
  invoiceId: ZId,
  cashPaise: ZPaiseText,
  incomeTaxTdsPaise: ZPaiseText.optional(),
  gstTdsPaise: ZPaiseText.optional(),
  writeOffPaise: ZPaiseText.optional(),
  tdsSection: z.enum(TDS_SECTIONS).optional(),
  writeOffReason: z.string().trim().min(1).max(200).optional(),
  /** A write-off above the tenant's tolerance needs a person's approval. */
  writeOffApproved: z.boolean().optional(),
});
export type AllocationLineInput = z.output<typeof ZAllocationLineInput>;

export const ZRecordPaymentInput = z.object({
  customerId: ZId.optional(),
  method: z.enum(PAYMENT_METHODS),
  reference: z.string().trim().max(64).nullable().optional(),
  payer: ZPayer,
  receivedOn: ZIsoDate,
  amountPaise: ZPositivePaiseText,
  cheque: ZCheque.optional(),
  note: z.string().max(500).optional(),
  source: z.enum(["manual", "import"]).default("manual"),
  /** The record's id in the system it came from (imports): recorded once. */
  externalId: z.string().trim().min(1).max(200).optional(),
  /** Allocate at once: these lines, or oldest due first. */
  allocations: z.array(ZAllocationLineInput).min(1).max(200).optional(),
  autoAllocate: z.boolean().optional(),
});
export type RecordPaymentInput = z.output<typeof ZRecordPaymentInput>;

const allocateFields = {
  /** Identifies the payer of a receipt recorded without a customer. */
  customerId: ZId.optional(),
  lines: z.array(ZAllocationLineInput).min(1).max(200).optional(),
  /** Oldest due first over the customer's open invoices; a shortfall within the tolerance is written off. */
  auto: z.boolean().optional(),
  date: ZIsoDate.optional(),
};
const oneWay = (input: { lines?: unknown; auto?: boolean | undefined }) =>
  (input.lines !== undefined) !== (input.auto === true);
const oneWayMessage = { error: "give either lines or auto: true", path: ["lines"] };

export const ZAllocateBody = z.object(allocateFields).refine(oneWay, oneWayMessage);
export const ZAllocateInput = z.object({ paymentId: ZId, ...allocateFields }).refine(oneWay, oneWayMessage);
export type AllocateInput = z.output<typeof ZAllocateInput>;

const reverseFields = {
  reason: z.enum(["cheque-bounced", "chargeback", "refund", "entered-in-error"]),
  note: z.string().trim().min(1).max(500).optional(),
  date: ZIsoDate.optional(),
};
export const ZReverseBody = z.object(reverseFields);
export const ZReversePaymentInput = z.object({ paymentId: ZId, ...reverseFields });
export type ReversePaymentInput = z.output<typeof ZReversePaymentInput>;

const undoFields = {
  note: z.string().trim().min(1).max(500).optional(),
  date: ZIsoDate.optional(),
};
export const ZUndoAllocationBody = z.object(undoFields);
/** Takes one allocation of a receipt back: the invoice reopens, the cash returns to the customer's credit. */
export const ZUndoAllocationInput = z.object({ paymentId: ZId, allocationId: ZId, ...undoFields });
export type UndoAllocationInput = z.output<typeof ZUndoAllocationInput>;

export const ZSettingsInput = z.object({
  shortPaymentTolerance: z
    .object({
      maxPaise: ZPaiseText,
      maxBasisPoints: z.int().min(0).max(10_000),
      combine: z.enum(["lower", "higher"]),
    })
    .optional(),
  autoApplyThreshold: z.number().min(0.5).max(1).optional(),
  payeeKind: z.enum(["individual-or-huf", "other"]).optional(),
  upiVpa: z.string().trim().min(3).max(255).nullable().optional(),
  upiPayeeName: z.string().trim().min(1).max(99).nullable().optional(),
  tdsGraceDays: z.int().min(0).max(365).optional(),
});
export type SettingsInput = z.output<typeof ZSettingsInput>;

export const ZGatewayCredentialsInput = z.object({
  provider: z.enum(["razorpay", "cashfree"]),
  keyId: z.string().trim().min(1).max(200),
  keySecret: z.string().min(1).max(500),
  webhookSecret: z.string().min(1).max(500),
});
export type GatewayCredentialsInput = z.output<typeof ZGatewayCredentialsInput>;

export const ZBankAccountInput = z.object({
  name: z.string().trim().min(1).max(100),
  accountIdentifier: z.string().trim().min(1).max(60),
  bankName: z.string().trim().min(1).max(100).optional(),
  ifsc: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{4}0[A-Z0-9]{6}$/, { error: "an IFSC is 4 letters, a zero and 6 letters or digits" })
    .optional(),
  /** The saved column mapping of the account's CSV export; its accountId is the account's identifier. */
  csvMapping: ZBankCsvMapping.omit({ accountId: true }).optional(),
});
export type BankAccountInput = z.output<typeof ZBankAccountInput>;

export const ZImportStatementInput = z.object({
  bankAccountId: ZId,
  format: z.enum(["mt940", "camt", "csv"]),
  /** The file's text (MT940, camt XML, CSV). */
  content: z.string().min(1).max(20_000_000),
  fileName: z.string().trim().min(1).max(200).optional(),
});
export type ImportStatementInput = z.output<typeof ZImportStatementInput>;

export const ZRunMatchingInput = z.object({
  /** Only these statement lines; every unmatched credit line when absent. */
  lineIds: z.array(ZId).max(50_000).optional(),
  /** Apply proposals at or above the tenant's threshold (only those the matcher calls auto-applicable). */
  autoApply: z.boolean().default(true),
});
export type RunMatchingInput = z.output<typeof ZRunMatchingInput>;

const decisionFields = {
  decision: z.enum(["accept", "reject", "undo"]),
  note: z.string().trim().min(1).max(500).optional(),
  /** Accept with changes: another customer or other amounts; applied through the same allocation rules. */
  override: z.object({ customerId: ZId, lines: z.array(ZAllocationLineInput).min(1).max(200) }).optional(),
};
export const ZDecisionBody = z.object(decisionFields);
export const ZApplyProposalInput = z.object({ proposalId: ZId, ...decisionFields });
export type ApplyProposalInput = z.output<typeof ZApplyProposalInput>;

export const ZImport26asInput = z
  .object({
    content: z.string().min(1).max(20_000_000),
    /** A saved mapping by name, or a mapping given with the file (saved under `saveAs` when named). */
    mappingName: z.string().trim().min(1).max(60).optional(),
    mapping: ZForm26asMapping.optional(),
    saveAs: z.string().trim().min(1).max(60).optional(),
    fileName: z.string().trim().min(1).max(200).optional(),
  })
  .refine((input) => (input.mappingName !== undefined) !== (input.mapping !== undefined), {
    error: "give either mappingName or mapping",
    path: ["mapping"],
  });
export type Import26asInput = z.output<typeof ZImport26asInput>;

export const ZReconcile26asInput = z.object({
  financialYear: z
    .string()
    .regex(/^\d{4}-\d{2}$/, { error: "a financial year such as 2025-26" })
    .optional(),
  /** The day the check is made (default today in India): decides what is overdue. */
  asOf: ZIsoDate.optional(),
});
export type Reconcile26asInput = z.output<typeof ZReconcile26asInput>;

export const ZCreateLinkInput = z.object({
  kind: z.enum(["upi", "razorpay", "cashfree"]),
  amountPaise: ZPositivePaiseText,
  reference: z.string().trim().min(1).max(35),
  invoiceId: ZId.optional(),
  customerId: ZId.optional(),
  description: z.string().trim().min(1).max(500),
  customer: z
    .object({
      name: z.string().trim().min(1).max(100),
      email: z.email().optional(),
      phone: z.string().optional(),
    })
    .optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  acceptPartial: z.boolean().optional(),
  /** Same key, same link (defaults to the command's idempotency key, else the reference). */
  idempotencyKey: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,50}$/, { error: "1 to 50 letters, digits, '-' or '_'" })
    .optional(),
});
export type CreateLinkInput = z.output<typeof ZCreateLinkInput>;
