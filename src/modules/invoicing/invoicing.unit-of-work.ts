import type { Kysely } from "kysely";
import { AppError } from "../../kernel/app-error.ts";
import { appendAudit } from "../../platform/audit/audit.log.ts";
import { withTenant } from "../../platform/db/database.ts";
import type { DB } from "../../platform/db/schema.ts";
import { appendEvent, type EventTypeRegistry } from "../../platform/events/event-outbox.ts";
import { auditActorOf, type CommandMeta } from "../../platform/audit/command-actor.ts";
import { runOnce } from "./command-keys.ts";
import type { InvoicingEvent } from "./invoice.events.ts";
import { findInvoice, toInvoiceView, writeInvoice, type InvoiceRecord } from "./invoice.repository.ts";
import type { InvoiceView } from "./invoice.views.ts";
import { platformDb, type InvoicingDb, type InvoicingTables } from "./invoicing.tables.ts";

export const INVOICING_EVENT_SOURCE = "/invoicing";

export interface InvoicingDeps {
  /** The application pool (row-level security applies). */
  db: Kysely<DB>;
  events: EventTypeRegistry;
  /** Epoch milliseconds. */
  now(): number;
}

/** The calendar date in India (UTC+05:30) at an instant: what "today" means for due dates. */
export function indianDate(epochMs: number): string {
  return new Date(epochMs + 330 * 60_000).toISOString().slice(0, 10);
}

export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const candidate = error as { code?: string; constraint?: string };
  return candidate.code === "23505" && candidate.constraint === constraint;
}

/**
 * What every invoicing command shares: a tenant transaction, the outbox, the audit log, the idempotency key
 * and the row lock with version check. One command, one transaction: the change, its events and its audit
 * entry commit together or not at all.
 */
export function createUnitOfWork(deps: InvoicingDeps) {
  const clock = () => new Date(deps.now());

  const inTenant = <T>(tenantId: string, work: (trx: InvoicingDb) => Promise<T>) =>
    withTenant(deps.db, tenantId, (trx) => work(trx.withTables<InvoicingTables>()));

  async function publish(trx: InvoicingDb, tenantId: string, events: readonly InvoicingEvent[]) {
    for (const event of events) {
      await appendEvent(platformDb(trx), deps.events, {
        tenantId,
        type: event.type,
        source: INVOICING_EVENT_SOURCE,
        subject: event.payload.invoiceId,
        data: event.payload,
      });
    }
  }

  async function audit(
    trx: InvoicingDb,
    meta: CommandMeta,
    entry: {
      action: string;
      entity?: { type: string; id: string };
      before?: unknown;
      after?: unknown;
      metadata?: Record<string, unknown>;
    },
  ) {
    await appendAudit(
      trx,
      {
        tenantId: meta.tenantId,
        actor: auditActorOf(meta.actor),
        action: entry.action,
        ...(entry.entity !== undefined ? { entity: entry.entity } : {}),
        ...(entry.before !== undefined ? { before: entry.before } : {}),
        ...(entry.after !== undefined ? { after: entry.after } : {}),
        ...(entry.metadata !== undefined ? { metadata: entry.metadata } : {}),
        ...(meta.requestId !== undefined ? { requestId: meta.requestId } : {}),
      },
      { clock },
    );
  }

  async function requireInvoice(trx: InvoicingDb, id: string, forUpdate = false): Promise<InvoiceRecord> {
    const record = await findInvoice(trx, id, { forUpdate });
    if (!record) throw AppError.notFound("invoice", id);
    return record;
  }

  /** Runs a command in one tenant transaction, once per idempotency key. */
  function command<T>(
    meta: CommandMeta,
    name: string,
    request: unknown,
    work: (trx: InvoicingDb) => Promise<T>,
  ) {
    return inTenant(meta.tenantId, (trx) =>
      runOnce(trx, { tenantId: meta.tenantId, key: meta.idempotencyKey, command: name, request }, () =>
        work(trx),
      ),
    );
  }

  /**
   * Changes one invoice under its row lock: `change` gets the current record and returns the next one with the
   * events to publish; the row is written with the version moved on, then events and audit entry follow.
   */
  function changeInvoice(
    meta: CommandMeta,
    name: string,
    request: { invoiceId: string; expectedVersion?: number | undefined },
    change: (
      record: InvoiceRecord,
      trx: InvoicingDb,
    ) => Promise<{
      record: InvoiceRecord;
      events: InvoicingEvent[];
      auditAction: string;
      replaceLines?: boolean;
      metadata?: Record<string, unknown>;
      /** Nothing to do: answer with the current record. */
      unchanged?: boolean;
    }>,
  ): Promise<InvoiceView> {
    return command(meta, name, request, async (trx) => {
      const current = await requireInvoice(trx, request.invoiceId, true);
      if (request.expectedVersion !== undefined && request.expectedVersion !== current.version) {
        throw AppError.conflict(
          `invoice ${current.invoice.number} is at version ${current.version}, not ${request.expectedVersion}; reload and retry`,
          { invoiceId: current.invoice.id, version: current.version },
        );
      }
      const outcome = await change(current, trx);
      if (outcome.unchanged === true) return toInvoiceView(current);
      const next: InvoiceRecord = {
        ...outcome.record,
        version: current.version + 1,
        updatedAt: clock().toISOString(),
      };
      const written = await writeInvoice(trx, meta.tenantId, next, current.version, {
        replaceLines: outcome.replaceLines === true,
      });
      if (!written) {
        throw AppError.conflict(`invoice ${current.invoice.number} changed meanwhile; reload and retry`);
      }
      await publish(trx, meta.tenantId, outcome.events);
      const view = toInvoiceView(next);
      await audit(trx, meta, {
        action: outcome.auditAction,
        entity: { type: "invoice", id: next.invoice.id },
        before: toInvoiceView(current),
        after: view,
        ...(outcome.metadata !== undefined ? { metadata: outcome.metadata } : {}),
      });
      return view;
    });
  }

  return { clock, inTenant, publish, audit, requireInvoice, command, changeInvoice };
}

export type UnitOfWork = ReturnType<typeof createUnitOfWork>;
