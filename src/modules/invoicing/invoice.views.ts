import { z } from "zod";
import {
  CANCELLATION_REASONS,
  INVOICE_STATUSES,
  NOTE_REASONS,
  SUPPLY_TYPES,
  ZBuyer,
  ZEinvoiceReference,
  ZExportDetails,
  ZInvoiceAddress,
  ZPaymentTerms,
  ZSupplier,
} from "./invoice.schemas.ts";

/**
 * Invoices on the wire, for HTTP and for workflow actions alike. Money is a string of integer paise (a JSON
 * number cannot hold every bigint). Input schemas only check shapes; the domain parser then checks every rule
 * and names each bad field. Output schemas are plain (no transforms), so they serialise responses and
 * describe them in the OpenAPI document.
 */

/** Paise as text, possibly negative ("-50" round-off). */
export const ZPaiseText = z.string().regex(/^-?\d+$/, { error: "is a whole number of paise as text" });
/** Non-negative paise as text. */
export const ZAmountText = z
  .string()
  .regex(/^\d+$/, { error: "is a whole, non-negative number of paise as text" });
const ZDate = z.iso.date({ error: "is a date in YYYY-MM-DD form" });
const ZTimestamp = z.iso.datetime({ offset: true });

export const ZExternalReference = z.object({
  source: z.string().min(1).max(40),
  id: z.string().min(1).max(200),
});
export type ExternalReference = z.output<typeof ZExternalReference>;

// ---------------------------------------------------------------- input

export const ZInvoiceLineInput = z.object({
  description: z.string(),
  hsnSac: z.string().optional(),
  /** Derived from the code when absent: SAC codes start with 99. */
  isService: z.boolean().optional(),
  /** Decimal with at most three decimals, as text ("12.5") or a number. */
  quantity: z.union([z.string(), z.number()]),
  /** GST unit quantity code (UQC), e.g. NOS, KGS. */
  unit: z.string().optional(),
  unitPricePaise: ZAmountText,
  discountPaise: ZAmountText.optional(),
  /** Combined GST rate in basis points (1800 = 18%). */
  gstRateBasisPoints: z.int(),
  cessRateBasisPoints: z.int().optional(),
});
export type InvoiceLineWireInput = z.output<typeof ZInvoiceLineInput>;

/** The fields of a draft invoice that a caller sets. */
export const INVOICE_DRAFT_FIELDS = [
  "number",
  "issueDate",
  "supplyType",
  "reverseCharge",
  "placeOfSupply",
  "igstOnIntra",
  "supplier",
  "buyer",
  "shipTo",
  "lines",
  "nonTaxableChargesPaise",
  "roundTotal",
  "terms",
  "dueDate",
  "deliveryDate",
  "export",
  "einvoice",
  "notes",
] as const;

const draftShape = {
  number: z.string(),
  issueDate: ZDate,
  supplyType: z.enum(SUPPLY_TYPES),
  reverseCharge: z.boolean().optional(),
  placeOfSupply: z.string(),
  igstOnIntra: z.boolean().optional(),
  /** The organisation's details; taken from the invoicing settings when absent. */
  supplier: ZSupplier.optional(),
  buyer: ZBuyer,
  shipTo: z.object({ name: z.string().optional(), address: ZInvoiceAddress }).optional(),
  lines: z.array(ZInvoiceLineInput).min(1, { error: "an invoice needs at least one line" }).max(1000),
  nonTaxableChargesPaise: ZAmountText.optional(),
  roundTotal: z.boolean().optional(),
  terms: ZPaymentTerms.optional(),
  /** An agreed due date; otherwise it follows from the terms (and the MSMED Act for micro and small suppliers). */
  dueDate: ZDate.optional(),
  /** Day the goods were delivered or the service rendered: the MSMED Act counts from acceptance. */
  deliveryDate: ZDate.optional(),
  export: ZExportDetails.optional(),
  einvoice: ZEinvoiceReference.optional(),
  notes: z.string().max(2000).optional(),
};

/** Unknown fields are refused, so amounts sent by a caller are never silently ignored: they are computed. */
export const ZInvoiceDraftInput = z
  .object({
    ...draftShape,
    /** The total the caller expects; refused when the lines compute to something else. */
    totalPaise: ZAmountText.optional(),
    /** Create even when a likely duplicate exists (never for the same number in the financial year). */
    allowDuplicate: z.boolean().optional(),
    /** Where the invoice comes from when imported; a second import with the same reference returns the first. */
    external: ZExternalReference.optional(),
  })
  .strict();
export type InvoiceDraftInput = z.input<typeof ZInvoiceDraftInput>;

/** Changes to a draft: any draft field; null clears an optional one. */
export const ZInvoiceDraftChanges = z
  .object(
    Object.fromEntries(
      Object.entries(draftShape).map(([key, schema]) => [key, schema.nullable().optional()]),
    ) as { [K in keyof typeof draftShape]: z.ZodOptional<z.ZodNullable<(typeof draftShape)[K]>> },
  )
  .extend({ totalPaise: ZAmountText.optional() })
  .strict();
export type InvoiceDraftChanges = z.input<typeof ZInvoiceDraftChanges>;

export const ZNoteInput = z
  .object({
    number: z.string(),
    issueDate: ZDate,
    reason: z.enum(NOTE_REASONS),
    lines: z.array(ZInvoiceLineInput).min(1, { error: "a note needs at least one line" }).max(1000),
    roundTotal: z.boolean().optional(),
    notes: z.string().max(2000).optional(),
    /** The total the caller expects; refused when the lines compute to something else. */
    totalPaise: ZAmountText.optional(),
  })
  .strict();
export type NoteWireInput = z.input<typeof ZNoteInput>;

export const ZSettlementParts = z.object({
  cashPaise: ZPaiseText.default("0"),
  tdsPaise: ZPaiseText.default("0"),
  gstTdsPaise: ZPaiseText.default("0"),
  writeOffPaise: ZPaiseText.default("0"),
});

export const ZApplySettlementInput = ZSettlementParts.extend({
  invoiceId: z.uuid({ error: "is an invoice id (UUID)" }),
  /**
   * Identifies the settlement (e.g. the payment allocation's id): applied once per invoice. A reversal uses the
   * original's reference followed by ":reversal" and negative parts.
   */
  reference: z.string().min(1).max(200),
});
export type ApplySettlementInput = z.input<typeof ZApplySettlementInput>;

export const ZSettingsInput = z.object({
  supplier: ZSupplier.nullable().optional(),
  supplierMsme: z
    .object({
      category: z.enum(["micro", "small", "medium"]).nullable(),
      udyamRegistered: z.boolean(),
      isTrader: z.boolean().optional(),
    })
    .nullable()
    .optional(),
  precedingYearTurnoverPaise: ZAmountText.nullable().optional(),
  highestTurnoverSince2017Paise: ZAmountText.nullable().optional(),
  einvoiceExempt: z.boolean().optional(),
  dueSoonDays: z.int().min(0).max(60).optional(),
});
export type SettingsInput = z.input<typeof ZSettingsInput>;

// ---------------------------------------------------------------- output

export const ZAddressView = z.object({
  line1: z.string(),
  line2: z.string().optional(),
  city: z.string(),
  pinCode: z.string().optional(),
  stateCode: z.string(),
  country: z.string(),
});

export const ZPartyView = z.object({
  customerId: z.string().optional(),
  legalName: z.string(),
  tradeName: z.string().optional(),
  gstin: z.string().optional(),
  address: ZAddressView,
  email: z.string().optional(),
  phone: z.string().optional(),
  signatory: z.string().optional(),
});

export const ZLineAmountsView = z.object({
  taxableValuePaise: ZPaiseText,
  cgstPaise: ZPaiseText,
  sgstPaise: ZPaiseText,
  utgstPaise: ZPaiseText,
  igstPaise: ZPaiseText,
  cessPaise: ZPaiseText,
  totalPaise: ZPaiseText,
});

export const ZLineView = z.object({
  description: z.string(),
  hsnSac: z.string().optional(),
  isService: z.boolean().optional(),
  quantity: z.string(),
  unit: z.string().optional(),
  unitPricePaise: ZPaiseText,
  discountPaise: ZPaiseText,
  gstRateBasisPoints: z.int(),
  cessRateBasisPoints: z.int(),
  amounts: ZLineAmountsView,
});
export type LineView = z.output<typeof ZLineView>;

export const ZAmountsView = z.object({
  taxableValuePaise: ZPaiseText,
  cgstPaise: ZPaiseText,
  sgstPaise: ZPaiseText,
  utgstPaise: ZPaiseText,
  igstPaise: ZPaiseText,
  cessPaise: ZPaiseText,
  /** All GST heads and cess together. */
  taxPaise: ZPaiseText,
  nonTaxableChargesPaise: ZPaiseText,
  roundOffPaise: ZPaiseText,
  totalPaise: ZPaiseText,
});
export type AmountsView = z.output<typeof ZAmountsView>;

export const ZSettlementSummaryView = z.object({
  /** Cash received. */
  paidPaise: ZPaiseText,
  /** Income-tax TDS the customer withheld. */
  tdsPaise: ZPaiseText,
  /** GST TDS (CGST s.51) the customer withheld. */
  gstTdsPaise: ZPaiseText,
  /** Small differences written off when settling. */
  writeOffPaise: ZPaiseText,
  creditedPaise: ZPaiseText,
  debitedPaise: ZPaiseText,
  /** Total + debit notes - credit notes - everything settled; negative when a refund is due. */
  outstandingPaise: ZPaiseText,
});

export const DUE_DATE_BASES = ["explicit", "contract", "msmed-act"] as const;

export const ZInvoiceView = z.object({
  id: z.string(),
  number: z.string(),
  financialYear: z.string(),
  issueDate: ZDate,
  supplyType: z.enum(SUPPLY_TYPES),
  reverseCharge: z.boolean(),
  placeOfSupply: z.string(),
  igstOnIntra: z.boolean(),
  supplier: ZPartyView,
  buyer: ZPartyView,
  customerId: z.string().nullable(),
  shipTo: z.object({ name: z.string().optional(), address: ZAddressView }).nullable(),
  export: z
    .object({
      countryCode: z.string(),
      shippingBillNumber: z.string().optional(),
      shippingBillDate: z.string().optional(),
      portCode: z.string().optional(),
      foreignCurrency: z.string().optional(),
    })
    .nullable(),
  terms: z.object({ creditDays: z.int(), agreedInWriting: z.boolean() }).nullable(),
  deliveryDate: ZDate.nullable(),
  dueDates: z.object({
    /** From the terms, or the agreed date. */
    contractual: ZDate.nullable(),
    /** Under the MSMED Act for a micro or small supplier. */
    statutory: ZDate.nullable(),
    /** The one that applies: the earlier of the two. */
    applicable: ZDate.nullable(),
    basis: z.enum(DUE_DATE_BASES).nullable(),
  }),
  status: z.enum(INVOICE_STATUSES),
  lines: z.array(ZLineView),
  amounts: ZAmountsView,
  roundTotal: z.boolean(),
  settlement: ZSettlementSummaryView,
  badDebt: z.object({ amountPaise: ZPaiseText, reason: z.string(), writtenOffAt: ZTimestamp }).nullable(),
  dispute: z.object({ reason: z.string(), raisedAt: ZTimestamp }).nullable(),
  cancellation: z
    .object({ reason: z.enum(CANCELLATION_REASONS), remark: z.string(), cancelledAt: ZTimestamp })
    .nullable(),
  einvoice: z
    .object({
      irn: z.string(),
      ackNumber: z.string().optional(),
      ackDate: z.string().optional(),
      signedQrCode: z.string().optional(),
    })
    .nullable(),
  issuedAt: ZTimestamp.nullable(),
  paidAt: ZTimestamp.nullable(),
  notes: z.string().nullable(),
  external: ZExternalReference.nullable(),
  version: z.int(),
  createdAt: ZTimestamp,
  updatedAt: ZTimestamp,
  createdBy: z.string(),
});
export type InvoiceView = z.output<typeof ZInvoiceView>;

export const ZInvoiceDuplicateOf = z.object({
  invoiceId: z.string(),
  invoiceNumber: z.string(),
  score: z.number(),
  reasons: z.array(z.enum(["same-number", "same-customer-amount-date", "same-lines", "same-external-id"])),
});
export type InvoiceDuplicateOf = z.output<typeof ZInvoiceDuplicateOf>;

export const ZCreateInvoiceResult = z.object({
  created: z.boolean(),
  invoice: ZInvoiceView,
  /** Set when an existing invoice was returned instead of creating one. */
  duplicateOf: ZInvoiceDuplicateOf.optional(),
});
export type CreateInvoiceResult = z.output<typeof ZCreateInvoiceResult>;

export const ZNoteView = z.object({
  id: z.string(),
  invoiceId: z.string(),
  kind: z.enum(["credit", "debit"]),
  number: z.string(),
  financialYear: z.string(),
  issueDate: ZDate,
  reason: z.enum(NOTE_REASONS),
  roundTotal: z.boolean(),
  lines: z.array(ZLineView),
  amounts: ZAmountsView,
  /** False for a credit note after the CGST s.34(2) deadline: it settles the amount but does not reduce tax. */
  reducesOutputTax: z.boolean(),
  notes: z.string().nullable(),
  createdAt: ZTimestamp,
  createdBy: z.string(),
});
export type NoteView = z.output<typeof ZNoteView>;

export const ZIssueNoteResult = z.object({ note: ZNoteView, invoice: ZInvoiceView });
export type IssueNoteResult = z.output<typeof ZIssueNoteResult>;

export const ZSettlementView = z.object({
  id: z.string(),
  invoiceId: z.string(),
  reference: z.string(),
  /** The settlement this one reverses. */
  reversesId: z.string().nullable(),
  cashPaise: ZPaiseText,
  tdsPaise: ZPaiseText,
  gstTdsPaise: ZPaiseText,
  writeOffPaise: ZPaiseText,
  appliedAt: ZTimestamp,
  actor: z.string(),
});
export type SettlementView = z.output<typeof ZSettlementView>;

export const ZApplySettlementResult = z.object({
  /** False when this reference was applied before: nothing changed. */
  applied: z.boolean(),
  settlement: ZSettlementView,
  invoice: ZInvoiceView,
});
export type ApplySettlementResult = z.output<typeof ZApplySettlementResult>;

export const ZDueInvoice = z.object({
  invoiceId: z.string(),
  invoiceNumber: z.string(),
  customerId: z.string().nullable(),
  buyerName: z.string(),
  buyerGstin: z.string().nullable(),
  status: z.enum(INVOICE_STATUSES),
  dueDate: ZDate,
  state: z.enum(["due-soon", "overdue"]),
  /** Days until the due date (0 on the day); null when overdue. */
  daysUntilDue: z.int().nullable(),
  /** Days past the due date; null when not overdue. */
  daysOverdue: z.int().nullable(),
  totalPaise: ZPaiseText,
  outstandingPaise: ZPaiseText,
});
export type DueInvoice = z.output<typeof ZDueInvoice>;

export const ZMarkOverdueResult = z.object({
  asOf: ZDate,
  /** Invoices that got an event in this sweep; those notified before for the same state are skipped. */
  notified: z.array(
    z.object({ invoiceId: z.string(), invoiceNumber: z.string(), state: z.enum(["due-soon", "overdue"]) }),
  ),
  dueSoon: z.int(),
  overdue: z.int(),
  alreadyNotified: z.int(),
});
export type MarkOverdueResult = z.output<typeof ZMarkOverdueResult>;

export const ZFindingView = z.object({
  rule: z.string(),
  severity: z.enum(["error", "warning", "info"]),
  field: z.string(),
  message: z.string(),
  fix: z.string(),
  related: z.object({ invoiceId: z.string(), invoiceNumber: z.string(), score: z.number() }).optional(),
});

export const ZVerificationView = z.object({
  ok: z.boolean(),
  errors: z.int(),
  warnings: z.int(),
  findings: z.array(ZFindingView),
  /** The amounts the calculator gives for the invoice, when its lines can be computed. */
  amounts: ZAmountsView.nullable(),
});
export type VerificationView = z.output<typeof ZVerificationView>;

export const ZEinvoiceView = z.object({
  invoiceId: z.string(),
  /** The IRN the IRP will assign: SHA-256 of supplier GSTIN, financial year, document type and number. */
  irn: z.string(),
  /** The IRN recorded from the IRP, if any. */
  recordedIrn: z.string().nullable(),
  /** IRP request (schema 1.1). */
  payload: z.record(z.string(), z.unknown()),
  valid: z.boolean(),
  /** Problems the IRP would report, by JSONPath into the payload. */
  violations: z.array(
    z.object({
      path: z.string(),
      rule: z.string(),
      severity: z.enum(["error", "warning"]),
      message: z.string(),
    }),
  ),
});
export type EinvoiceView = z.output<typeof ZEinvoiceView>;

export const ZSettingsView = z.object({
  supplier: ZPartyView.nullable(),
  supplierMsme: z
    .object({
      category: z.enum(["micro", "small", "medium"]).nullable(),
      udyamRegistered: z.boolean(),
      isTrader: z.boolean().optional(),
    })
    .nullable(),
  precedingYearTurnoverPaise: ZPaiseText.nullable(),
  highestTurnoverSince2017Paise: ZPaiseText.nullable(),
  einvoiceExempt: z.boolean(),
  dueSoonDays: z.int(),
  version: z.int(),
});
export type SettingsView = z.output<typeof ZSettingsView>;
