import type { FieldIssue } from "../../kernel/app-error.ts";
import type { Paise } from "../../kernel/money.ts";

/**
 * Neutral shapes of what other systems export, before anything is written: each record carries the source's own
 * id as `externalId` (re-imports are idempotent on it) and the findings about it (problems that did not stop the
 * import, e.g. a malformed GSTIN on a Tally ledger).
 */

export type ImportSource = "csv" | "tally" | "zoho-books";

/** A calendar date written YYYY-MM-DD. */
export type CalendarDate = string;

export interface ImportedCustomer {
  externalId: string;
  source: ImportSource;
  name: string;
  gstin?: string;
  pan?: string;
  email?: string;
  phone?: string;
  /** Two-digit GST state code. */
  stateCode?: string;
  addressLines: string[];
  city?: string;
  pincode?: string;
  creditDays?: number;
  /** Receivable at the start (positive: the customer owes us). */
  openingBalancePaise?: Paise;
  /** Tally group or Zoho contact type, kept to decide whether the party is a customer. */
  group?: string;
  findings: FieldIssue[];
}

export interface ImportedInvoiceLine {
  description: string;
  hsnOrSac?: string;
  /** Decimal text as given ("2", "1.5"). */
  quantity?: string;
  taxableValuePaise?: Paise;
  taxRateBasisPoints?: number;
}

export interface ImportedInvoice {
  externalId: string;
  source: ImportSource;
  number: string;
  customerExternalId?: string;
  customerName: string;
  customerGstin?: string;
  issueDate: CalendarDate;
  dueDate?: CalendarDate;
  currency: string;
  taxableValuePaise: Paise;
  cgstPaise: Paise;
  sgstPaise: Paise;
  igstPaise: Paise;
  cessPaise: Paise;
  roundOffPaise: Paise;
  totalPaise: Paise;
  /** Still unpaid according to the source, when it says. */
  balancePaise?: Paise;
  status?: string;
  /** Two-digit GST state code of the place of supply. */
  placeOfSupply?: string;
  lines: ImportedInvoiceLine[];
  findings: FieldIssue[];
}

export interface BillAllocation {
  /** Invoice number (Tally bill name) the amount is set against. */
  reference: string;
  /** "New Ref", "Agst Ref", "Advance", "On Account". */
  kind?: string;
  amountPaise: Paise;
}

export interface ImportedPayment {
  externalId: string;
  source: ImportSource;
  date: CalendarDate;
  /** Money received (bank or cash side). */
  amountPaise: Paise;
  /** Income-tax TDS the customer deducted, when the source books it on the receipt. */
  tdsPaise: Paise;
  method?: string;
  reference?: string;
  customerExternalId?: string;
  customerName: string;
  /** Credited to the party in total (cash + TDS + discounts). */
  settledPaise: Paise;
  allocations: BillAllocation[];
  narration?: string;
  findings: FieldIssue[];
}

export interface ImportedCreditNote {
  externalId: string;
  source: ImportSource;
  number: string;
  date: CalendarDate;
  customerName: string;
  customerExternalId?: string;
  amountPaise: Paise;
  allocations: BillAllocation[];
  narration?: string;
  findings: FieldIssue[];
}
