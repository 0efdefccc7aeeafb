import { sql } from "kysely";
import { AppError, type FieldIssue } from "../../kernel/app-error.ts";
import type { Paise } from "../../kernel/money.ts";
import { toPage, type Page } from "../../platform/http/pagination.ts";
import { readCursor } from "./paging.ts";
import type { CommandMeta } from "../../platform/audit/command-actor.ts";
import {
  applyAllocation,
  planAllocation,
  proposeAllocationLines,
  reverseReceipt,
  type AllocationRequestLine,
  type ReversalReason,
} from "./allocation.planner.ts";
import { formatInr } from "./amounts.ts";
import { tdsReturnDueDate, type IsoDate, type TdsQuarter } from "./calendar-date.ts";
import type { PaymentReceivedPayload, ReceiptChannel } from "./payment.events.ts";
import {
  activeAllocations,
  allocationViewsOf,
  findPayment,
  lockPayment,
  lockReceivables,
  toAllocation,
  toAllocationView,
  toInvoiceBalance,
  toPaymentView as toStoredPaymentView,
  toReceiptBalance,
  toReceivableView,
  type AllocationRow,
  type PaymentRow,
} from "./payment.repository.ts";
import { parsePayment } from "./payment.schema.ts";
import { readSettings } from "./payment-settings.service.ts";
import type {
  AllocateInput,
  AllocationLineInput,
  RecordPaymentInput,
  RegisterPayerInput,
  RegisterReceivableInput,
  ReversePaymentInput,
  UndoAllocationInput,
} from "./payments.schemas.ts";
import { ACCOUNT_CONTEXTS, maskAccounts } from "./account-protection.ts";
import { toJsonb, type PaymentsDb } from "./payments.tables.ts";
import {
  createUnitOfWork,
  isUniqueViolation,
  type PaymentsDeps,
  type UnitOfWork,
} from "./payments.unit-of-work.ts";
import {
  money,
  type AllocateResult,
  type CustomerCreditView,
  type PayerProfileView,
  type PaymentDetailView,
  type PaymentView,
  type ReceivableView,
  type RecordPaymentResult,
  type RegisterReceivableResult,
  type ReverseResult,
  type TdsPositionView,
  type UndoAllocationResult,
} from "./payments.views.ts";

/** A receipt as it is written, whatever its origin (a person, an import, a gateway, a bank line). */
export interface ReceiptRecord {
  customerId: string | null;
  method: ReceiptChannel;
  reference: string | null;
  payer: Record<string, unknown>;
  cheque?: unknown;
  receivedOn: IsoDate;
  receivedAt?: Date;
  amountPaise: Paise;
  source: PaymentView["source"];
  externalId: string | null;
  paymentLinkId?: string | null;
  note?: string | null;
  /** Extra facts for the `payment.received` event. */
  event?: Partial<Pick<PaymentReceivedPayload, "reference" | "paymentLinkId" | "notes" | "utr">> & {
    payer?: PaymentReceivedPayload["payer"];
    externalId?: string;
  };
}

export interface AllocateCommand {
  paymentId: string;
  customerId?: string;
  lines?: readonly AllocationLineInput[];
  auto?: boolean;
  date?: IsoDate;
  /** The reconciliation proposal being applied, for the audit trail. */
  proposalId?: string;
}

export const PAYMENT_SORT_FIELDS = ["receivedOn", "createdAt"] as const;

const ELECTRONIC = new Set(["upi", "imps", "neft", "rtgs"]);

function toRequestLine(line: AllocationLineInput): AllocationRequestLine {
  return {
    invoiceId: line.invoiceId,
    cashPaise: line.cashPaise,
    ...(line.incomeTaxTdsPaise !== undefined ? { incomeTaxTdsPaise: line.incomeTaxTdsPaise } : {}),
    ...(line.gstTdsPaise !== undefined ? { gstTdsPaise: line.gstTdsPaise } : {}),
    ...(line.writeOffPaise !== undefined ? { writeOffPaise: line.writeOffPaise } : {}),
    ...(line.tdsSection !== undefined ? { tdsSection: line.tdsSection } : {}),
    ...(line.writeOffReason !== undefined ? { writeOffReason: line.writeOffReason } : {}),
    ...(line.writeOffApproved !== undefined ? { writeOffApproved: line.writeOffApproved } : {}),
  };
}

/** Stores the open balances an allocation or its reversal left on each invoice; returns the receivables. */
async function writeOpenBalances(
  trx: PaymentsDb,
  invoices: readonly { id: string; openPaise: bigint }[],
  now: Date,
): Promise<ReceivableView[]> {
  const receivables: ReceivableView[] = [];
  for (const invoice of invoices) {
    const row = await trx
      .updateTable("payment_receivables")
      .set((eb) => ({ open_paise: invoice.openPaise, version: eb("version", "+", 1), updated_at: now }))
      .where("invoice_id", "=", invoice.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    receivables.push(toReceivableView(row));
  }
  return receivables;
}

function normaliseVpa(vpa: string): string {
  return vpa.trim().toLowerCase();
}

export type PaymentService = ReturnType<typeof createPaymentService>;

/**
 * Receipts and their settlement. Every change runs in one tenant transaction with its events and audit entries.
 * A receipt's row is locked before anything is allocated from it or reversed, and the invoices it touches are
 * locked in id order, so concurrent allocations of the same receipt or of the same invoice queue up: the second
 * sees the first's result and is refused when nothing is left to allocate.
 */
export function createPaymentService(deps: PaymentsDeps, unitOfWork: UnitOfWork = createUnitOfWork(deps)) {
  const { clock, newId, today, inTenant, publish, audit, command, accounts } = unitOfWork;

  /** A receipt as the API shows it: the payer's account number decrypted (audit entries mask it again). */
  const toPaymentView = (row: PaymentRow): PaymentView => {
    const view = toStoredPaymentView(row);
    return { ...view, payer: accounts.openPayer(row.id, view.payer) };
  };

  async function creditEntry(
    trx: PaymentsDb,
    tenantId: string,
    entry: { customerId: string; paymentId: string; kind: string; amountPaise: Paise; date: IsoDate },
  ): Promise<void> {
    if (entry.amountPaise === 0n) return;
    await trx
      .insertInto("customer_credit_entries")
      .values({
        id: newId(),
        tenant_id: tenantId,
        customer_id: entry.customerId,
        payment_id: entry.paymentId,
        kind: entry.kind,
        amount_paise: entry.amountPaise,
        entry_date: entry.date,
        created_at: clock(),
      })
      .execute();
  }

  /** Writes a receipt and its `payment.received` event; refuses a reference or source id recorded before. */
  async function insertReceipt(
    trx: PaymentsDb,
    meta: CommandMeta,
    record: ReceiptRecord,
  ): Promise<PaymentRow> {
    if (record.reference && ELECTRONIC.has(record.method)) {
      const existing = await trx
        .selectFrom("payments")
        .select(["id"])
        .where("reference", "=", record.reference)
        .where("method", "in", [...ELECTRONIC])
        .where("status", "=", "received")
        .executeTakeFirst();
      if (existing) {
        throw AppError.conflict(`a payment with reference ${record.reference} is already recorded`, {
          paymentId: existing.id,
          reference: record.reference,
        });
      }
    }
    if (record.externalId) {
      const existing = await trx
        .selectFrom("payments")
        .select(["id"])
        .where("source", "=", record.source)
        .where("external_id", "=", record.externalId)
        .where("status", "=", "received")
        .executeTakeFirst();
      if (existing) {
        throw AppError.conflict(`${record.source} receipt ${record.externalId} is already recorded`, {
          paymentId: existing.id,
          externalId: record.externalId,
        });
      }
    }
    const id = newId();
    const now = clock();
    let row: PaymentRow;
    try {
      row = await trx
        .insertInto("payments")
        .values({
          id,
          tenant_id: meta.tenantId,
          customer_id: record.customerId,
          method: record.method,
          reference: record.reference,
          payer: toJsonb(accounts.sealPayer(id, record.payer)),
          cheque: record.cheque === undefined || record.cheque === null ? null : toJsonb(record.cheque),
          received_on: record.receivedOn,
          received_at: record.receivedAt ?? null,
          amount_paise: record.amountPaise,
          allocated_cash_paise: 0n,
          status: "received",
          source: record.source,
          external_id: record.externalId,
          payment_link_id: record.paymentLinkId ?? null,
          note: record.note ?? null,
          version: 1,
          created_at: now,
          created_by: meta.actor,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw AppError.conflict("this payment is already recorded (same reference or source id)", {
          reference: record.reference,
          externalId: record.externalId,
        });
      }
      throw error;
    }
    if (record.customerId) {
      await creditEntry(trx, meta.tenantId, {
        customerId: record.customerId,
        paymentId: id,
        kind: "received",
        amountPaise: record.amountPaise,
        date: record.receivedOn,
      });
    }
    const payer = maskAccounts(
      record.event?.payer ?? {
        ...(typeof record.payer.name === "string" ? { name: record.payer.name } : {}),
        ...(typeof record.payer.vpa === "string" ? { vpa: record.payer.vpa } : {}),
        ...(typeof record.payer.accountNumber === "string"
          ? { accountNumber: record.payer.accountNumber }
          : {}),
      },
    ) as PaymentReceivedPayload["payer"];
    const receivedAt = record.receivedAt ?? new Date(`${record.receivedOn}T00:00:00+05:30`);
    await publish(trx, meta.tenantId, {
      type: "payment.received",
      subject: id,
      data: {
        paymentId: id,
        ...(record.customerId ? { customerId: record.customerId } : {}),
        source: record.source,
        externalId: record.event?.externalId ?? record.externalId ?? id,
        method: record.method,
        amountPaise: record.amountPaise,
        currency: "INR",
        receivedAt: receivedAt.toISOString(),
        receivedOn: record.receivedOn,
        ...(record.event?.utr
          ? { utr: record.event.utr }
          : record.reference && record.method !== "cash"
            ? { utr: record.reference }
            : {}),
        payer,
        ...(record.event?.reference ? { reference: record.event.reference } : {}),
        ...(record.event?.paymentLinkId ? { paymentLinkId: record.event.paymentLinkId } : {}),
        notes: record.event?.notes ?? {},
      },
    });
    await audit(trx, meta, {
      action: "payment.recorded",
      entity: { type: "payment", id },
      after: toPaymentView(row),
    });
    return row;
  }

  async function payerProfile(trx: PaymentsDb, customerId: string) {
    return trx
      .selectFrom("payer_profiles")
      .selectAll()
      .where("customer_id", "=", customerId)
      .executeTakeFirst();
  }

  /** Allocates cash (and the deductions that go with it) of a receipt to invoices, inside the caller's transaction. */
  async function allocateInTrx(
    trx: PaymentsDb,
    meta: CommandMeta,
    input: AllocateCommand,
  ): Promise<AllocateResult> {
    let payment = await lockPayment(trx, input.paymentId);
    const date = input.date ?? today();
    if (payment.status !== "received") {
      throw AppError.invalidInput([{ field: "paymentId", reason: `the payment is ${payment.status}` }]);
    }
    if (
      input.customerId !== undefined &&
      payment.customer_id !== null &&
      payment.customer_id !== input.customerId
    ) {
      throw AppError.invalidInput([
        { field: "customerId", reason: "the payment belongs to another customer" },
      ]);
    }
    if (payment.customer_id === null) {
      if (input.customerId === undefined) {
        throw AppError.invalidInput([
          { field: "customerId", reason: "the payment has no customer yet: name the customer who paid" },
        ]);
      }
      payment = await trx
        .updateTable("payments")
        .set({ customer_id: input.customerId, version: payment.version + 1, updated_at: clock() })
        .where("id", "=", payment.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await creditEntry(trx, meta.tenantId, {
        customerId: input.customerId,
        paymentId: payment.id,
        kind: "received",
        amountPaise: payment.amount_paise - payment.allocated_cash_paise,
        date: payment.received_on,
      });
    }
    const receipt = toReceiptBalance(payment);
    const settings = await readSettings(trx);
    let lines: AllocationRequestLine[];
    let invoiceRows;
    if (input.auto === true) {
      const open = await trx
        .selectFrom("payment_receivables")
        .select("invoice_id")
        .where("customer_id", "=", receipt.customerId)
        .where("open_paise", ">", 0n)
        .execute();
      invoiceRows = await lockReceivables(
        trx,
        open.map((row) => row.invoice_id),
      );
      lines = proposeAllocationLines({
        receipt,
        invoices: invoiceRows.map((row) => ({ ...toInvoiceBalance(row), dueDate: row.due_date })),
        tolerance: settings.tolerance,
      });
      if (lines.length === 0) {
        throw AppError.invalidInput([
          { field: "auto", reason: "the customer has no open invoice, or the receipt has no cash left" },
        ]);
      }
    } else {
      lines = (input.lines ?? []).map(toRequestLine);
      invoiceRows = await lockReceivables(
        trx,
        lines.map((line) => line.invoiceId),
      );
    }
    const invoices = invoiceRows.map(toInvoiceBalance);
    const plan = planAllocation({ receipt, invoices, lines, date, tolerance: settings.tolerance });
    const profile = await payerProfile(trx, receipt.customerId);
    const applied = applyAllocation({
      plan,
      receipt,
      invoices,
      newId,
      deductor: {
        ...(profile?.tan ? { tan: profile.tan } : {}),
        ...(profile?.name ? { name: profile.name } : {}),
      },
    });
    const batchId = newId();
    const now = clock();
    const allocationRows: AllocationRow[] = [];
    for (const allocation of applied.allocations) {
      allocationRows.push(
        await trx
          .insertInto("payment_allocations")
          .values({
            id: allocation.id,
            tenant_id: meta.tenantId,
            payment_id: payment.id,
            invoice_id: allocation.invoiceId,
            customer_id: allocation.customerId,
            batch_id: batchId,
            kind: "allocation",
            reverses_id: null,
            allocated_on: allocation.date,
            cash_paise: allocation.cashPaise,
            income_tax_tds_paise: allocation.incomeTaxTdsPaise,
            gst_tds_paise: allocation.gstTdsPaise,
            write_off_paise: allocation.writeOffPaise,
            settled_paise: allocation.settledPaise,
            tds_section: allocation.tdsSection ?? null,
            write_off_reason: allocation.writeOffReason ?? null,
            reason: input.proposalId ? `reconciliation proposal ${input.proposalId}` : null,
            created_at: now,
            created_by: meta.actor,
          })
          .returningAll()
          .executeTakeFirstOrThrow(),
      );
    }
    const receivables = await writeOpenBalances(trx, applied.invoices, now);
    const updated = await trx
      .updateTable("payments")
      .set({
        allocated_cash_paise: applied.receipt.allocatedCashPaise,
        version: payment.version + 1,
        updated_at: now,
      })
      .where("id", "=", payment.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await creditEntry(trx, meta.tenantId, {
      customerId: receipt.customerId,
      paymentId: payment.id,
      kind: "allocated",
      amountPaise: -plan.cashPaise,
      date,
    });
    for (const entry of applied.tdsEntries) {
      await trx
        .insertInto("tds_receivable_entries")
        .values({
          id: entry.id,
          tenant_id: meta.tenantId,
          kind: entry.kind,
          customer_id: entry.customerId,
          section: entry.section ?? null,
          tan: entry.tan ?? null,
          deductor_name: entry.deductorName ?? null,
          entry_date: entry.date,
          financial_year: entry.financialYear,
          quarter: entry.quarter,
          amount_paise: entry.amountPaise,
          payment_id: entry.receiptId,
          allocation_id: entry.allocationId,
          invoice_id: entry.invoiceId,
          reverses_id: null,
          status: "pending",
          created_at: now,
        })
        .execute();
    }
    await publish(trx, meta.tenantId, {
      type: "payment.allocated",
      subject: payment.id,
      data: applied.event,
    });
    await audit(trx, meta, {
      action: "payment.allocated",
      entity: { type: "payment", id: payment.id },
      metadata: {
        batchId,
        ...(input.proposalId ? { proposalId: input.proposalId } : {}),
        invoices: applied.allocations.map((allocation) => allocation.invoiceId),
        cashPaise: money(plan.cashPaise),
        settledPaise: money(plan.settledPaise),
        unallocatedPaise: money(plan.unallocatedAfterPaise),
      },
    });
    for (const line of plan.lines) {
      if (line.writeOffPaise === 0n) continue;
      const requested = lines.find((candidate) => candidate.invoiceId === line.invoiceId);
      await audit(trx, meta, {
        action: "payment.short-payment-written-off",
        entity: { type: "receivable", id: line.invoiceId },
        before: { openPaise: money(line.openBeforePaise) },
        after: { openPaise: money(line.openAfterPaise) },
        metadata: {
          paymentId: payment.id,
          batchId,
          writeOffPaise: money(line.writeOffPaise),
          reason: line.writeOffReason ?? "",
          approved: requested?.writeOffApproved === true,
          tolerance: {
            maxPaise: money(settings.tolerance.maxPaise),
            maxBasisPoints: settings.tolerance.maxBasisPoints,
            combine: settings.tolerance.combine,
          },
        },
      });
    }
    return {
      batchId,
      payment: toPaymentView(updated),
      allocations: allocationRows.map((row) => toAllocationView(row, false)),
      receivables,
      creditPaise: money(plan.unallocatedAfterPaise),
    };
  }

  /** TDS-receivable entries of some allocations that nothing has cancelled yet. */
  async function liveTdsEntries(trx: PaymentsDb, allocationIds: readonly string[]) {
    if (allocationIds.length === 0) return [];
    return trx
      .selectFrom("tds_receivable_entries as t")
      .selectAll("t")
      .where("t.allocation_id", "in", [...allocationIds])
      .where("t.reverses_id", "is", null)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom("tds_receivable_entries as r")
              .select("r.id")
              .whereRef("r.reverses_id", "=", "t.id"),
          ),
        ),
      )
      .execute();
  }

  /** Cancels TDS-receivable entries: a negated entry pointing at each, and both marked cancelled. */
  async function cancelTdsEntries(
    trx: PaymentsDb,
    entries: Awaited<ReturnType<typeof liveTdsEntries>>,
    now: Date,
  ): Promise<void> {
    for (const entry of entries) {
      await trx
        .insertInto("tds_receivable_entries")
        .values({
          ...entry,
          id: newId(),
          amount_paise: -entry.amount_paise,
          reverses_id: entry.id,
          status: "cancelled",
          created_at: now,
        })
        .execute();
    }
    if (entries.length > 0) {
      await trx
        .updateTable("tds_receivable_entries")
        .set({ status: "cancelled" })
        .where(
          "id",
          "in",
          entries.map((row) => row.id),
        )
        .execute();
    }
  }

  /**
   * Takes one allocation of a receipt back, inside the caller's transaction: the receipt stays, the invoice
   * reopens by what the allocation settled, its cash returns to the customer's credit and its TDS entries are
   * cancelled. Locks the receipt first and then the invoice, in the same order as an allocation, so an undo and
   * an allocation of the same receipt or invoice queue up.
   */
  async function undoAllocationInTrx(
    trx: PaymentsDb,
    meta: CommandMeta,
    input: UndoAllocationInput,
  ): Promise<UndoAllocationResult> {
    const target = await trx
      .selectFrom("payment_allocations")
      .selectAll()
      .where("id", "=", input.allocationId)
      .executeTakeFirst();
    if (!target || target.payment_id !== input.paymentId) {
      throw AppError.notFound("allocation", input.allocationId);
    }
    if (target.kind !== "allocation") {
      throw AppError.invalidInput([
        { field: "allocationId", reason: "is a reversal, not an allocation; only allocations can be undone" },
      ]);
    }
    const payment = await lockPayment(trx, input.paymentId);
    if (payment.status !== "received") {
      throw AppError.invalidInput([{ field: "paymentId", reason: `the payment is ${payment.status}` }]);
    }
    const undone = await trx
      .selectFrom("payment_allocations")
      .select("id")
      .where("reverses_id", "=", target.id)
      .executeTakeFirst();
    if (undone) {
      throw AppError.invalidInput([{ field: "allocationId", reason: "was already undone or reversed" }]);
    }
    const date = input.date ?? today();
    if (date < target.allocated_on) {
      throw AppError.invalidInput([
        { field: "date", reason: `is before the allocation was made (${target.allocated_on})` },
      ]);
    }
    const [receivable] = await lockReceivables(trx, [target.invoice_id]);
    if (!receivable) throw AppError.notFound("receivable", target.invoice_id);
    const now = clock();
    const reversal = await trx
      .insertInto("payment_allocations")
      .values({
        id: newId(),
        tenant_id: meta.tenantId,
        payment_id: payment.id,
        invoice_id: target.invoice_id,
        customer_id: target.customer_id,
        batch_id: newId(),
        kind: "reversal",
        reverses_id: target.id,
        allocated_on: date,
        cash_paise: -target.cash_paise,
        income_tax_tds_paise: -target.income_tax_tds_paise,
        gst_tds_paise: -target.gst_tds_paise,
        write_off_paise: -target.write_off_paise,
        settled_paise: -target.settled_paise,
        tds_section: target.tds_section,
        write_off_reason: target.write_off_reason,
        reason: input.note ? `allocation undone: ${input.note}` : "allocation undone",
        created_at: now,
        created_by: meta.actor,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    // A cancelled invoice has nothing open and stays so; the allocation is still taken back from it.
    const reopened = receivable.status === "cancelled" ? 0n : target.settled_paise;
    const receivableRow = await trx
      .updateTable("payment_receivables")
      .set((eb) => ({
        open_paise: receivable.open_paise + reopened,
        version: eb("version", "+", 1),
        updated_at: now,
      }))
      .where("invoice_id", "=", target.invoice_id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const updated = await trx
      .updateTable("payments")
      .set({
        allocated_cash_paise: payment.allocated_cash_paise - target.cash_paise,
        version: payment.version + 1,
        updated_at: now,
      })
      .where("id", "=", payment.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await creditEntry(trx, meta.tenantId, {
      customerId: target.customer_id,
      paymentId: payment.id,
      kind: "unallocated",
      amountPaise: target.cash_paise,
      date,
    });
    const tdsRows = await liveTdsEntries(trx, [target.id]);
    await cancelTdsEntries(trx, tdsRows, now);
    const unallocated = updated.amount_paise - updated.allocated_cash_paise;
    await publish(trx, meta.tenantId, {
      type: "payment.allocation-undone",
      subject: payment.id,
      data: {
        receiptId: payment.id,
        customerId: target.customer_id,
        date,
        allocationId: target.id,
        invoiceId: target.invoice_id,
        reopenedPaise: target.settled_paise,
        cashPaise: target.cash_paise,
        incomeTaxTdsPaise: target.income_tax_tds_paise,
        gstTdsPaise: target.gst_tds_paise,
        writeOffPaise: target.write_off_paise,
        unallocatedPaise: unallocated,
        ...(input.note ? { note: input.note } : {}),
      },
    });
    await audit(trx, meta, {
      action: "payment.allocation-undone",
      entity: { type: "payment", id: payment.id },
      before: {
        allocatedCashPaise: money(payment.allocated_cash_paise),
        openPaise: money(receivable.open_paise),
      },
      after: {
        allocatedCashPaise: money(updated.allocated_cash_paise),
        openPaise: money(receivableRow.open_paise),
      },
      metadata: {
        allocationId: target.id,
        invoiceId: target.invoice_id,
        settledPaise: money(target.settled_paise),
        cashPaise: money(target.cash_paise),
        incomeTaxTdsPaise: money(target.income_tax_tds_paise),
        gstTdsPaise: money(target.gst_tds_paise),
        writeOffPaise: money(target.write_off_paise),
        tdsEntriesCancelled: tdsRows.length,
        ...(input.note ? { note: input.note } : {}),
      },
    });
    return {
      payment: toPaymentView(updated),
      reversal: toAllocationView(reversal, false),
      receivable: toReceivableView(receivableRow),
      unallocatedPaise: money(unallocated),
      tdsEntriesCancelled: tdsRows.length,
    };
  }

  /** Undoes a receipt inside the caller's transaction: every invoice it settled reopens by exactly that amount. */
  async function reverseInTrx(
    trx: PaymentsDb,
    meta: CommandMeta,
    input: { paymentId: string; reason: ReversalReason; note?: string; date?: IsoDate },
  ): Promise<ReverseResult> {
    const payment = await lockPayment(trx, input.paymentId);
    const date = input.date ?? today();
    if (payment.status !== "received") {
      throw AppError.invalidInput([
        { field: "paymentId", reason: `the payment is already ${payment.status}` },
      ]);
    }
    if (input.reason === "cheque-bounced" && payment.method !== "cheque") {
      throw AppError.invalidInput([{ field: "reason", reason: "only a cheque can bounce" }]);
    }
    const receipt = toReceiptBalance(payment);
    const active = await activeAllocations(trx, payment.id);
    const invoiceRows = await lockReceivables(
      trx,
      active.map((row) => row.invoice_id),
    );
    const tdsRows = await liveTdsEntries(
      trx,
      active.map((row) => row.id),
    );
    const reversed = reverseReceipt({
      receipt,
      allocations: active.map(toAllocation),
      invoices: invoiceRows.map(toInvoiceBalance),
      reason: input.reason,
      ...(input.note ? { note: input.note } : {}),
      date,
      newId,
    });
    const now = clock();
    const batchId = newId();
    const reversals: AllocationRow[] = [];
    for (const original of active) {
      reversals.push(
        await trx
          .insertInto("payment_allocations")
          .values({
            id: newId(),
            tenant_id: meta.tenantId,
            payment_id: payment.id,
            invoice_id: original.invoice_id,
            customer_id: original.customer_id,
            batch_id: batchId,
            kind: "reversal",
            reverses_id: original.id,
            allocated_on: date,
            cash_paise: -original.cash_paise,
            income_tax_tds_paise: -original.income_tax_tds_paise,
            gst_tds_paise: -original.gst_tds_paise,
            write_off_paise: -original.write_off_paise,
            settled_paise: -original.settled_paise,
            tds_section: original.tds_section,
            write_off_reason: original.write_off_reason,
            reason: input.reason,
            created_at: now,
            created_by: meta.actor,
          })
          .returningAll()
          .executeTakeFirstOrThrow(),
      );
    }
    const receivables = await writeOpenBalances(trx, reversed.invoices, now);
    await cancelTdsEntries(trx, tdsRows, now);
    const unallocated = payment.amount_paise - payment.allocated_cash_paise;
    const updated = await trx
      .updateTable("payments")
      .set({
        status: input.reason === "cheque-bounced" ? "bounced" : "reversed",
        reversal_reason: input.reason,
        reversed_on: date,
        reversal_note: input.note ?? null,
        version: payment.version + 1,
        updated_at: now,
      })
      .where("id", "=", payment.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await creditEntry(trx, meta.tenantId, {
      customerId: receipt.customerId,
      paymentId: payment.id,
      kind: "reversed",
      amountPaise: -unallocated,
      date,
    });
    const parts = new Map(active.map((row) => [row.id, row]));
    await publish(trx, meta.tenantId, {
      type: "payment.reversed",
      subject: payment.id,
      data: {
        ...reversed.event,
        reversedAllocations: reversed.event.reversedAllocations.map((item) => {
          const original = parts.get(item.allocationId);
          return {
            ...item,
            ...(original
              ? {
                  cashPaise: original.cash_paise,
                  incomeTaxTdsPaise: original.income_tax_tds_paise,
                  gstTdsPaise: original.gst_tds_paise,
                  writeOffPaise: original.write_off_paise,
                }
              : {}),
          };
        }),
      },
    });
    await audit(trx, meta, {
      action: input.reason === "cheque-bounced" ? "payment.bounced" : "payment.reversed",
      entity: { type: "payment", id: payment.id },
      before: toPaymentView(payment),
      after: toPaymentView(updated),
      metadata: {
        reason: input.reason,
        ...(input.note ? { note: input.note } : {}),
        reopened: reversed.event.reversedAllocations.map((item) => ({
          invoiceId: item.invoiceId,
          reopenedPaise: money(item.reopenedPaise),
        })),
      },
    });
    return {
      payment: toPaymentView(updated),
      reversals: reversals.map((row) => toAllocationView(row, false)),
      receivables,
      creditRemovedPaise: money(unallocated),
    };
  }

  /**
   * Adds or updates payments' copy of an invoice inside the caller's transaction. `totalPaise` is the invoice's
   * own total; the stored total adds the debit notes and takes off the credit notes already applied, and keeps
   * what is settled.
   */
  async function upsertReceivableInTrx(
    trx: PaymentsDb,
    meta: CommandMeta,
    input: RegisterReceivableInput,
  ): Promise<RegisterReceivableResult> {
    const issues: FieldIssue[] = [];
    if (input.taxableValuePaise > input.totalPaise)
      issues.push({ field: "taxableValuePaise", reason: "must not exceed the total" });
    if (input.dueDate < input.issueDate)
      issues.push({ field: "dueDate", reason: "is before the issue date" });
    if (issues.length > 0) throw AppError.invalidInput(issues);
    const now = clock();
    const existing = await trx
      .selectFrom("payment_receivables")
      .selectAll()
      .where("invoice_id", "=", input.invoiceId)
      .forUpdate()
      .executeTakeFirst();
    if (input.customerName) {
      await trx
        .insertInto("payer_profiles")
        .values({
          tenant_id: meta.tenantId,
          customer_id: input.customerId,
          name: input.customerName,
          aliases: [],
          vpas: [],
          account_numbers: [],
          tds_profile: null,
          tan: null,
          updated_at: now,
        })
        .onConflict((conflict) => conflict.columns(["tenant_id", "customer_id"]).doNothing())
        .execute();
    }
    const fields = {
      invoice_number: input.invoiceNumber,
      customer_id: input.customerId,
      customer_name: input.customerName ?? existing?.customer_name ?? null,
      issue_date: input.issueDate,
      due_date: input.dueDate,
      total_paise: input.totalPaise + (existing?.debited_paise ?? 0n) - (existing?.credited_paise ?? 0n),
      taxable_value_paise: input.taxableValuePaise,
      contract_value_paise: input.contractValuePaise ?? existing?.contract_value_paise ?? null,
      inter_state: input.interState ?? existing?.inter_state ?? false,
    };
    if (!existing) {
      const row = await trx
        .insertInto("payment_receivables")
        .values({
          tenant_id: meta.tenantId,
          invoice_id: input.invoiceId,
          ...fields,
          open_paise: input.totalPaise,
          version: 1,
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { created: true, changed: true, receivable: toReceivableView(row) };
    }
    if (existing.status === "cancelled") {
      throw AppError.conflict(`invoice ${existing.invoice_number} is cancelled`, {
        invoiceId: input.invoiceId,
      });
    }
    const settled = existing.total_paise - existing.open_paise;
    if (existing.customer_id !== input.customerId && settled > 0n) {
      throw AppError.conflict("the invoice has allocations for another customer; reverse them first", {
        invoiceId: input.invoiceId,
      });
    }
    const open = fields.total_paise - settled;
    if (open < 0n) {
      throw AppError.conflict(
        `the invoice already has ${formatInr(settled)} settled, more than the new total ${formatInr(fields.total_paise)}`,
        { invoiceId: input.invoiceId },
      );
    }
    const same =
      existing.invoice_number === fields.invoice_number &&
      existing.customer_id === fields.customer_id &&
      existing.customer_name === fields.customer_name &&
      existing.issue_date === fields.issue_date &&
      existing.due_date === fields.due_date &&
      existing.total_paise === fields.total_paise &&
      existing.taxable_value_paise === fields.taxable_value_paise &&
      existing.contract_value_paise === fields.contract_value_paise &&
      existing.inter_state === fields.inter_state;
    if (same) return { created: false, changed: false, receivable: toReceivableView(existing) };
    const row = await trx
      .updateTable("payment_receivables")
      .set({ ...fields, open_paise: open, version: existing.version + 1, updated_at: now })
      .where("invoice_id", "=", input.invoiceId)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { created: false, changed: true, receivable: toReceivableView(row) };
  }

  async function detail(trx: PaymentsDb, paymentId: string): Promise<PaymentDetailView> {
    const row = await findPayment(trx, paymentId);
    if (!row) throw AppError.notFound("payment", paymentId);
    return { ...toPaymentView(row), allocations: await allocationViewsOf(trx, paymentId) };
  }

  return {
    insertReceipt,
    allocateInTrx,
    reverseInTrx,
    upsertReceivableInTrx,

    /** Adds or updates payments' copy of an invoice: what it totals and what is still open on it. */
    registerReceivable(meta: CommandMeta, input: RegisterReceivableInput): Promise<RegisterReceivableResult> {
      return command(meta, "payments.register-receivable", input, (trx) =>
        upsertReceivableInTrx(trx, meta, input),
      );
    },

    /** What payments uses to recognise a customer's money: names, UPI addresses, accounts, TDS profile. */
    registerPayer(meta: CommandMeta, input: RegisterPayerInput): Promise<PayerProfileView> {
      return command(meta, "payments.register-payer", input, async (trx) => {
        const existing = await payerProfile(trx, input.customerId);
        const tdsProfile =
          input.tdsProfile === undefined
            ? ((existing?.tds_profile as Record<string, unknown> | null | undefined) ?? null)
            : input.tdsProfile;
        if (tdsProfile && input.tdsProfile) {
          const needsNature = input.tdsProfile.section === "194J" || input.tdsProfile.section === "194I";
          if (needsNature && !input.tdsProfile.nature && input.tdsProfile.rateBasisPoints === undefined) {
            throw AppError.invalidInput([
              {
                field: "tdsProfile.nature",
                reason: `section ${input.tdsProfile.section} needs the nature of payment`,
              },
            ]);
          }
        }
        const accountContext = ACCOUNT_CONTEXTS.payerProfile(meta.tenantId, input.customerId);
        const accountNumbers =
          input.accountNumbers ??
          (existing?.account_numbers ?? []).map((stored) => accounts.open(stored, accountContext));
        const values = {
          name: input.name,
          aliases: input.aliases ?? existing?.aliases ?? [],
          vpas: (input.vpas ?? existing?.vpas ?? []).map(normaliseVpa),
          // Encrypted, with one blind index per number for matching statement lines.
          account_numbers: accountNumbers.map((account) => accounts.seal(account, accountContext)),
          account_number_index: accounts.indexes(meta.tenantId, accountNumbers),
          tds_profile: tdsProfile === null ? null : JSON.stringify(tdsProfile),
          tan:
            tdsProfile && typeof (tdsProfile as { tan?: unknown }).tan === "string"
              ? ((tdsProfile as { tan: string }).tan ?? null)
              : null,
          updated_at: clock(),
        };
        const row = await trx
          .insertInto("payer_profiles")
          .values({ tenant_id: meta.tenantId, customer_id: input.customerId, ...values })
          .onConflict((conflict) => conflict.columns(["tenant_id", "customer_id"]).doUpdateSet(values))
          .returningAll()
          .executeTakeFirstOrThrow();
        return {
          customerId: row.customer_id,
          name: row.name,
          aliases: row.aliases,
          vpas: row.vpas,
          accountNumbers: row.account_numbers.map((stored) => accounts.open(stored, accountContext)),
          tan: row.tan,
          tdsProfile: (row.tds_profile as Record<string, unknown> | null) ?? null,
        };
      });
    },

    /** Records a receipt (validated as payment.schema says), and allocates it at once when asked. */
    record(meta: CommandMeta, input: RecordPaymentInput): Promise<RecordPaymentResult> {
      return command(meta, "payments.record", input, async (trx) => {
        const payment = parsePayment({
          method: input.method,
          reference: input.reference ?? null,
          payer: input.payer,
          ...(input.customerId ? { customerId: input.customerId } : {}),
          receivedOn: input.receivedOn,
          amountPaise: input.amountPaise,
          ...(input.cheque ? { cheque: input.cheque } : {}),
          ...(input.note ? { note: input.note } : {}),
        });
        if ((input.allocations || input.autoAllocate) && !input.customerId) {
          throw AppError.invalidInput([{ field: "customerId", reason: "needed to allocate the payment" }]);
        }
        const row = await insertReceipt(trx, meta, {
          customerId: input.customerId ?? null,
          method: payment.method,
          reference: payment.reference,
          payer: payment.payer,
          cheque: payment.cheque ?? null,
          receivedOn: payment.receivedOn,
          amountPaise: payment.amountPaise,
          source: input.source,
          externalId: input.externalId ?? null,
          note: payment.note ?? null,
        });
        let batchId: string | null = null;
        if (input.allocations || input.autoAllocate) {
          const allocated = await allocateInTrx(trx, meta, {
            paymentId: row.id,
            ...(input.allocations ? { lines: input.allocations } : { auto: true }),
            date: payment.receivedOn,
          });
          batchId = allocated.batchId;
        }
        return { payment: await detail(trx, row.id), batchId };
      });
    },

    allocate(meta: CommandMeta, input: AllocateInput): Promise<AllocateResult> {
      return command(meta, "payments.allocate", input, (trx) =>
        allocateInTrx(trx, meta, {
          paymentId: input.paymentId,
          ...(input.customerId ? { customerId: input.customerId } : {}),
          ...(input.lines ? { lines: input.lines } : {}),
          ...(input.auto ? { auto: true } : {}),
          ...(input.date ? { date: input.date } : {}),
        }),
      );
    },

    /** Takes one allocation of a receipt back (see undoAllocationInTrx). */
    undoAllocation(meta: CommandMeta, input: UndoAllocationInput): Promise<UndoAllocationResult> {
      return command(meta, "payments.undo-allocation", input, (trx) => undoAllocationInTrx(trx, meta, input));
    },

    reverse(meta: CommandMeta, input: ReversePaymentInput): Promise<ReverseResult> {
      return command(meta, "payments.reverse", input, (trx) =>
        reverseInTrx(trx, meta, {
          paymentId: input.paymentId,
          reason: input.reason,
          ...(input.note ? { note: input.note } : {}),
          ...(input.date ? { date: input.date } : {}),
        }),
      );
    },

    get: (tenantId: string, paymentId: string): Promise<PaymentDetailView> =>
      inTenant(tenantId, (trx) => detail(trx, paymentId)),

    list(
      tenantId: string,
      query: {
        limit: number;
        cursor?: string | undefined;
        sort?: string | undefined;
        customerId?: string | undefined;
        status?: string | undefined;
      },
    ): Promise<Page<PaymentView>> {
      const descending = (query.sort ?? "-receivedOn").startsWith("-");
      const field =
        (query.sort ?? "-receivedOn").replace(/^-/, "") === "createdAt" ? "created_at" : "received_on";
      const cursor = readCursor(query.cursor, field === "created_at" ? "instant" : "date");
      return inTenant(tenantId, async (trx) => {
        let select = trx.selectFrom("payments").selectAll();
        if (query.customerId) select = select.where("customer_id", "=", query.customerId);
        if (query.status) select = select.where("status", "=", query.status);
        if (cursor) {
          const after = field === "created_at" ? new Date(String(cursor.after)) : String(cursor.after);
          const comparison = descending ? sql`<` : sql`>`;
          select = select.where(
            sql<boolean>`(${sql.ref(field)}, id) ${comparison} (${after}, ${cursor.id}::uuid)`,
          );
        }
        const rows = await select
          .orderBy(field, descending ? "desc" : "asc")
          .orderBy("id", descending ? "desc" : "asc")
          .limit(query.limit + 1)
          .execute();
        const page = toPage(rows, query.limit, (row) => ({
          after: field === "created_at" ? row.created_at.toISOString() : row.received_on,
          id: row.id,
        }));
        return { items: page.items.map(toPaymentView), nextCursor: page.nextCursor };
      });
    },

    getReceivable: (tenantId: string, invoiceId: string): Promise<ReceivableView> =>
      inTenant(tenantId, async (trx) => {
        const row = await trx
          .selectFrom("payment_receivables")
          .selectAll()
          .where("invoice_id", "=", invoiceId)
          .executeTakeFirst();
        if (!row) throw AppError.notFound("receivable", invoiceId);
        return toReceivableView(row);
      }),

    listReceivables(
      tenantId: string,
      query: {
        limit: number;
        cursor?: string | undefined;
        customerId?: string | undefined;
        openOnly?: boolean | undefined;
      },
    ): Promise<Page<ReceivableView>> {
      const cursor = readCursor(query.cursor, "date");
      return inTenant(tenantId, async (trx) => {
        let select = trx.selectFrom("payment_receivables").selectAll();
        if (query.customerId) select = select.where("customer_id", "=", query.customerId);
        if (query.openOnly) select = select.where("open_paise", ">", 0n);
        if (cursor) {
          select = select.where(
            sql<boolean>`(due_date, invoice_id) > (${String(cursor.after)}::date, ${cursor.id}::uuid)`,
          );
        }
        const rows = await select
          .orderBy("due_date")
          .orderBy("invoice_id")
          .limit(query.limit + 1)
          .execute();
        const page = toPage(rows, query.limit, (row) => ({ after: row.due_date, id: row.invoice_id }));
        return { items: page.items.map(toReceivableView), nextCursor: page.nextCursor };
      });
    },

    /** Cash of the customer's receipts not allocated to any invoice (overpayments, advances). */
    customerCredit: (tenantId: string, customerId: string): Promise<CustomerCreditView> =>
      inTenant(tenantId, async (trx) => {
        const balance = await trx
          .selectFrom("customer_credit_entries")
          .select((eb) => eb.fn.sum<bigint | null>("amount_paise").as("total"))
          .where("customer_id", "=", customerId)
          .executeTakeFirst();
        const receipts = await trx
          .selectFrom("payments")
          .select(["id", "received_on", "amount_paise", "allocated_cash_paise"])
          .where("customer_id", "=", customerId)
          .where("status", "=", "received")
          .whereRef("allocated_cash_paise", "<", "amount_paise")
          .orderBy("received_on")
          .orderBy("id")
          .execute();
        return {
          customerId,
          balancePaise: money(BigInt(balance?.total ?? 0n)),
          receipts: receipts.map((row) => ({
            paymentId: row.id,
            receivedOn: row.received_on,
            unallocatedPaise: money(row.amount_paise - row.allocated_cash_paise),
          })),
        };
      }),

    /** TDS the customer deducted, per kind, section, TAN and quarter, with what Form 26AS has confirmed. */
    tdsPosition: (
      tenantId: string,
      input: { customerId: string; financialYear?: string | undefined },
    ): Promise<TdsPositionView> =>
      inTenant(tenantId, async (trx) => {
        let select = trx
          .selectFrom("tds_receivable_entries")
          .selectAll()
          .where("customer_id", "=", input.customerId);
        if (input.financialYear) select = select.where("financial_year", "=", input.financialYear);
        const rows = await select
          .orderBy("financial_year")
          .orderBy("quarter")
          .orderBy("created_at")
          .execute();
        const groups = new Map<
          string,
          {
            kind: "income-tax" | "gst";
            section: string | null;
            tan: string | null;
            financialYear: string;
            quarter: TdsQuarter;
            receivable: bigint;
            credited: bigint;
            pending: bigint;
            mismatch: bigint;
            count: number;
          }
        >();
        for (const row of rows) {
          const key = [row.kind, row.section ?? "", row.tan ?? "", row.financial_year, row.quarter].join("|");
          const group = groups.get(key) ?? {
            kind: row.kind as "income-tax" | "gst",
            section: row.section,
            tan: row.tan,
            financialYear: row.financial_year,
            quarter: row.quarter as TdsQuarter,
            receivable: 0n,
            credited: 0n,
            pending: 0n,
            mismatch: 0n,
            count: 0,
          };
          if (row.status !== "cancelled") {
            group.receivable += row.amount_paise;
            group.count += 1;
            if (row.status === "credited") group.credited += row.amount_paise;
            else if (row.status === "mismatch") group.mismatch += row.amount_paise;
            else group.pending += row.amount_paise;
          }
          groups.set(key, group);
        }
        const list = [...groups.values()].filter((group) => group.count > 0);
        return {
          customerId: input.customerId,
          rows: list.map((group) => ({
            kind: group.kind,
            section: group.section,
            tan: group.tan,
            financialYear: group.financialYear,
            quarter: group.quarter,
            returnDueDate: tdsReturnDueDate(group.financialYear, group.quarter),
            receivablePaise: money(group.receivable),
            creditedPaise: money(group.credited),
            pendingPaise: money(group.pending),
            mismatchPaise: money(group.mismatch),
            entryCount: group.count,
          })),
          totalReceivablePaise: money(list.reduce((sum, group) => sum + group.receivable, 0n)),
        };
      }),
  };
}
