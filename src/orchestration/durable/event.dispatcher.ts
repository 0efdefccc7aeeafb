import { sql, type Kysely } from "kysely";
import type { DB } from "../../platform/db/schema.ts";
import { rowToCloudEvent, type CloudEvent } from "../../platform/events/event-outbox.ts";
import { evaluateCondition, isRuntimeExpression } from "../dsl/runtime-expression.ts";
import { matchesEventProperties } from "../runtime/event-filter.ts";
import type { CloudEvent as RuntimeCloudEvent } from "../runtime/runtime-host.port.ts";
import type { OrchestrationTables } from "../store/orchestration.tables.ts";
import { toJsonText } from "./instance.store.ts";
import {
  loadEventSchedules,
  matchingFilterIndexes,
  matchingUntilIndexes,
  recordTrigger,
  recordUntil,
} from "./schedule.triggers.ts";

/** The `with` part of a Serverless Workflow event filter: attributes the event must have. */
export interface EventFilter {
  with?: Record<string, unknown>;
}

/**
 * Whether an event passes a `listen` filter, with the interpreter's own matching rules (exact values, regular
 * expressions, runtime expressions evaluated against the attribute).
 */
export function eventMatchesFilter(event: CloudEvent, filter: EventFilter): boolean {
  return matchesEventProperties(
    event as unknown as RuntimeCloudEvent,
    filter.with ?? {},
    (expression, value) => evaluateCondition(`\${ ${expression} }`, value),
  );
}

/** The event types a filter can match, for the index on open correlations; `*` when it names no fixed type. */
export function filterEventType(filter: EventFilter): string {
  const type = filter.with?.type;
  return typeof type === "string" && !isRuntimeExpression(type) && /^[\w.-]+$/.test(type) ? type : "*";
}

/**
 * Matches new outbox events against open correlations, recording each delivery once per correlation.
 * Runs across tenants on the owner connection; concurrent dispatchers never take the same events.
 * Returns the instances that received something, so they can be woken. Events matching an `on` schedule are
 * recorded for it in the same pass (the schedule sweep starts the instances).
 */
export async function dispatchPendingEvents(deps: { owner: Kysely<DB>; limit?: number }): Promise<{
  dispatched: number;
  /** Parked instances the events woke, each moved to the execution to hand to the engine. */
  woken: { tenantId: string; instanceId: string; execution: number }[];
}> {
  const db = deps.owner.withTables<OrchestrationTables>();
  return db.transaction().execute(async (trx) => {
    const events = await trx
      .selectFrom("event_outbox")
      .select(["sequence", "id", "tenant_id", "type", "source", "subject", "time", "data"])
      .where("correlated_at", "is", null)
      .orderBy("sequence")
      .limit(deps.limit ?? 200)
      .forUpdate()
      .skipLocked()
      .execute();
    if (events.length === 0) return { dispatched: 0, woken: [] };

    const tenants = [...new Set(events.map((event) => event.tenant_id))];
    const correlations = await trx
      .selectFrom("workflow_correlations")
      .select(["id", "instance_id", "tenant_id", "event_types", "filters"])
      .where("tenant_id", "in", tenants)
      .where("closed_at", "is", null)
      .execute();
    const schedules = await loadEventSchedules(trx, tenants);

    const woken = new Map<string, { tenantId: string; instanceId: string }>();
    for (const row of events) {
      const event = rowToCloudEvent(row);
      for (const correlation of correlations) {
        if (correlation.tenant_id !== row.tenant_id) continue;
        if (!correlation.event_types.includes(row.type) && !correlation.event_types.includes("*")) continue;
        const filters = correlation.filters as EventFilter[];
        if (!filters.some((filter) => safeMatch(event, filter))) continue;
        await trx
          .insertInto("workflow_deliveries")
          .values({
            correlation_id: correlation.id,
            event_id: row.id,
            tenant_id: row.tenant_id,
            event: toJsonText(event),
          })
          .onConflict((conflict) => conflict.columns(["correlation_id", "event_id"]).doNothing())
          .execute();
        woken.set(correlation.instance_id, {
          tenantId: correlation.tenant_id,
          instanceId: correlation.instance_id,
        });
      }
      for (const schedule of schedules) {
        if (schedule.tenantId !== row.tenant_id || schedule.ended) continue;
        // As in `listen`, an event that `until` takes ends (or moves towards ending) the schedule and starts nothing.
        const untilIndexes = matchingUntilIndexes(schedule, event, safeMatch);
        if (untilIndexes.length > 0) {
          await recordUntil(trx, schedule, event, untilIndexes, new Date());
          continue;
        }
        for (const index of matchingFilterIndexes(schedule, event, safeMatch))
          await recordTrigger(trx, schedule, event, index);
      }
    }
    await trx
      .updateTable("event_outbox")
      .set({ correlated_at: new Date() })
      .where(
        "sequence",
        "in",
        events.map((event) => event.sequence),
      )
      .execute();
    // Parked instances that received something move to their next execution in this same transaction, so a
    // process that dies after the commit cannot leave a delivered event with nobody to wake its instance (an
    // execution not yet handed to the engine is picked up by the sweep's stalled-execution check).
    const instanceIds = [...woken.keys()];
    const claimed =
      instanceIds.length === 0
        ? []
        : (
            await sql<{ instance_id: string; tenant_id: string; execution: number }>`
              with removed as (
                delete from workflow_parked
                where instance_id = any(${instanceIds}::uuid[]) and reason in ('event', 'timer')
                returning instance_id
              )
              update workflow_instances i
              set execution = i.execution + 1, status = 'running', updated_at = now(), suspend_requested = false
              from removed
              where i.id = removed.instance_id
              returning i.id as instance_id, i.tenant_id, i.execution`.execute(trx)
          ).rows;
    return {
      dispatched: events.length,
      woken: claimed.map((row) => ({
        tenantId: row.tenant_id,
        instanceId: row.instance_id,
        execution: row.execution,
      })),
    };
  });
}

/** A filter whose expression fails on an event does not match it (the failure is the event's, not the bus's). */
function safeMatch(event: CloudEvent, filter: EventFilter): boolean {
  try {
    return eventMatchesFilter(event, filter);
  } catch {
    return false;
  }
}
