import { z } from "zod";

/**
 * Events of the integrations module: one per accepted record that is new or changed since the last import.
 * Workflows turn them into customers.*, invoicing.* and payments.* actions; the record travels whole, money as
 * strings of digits of paise, dates as YYYY-MM-DD.
 */
export const IMPORT_EVENT_TYPES = [
  "import.customer-accepted",
  "import.invoice-accepted",
  "import.payment-accepted",
  "import.credit-note-accepted",
] as const;
export type ImportEventType = (typeof IMPORT_EVENT_TYPES)[number];

const ZMoney = z
  .union([z.bigint(), z.string().regex(/^-?\d+$/, "an integer number of paise")])
  .transform((value) => value.toString());
const ZDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a date written YYYY-MM-DD");
const ZFinding = z.object({ field: z.string(), reason: z.string() });
const ZSource = z.enum(["csv", "tally", "zoho-books"]);

const ZBillAllocation = z.object({ reference: z.string(), kind: z.string().optional(), amountPaise: ZMoney });

export const ZImportedCustomerRecord = z.object({
  externalId: z.string(),
  source: ZSource,
  name: z.string(),
  gstin: z.string().optional(),
  pan: z.string().optional(),
  email: z.string().optional(),
  phone: z.string().optional(),
  stateCode: z.string().optional(),
  addressLines: z.array(z.string()),
  city: z.string().optional(),
  pincode: z.string().optional(),
  creditDays: z.number().int().optional(),
  openingBalancePaise: ZMoney.optional(),
  group: z.string().optional(),
  findings: z.array(ZFinding),
});

export const ZImportedInvoiceRecord = z.object({
  externalId: z.string(),
  source: ZSource,
  number: z.string(),
  customerExternalId: z.string().optional(),
  customerName: z.string(),
  customerGstin: z.string().optional(),
  issueDate: ZDate,
  dueDate: ZDate.optional(),
  currency: z.string(),
  taxableValuePaise: ZMoney,
  cgstPaise: ZMoney,
  sgstPaise: ZMoney,
  igstPaise: ZMoney,
  cessPaise: ZMoney,
  roundOffPaise: ZMoney,
  totalPaise: ZMoney,
  balancePaise: ZMoney.optional(),
  status: z.string().optional(),
  placeOfSupply: z.string().optional(),
  lines: z.array(
    z.object({
      description: z.string(),
      hsnOrSac: z.string().optional(),
      quantity: z.string().optional(),
      taxableValuePaise: ZMoney.optional(),
      taxRateBasisPoints: z.number().int().optional(),
    }),
  ),
  findings: z.array(ZFinding),
});

export const ZImportedPaymentRecord = z.object({
  externalId: z.string(),
  source: ZSource,
  date: ZDate,
  amountPaise: ZMoney,
  tdsPaise: ZMoney,
  method: z.string().optional(),
  reference: z.string().optional(),
  customerExternalId: z.string().optional(),
  customerName: z.string(),
  settledPaise: ZMoney,
  allocations: z.array(ZBillAllocation),
  narration: z.string().optional(),
  findings: z.array(ZFinding),
});

export const ZImportedCreditNoteRecord = z.object({
  externalId: z.string(),
  source: ZSource,
  number: z.string(),
  date: ZDate,
  customerName: z.string(),
  customerExternalId: z.string().optional(),
  amountPaise: ZMoney,
  allocations: z.array(ZBillAllocation),
  narration: z.string().optional(),
  findings: z.array(ZFinding),
});

function acceptedPayload<T extends z.ZodType>(record: T) {
  return z.object({
    runId: z.string().min(1),
    source: ZSource,
    /** `<source>:<entity>:<id in the source>`; the same record imported again has the same key. */
    externalId: z.string().min(1),
    /** New to Prapti, or changed since it was last imported. */
    change: z.enum(["create", "update"]),
    /** Prapti's record, once integrations.link-external-id has recorded it. */
    internalId: z.string().nullable(),
    record,
  });
}

export const ZCustomerAcceptedPayload = acceptedPayload(ZImportedCustomerRecord);
export const ZInvoiceAcceptedPayload = acceptedPayload(ZImportedInvoiceRecord);
export const ZPaymentAcceptedPayload = acceptedPayload(ZImportedPaymentRecord);
export const ZCreditNoteAcceptedPayload = acceptedPayload(ZImportedCreditNoteRecord);

/** Event type -> payload schema, as the module registers them. */
export const IMPORT_EVENT_SCHEMAS: Record<ImportEventType, z.ZodType> = {
  "import.customer-accepted": ZCustomerAcceptedPayload,
  "import.invoice-accepted": ZInvoiceAcceptedPayload,
  "import.payment-accepted": ZPaymentAcceptedPayload,
  "import.credit-note-accepted": ZCreditNoteAcceptedPayload,
};
