import { AppError } from "../../kernel/app-error.ts";
import type { FieldIssue } from "../../kernel/app-error.ts";
import { addDays, daysBetween, isCalendarDate } from "./calendar-date.ts";
import type { CalendarDate } from "./calendar-date.ts";
import { INVOICING_EVENT_TYPES, toPaiseText } from "./invoice.events.ts";
import type { InvoicingEvent } from "./invoice.events.ts";
import type { Invoice } from "./invoice.schemas.ts";
import { calculateOutstanding } from "./settlement.ts";

/**
 * Due dates under the contract and under the MSMED Act 2006.
 *
 * s.15: the buyer shall pay "on or before the date agreed upon between him and the supplier in writing or, where there
 * is no agreement in this behalf, before the appointed day", and the period agreed in writing shall "in no case ...
 * exceed forty-five days from the day of acceptance or the day of deemed acceptance".
 * s.2(b): the appointed day is "the day following immediately after the expiry of the period of fifteen days from the
 * day of acceptance or the day of deemed acceptance"; acceptance is the day of actual delivery (or rendering of the
 * service), or, when the buyer objects in writing within fifteen days of delivery, the day the supplier removes the
 * objection.
 * s.16: from the appointed day, or the day after the agreed date, compound interest at three times the RBI bank rate runs
 * notwithstanding any agreement, and s.24 gives these sections overriding effect. So the statutory date binds the buyer
 * whatever the contract says, and the date that applies is the earlier of the contractual and the statutory one.
 * Only micro and small enterprises holding a Udyam registration are "suppliers" (s.2(n)); medium enterprises are not, and
 * traders registered only for priority-sector lending are excluded (Ministry of MSME OM of 1 September 2021).
 * Day count: "fifteen days from" excludes the day of acceptance (General Clauses Act 1897 s.9); published examples
 * disagree, so "include-first-day" is available.
 */

export type DayCount = "exclude-first-day" | "include-first-day";

export interface SupplierMsmeProfile {
  category: "micro" | "small" | "medium" | null;
  udyamRegistered: boolean;
  /** Retail or wholesale trader registered on Udyam only for priority-sector lending. */
  isTrader?: boolean;
}

export type StatutoryBasis = "agreed-in-writing" | "capped-at-45-days" | "no-written-agreement";

export interface StatutoryDueDate {
  acceptanceDate: CalendarDate;
  /** True when no delivery date was given and the invoice date stood in for it. */
  acceptanceAssumed: boolean;
  basis: StatutoryBasis;
  /** Last day to pay without s.16 interest. */
  dueDate: CalendarDate;
  /** First day of interest under s.16 (the appointed day when there is no written agreement). */
  interestFrom: CalendarDate;
}

export interface DueDates {
  contractualDueDate: CalendarDate;
  /** Null when the MSMED Act does not apply, or an objection is still open (see `msmed`). */
  statutory: StatutoryDueDate | null;
  msmed:
    | { applies: true }
    | { applies: false; reason: "not-micro-or-small" | "not-registered" | "trader" | "objection-pending" };
  applicableDueDate: CalendarDate;
  /** Which date applies: the statutory one when it is the earlier or the same. */
  governedBy: "contract" | "msmed-act";
}

/** Statutory maximum for written terms and the period when there are none (MSMED Act ss.15, 2(b)). */
export const MSMED_MAX_AGREED_DAYS = 45;
export const MSMED_DEFAULT_DAYS = 15;

function periodEnd(start: CalendarDate, days: number, dayCount: DayCount): CalendarDate {
  return addDays(start, dayCount === "exclude-first-day" ? days : days - 1);
}

export function calculateDueDates(options: {
  invoiceDate: CalendarDate;
  creditDays: number;
  agreedInWriting: boolean;
  supplier: SupplierMsmeProfile;
  /** Day of actual delivery of goods or rendering of services; the invoice date when absent. */
  deliveryDate?: CalendarDate;
  /** A written objection by the buyer; it only matters when raised within fifteen days of delivery. */
  objection?: { raisedOn: CalendarDate; removedOn?: CalendarDate };
  dayCount?: DayCount;
}): DueDates {
  const issues: FieldIssue[] = [];
  const dates: Array<[string, string | undefined]> = [
    ["invoiceDate", options.invoiceDate],
    ["deliveryDate", options.deliveryDate],
    ["objection.raisedOn", options.objection?.raisedOn],
    ["objection.removedOn", options.objection?.removedOn],
  ];
  for (const [field, value] of dates) {
    if (value !== undefined && !isCalendarDate(value))
      issues.push({ field, reason: "is a date in YYYY-MM-DD form" });
  }
  if (!Number.isInteger(options.creditDays) || options.creditDays < 0) {
    issues.push({ field: "creditDays", reason: "is a whole number of days, zero or more" });
  }
  if (
    options.deliveryDate !== undefined &&
    options.objection &&
    options.objection.raisedOn < options.deliveryDate
  ) {
    issues.push({ field: "objection.raisedOn", reason: "is before the delivery" });
  }
  if (
    options.objection?.removedOn !== undefined &&
    options.objection.removedOn < options.objection.raisedOn
  ) {
    issues.push({ field: "objection.removedOn", reason: "is before the objection was raised" });
  }
  if (issues.length > 0) throw AppError.invalidInput(issues);

  const dayCount = options.dayCount ?? "exclude-first-day";
  const contractualDueDate = addDays(options.invoiceDate, options.creditDays);
  const contractOnly = (
    reason: "not-micro-or-small" | "not-registered" | "trader" | "objection-pending",
  ): DueDates => ({
    contractualDueDate,
    statutory: null,
    msmed: { applies: false, reason },
    applicableDueDate: contractualDueDate,
    governedBy: "contract",
  });

  const { supplier } = options;
  if (supplier.category !== "micro" && supplier.category !== "small")
    return contractOnly("not-micro-or-small");
  if (!supplier.udyamRegistered) return contractOnly("not-registered");
  if (supplier.isTrader === true) return contractOnly("trader");

  const delivery = options.deliveryDate ?? options.invoiceDate;
  let acceptanceDate = delivery;
  const objection = options.objection;
  if (objection && objection.raisedOn <= addDays(delivery, MSMED_DEFAULT_DAYS)) {
    if (objection.removedOn === undefined) return contractOnly("objection-pending");
    acceptanceDate = objection.removedOn;
  }

  let basis: StatutoryBasis;
  let dueDate: CalendarDate;
  if (!options.agreedInWriting) {
    basis = "no-written-agreement";
    dueDate = periodEnd(acceptanceDate, MSMED_DEFAULT_DAYS, dayCount);
  } else {
    const cap = periodEnd(acceptanceDate, MSMED_MAX_AGREED_DAYS, dayCount);
    basis = contractualDueDate <= cap ? "agreed-in-writing" : "capped-at-45-days";
    dueDate = contractualDueDate <= cap ? contractualDueDate : cap;
  }
  const statutory: StatutoryDueDate = {
    acceptanceDate,
    acceptanceAssumed: options.deliveryDate === undefined,
    basis,
    dueDate,
    interestFrom: addDays(dueDate, 1),
  };
  const governedBy = dueDate <= contractualDueDate ? "msmed-act" : "contract";
  return {
    contractualDueDate,
    statutory,
    msmed: { applies: true },
    applicableDueDate: governedBy === "msmed-act" ? dueDate : contractualDueDate,
    governedBy,
  };
}

export type Dueness =
  | { state: "not-due"; daysUntilDue: number }
  | { state: "due-soon"; daysUntilDue: number }
  | { state: "overdue"; daysOverdue: number };

/** Where a due date stands on a day: due soon within `dueSoonDays` (the due day itself counts as 0 days). */
export function classifyDueness(options: {
  dueDate: CalendarDate;
  today: CalendarDate;
  dueSoonDays?: number;
}): Dueness {
  const days = daysBetween(options.today, options.dueDate);
  if (days < 0) return { state: "overdue", daysOverdue: -days };
  if (days <= (options.dueSoonDays ?? 3)) return { state: "due-soon", daysUntilDue: days };
  return { state: "not-due", daysUntilDue: days };
}

const OPEN_STATUSES = new Set(["issued", "partially_paid", "disputed"]);

/**
 * The due-soon or overdue event an invoice deserves today, or null: only open invoices with money outstanding and a
 * due date qualify. The caller decides how often to publish (e.g. once per state change).
 */
export function checkInvoiceDueness(options: {
  invoice: Invoice;
  today: CalendarDate;
  dueSoonDays?: number;
}): InvoicingEvent | null {
  const { invoice, today } = options;
  if (!OPEN_STATUSES.has(invoice.status) || invoice.dueDate === undefined || invoice.amounts === undefined)
    return null;
  const outstanding = calculateOutstanding({
    totalPaise: invoice.amounts.totalPaise,
    settlement: invoice.settlement,
  });
  if (outstanding <= 0n) return null;
  const dueness = classifyDueness({
    dueDate: invoice.dueDate,
    today,
    ...(options.dueSoonDays !== undefined ? { dueSoonDays: options.dueSoonDays } : {}),
  });
  const ref = {
    invoiceId: invoice.id,
    invoiceNumber: invoice.number,
    customerId: invoice.buyer.customerId ?? null,
    dueDate: invoice.dueDate,
    outstandingPaise: toPaiseText(outstanding),
    asOf: today,
  };
  switch (dueness.state) {
    case "overdue":
      return { type: INVOICING_EVENT_TYPES.overdue, payload: { ...ref, daysOverdue: dueness.daysOverdue } };
    case "due-soon":
      return { type: INVOICING_EVENT_TYPES.dueSoon, payload: { ...ref, daysUntilDue: dueness.daysUntilDue } };
    case "not-due":
      return null;
  }
}
