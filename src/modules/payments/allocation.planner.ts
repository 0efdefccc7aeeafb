import { AppError, type FieldIssue } from "../../kernel/app-error.ts";
import type { Paise } from "../../kernel/money.ts";
import { isIsoDate, type IsoDate } from "./calendar-date.ts";
import { formatInr } from "./amounts.ts";
import type { PaymentAllocatedPayload, PaymentReversedPayload } from "./payment.events.ts";
import {
  DEFAULT_SHORT_PAYMENT_TOLERANCE,
  shortPaymentAllowance,
  type ShortPaymentTolerance,
} from "./short-payment.policy.ts";
import { TDS_SECTIONS, type TdsSection } from "./tds-rates.data.ts";
import {
  makeTdsReceivableEntry,
  reverseTdsReceivableEntry,
  type TdsReceivableEntry,
} from "./tds-receivable.ledger.ts";

/** A receipt of money from a customer and how much of its cash is already allocated. */
export interface ReceiptBalance {
  id: string;
  customerId: string;
  receivedOn: IsoDate;
  amountPaise: Paise;
  allocatedCashPaise: Paise;
  status: "active" | "reversed";
}

/** What the payments module needs to know about an invoice to settle it. */
export interface InvoiceBalance {
  id: string;
  number?: string;
  customerId: string;
  openPaise: Paise;
}

/** One requested settlement of one invoice. Every part is an exact, non-negative amount in paise. */
export interface AllocationRequestLine {
  invoiceId: string;
  cashPaise: Paise;
  incomeTaxTdsPaise?: Paise;
  gstTdsPaise?: Paise;
  writeOffPaise?: Paise;
  tdsSection?: TdsSection;
  writeOffReason?: string;
  /** A write-off above the tenant's tolerance needs someone's approval. */
  writeOffApproved?: boolean;
}

export interface PlannedAllocationLine {
  invoiceId: string;
  cashPaise: Paise;
  incomeTaxTdsPaise: Paise;
  gstTdsPaise: Paise;
  writeOffPaise: Paise;
  settledPaise: Paise;
  openBeforePaise: Paise;
  openAfterPaise: Paise;
  tdsSection?: TdsSection;
  writeOffReason?: string;
}

export interface AllocationPlan {
  receiptId: string;
  customerId: string;
  date: IsoDate;
  lines: PlannedAllocationLine[];
  cashPaise: Paise;
  incomeTaxTdsPaise: Paise;
  gstTdsPaise: Paise;
  writeOffPaise: Paise;
  settledPaise: Paise;
  unallocatedBeforePaise: Paise;
  /** Cash left on the receipt after the plan: the customer's credit. */
  unallocatedAfterPaise: Paise;
}

export interface Allocation {
  id: string;
  receiptId: string;
  customerId: string;
  invoiceId: string;
  date: IsoDate;
  cashPaise: Paise;
  incomeTaxTdsPaise: Paise;
  gstTdsPaise: Paise;
  writeOffPaise: Paise;
  settledPaise: Paise;
  tdsSection?: TdsSection;
  writeOffReason?: string;
  status: "active" | "reversed";
}

function unallocatedOf(receipt: ReceiptBalance): Paise {
  return receipt.amountPaise - receipt.allocatedCashPaise;
}

function checkReceipt(receipt: ReceiptBalance, issues: FieldIssue[]): void {
  if (receipt.status !== "active")
    issues.push({ field: "receipt.status", reason: "the receipt has been reversed" });
  if (receipt.amountPaise <= 0n)
    issues.push({ field: "receipt.amountPaise", reason: "must be more than zero" });
  if (receipt.allocatedCashPaise < 0n || receipt.allocatedCashPaise > receipt.amountPaise) {
    issues.push({
      field: "receipt.allocatedCashPaise",
      reason: "must lie between zero and the receipt amount",
    });
  }
}

/**
 * Validates a set of settlement lines for one receipt and computes the resulting balances. It refuses (listing
 * every problem) to allocate more cash than the receipt has left, to settle more than an invoice's open balance,
 * to touch another customer's invoice, to use negative parts, or to write off more than the tolerance without
 * approval. Nothing is changed: apply the plan with `applyAllocation`.
 */
export function planAllocation(options: {
  receipt: ReceiptBalance;
  invoices: readonly InvoiceBalance[];
  lines: readonly AllocationRequestLine[];
  date: IsoDate;
  tolerance?: ShortPaymentTolerance;
}): AllocationPlan {
  const { receipt, lines } = options;
  const tolerance = options.tolerance ?? DEFAULT_SHORT_PAYMENT_TOLERANCE;
  const issues: FieldIssue[] = [];
  checkReceipt(receipt, issues);
  if (!isIsoDate(options.date))
    issues.push({ field: "date", reason: "must be a calendar date written YYYY-MM-DD" });
  if (lines.length === 0)
    issues.push({ field: "lines", reason: "at least one invoice to settle is required" });
  const invoices = new Map(options.invoices.map((invoice) => [invoice.id, invoice]));
  const seen = new Set<string>();
  const planned: PlannedAllocationLine[] = [];
  lines.forEach((line, index) => {
    const at = (field: string): string => `lines.${index}.${field}`;
    const invoice = invoices.get(line.invoiceId);
    if (!invoice) {
      issues.push({
        field: at("invoiceId"),
        reason: `invoice ${line.invoiceId} is not among the open invoices given`,
      });
      return;
    }
    if (seen.has(line.invoiceId)) {
      issues.push({ field: at("invoiceId"), reason: "the same invoice appears twice; combine the lines" });
      return;
    }
    seen.add(line.invoiceId);
    if (invoice.customerId !== receipt.customerId) {
      issues.push({
        field: at("invoiceId"),
        reason: "the invoice belongs to another customer than the receipt",
      });
    }
    const parts = {
      cashPaise: line.cashPaise,
      incomeTaxTdsPaise: line.incomeTaxTdsPaise ?? 0n,
      gstTdsPaise: line.gstTdsPaise ?? 0n,
      writeOffPaise: line.writeOffPaise ?? 0n,
    };
    let partsValid = true;
    for (const [field, value] of Object.entries(parts)) {
      if (value < 0n) {
        issues.push({ field: at(field), reason: "must not be negative" });
        partsValid = false;
      }
    }
    const settledPaise = parts.cashPaise + parts.incomeTaxTdsPaise + parts.gstTdsPaise + parts.writeOffPaise;
    if (partsValid && settledPaise === 0n)
      issues.push({ field: at("cashPaise"), reason: "the line settles nothing" });
    if (invoice.openPaise <= 0n) {
      issues.push({ field: at("invoiceId"), reason: "the invoice has nothing open" });
    } else if (settledPaise > invoice.openPaise) {
      issues.push({
        field: at("cashPaise"),
        reason: `settles ${formatInr(settledPaise)} but only ${formatInr(invoice.openPaise)} is open`,
      });
    }
    if (
      parts.incomeTaxTdsPaise > 0n &&
      (line.tdsSection === undefined || !TDS_SECTIONS.includes(line.tdsSection))
    ) {
      issues.push({
        field: at("tdsSection"),
        reason: "income-tax TDS needs its section (194C, 194J, 194H, 194I or 194Q)",
      });
    }
    if (parts.writeOffPaise > 0n) {
      if (!line.writeOffReason || line.writeOffReason.trim() === "") {
        issues.push({ field: at("writeOffReason"), reason: "a write-off needs a reason" });
      }
      const allowance = shortPaymentAllowance({ tolerance, openPaise: invoice.openPaise });
      if (parts.writeOffPaise > allowance && line.writeOffApproved !== true) {
        issues.push({
          field: at("writeOffPaise"),
          reason: `write-off of ${formatInr(parts.writeOffPaise)} exceeds the tolerance of ${formatInr(allowance)} and is not approved`,
        });
      }
    }
    planned.push({
      invoiceId: invoice.id,
      ...parts,
      settledPaise,
      openBeforePaise: invoice.openPaise,
      openAfterPaise: invoice.openPaise - settledPaise,
      ...(line.tdsSection !== undefined && parts.incomeTaxTdsPaise > 0n
        ? { tdsSection: line.tdsSection }
        : {}),
      ...(parts.writeOffPaise > 0n && line.writeOffReason
        ? { writeOffReason: line.writeOffReason.trim() }
        : {}),
    });
  });
  const total = (pick: (line: PlannedAllocationLine) => Paise): Paise =>
    planned.reduce((sum, line) => sum + pick(line), 0n);
  const cashPaise = total((line) => line.cashPaise);
  const unallocatedBeforePaise = unallocatedOf(receipt);
  if (cashPaise > unallocatedBeforePaise) {
    issues.push({
      field: "lines",
      reason: `allocates ${formatInr(cashPaise)} of cash but the receipt has ${formatInr(unallocatedBeforePaise)} left`,
    });
  }
  if (issues.length > 0) throw AppError.invalidInput(issues);
  return {
    receiptId: receipt.id,
    customerId: receipt.customerId,
    date: options.date,
    lines: planned,
    cashPaise,
    incomeTaxTdsPaise: total((line) => line.incomeTaxTdsPaise),
    gstTdsPaise: total((line) => line.gstTdsPaise),
    writeOffPaise: total((line) => line.writeOffPaise),
    settledPaise: total((line) => line.settledPaise),
    unallocatedBeforePaise,
    unallocatedAfterPaise: unallocatedBeforePaise - cashPaise,
  };
}

/** Expected deductions for an invoice when the customer pays it in full. */
export interface ExpectedDeductions {
  incomeTaxTdsPaise?: Paise;
  gstTdsPaise?: Paise;
  tdsSection?: TdsSection;
}

/**
 * Proposes lines for a receipt over a customer's open invoices, oldest due first (or in the order given): each
 * invoice is settled with its expected deductions when the cash covers the rest; a shortfall within the tolerance
 * is written off; otherwise the remaining cash is a partial payment (without deductions). Cash left over stays on
 * the receipt as credit. The result is meant for `planAllocation`.
 */
export function proposeAllocationLines(options: {
  receipt: ReceiptBalance;
  invoices: readonly (InvoiceBalance & { dueDate?: IsoDate })[];
  deductions?: ReadonlyMap<string, ExpectedDeductions>;
  order?: "oldest-due-first" | "as-given";
  tolerance?: ShortPaymentTolerance;
}): AllocationRequestLine[] {
  const tolerance = options.tolerance ?? DEFAULT_SHORT_PAYMENT_TOLERANCE;
  const candidates = options.invoices.filter(
    (invoice) => invoice.customerId === options.receipt.customerId && invoice.openPaise > 0n,
  );
  if ((options.order ?? "oldest-due-first") === "oldest-due-first") {
    candidates.sort((a, b) => (a.dueDate ?? "").localeCompare(b.dueDate ?? "") || a.id.localeCompare(b.id));
  }
  let remaining = unallocatedOf(options.receipt);
  const lines: AllocationRequestLine[] = [];
  for (const invoice of candidates) {
    if (remaining <= 0n) break;
    const expected = options.deductions?.get(invoice.id);
    const incomeTax = expected?.incomeTaxTdsPaise ?? 0n;
    const gst = expected?.gstTdsPaise ?? 0n;
    const deductionsFit = incomeTax >= 0n && gst >= 0n && incomeTax + gst <= invoice.openPaise;
    const tds = deductionsFit ? { incomeTax, gst } : { incomeTax: 0n, gst: 0n };
    const cashNeeded = invoice.openPaise - tds.incomeTax - tds.gst;
    const withDeductions = (cash: Paise, writeOff: Paise): AllocationRequestLine => ({
      invoiceId: invoice.id,
      cashPaise: cash,
      ...(tds.incomeTax > 0n
        ? {
            incomeTaxTdsPaise: tds.incomeTax,
            ...(expected?.tdsSection ? { tdsSection: expected.tdsSection } : {}),
          }
        : {}),
      ...(tds.gst > 0n ? { gstTdsPaise: tds.gst } : {}),
      ...(writeOff > 0n ? { writeOffPaise: writeOff, writeOffReason: "short payment within tolerance" } : {}),
    });
    if (remaining >= cashNeeded) {
      lines.push(withDeductions(cashNeeded, 0n));
      remaining -= cashNeeded;
      continue;
    }
    const shortfall = cashNeeded - remaining;
    if (shortfall <= shortPaymentAllowance({ tolerance, openPaise: invoice.openPaise })) {
      lines.push(withDeductions(remaining, shortfall));
    } else {
      lines.push({ invoiceId: invoice.id, cashPaise: remaining });
    }
    remaining = 0n;
  }
  return lines.filter(
    (line) => line.cashPaise + (line.incomeTaxTdsPaise ?? 0n) + (line.gstTdsPaise ?? 0n) > 0n,
  );
}

/**
 * Applies a plan to the current balances. Refuses with CONFLICT when a balance moved since planning, so a stale
 * plan never over-allocates. Returns the new balances, the allocation records, the TDS-receivable entries and the
 * `payment.allocated` payload.
 */
export function applyAllocation(options: {
  plan: AllocationPlan;
  receipt: ReceiptBalance;
  invoices: readonly InvoiceBalance[];
  newId: () => string;
  /** Deductor details for the TDS-receivable ledger. */
  deductor?: { tan?: string; name?: string };
}): {
  receipt: ReceiptBalance;
  invoices: InvoiceBalance[];
  allocations: Allocation[];
  tdsEntries: TdsReceivableEntry[];
  event: PaymentAllocatedPayload;
} {
  const { plan, receipt } = options;
  if (receipt.id !== plan.receiptId || receipt.customerId !== plan.customerId) {
    throw AppError.conflict("the plan was made for another receipt", {
      receiptId: receipt.id,
      planReceiptId: plan.receiptId,
    });
  }
  if (receipt.status !== "active" || unallocatedOf(receipt) !== plan.unallocatedBeforePaise) {
    throw AppError.conflict("the receipt changed since the allocation was planned; plan again", {
      receiptId: receipt.id,
    });
  }
  const invoices = new Map(options.invoices.map((invoice) => [invoice.id, invoice]));
  const updated: InvoiceBalance[] = [];
  for (const line of plan.lines) {
    const invoice = invoices.get(line.invoiceId);
    if (!invoice || invoice.openPaise !== line.openBeforePaise || invoice.customerId !== plan.customerId) {
      throw AppError.conflict("an invoice changed since the allocation was planned; plan again", {
        invoiceId: line.invoiceId,
      });
    }
    updated.push({ ...invoice, openPaise: invoice.openPaise - line.settledPaise });
  }
  const allocations: Allocation[] = plan.lines.map((line) => ({
    id: options.newId(),
    receiptId: plan.receiptId,
    customerId: plan.customerId,
    invoiceId: line.invoiceId,
    date: plan.date,
    cashPaise: line.cashPaise,
    incomeTaxTdsPaise: line.incomeTaxTdsPaise,
    gstTdsPaise: line.gstTdsPaise,
    writeOffPaise: line.writeOffPaise,
    settledPaise: line.settledPaise,
    ...(line.tdsSection ? { tdsSection: line.tdsSection } : {}),
    ...(line.writeOffReason ? { writeOffReason: line.writeOffReason } : {}),
    status: "active",
  }));
  const tdsEntries: TdsReceivableEntry[] = [];
  for (const allocation of allocations) {
    const common = {
      customerId: allocation.customerId,
      date: receipt.receivedOn,
      receiptId: allocation.receiptId,
      allocationId: allocation.id,
      invoiceId: allocation.invoiceId,
      ...(options.deductor?.tan ? { tan: options.deductor.tan } : {}),
      ...(options.deductor?.name ? { deductorName: options.deductor.name } : {}),
    };
    if (allocation.incomeTaxTdsPaise > 0n) {
      tdsEntries.push(
        makeTdsReceivableEntry({
          id: options.newId(),
          kind: "income-tax",
          amountPaise: allocation.incomeTaxTdsPaise,
          ...(allocation.tdsSection ? { section: allocation.tdsSection } : {}),
          ...common,
        }),
      );
    }
    if (allocation.gstTdsPaise > 0n) {
      tdsEntries.push(
        makeTdsReceivableEntry({
          id: options.newId(),
          kind: "gst",
          amountPaise: allocation.gstTdsPaise,
          ...common,
        }),
      );
    }
  }
  const newReceipt: ReceiptBalance = {
    ...receipt,
    allocatedCashPaise: receipt.allocatedCashPaise + plan.cashPaise,
  };
  return {
    receipt: newReceipt,
    invoices: updated,
    allocations,
    tdsEntries,
    event: {
      receiptId: plan.receiptId,
      customerId: plan.customerId,
      date: plan.date,
      allocations: allocations.map((allocation) => ({
        allocationId: allocation.id,
        invoiceId: allocation.invoiceId,
        cashPaise: allocation.cashPaise,
        incomeTaxTdsPaise: allocation.incomeTaxTdsPaise,
        gstTdsPaise: allocation.gstTdsPaise,
        writeOffPaise: allocation.writeOffPaise,
        settledPaise: allocation.settledPaise,
        ...(allocation.tdsSection ? { tdsSection: allocation.tdsSection } : {}),
        ...(allocation.writeOffReason ? { writeOffReason: allocation.writeOffReason } : {}),
      })),
      cashPaise: plan.cashPaise,
      incomeTaxTdsPaise: plan.incomeTaxTdsPaise,
      gstTdsPaise: plan.gstTdsPaise,
      writeOffPaise: plan.writeOffPaise,
      settledPaise: plan.settledPaise,
      unallocatedPaise: newReceipt.amountPaise - newReceipt.allocatedCashPaise,
    },
  };
}

export type ReversalReason = PaymentReversedPayload["reason"];

/**
 * Undoes a receipt (a bounced cheque, a chargeback, a refund or an entry in error): every active allocation of
 * the receipt is reversed, each invoice gets back exactly what the allocation settled (cash, both TDS parts and
 * any write-off), the TDS-receivable entries are cancelled and the receipt's unallocated credit disappears.
 * The allocations given must be all active allocations of the receipt; their cash must add up to what the
 * receipt records as allocated.
 */
export function reverseReceipt(options: {
  receipt: ReceiptBalance;
  allocations: readonly Allocation[];
  invoices: readonly InvoiceBalance[];
  tdsEntries?: readonly TdsReceivableEntry[];
  reason: ReversalReason;
  note?: string;
  date: IsoDate;
  newId: () => string;
}): {
  receipt: ReceiptBalance;
  invoices: InvoiceBalance[];
  allocations: Allocation[];
  tdsEntries: TdsReceivableEntry[];
  event: PaymentReversedPayload;
} {
  const { receipt } = options;
  const issues: FieldIssue[] = [];
  if (receipt.status !== "active") issues.push({ field: "receipt.status", reason: "already reversed" });
  if (!isIsoDate(options.date))
    issues.push({ field: "date", reason: "must be a calendar date written YYYY-MM-DD" });
  const active = options.allocations.filter((allocation) => allocation.status === "active");
  active.forEach((allocation, index) => {
    if (allocation.receiptId !== receipt.id) {
      issues.push({ field: `allocations.${index}.receiptId`, reason: "belongs to another receipt" });
    }
  });
  if (issues.length > 0) throw AppError.invalidInput(issues);
  const allocatedCash = active.reduce((sum, allocation) => sum + allocation.cashPaise, 0n);
  if (allocatedCash !== receipt.allocatedCashPaise) {
    throw AppError.conflict("the allocations given are not all the active allocations of the receipt", {
      receiptId: receipt.id,
    });
  }
  const invoices = new Map(options.invoices.map((invoice) => [invoice.id, { ...invoice }]));
  for (const allocation of active) {
    const invoice = invoices.get(allocation.invoiceId);
    if (!invoice) throw AppError.notFound("invoice", allocation.invoiceId);
    invoice.openPaise += allocation.settledPaise;
  }
  const activeIds = new Set(active.map((allocation) => allocation.id));
  const tdsEntries = (options.tdsEntries ?? [])
    .filter((entry) => activeIds.has(entry.allocationId) && entry.amountPaise > 0n)
    .map((entry) => reverseTdsReceivableEntry({ entry, id: options.newId() }));
  const touched = new Set(active.map((allocation) => allocation.invoiceId));
  return {
    receipt: { ...receipt, allocatedCashPaise: 0n, status: "reversed" },
    invoices: [...invoices.values()].filter((invoice) => touched.has(invoice.id)),
    allocations: active.map((allocation) => ({ ...allocation, status: "reversed" })),
    tdsEntries,
    event: {
      receiptId: receipt.id,
      customerId: receipt.customerId,
      date: options.date,
      reason: options.reason,
      ...(options.note ? { note: options.note } : {}),
      amountPaise: receipt.amountPaise,
      reversedAllocations: active.map((allocation) => ({
        allocationId: allocation.id,
        invoiceId: allocation.invoiceId,
        reopenedPaise: allocation.settledPaise,
      })),
      creditRemovedPaise: receipt.amountPaise - receipt.allocatedCashPaise,
    },
  };
}

/**
 * Takes one allocation back (for example, applied to the wrong invoice): the invoice reopens by what it settled and
 * the cash returns to the receipt as credit.
 */
export function unapplyAllocation(options: {
  allocation: Allocation;
  receipt: ReceiptBalance;
  invoice: InvoiceBalance;
  tdsEntries?: readonly TdsReceivableEntry[];
  newId?: () => string;
}): {
  allocation: Allocation;
  receipt: ReceiptBalance;
  invoice: InvoiceBalance;
  tdsEntries: TdsReceivableEntry[];
} {
  const { allocation, receipt, invoice } = options;
  const issues: FieldIssue[] = [];
  if (allocation.status !== "active") issues.push({ field: "allocation.status", reason: "already reversed" });
  if (allocation.receiptId !== receipt.id)
    issues.push({ field: "allocation.receiptId", reason: "belongs to another receipt" });
  if (allocation.invoiceId !== invoice.id)
    issues.push({ field: "allocation.invoiceId", reason: "belongs to another invoice" });
  if (receipt.allocatedCashPaise < allocation.cashPaise) {
    issues.push({ field: "receipt.allocatedCashPaise", reason: "less than the allocation's cash" });
  }
  const toCancel = (options.tdsEntries ?? []).filter(
    (entry) => entry.allocationId === allocation.id && entry.amountPaise > 0n,
  );
  if (toCancel.length > 0 && !options.newId)
    issues.push({ field: "newId", reason: "needed to cancel TDS entries" });
  if (issues.length > 0) throw AppError.invalidInput(issues);
  const newId = options.newId ?? ((): string => "");
  return {
    tdsEntries: toCancel.map((entry) => reverseTdsReceivableEntry({ entry, id: newId() })),
    allocation: { ...allocation, status: "reversed" },
    receipt: { ...receipt, allocatedCashPaise: receipt.allocatedCashPaise - allocation.cashPaise },
    invoice: { ...invoice, openPaise: invoice.openPaise + allocation.settledPaise },
  };
}
