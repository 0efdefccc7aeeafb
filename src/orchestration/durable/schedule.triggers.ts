import type { Kysely } from "kysely";
import type { DB } from "../../platform/db/schema.ts";
import type { CloudEvent } from "../../platform/events/event-outbox.ts";
import type { OrchestrationTables } from "../store/orchestration.tables.ts";
import type { EventFilter } from "./event.dispatcher.ts";
import { toJsonText } from "./instance.store.ts";
import type { UntilSpec } from "./schedule.slots.ts";

/** An `on` schedule as the dispatcher sees it. */
export interface EventSchedule {
  tenantId: string;
  namespace: string;
  name: string;
  version: string;
  mode: "one" | "any" | "all";
  filters: EventFilter[];
  /** `on.any.until`: the events that end the schedule. */
  until?: UntilSpec;
  /** Set once `until` is satisfied: later events start nothing. */
  ended?: boolean;
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
    .where("ended_at", "is", null)
    .where("tenant_id", "in", tenants)
    .execute();
  return rows.map((row) => {
    const spec = row.spec as { mode: EventSchedule["mode"]; filters: EventFilter[]; until?: UntilSpec };
    return {
      tenantId: row.tenant_id,
      namespace: row.namespace,
      name: row.name,
      version: row.version,
      mode: spec.mode,
      filters: spec.filters,
      ...(spec.until ? { until: spec.until } : {}),
    };
  });
}

/** Which `until` filters of a schedule an event fills (none when the schedule has no `until`). */
export function matchingUntilIndexes(
  schedule: EventSchedule,
  event: CloudEvent,
  matches: (event: CloudEvent, filter: EventFilter) => boolean,
): number[] {
  if (!schedule.until) return [];
  return matchingFilterIndexes(
    { ...schedule, mode: schedule.until.mode, filters: schedule.until.filters },
    event,
    matches,
  );
}

/**
 * Records that an event satisfied (part of) a schedule's `until`; returns true when the schedule has now ended.
 * For `all`, each filter's event is kept (as an already-handled trigger with a negative index) until every filter
 * has one. Runs in the dispatcher's transaction, so events after this one in the same pass start nothing.
 */
export async function recordUntil(
  trx: Kysely<DB & OrchestrationTables>,
  schedule: EventSchedule,
  event: CloudEvent,
  untilIndexes: number[],
  now: Date,
): Promise<boolean> {
  const until = schedule.until;
  if (!until || untilIndexes.length === 0) return false;
  if (until.mode === "all") {
    for (const index of untilIndexes) {
      await trx
        .insertInto("workflow_schedule_triggers")
        .values({
          tenant_id: schedule.tenantId,
          namespace: schedule.namespace,
          name: schedule.name,
          version: schedule.version,
          event_id: event.id,
          filter_index: -1 - index,
          event: toJsonText(event),
          started_at: now,
          instance_id: null,
        })
        .onConflict((conflict) =>
          conflict.columns(["tenant_id", "namespace", "name", "event_id", "filter_index"]).doNothing(),
        )
        .execute();
    }
    const seen = await trx
      .selectFrom("workflow_schedule_triggers")
      .select((eb) => eb.fn.count<string>("filter_index").distinct().as("filters"))
      .where("tenant_id", "=", schedule.tenantId)
      .where("namespace", "=", schedule.namespace)
      .where("name", "=", schedule.name)
      .where("version", "=", schedule.version)
      .where("filter_index", "<", 0)
      .executeTakeFirstOrThrow();
    if (Number(seen.filters) < until.filters.length) return false;
  }
  await trx
    .updateTable("workflow_schedules")
    .set({ ended_at: now, ended_by_event: event.id })
    .where("tenant_id", "=", schedule.tenantId)
    .where("namespace", "=", schedule.namespace)
    .where("name", "=", schedule.name)
    .where("version", "=", schedule.version)
    .where("ended_at", "is", null)
    .execute();
  schedule.ended = true;
  return true;
}
