import { z } from "zod";
import type { Logger } from "pino";
import type { CommandMeta } from "../../platform/audit/command-actor.ts";
import type { EventConsumer } from "../../platform/events/event-bus.port.ts";
import type { CloudEvent } from "../../platform/events/event-outbox.ts";
import { formatInr } from "./amounts.ts";
import { parseWith } from "./field-issues.ts";
import { ZIsoDate } from "./payment.schema.ts";
import { type PaymentService } from "./payment.service.ts";
import { ZId, ZPaiseText } from "./payments.schemas.ts";
import { createUnitOfWork, type PaymentsDeps, type UnitOfWork } from "./payments.unit-of-work.ts";
import { money, type ReceivableView } from "./payments.views.ts";
import { toReceivableView } from "./payment.repository.ts";
import type { PaymentsDb } from "./payments.tables.ts";

/**
 * Invoicing's events as payments reads them. These are payments' own copies of the wire contract (modules never
 * import each other): only the fields payments needs, money as strings of paise, extra fields ignored.
 */
export const INVOICE_EVENT_TYPES = [
  "invoice.issued",
  "credit-note.issued",
  "debit-note.issued",
  "invoice.cancelled",
] as const;
export type InvoiceEventType = (typeof INVOICE_EVENT_TYPES)[number];

const ZInvoiceIssuedWire = z.object({
  invoiceId: ZId,
  invoiceNumber: z.string().min(1).max(60),
  customerId: ZId.nullable(),
  /** The buyer's legal name (newer events carry it). */
  buyerName: z.string().min(1).max(200).optional(),
  issueDate: ZIsoDate,
  dueDate: ZIsoDate.nullable(),
  taxableValuePaise: ZPaiseText,
  totalPaise: ZPaiseText,
  /** IGST charged (newer events carry it): the GST TDS on it is IGST as well. */
  interState: z.boolean().optional(),
});

const ZNoteIssuedWire = z.object({
  noteId: z.string().min(1),
  noteNumber: z.string().min(1),
  invoiceId: ZId,
  totalPaise: ZPaiseText,
});

const ZInvoiceCancelledWire = z.object({
  invoiceId: ZId,
  reason: z.string().min(1),
  cancelledAt: z.string().min(1),
});

/** What handling one invoicing event did to payments' receivable. */
export interface InvoiceEventOutcome {
  eventId: string;
  type: InvoiceEventType;
  outcome: "registered" | "unchanged" | "credited" | "debited" | "cancelled" | "skipped";
  /** Why nothing was done, when skipped. */
  reason?: string;
  receivable?: ReceivableView;
}

export const INVOICE_EVENTS_ACTOR = "system:invoicing-events";

function isInvoiceEventType(type: string): type is InvoiceEventType {
  return (INVOICE_EVENT_TYPES as readonly string[]).includes(type);
}

/**
 * Keeps payments' receivables in step with invoicing: an issued invoice is registered, a credit note takes its
 * amount off what is open (never below zero: any excess is a refund the business owes, recorded in the audit
 * entry), a debit note adds to it, a cancellation closes it. Each event is handled once: its id is the
 * idempotency key of the command, claimed in the same transaction as the change, so a redelivered event changes
 * nothing and gets the first answer.
 */
export function createInvoiceEventsService(
  deps: PaymentsDeps,
  payments: PaymentService,
  unitOfWork: UnitOfWork = createUnitOfWork(deps),
) {
  const { clock, audit, command } = unitOfWork;

  async function lockReceivable(trx: PaymentsDb, invoiceId: string) {
    return trx
      .selectFrom("payment_receivables")
      .selectAll()
      .where("invoice_id", "=", invoiceId)
      .forUpdate()
      .executeTakeFirst();
  }

  async function handleIssued(
    trx: PaymentsDb,
    meta: CommandMeta,
    event: CloudEvent,
  ): Promise<InvoiceEventOutcome> {
    const data = parseWith(ZInvoiceIssuedWire, event.data, "data");
    const base = { eventId: event.id, type: "invoice.issued" as const };
    if (data.customerId === null) {
      return { ...base, outcome: "skipped", reason: "the invoice names no customer" };
    }
    if (data.totalPaise === 0n) return { ...base, outcome: "skipped", reason: "the invoice totals zero" };
    const result = await payments.upsertReceivableInTrx(trx, meta, {
      invoiceId: data.invoiceId,
      invoiceNumber: data.invoiceNumber,
      customerId: data.customerId,
      ...(data.buyerName ? { customerName: data.buyerName } : {}),
      issueDate: data.issueDate,
      // An invoice without a due date is due on receipt.
      dueDate: data.dueDate ?? data.issueDate,
      totalPaise: data.totalPaise,
      taxableValuePaise: data.taxableValuePaise,
      ...(data.interState !== undefined ? { interState: data.interState } : {}),
    });
    return { ...base, outcome: result.changed ? "registered" : "unchanged", receivable: result.receivable };
  }

  async function handleNote(
    trx: PaymentsDb,
    meta: CommandMeta,
    event: CloudEvent,
    kind: "credit" | "debit",
  ): Promise<InvoiceEventOutcome> {
    const data = parseWith(ZNoteIssuedWire, event.data, "data");
    const base = { eventId: event.id, type: `${kind}-note.issued` as const };
    const existing = await lockReceivable(trx, data.invoiceId);
    if (!existing) return { ...base, outcome: "skipped", reason: "payments does not know the invoice" };
    if (existing.status === "cancelled")
      return { ...base, outcome: "skipped", reason: "the invoice is cancelled" };
    const now = clock();
    let applied = data.totalPaise;
    let excess = 0n;
    if (kind === "credit" && applied > existing.open_paise) {
      excess = applied - existing.open_paise;
      applied = existing.open_paise;
    }
    const delta = kind === "credit" ? -applied : applied;
    const row = await trx
      .updateTable("payment_receivables")
      .set({
        total_paise: existing.total_paise + delta,
        open_paise: existing.open_paise + delta,
        credited_paise: existing.credited_paise + (kind === "credit" ? applied : 0n),
        debited_paise: existing.debited_paise + (kind === "debit" ? applied : 0n),
        version: existing.version + 1,
        updated_at: now,
      })
      .where("invoice_id", "=", data.invoiceId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, meta, {
      action: `receivable.${kind}-note-applied`,
      entity: { type: "receivable", id: data.invoiceId },
      before: { totalPaise: money(existing.total_paise), openPaise: money(existing.open_paise) },
      after: { totalPaise: money(row.total_paise), openPaise: money(row.open_paise) },
      metadata: {
        eventId: event.id,
        noteId: data.noteId,
        noteNumber: data.noteNumber,
        notePaise: money(data.totalPaise),
        appliedPaise: money(applied),
        ...(excess > 0n
          ? {
              excessCreditPaise: money(excess),
              note: `${formatInr(excess)} more than was open: a refund due to the customer`,
            }
          : {}),
      },
    });
    return {
      ...base,
      outcome: kind === "credit" ? "credited" : "debited",
      receivable: toReceivableView(row),
    };
  }

  async function handleCancelled(
    trx: PaymentsDb,
    meta: CommandMeta,
    event: CloudEvent,
  ): Promise<InvoiceEventOutcome> {
    const data = parseWith(ZInvoiceCancelledWire, event.data, "data");
    const base = { eventId: event.id, type: "invoice.cancelled" as const };
    const existing = await lockReceivable(trx, data.invoiceId);
    if (!existing) return { ...base, outcome: "skipped", reason: "payments does not know the invoice" };
    if (existing.status === "cancelled") {
      return { ...base, outcome: "unchanged", receivable: toReceivableView(existing) };
    }
    const row = await trx
      .updateTable("payment_receivables")
      .set({ status: "cancelled", open_paise: 0n, version: existing.version + 1, updated_at: clock() })
      .where("invoice_id", "=", data.invoiceId)
      .returningAll()
      .executeTakeFirstOrThrow();
    const settled = existing.total_paise - existing.open_paise;
    await audit(trx, meta, {
      action: "receivable.cancelled",
      entity: { type: "receivable", id: data.invoiceId },
      before: { openPaise: money(existing.open_paise), status: existing.status },
      after: { openPaise: money(0n), status: "cancelled" },
      metadata: {
        eventId: event.id,
        reason: data.reason,
        // Invoicing cancels only invoices nothing was applied to; an allocation made here meanwhile must be
        // undone by hand.
        ...(settled > 0n ? { settledPaise: money(settled) } : {}),
      },
    });
    return { ...base, outcome: "cancelled", receivable: toReceivableView(row) };
  }

  return {
    /** Applies one invoicing event to the receivable it concerns, once per event id. */
    applyInvoiceEvent(event: CloudEvent): Promise<InvoiceEventOutcome> {
      const meta: CommandMeta = {
        tenantId: event.tenantid,
        actor: INVOICE_EVENTS_ACTOR,
        idempotencyKey: `event:${event.id}`,
      };
      return command(meta, "payments.apply-invoice-event", { type: event.type, data: event.data }, (trx) => {
        if (!isInvoiceEventType(event.type)) {
          return Promise.resolve({
            eventId: event.id,
            type: event.type as InvoiceEventType,
            outcome: "skipped" as const,
            reason: `payments does not take ${event.type}`,
          });
        }
        switch (event.type) {
          case "invoice.issued":
            return handleIssued(trx, meta, event);
          case "credit-note.issued":
            return handleNote(trx, meta, event, "credit");
          case "debit-note.issued":
            return handleNote(trx, meta, event, "debit");
          case "invoice.cancelled":
            return handleCancelled(trx, meta, event);
        }
      });
    },
  };
}

export type InvoiceEventsService = ReturnType<typeof createInvoiceEventsService>;

/**
 * The durable bus consumer that feeds payments' receivables from invoicing's events. Invoicing publishes every
 * event of an invoice with the invoice id as subject, so one invoice's events arrive in order.
 */
export function createReceivablesConsumer(options: {
  service: InvoiceEventsService;
  logger?: Logger;
  name?: string;
}): EventConsumer {
  return {
    name: options.name ?? "payments-receivables",
    types: [...INVOICE_EVENT_TYPES],
    startFrom: "beginning",
    async handle(event) {
      const result = await options.service.applyInvoiceEvent(event);
      if (result.outcome === "skipped") {
        options.logger?.info(
          { eventId: event.id, type: event.type, tenantId: event.tenantid, reason: result.reason },
          "invoice event not applied to a receivable",
        );
      }
    },
  };
}
