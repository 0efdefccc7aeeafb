import type { Kysely } from "kysely";
import type { DB } from "../../platform/db/schema.ts";
import type { CloudEvent } from "../../platform/events/event-outbox.ts";
import type { OrchestrationTables } from "../store/orchestration.tables.ts";
import type { EventFilter } from "./event.dispatcher.ts";
import { toJsonText } from "./instance.store.ts";

/** An `on` schedule as the dispatcher sees it. */
export interface EventSchedule {
  tenantId: string;
  namespace: string;
  name: string;
  version: string;
  mode: "one" | "any" | "all";
  filters: EventFilter[];
}

/**
 * Which filters of a schedule an event fills: for `one`/`any` at most index 0 (an event starts at most one
 * instance per schedule); for `all` every filter it matches, so the sweep can see when each has an event.
 * An empty `any` list takes every event.
 */
export function matchingFilterIndexes(
  schedule: EventSchedule,
  event: CloudEvent,
  matches: (event: CloudEvent, filter: EventFilter) => boolean,
): number[] {
  if (schedule.mode === "all") {
    return schedule.filters.flatMap((filter, index) => (matches(event, filter) ? [index] : []));
  }
  if (schedule.mode === "any" && schedule.filters.length === 0) return [0];
  return schedule.filters.some((filter) => matches(event, filter)) ? [0] : [];
}

/** Records that an event matched an `on` schedule, once per (schedule, event, filter). */
export async function recordTrigger(
  trx: Kysely<DB & OrchestrationTables>,
  schedule: EventSchedule,
  event: CloudEvent,
  filterIndex: number,
): Promise<void> {
  await trx
    .insertInto("workflow_schedule_triggers")
    .values({
      tenant_id: schedule.tenantId,
      namespace: schedule.namespace,
      name: schedule.name,
      version: schedule.version,
      event_id: event.id,
      filter_index: filterIndex,
      event: toJsonText(event),
      started_at: null,
      instance_id: null,
    })
    .onConflict((conflict) =>
      conflict.columns(["tenant_id", "namespace", "name", "event_id", "filter_index"]).doNothing(),
    )
    .execute();
}

/** The `on` schedules of some tenants (only current versions have rows). */
export async function loadEventSchedules(
  trx: Kysely<DB & OrchestrationTables>,
  tenants: string[],
): Promise<EventSchedule[]> {
  if (tenants.length === 0) return [];
  const rows = await trx
    .selectFrom("workflow_schedules")
    .select(["tenant_id", "namespace", "name", "version", "spec"])
    .where("kind", "=", "on")
    .where("spec", "is not", null)
    .where("tenant_id", "in", tenants)
    .execute();
  return rows.map((row) => {
    const spec = row.spec as { mode: EventSchedule["mode"]; filters: EventFilter[] };
    return {
      tenantId: row.tenant_id,
      namespace: row.namespace,
      name: row.name,
      version: row.version,
      mode: spec.mode,
      filters: spec.filters,
    };
  });
}
