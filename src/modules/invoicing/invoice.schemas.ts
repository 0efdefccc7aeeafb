import { z } from "zod";
import { findIndiaState } from "../../kernel/india-states.ts";
import type { Paise } from "../../kernel/money.ts";
import { isCalendarDate } from "./calendar-date.ts";
import type { CalendarDate } from "./calendar-date.ts";
import { normalizeQuantity, quantityProblem } from "./quantity.ts";
import type { QuantityText } from "./quantity.ts";
import { isUnitQuantityCode } from "./unit-codes.data.ts";

/**
 * Supply types, named by their e-invoice / GSTR-1 codes:
 * B2B registered buyer; B2C unregistered buyer; SEZWP / SEZWOP supply to an SEZ unit or developer with / without
 * payment of IGST; EXPWP / EXPWOP export with / without payment of IGST; DEXP deemed export (CGST s.147).
 */
export const SUPPLY_TYPES = ["B2B", "B2C", "SEZWP", "SEZWOP", "EXPWP", "EXPWOP", "DEXP"] as const;
export type SupplyType = (typeof SUPPLY_TYPES)[number];

export const INVOICE_STATUSES = [
  "draft",
  "issued",
  "partially_paid",
  "paid",
  "disputed",
  "written_off",
  "cancelled",
] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/** Cancellation reasons, as the IRP numbers them (1 duplicate, 2 data entry mistake, 3 order cancelled, 4 other). */
export const CANCELLATION_REASONS = ["duplicate", "data-entry-mistake", "order-cancelled", "other"] as const;
export type CancellationReason = (typeof CANCELLATION_REASONS)[number];

/** Why a credit or debit note is issued (CGST s.34). */
export const NOTE_REASONS = [
  "sales-return",
  "post-sale-discount",
  "deficiency-in-service",
  "correction-in-invoice",
  "change-in-place-of-supply",
  "finalisation-of-provisional-assessment",
  "other",
] as const;
export type NoteReason = (typeof NOTE_REASONS)[number];

/** Integer paise from a bigint, a safe integer or a string of digits. */
export const ZPaise = z
  .union([z.bigint(), z.int(), z.string().regex(/^-?\d+$/, { error: "is a whole number of paise" })], {
    error: "is a whole number of paise (bigint, integer or digit string)",
  })
  .transform((value): Paise => BigInt(value));

/** Non-negative integer paise. */
export const ZAmountPaise = ZPaise.refine((value) => value >= 0n, { error: "must not be negative" });

export const ZCalendarDate = z
  .string()
  .refine((value): value is CalendarDate => isCalendarDate(value), { error: "is a date in YYYY-MM-DD form" });

/** A GST state code usable as place of supply ("27"; "96" outside India). */
export const ZStateCode = z
  .string()
  .transform((value) => value.trim().padStart(2, "0"))
  .refine((value) => findIndiaState(value)?.placeOfSupply === true, {
    error: "is not a GST state code (01-38, 97, or 96 for outside India)",
  });

/**
 * GSTIN text as the e-invoice schema checks it: two digits and 13 letters or digits. The check character and
 * the embedded PAN are verified by verifyInvoice and before issuing, so a mistyped GSTIN on an imported invoice can
 * still be loaded and reported rather than refused outright.
 */
export const ZGstinText = z
  .string()
  .transform((value) => value.trim().toUpperCase())
  .pipe(
    z.string().regex(/^[0-9]{2}[0-9A-Z]{13}$/, { error: "a GSTIN is two digits and 13 letters or digits" }),
  );

/**
 * Invoice number per CGST Rules rule 46(b): a consecutive serial number of at most 16 characters made of letters,
 * digits, hyphen "-" and slash "/", unique for a financial year.
 */
export const ZDocumentNumber = z
  .string()
  .transform((value) => value.trim())
  .pipe(
    z
      .string()
      .min(1, { error: "must not be empty" })
      .max(16, { error: "rule 46(b): at most 16 characters" })
      .regex(/^[A-Za-z0-9/-]+$/, { error: "rule 46(b): only letters, digits, hyphen (-) and slash (/)" }),
  );

/** HSN (goods) or SAC (services, starting "99") code: 2, 4, 6 or 8 digits. */
export const ZHsnSac = z
  .string()
  .transform((value) => value.trim())
  .pipe(z.string().regex(/^[0-9]{2}(?:[0-9]{2}){0,3}$/, { error: "an HSN/SAC code is 2, 4, 6 or 8 digits" }));

export const ZQuantity = z.union([z.string(), z.number()]).transform((value, ctx): QuantityText => {
  const problem = quantityProblem(value);
  if (problem !== null) {
    ctx.issues.push({ code: "custom", message: problem, input: value });
    return z.NEVER;
  }
  return normalizeQuantity(value);
});

export const ZUnitCode = z
  .string()
  .transform((value) => value.trim().toUpperCase())
  .refine(isUnitQuantityCode, { error: "is not a GST unit quantity code (UQC) such as NOS, KGS, MTR" });

function text(min: number, max: number) {
  return z
    .string()
    .transform((value) => value.trim().replace(/\s+/g, " "))
    .pipe(
      z
        .string()
        .min(min, { error: `must have at least ${min} characters` })
        .max(max, { error: `must have at most ${max} characters` }),
    );
}

export const ZInvoiceAddress = z
  .object({
    line1: text(1, 100),
    line2: text(1, 100).optional(),
    city: text(1, 50),
    pinCode: z
      .string()
      .trim()
      .regex(/^[1-9][0-9]{5}$/, { error: "a PIN code is six digits and does not start with 0" })
      .optional(),
    stateCode: ZStateCode,
    country: z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^[A-Z]{2}$/, { error: "is an ISO 3166-1 two-letter country code" })
      .default("IN"),
  })
  .superRefine((address, ctx) => {
    if (address.country === "IN" && address.pinCode === undefined) {
      ctx.addIssue({ code: "custom", path: ["pinCode"], message: "an address in India needs a PIN code" });
    }
    if ((address.country === "IN") === (address.stateCode === "96")) {
      ctx.addIssue({
        code: "custom",
        path: ["stateCode"],
        message: "state code 96 (Other Countries) goes with, and only with, an address abroad",
      });
    }
  });
export type InvoiceAddress = z.output<typeof ZInvoiceAddress>;

export const ZSupplier = z.object({
  legalName: text(3, 100),
  tradeName: text(3, 100).optional(),
  gstin: ZGstinText,
  address: ZInvoiceAddress,
  email: z.email().optional(),
  phone: z.string().trim().max(20).optional(),
  /** Name of the signatory printed under the signature line. */
  signatory: text(1, 100).optional(),
});
export type Supplier = z.output<typeof ZSupplier>;

export const ZBuyer = z.object({
  /** Link to the customers module's record, when there is one. */
  customerId: z.string().min(1).max(100).optional(),
  legalName: text(3, 100),
  tradeName: text(3, 100).optional(),
  /** Required for B2B, SEZ and deemed exports; absent for B2C and exports. */
  gstin: ZGstinText.optional(),
  address: ZInvoiceAddress,
  email: z.email().optional(),
  phone: z.string().trim().max(20).optional(),
});
export type Buyer = z.output<typeof ZBuyer>;

export const ZInvoiceLine = z.object({
  description: text(1, 300),
  hsnSac: ZHsnSac.optional(),
  /** Derived from the code when absent: SAC codes start with 99. */
  isService: z.boolean().optional(),
  quantity: ZQuantity,
  unit: ZUnitCode.optional(),
  unitPricePaise: ZAmountPaise,
  /** Discount on this line in paise, taken off before tax (CGST s.15(3)(a)). */
  discountPaise: ZAmountPaise.default(0n),
  /** Combined GST rate in basis points (1800 = 18%): the IGST rate, or CGST + SGST/UTGST together. */
  gstRateBasisPoints: z.int({ error: "is a whole number of basis points (1800 = 18%)" }).min(0).max(10_000),
  /** Ad valorem compensation cess in basis points. */
  cessRateBasisPoints: z.int().min(0).max(50_000).default(0),
});
export type InvoiceLine = z.output<typeof ZInvoiceLine>;
export type InvoiceLineInput = z.input<typeof ZInvoiceLine>;

/** Amounts of one line as recorded on the document (computed when issued in Prapti, or imported). */
export const ZLineAmounts = z.object({
  taxableValuePaise: ZAmountPaise,
  cgstPaise: ZAmountPaise.default(0n),
  sgstPaise: ZAmountPaise.default(0n),
  utgstPaise: ZAmountPaise.default(0n),
  igstPaise: ZAmountPaise.default(0n),
  cessPaise: ZAmountPaise.default(0n),
  totalPaise: ZAmountPaise,
});
export type LineAmounts = z.output<typeof ZLineAmounts>;

export const ZDocumentAmounts = z.object({
  lines: z.array(ZLineAmounts),
  taxableValuePaise: ZAmountPaise,
  cgstPaise: ZAmountPaise.default(0n),
  sgstPaise: ZAmountPaise.default(0n),
  utgstPaise: ZAmountPaise.default(0n),
  igstPaise: ZAmountPaise.default(0n),
  cessPaise: ZAmountPaise.default(0n),
  nonTaxableChargesPaise: ZAmountPaise.default(0n),
  /** Between -50 and +50 paise when rounded to the rupee (s.170); may be negative. */
  roundOffPaise: ZPaise.default(0n),
  totalPaise: ZAmountPaise,
});
export type DocumentAmounts = z.output<typeof ZDocumentAmounts>;

export const ZEinvoiceReference = z.object({
  irn: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[0-9a-f]{64}$/, { error: "an IRN is 64 hexadecimal characters" }),
  ackNumber: z.string().trim().max(20).optional(),
  ackDate: z.string().trim().max(30).optional(),
  /** Signed QR code text returned by the IRP, printed as a QR code on the invoice (rule 48(4)). */
  signedQrCode: z.string().min(1).optional(),
});
export type EinvoiceReference = z.output<typeof ZEinvoiceReference>;

export const ZExportDetails = z.object({
  countryCode: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{2}$/, { error: "is an ISO 3166-1 two-letter country code" }),
  shippingBillNumber: z.string().trim().max(20).optional(),
  shippingBillDate: ZCalendarDate.optional(),
  portCode: z.string().trim().max(10).optional(),
  /** ISO 4217 code of the currency the buyer is billed in, when not INR. */
  foreignCurrency: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{3}$/)
    .optional(),
});
export type ExportDetails = z.output<typeof ZExportDetails>;

export const ZPaymentTerms = z.object({
  creditDays: z.int().min(0).max(3650),
  agreedInWriting: z.boolean().default(false),
});
export type PaymentTerms = z.output<typeof ZPaymentTerms>;

export const ZSettlement = z.object({
  paidPaise: ZAmountPaise.default(0n),
  creditedPaise: ZAmountPaise.default(0n),
  debitedPaise: ZAmountPaise.default(0n),
  writtenOffPaise: ZAmountPaise.default(0n),
});
export type Settlement = z.output<typeof ZSettlement>;

const ZTimestamp = z.iso.datetime({ offset: true });

export const ZInvoice = z.object({
  id: z.string().min(1).max(100),
  number: ZDocumentNumber,
  issueDate: ZCalendarDate,
  supplyType: z.enum(SUPPLY_TYPES),
  /** Tax payable by the recipient under reverse charge (rule 46(p)). */
  reverseCharge: z.boolean().default(false),
  /** Place of supply state code; decides IGST versus CGST + SGST/UTGST together with the supplier's GSTIN. */
  placeOfSupply: ZStateCode,
  /** IGST on an intra-State supply where the law says so (IGST Act s.7(5)(c), e.g. some SEZ-related supplies). */
  igstOnIntra: z.boolean().default(false),
  supplier: ZSupplier,
  buyer: ZBuyer,
  /** Delivery address when different from the buyer's (rule 46(n)). */
  shipTo: z.object({ name: text(3, 100).optional(), address: ZInvoiceAddress }).optional(),
  lines: z.array(ZInvoiceLine).min(1, { error: "an invoice needs at least one line" }).max(1000),
  /** Amounts outside the value of supply (e.g. pure-agent reimbursements, CGST Rules rule 33); not taxed. */
  nonTaxableChargesPaise: ZAmountPaise.default(0n),
  /** Round the total to the nearest rupee (CGST s.170), showing the difference as round-off. */
  roundTotal: z.boolean().default(true),
  terms: ZPaymentTerms.optional(),
  dueDate: ZCalendarDate.optional(),
  einvoice: ZEinvoiceReference.optional(),
  export: ZExportDetails.optional(),
  status: z.enum(INVOICE_STATUSES).default("draft"),
  amounts: ZDocumentAmounts.optional(),
  settlement: ZSettlement.default({
    paidPaise: 0n,
    creditedPaise: 0n,
    debitedPaise: 0n,
    writtenOffPaise: 0n,
  }),
  dispute: z.object({ reason: text(1, 500), raisedAt: ZTimestamp }).optional(),
  cancellation: z
    .object({ reason: z.enum(CANCELLATION_REASONS), remark: text(1, 100), cancelledAt: ZTimestamp })
    .optional(),
  issuedAt: ZTimestamp.optional(),
  notes: z.string().max(2000).optional(),
});
export type Invoice = z.output<typeof ZInvoice>;
export type InvoiceInput = z.input<typeof ZInvoice>;

/** A credit note (value or tax reduced, goods returned) or debit note (value or tax increased), CGST s.34. */
export const ZNote = z.object({
  id: z.string().min(1).max(100),
  kind: z.enum(["credit", "debit"]),
  number: ZDocumentNumber,
  issueDate: ZCalendarDate,
  invoiceId: z.string().min(1).max(100),
  reason: z.enum(NOTE_REASONS),
  lines: z.array(ZInvoiceLine).min(1, { error: "a note needs at least one line" }).max(1000),
  roundTotal: z.boolean().default(true),
  amounts: ZDocumentAmounts.optional(),
  einvoice: ZEinvoiceReference.optional(),
  notes: z.string().max(2000).optional(),
});
export type Note = z.output<typeof ZNote>;
export type NoteInput = z.input<typeof ZNote>;
