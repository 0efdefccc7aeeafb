import type { Selectable } from "kysely";
import { AppError } from "../../kernel/app-error.ts";
import type { Allocation, InvoiceBalance, ReceiptBalance } from "./allocation.planner.ts";
import type { TdsSection } from "./tds-rates.data.ts";
import type { TdsReceivableEntry } from "./tds-receivable.ledger.ts";
import type { TdsQuarter } from "./calendar-date.ts";
import { money, type AllocationView, type PaymentView, type ReceivableView } from "./payments.views.ts";
import type {
  PaymentAllocationsTable,
  PaymentReceivablesTable,
  PaymentsDb,
  PaymentsTable,
  TdsReceivableEntriesTable,
} from "./payments.tables.ts";

export type PaymentRow = Selectable<PaymentsTable>;
export type ReceivableRow = Selectable<PaymentReceivablesTable>;
export type AllocationRow = Selectable<PaymentAllocationsTable>;
export type TdsEntryRow = Selectable<TdsReceivableEntriesTable>;

export function toReceivableView(row: ReceivableRow): ReceivableView {
  return {
    invoiceId: row.invoice_id,
    invoiceNumber: row.invoice_number,
    customerId: row.customer_id,
    customerName: row.customer_name,
    issueDate: row.issue_date,
    dueDate: row.due_date,
    totalPaise: money(row.total_paise),
    taxableValuePaise: money(row.taxable_value_paise),
    openPaise: money(row.open_paise),
    settledPaise: money(row.total_paise - row.open_paise),
    creditedPaise: money(row.credited_paise),
    debitedPaise: money(row.debited_paise),
    status: row.status === "cancelled" ? "cancelled" : row.open_paise > 0n ? "open" : "settled",
    version: row.version,
  };
}

export function toPaymentView(row: PaymentRow): PaymentView {
  return {
    id: row.id,
    customerId: row.customer_id,
    method: row.method as PaymentView["method"],
    reference: row.reference,
    payer: (row.payer ?? {}) as Record<string, unknown>,
    receivedOn: row.received_on,
    receivedAt: row.received_at ? row.received_at.toISOString() : null,
    amountPaise: money(row.amount_paise),
    allocatedCashPaise: money(row.allocated_cash_paise),
    unallocatedPaise: money(row.status === "received" ? row.amount_paise - row.allocated_cash_paise : 0n),
    status: row.status as PaymentView["status"],
    reversalReason: row.reversal_reason,
    reversedOn: row.reversed_on,
    source: row.source as PaymentView["source"],
    externalId: row.external_id,
    paymentLinkId: row.payment_link_id,
    note: row.note,
    createdAt: row.created_at.toISOString(),
    version: row.version,
  };
}

export function toAllocationView(row: AllocationRow, reversed: boolean): AllocationView {
  return {
    id: row.id,
    paymentId: row.payment_id,
    invoiceId: row.invoice_id,
    customerId: row.customer_id,
    batchId: row.batch_id,
    kind: row.kind as AllocationView["kind"],
    reversesId: row.reverses_id,
    reversed,
    allocatedOn: row.allocated_on,
    cashPaise: money(row.cash_paise),
    incomeTaxTdsPaise: money(row.income_tax_tds_paise),
    gstTdsPaise: money(row.gst_tds_paise),
    writeOffPaise: money(row.write_off_paise),
    settledPaise: money(row.settled_paise),
    tdsSection: row.tds_section,
    writeOffReason: row.write_off_reason,
  };
}

/** The receipt as the allocation planner sees it. */
export function toReceiptBalance(row: PaymentRow): ReceiptBalance {
  if (!row.customer_id) {
    throw AppError.invalidInput([
      { field: "paymentId", reason: "the receipt has no customer yet; identify the payer first" },
    ]);
  }
  return {
    id: row.id,
    customerId: row.customer_id,
    receivedOn: row.received_on,
    amountPaise: row.amount_paise,
    allocatedCashPaise: row.allocated_cash_paise,
    status: row.status === "received" ? "active" : "reversed",
  };
}

export function toInvoiceBalance(row: ReceivableRow): InvoiceBalance {
  return {
    id: row.invoice_id,
    number: row.invoice_number,
    customerId: row.customer_id,
    openPaise: row.open_paise,
  };
}

export function toAllocation(row: AllocationRow): Allocation {
  return {
    id: row.id,
    receiptId: row.payment_id,
    customerId: row.customer_id,
    invoiceId: row.invoice_id,
    date: row.allocated_on,
    cashPaise: row.cash_paise,
    incomeTaxTdsPaise: row.income_tax_tds_paise,
    gstTdsPaise: row.gst_tds_paise,
    writeOffPaise: row.write_off_paise,
    settledPaise: row.settled_paise,
    ...(row.tds_section ? { tdsSection: row.tds_section as TdsSection } : {}),
    ...(row.write_off_reason ? { writeOffReason: row.write_off_reason } : {}),
    status: "active",
  };
}

export function toTdsEntry(row: TdsEntryRow): TdsReceivableEntry {
  return {
    id: row.id,
    kind: row.kind as TdsReceivableEntry["kind"],
    customerId: row.customer_id,
    ...(row.section ? { section: row.section as TdsSection } : {}),
    ...(row.tan ? { tan: row.tan } : {}),
    ...(row.deductor_name ? { deductorName: row.deductor_name } : {}),
    date: row.entry_date,
    financialYear: row.financial_year,
    quarter: row.quarter as TdsQuarter,
    amountPaise: row.amount_paise,
    receiptId: row.payment_id,
    allocationId: row.allocation_id,
    invoiceId: row.invoice_id,
  };
}

/** Locks a receipt for the rest of the transaction: allocations and reversals of one receipt queue up here. */
export async function lockPayment(trx: PaymentsDb, paymentId: string): Promise<PaymentRow> {
  const row = await trx
    .selectFrom("payments")
    .selectAll()
    .where("id", "=", paymentId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw AppError.notFound("payment", paymentId);
  return row;
}

/**
 * Locks receivables in invoice-id order, so two commands touching overlapping invoices always lock them in the
 * same order and cannot deadlock. Missing invoices are left out (the planner names them).
 */
export async function lockReceivables(
  trx: PaymentsDb,
  invoiceIds: readonly string[],
): Promise<ReceivableRow[]> {
  const unique = [...new Set(invoiceIds)].sort();
  if (unique.length === 0) return [];
  return trx
    .selectFrom("payment_receivables")
    .selectAll()
    .where("invoice_id", "in", unique)
    .orderBy("invoice_id")
    .forUpdate()
    .execute();
}

/** Allocations of a receipt that no reversal has taken back. */
export async function activeAllocations(trx: PaymentsDb, paymentId: string): Promise<AllocationRow[]> {
  return trx
    .selectFrom("payment_allocations as a")
    .selectAll("a")
    .where("a.payment_id", "=", paymentId)
    .where("a.kind", "=", "allocation")
    .where((eb) =>
      eb.not(
        eb.exists(
          eb.selectFrom("payment_allocations as r").select("r.id").whereRef("r.reverses_id", "=", "a.id"),
        ),
      ),
    )
    .orderBy("a.created_at")
    .orderBy("a.id")
    .execute();
}

/** Every allocation row of a receipt, with whether each allocation has been reversed. */
export async function allocationViewsOf(trx: PaymentsDb, paymentId: string): Promise<AllocationView[]> {
  const rows = await trx
    .selectFrom("payment_allocations")
    .selectAll()
    .where("payment_id", "=", paymentId)
    .orderBy("created_at")
    .orderBy("kind")
    .orderBy("id")
    .execute();
  const reversed = new Set(rows.filter((row) => row.reverses_id !== null).map((row) => row.reverses_id));
  return rows.map((row) => toAllocationView(row, reversed.has(row.id)));
}

export async function findPayment(trx: PaymentsDb, paymentId: string): Promise<PaymentRow | undefined> {
  return trx.selectFrom("payments").selectAll().where("id", "=", paymentId).executeTakeFirst();
}
