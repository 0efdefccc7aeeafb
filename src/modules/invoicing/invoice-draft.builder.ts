import { AppError } from "../../kernel/app-error.ts";
import type { FieldIssue } from "../../kernel/app-error.ts";
import { addDays, daysBetween, financialYearOf, isCalendarDate } from "./calendar-date.ts";
import type { CalendarDate } from "./calendar-date.ts";
import { calculateDueDates } from "./due-date.calculator.ts";
import { parseInvoice } from "./invoice.parser.ts";
import { isUuid, type DueDateSet, type InvoiceRecord } from "./invoice.repository.ts";
import type { Invoice } from "./invoice.schemas.ts";
import { INVOICE_DRAFT_FIELDS } from "./invoice.views.ts";
import type { InvoicingSettings } from "./invoicing-settings.repository.ts";
import { calculateInvoiceTax, toDocumentAmounts, type DocumentTax } from "./tax.calculator.ts";

/** A draft as the caller describes it: the draft fields of the wire input (paise as text or bigint). */
export type DraftFields = Partial<Record<(typeof INVOICE_DRAFT_FIELDS)[number], unknown>>;

export interface BuiltDraft {
  /** The domain invoice with its computed amounts and the due date that applies. */
  invoice: Invoice;
  tax: DocumentTax;
  financialYear: string;
  customerId: string | null;
  dueDates: DueDateSet;
  deliveryDate: CalendarDate | null;
}

/**
 * Due dates of an invoice: the contractual one (the agreed date, or the invoice date plus the credit days) and,
 * for a micro or small supplier registered on Udyam, the MSMED Act's (ss.15, 2(b)); the earlier applies.
 * Without terms or an agreed date there is no due date.
 */
export function dueDatesOf(options: {
  invoice: Invoice;
  explicitDueDate: CalendarDate | undefined;
  deliveryDate: CalendarDate | undefined;
  settings: InvoicingSettings;
}): DueDateSet {
  const { invoice, explicitDueDate } = options;
  const terms = invoice.terms;
  if (explicitDueDate === undefined && terms === undefined) {
    return { contractual: null, statutory: null, applicable: null, basis: null };
  }
  const creditDays =
    explicitDueDate !== undefined
      ? Math.max(0, daysBetween(invoice.issueDate, explicitDueDate))
      : (terms?.creditDays ?? 0);
  const dates = calculateDueDates({
    invoiceDate: invoice.issueDate,
    creditDays,
    agreedInWriting: terms?.agreedInWriting ?? false,
    supplier: options.settings.supplierMsme ?? { category: null, udyamRegistered: false },
    ...(options.deliveryDate !== undefined ? { deliveryDate: options.deliveryDate } : {}),
  });
  const contractual = explicitDueDate ?? dates.contractualDueDate;
  const statutory = dates.statutory?.dueDate ?? null;
  const msmedWins = statutory !== null && statutory < contractual;
  return {
    contractual,
    statutory,
    applicable: msmedWins ? statutory : contractual,
    basis: msmedWins ? "msmed-act" : explicitDueDate !== undefined ? "explicit" : "contract",
  };
}

/**
 * Validates a draft and computes it: the domain parser names every bad field, the tax calculator gives the
 * amounts (a caller's `totalPaise` that differs is refused) and the due dates follow from the terms.
 */
export function buildDraft(options: {
  id: string;
  fields: DraftFields;
  expectedTotalPaise?: string | undefined;
  settings: InvoicingSettings;
}): BuiltDraft {
  const { fields, settings } = options;
  const supplier = fields.supplier ?? settings.supplier ?? undefined;
  const issues: FieldIssue[] = [];
  if (supplier === undefined) {
    issues.push({
      field: "supplier",
      reason: "is required: give it, or set the organisation's details in the invoicing settings",
    });
  }
  const buyer = fields.buyer as { customerId?: unknown } | undefined;
  if (
    buyer?.customerId !== undefined &&
    (typeof buyer.customerId !== "string" || !isUuid(buyer.customerId))
  ) {
    issues.push({ field: "buyer.customerId", reason: "is a customer id (UUID)" });
  }
  let invoice: Invoice;
  try {
    invoice = parseInvoice({
      id: options.id,
      number: fields.number,
      issueDate: fields.issueDate,
      supplyType: fields.supplyType,
      ...(fields.reverseCharge !== undefined ? { reverseCharge: fields.reverseCharge } : {}),
      placeOfSupply: fields.placeOfSupply,
      ...(fields.igstOnIntra !== undefined ? { igstOnIntra: fields.igstOnIntra } : {}),
      supplier: supplier ?? {},
      buyer: fields.buyer,
      ...(fields.shipTo !== undefined ? { shipTo: fields.shipTo } : {}),
      lines: fields.lines,
      ...(fields.nonTaxableChargesPaise !== undefined
        ? { nonTaxableChargesPaise: fields.nonTaxableChargesPaise }
        : {}),
      ...(fields.roundTotal !== undefined ? { roundTotal: fields.roundTotal } : {}),
      ...(fields.terms !== undefined ? { terms: fields.terms } : {}),
      ...(fields.dueDate !== undefined ? { dueDate: fields.dueDate } : {}),
      ...(fields.export !== undefined ? { export: fields.export } : {}),
      ...(fields.einvoice !== undefined ? { einvoice: fields.einvoice } : {}),
      ...(fields.notes !== undefined ? { notes: fields.notes } : {}),
      status: "draft",
    });
  } catch (error) {
    if (error instanceof AppError && error.code === "INVALID_INPUT") {
      const named =
        supplier === undefined
          ? error.issues.filter((issue) => !issue.field.startsWith("supplier"))
          : error.issues;
      throw AppError.invalidInput([...issues, ...named]);
    }
    throw error;
  }
  if (
    fields.deliveryDate !== undefined &&
    (typeof fields.deliveryDate !== "string" || !isCalendarDate(fields.deliveryDate))
  ) {
    issues.push({ field: "deliveryDate", reason: "is a date in YYYY-MM-DD form" });
  }
  if (issues.length > 0) throw AppError.invalidInput(issues);

  const tax = calculateInvoiceTax({ invoice });
  if (options.expectedTotalPaise !== undefined && BigInt(options.expectedTotalPaise) !== tax.totalPaise) {
    throw AppError.invalidInput([
      {
        field: "totalPaise",
        reason: `is ${options.expectedTotalPaise} but the lines compute to ${tax.totalPaise.toString()} paise; amounts are computed, not entered`,
      },
    ]);
  }
  const deliveryDate = (fields.deliveryDate as CalendarDate | undefined) ?? null;
  const explicitDueDate = invoice.dueDate;
  const dueDates = dueDatesOf({
    invoice,
    explicitDueDate,
    deliveryDate: deliveryDate ?? undefined,
    settings,
  });
  const { dueDate: _explicit, ...withoutDueDate } = invoice;
  const computed: Invoice = {
    ...withoutDueDate,
    ...(dueDates.applicable !== null ? { dueDate: dueDates.applicable } : {}),
    amounts: toDocumentAmounts(tax),
  };
  const customerId = typeof buyer?.customerId === "string" ? buyer.customerId : null;
  return {
    invoice: computed,
    tax,
    financialYear: financialYearOf(invoice.issueDate),
    customerId,
    dueDates,
    deliveryDate,
  };
}

/** A stored draft as draft fields again (paise stay bigint), to apply changes to it. */
export function draftFieldsOf(record: InvoiceRecord): DraftFields {
  const { invoice } = record;
  const { customerId: _customerId, ...buyer } = invoice.buyer;
  // The caller agreed a date when the contractual one is not simply the invoice date plus the credit days.
  const fromTerms = invoice.terms === undefined ? null : addDays(invoice.issueDate, invoice.terms.creditDays);
  const contractual = record.dueDates.contractual;
  const explicitDueDate = contractual !== null && contractual !== fromTerms ? contractual : undefined;
  return Object.fromEntries(
    Object.entries({
      number: invoice.number,
      issueDate: invoice.issueDate,
      supplyType: invoice.supplyType,
      reverseCharge: invoice.reverseCharge,
      placeOfSupply: invoice.placeOfSupply,
      igstOnIntra: invoice.igstOnIntra,
      supplier: invoice.supplier,
      buyer: record.customerId === null ? buyer : { ...buyer, customerId: record.customerId },
      shipTo: invoice.shipTo,
      lines: invoice.lines,
      nonTaxableChargesPaise: invoice.nonTaxableChargesPaise,
      roundTotal: invoice.roundTotal,
      terms: invoice.terms,
      dueDate: explicitDueDate,
      deliveryDate: record.deliveryDate ?? undefined,
      export: invoice.export,
      einvoice: invoice.einvoice,
      notes: invoice.notes,
    }).filter(([, value]) => value !== undefined),
  );
}
