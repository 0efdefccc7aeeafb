import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { AppError } from "../../kernel/app-error.ts";
import { appendEvent } from "../../platform/events/event-outbox.ts";
import { decodeCursor, encodeCursor, type Page } from "../../platform/http/pagination.ts";
import type { CommandMeta } from "../../platform/audit/command-actor.ts";
import { addDays, isCalendarDate, type CalendarDate } from "./calendar-date.ts";
import { classifyDueness } from "./due-date.calculator.ts";
import { INVOICING_EVENT_TYPES, toPaiseText, type InvoicingEvent } from "./invoice.events.ts";
import { OPEN_STATUSES, type InvoiceRow } from "./invoice.repository.ts";
import type { InvoiceStatus } from "./invoice.schemas.ts";
import type { DueInvoice, MarkOverdueResult } from "./invoice.views.ts";
import { loadSettings } from "./invoicing-settings.repository.ts";
import { platformDb, type InvoicingDb } from "./invoicing.tables.ts";
import {
  createUnitOfWork,
  INVOICING_EVENT_SOURCE,
  indianDate,
  type InvoicingDeps,
  type UnitOfWork,
} from "./invoicing.unit-of-work.ts";

export interface ListDueQuery {
  /** The day to judge by; today in India when absent. */
  asOf?: string;
  /** Days before the due date that count as due soon; the organisation's setting when absent. */
  dueSoonDays?: number;
  state?: "due-soon" | "overdue" | "all";
  limit: number;
  cursor?: string;
}

function dueInvoiceOf(row: InvoiceRow, asOf: CalendarDate, dueSoonDays: number): DueInvoice | null {
  if (row.due_date === null) return null;
  const dueness = classifyDueness({ dueDate: row.due_date as CalendarDate, today: asOf, dueSoonDays });
  if (dueness.state === "not-due") return null;
  return {
    invoiceId: row.id,
    invoiceNumber: row.number,
    customerId: row.customer_id,
    buyerName: row.buyer_name,
    buyerGstin: row.buyer_gstin,
    status: row.status as InvoiceStatus,
    dueDate: row.due_date,
    state: dueness.state,
    daysUntilDue: dueness.state === "due-soon" ? dueness.daysUntilDue : null,
    daysOverdue: dueness.state === "overdue" ? dueness.daysOverdue : null,
    totalPaise: row.total_paise.toString(),
    outstandingPaise: row.outstanding_paise.toString(),
  };
}

function checkAsOf(asOf: string | undefined, now: number): CalendarDate {
  const date = asOf ?? indianDate(now);
  if (!isCalendarDate(date))
    throw AppError.invalidInput([{ field: "asOf", reason: "is a date in YYYY-MM-DD form" }]);
  return date;
}

/** Open invoices with money outstanding due on or before `until`, by due date. */
function openDueQuery(trx: InvoicingDb, options: { until: CalendarDate; from?: CalendarDate }) {
  let query = trx
    .selectFrom("invoices")
    .selectAll()
    .where("status", "in", OPEN_STATUSES)
    .where("outstanding_paise", ">", 0n)
    .where("due_date", "is not", null)
    .where("due_date", "<=", options.until);
  if (options.from !== undefined) query = query.where("due_date", ">=", options.from);
  return query;
}

/**
 * The due-date sweep: which invoices are due soon or overdue on a day, and the command that publishes
 * invoice.due-soon / invoice.overdue once per invoice, state and due date (a notice row makes it idempotent).
 */
export function createDueService(deps: InvoicingDeps, unitOfWork: UnitOfWork = createUnitOfWork(deps)) {
  const { inTenant, audit, command, clock } = unitOfWork;

  return {
    async listDue(tenantId: string, query: ListDueQuery): Promise<Page<DueInvoice> & { asOf: string }> {
      const asOf = checkAsOf(query.asOf, deps.now());
      const cursor = decodeCursor(query.cursor);
      if (cursor !== undefined && (typeof cursor.after !== "string" || !isCalendarDate(cursor.after))) {
        throw AppError.invalidInput([
          { field: "query.cursor", reason: "is not a cursor returned by this API" },
        ]);
      }
      const state = query.state ?? "all";
      return inTenant(tenantId, async (trx) => {
        const dueSoonDays = query.dueSoonDays ?? (await loadSettings(trx)).dueSoonDays;
        const until = state === "overdue" ? addDays(asOf, -1) : addDays(asOf, dueSoonDays);
        let rows = openDueQuery(trx, { until, ...(state === "due-soon" ? { from: asOf } : {}) });
        if (cursor !== undefined) {
          rows = rows.where(sql<boolean>`(due_date, id) > (${cursor.after}::date, ${cursor.id}::uuid)`);
        }
        const found = await rows
          .orderBy("due_date")
          .orderBy("id")
          .limit(query.limit + 1)
          .execute();
        const page = found.slice(0, query.limit);
        const last = page.at(-1);
        return {
          asOf,
          items: page.flatMap((row) => {
            const item = dueInvoiceOf(row, asOf, dueSoonDays);
            return item === null ? [] : [item];
          }),
          nextCursor:
            found.length > query.limit && last?.due_date != null
              ? encodeCursor({ after: last.due_date, id: last.id })
              : null,
        };
      });
    },

    /**
     * Publishes invoice.due-soon and invoice.overdue for the open invoices that reached those states by `asOf`,
     * each once per invoice, state and due date; running it again the same day publishes nothing new.
     */
    async markOverdue(
      input: { asOf?: string; dueSoonDays?: number },
      meta: CommandMeta,
    ): Promise<MarkOverdueResult> {
      const asOf = checkAsOf(input.asOf, deps.now());
      return command(meta, "invoicing.mark-overdue", { ...input, asOf }, async (trx) => {
        const dueSoonDays = input.dueSoonDays ?? (await loadSettings(trx)).dueSoonDays;
        const rows = await openDueQuery(trx, { until: addDays(asOf, dueSoonDays) })
          .orderBy("due_date")
          .orderBy("id")
          .execute();
        const result: MarkOverdueResult = { asOf, notified: [], dueSoon: 0, overdue: 0, alreadyNotified: 0 };
        const notifiedAt = clock();
        for (const row of rows) {
          const due = dueInvoiceOf(row, asOf, dueSoonDays);
          if (due === null) continue;
          if (due.state === "overdue") result.overdue += 1;
          else result.dueSoon += 1;
          const eventId = randomUUID();
          const claimed = await trx
            .insertInto("invoice_due_notices")
            .values({
              tenant_id: meta.tenantId,
              invoice_id: row.id,
              state: due.state,
              due_date: due.dueDate,
              as_of: asOf,
              event_id: eventId,
              notified_at: notifiedAt,
            })
            .onConflict((conflict) =>
              conflict.columns(["tenant_id", "invoice_id", "state", "due_date"]).doNothing(),
            )
            .returning("invoice_id")
            .executeTakeFirst();
          if (!claimed) {
            result.alreadyNotified += 1;
            continue;
          }
          const ref = {
            invoiceId: row.id,
            invoiceNumber: row.number,
            customerId: row.customer_id,
            dueDate: due.dueDate,
            outstandingPaise: toPaiseText(row.outstanding_paise),
            asOf,
          };
          const event: InvoicingEvent =
            due.state === "overdue"
              ? {
                  type: INVOICING_EVENT_TYPES.overdue,
                  payload: { ...ref, daysOverdue: due.daysOverdue ?? 1 },
                }
              : {
                  type: INVOICING_EVENT_TYPES.dueSoon,
                  payload: { ...ref, daysUntilDue: due.daysUntilDue ?? 0 },
                };
          await appendEvent(platformDb(trx), deps.events, {
            id: eventId,
            tenantId: meta.tenantId,
            type: event.type,
            source: INVOICING_EVENT_SOURCE,
            subject: row.id,
            data: event.payload,
          });
          result.notified.push({ invoiceId: row.id, invoiceNumber: row.number, state: due.state });
        }
        if (result.notified.length > 0) {
          await audit(trx, meta, {
            action: "invoice.due-notices-sent",
            metadata: { asOf, dueSoonDays, notified: result.notified },
          });
        }
        return result;
      });
    },
  };
}

export type DueService = ReturnType<typeof createDueService>;
