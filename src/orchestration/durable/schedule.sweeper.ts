import { sql, type Kysely } from "kysely";
import type { Logger } from "pino";
import type { DB } from "../../platform/db/schema.ts";
import type { ScheduleKindColumn, OrchestrationTables } from "../store/orchestration.tables.ts";
import { toJsonText } from "./instance.store.ts";
import { DEFAULT_TIME_ZONE, dueSlot, firstRun, parseSchedule, type ScheduleSpec } from "./schedule.slots.ts";

/** How the scheduler starts an instance: the orchestrator's idempotent start of one given version. */
export type ScheduledStart = (input: {
  tenantId: string;
  namespace: string;
  name: string;
  version: string;
  input: unknown;
  businessKey: string;
}) => Promise<{ instance: { id: string }; created: boolean }>;

export interface SchedulerDeps {
  /** Owner connection: the sweep works across tenants. */
  owner: Kysely<DB>;
  start: ScheduledStart;
  now: () => number;
  logger: Logger;
}

interface ScheduleRow {
  tenant_id: string;
  namespace: string;
  name: string;
  version: string;
  kind: ScheduleKindColumn;
  spec: ScheduleSpec | null;
  next_run_at: Date | null;
}

const scheduleKind = (schedule: unknown): ScheduleKindColumn => {
  const fields = typeof schedule === "object" && schedule !== null ? Object.keys(schedule) : [];
  return (["every", "cron", "after", "on"] as const).find((kind) => fields.includes(kind)) ?? "on";
};

/**
 * Starts instances of definitions whose current version has a `schedule`. Each sweep:
 * 1. keeps `workflow_schedules` in step with the definition heads (publish, rollback: the new current version
 *    takes over with a fresh next run; a version that is no longer current stops);
 * 2. starts the time-based schedules that are due, one worker per schedule (`for update skip locked`), each slot
 *    with business key `schedule:<slot>` so a retried slot returns the same instance;
 * 3. sets the next run of `after` schedules whose last instance has ended;
 * 4. starts the instances of events recorded for `on` schedules, with business key `event:<event id>`.
 */
export function createScheduler(deps: SchedulerDeps) {
  const owner = deps.owner.withTables<OrchestrationTables>();

  /** Brings schedule rows in line with the current versions; returns how many rows changed. */
  async function sync(): Promise<number> {
    const now = new Date(deps.now());
    const removed = await sql`
      delete from workflow_schedules s
      where not exists (
        select 1 from workflow_definition_heads h
        join workflow_definitions d on d.tenant_id = h.tenant_id and d.namespace = h.namespace
          and d.name = h.name and d.version = h.current_version
        where h.tenant_id = s.tenant_id and h.namespace = s.namespace and h.name = s.name
          and h.current_version = s.version and d.deprecated_at is null and d.document ? 'schedule'
      )`.execute(owner);
    const changed = await sql<{
      tenant_id: string;
      namespace: string;
      name: string;
      version: string;
      schedule: unknown;
      time_zone: string;
    }>`
      select h.tenant_id, h.namespace, h.name, h.current_version as version, d.document -> 'schedule' as schedule,
        coalesce(ws.time_zone, ${DEFAULT_TIME_ZONE}) as time_zone
      from workflow_definition_heads h
      join workflow_definitions d on d.tenant_id = h.tenant_id and d.namespace = h.namespace
        and d.name = h.name and d.version = h.current_version
      left join workflow_schedules s on s.tenant_id = h.tenant_id and s.namespace = h.namespace and s.name = h.name
      left join workflow_settings ws on ws.tenant_id = h.tenant_id
      where d.document ? 'schedule' and d.deprecated_at is null
        and (s.version is null or s.version <> h.current_version
          -- The business changed its time zone: its cron schedules are read afresh in the new one.
          or (s.kind = 'cron' and s.spec is not null
            and s.spec ->> 'timeZone' is distinct from coalesce(ws.time_zone, ${DEFAULT_TIME_ZONE})))`.execute(
      owner,
    );
    for (const row of changed.rows) {
      let spec: ScheduleSpec | null = null;
      let problem: string | null = null;
      try {
        spec = parseSchedule(row.schedule, { timeZone: row.time_zone });
      } catch (error) {
        problem = error instanceof Error ? error.message : String(error);
        deps.logger.warn(
          { tenantId: row.tenant_id, definition: `${row.namespace}/${row.name}@${row.version}`, problem },
          "workflow schedule cannot run",
        );
      }
      const values = {
        tenant_id: row.tenant_id,
        namespace: row.namespace,
        name: row.name,
        version: row.version,
        kind: spec?.kind ?? scheduleKind(row.schedule),
        spec: spec ? toJsonText(spec) : null,
        problem,
        next_run_at: spec ? firstRun(spec, now) : null,
        last_slot: null,
        last_instance_id: null,
        activated_at: now,
      };
      await owner
        .insertInto("workflow_schedules")
        .values(values)
        .onConflict((conflict) =>
          conflict
            .columns(["tenant_id", "namespace", "name"])
            .doUpdateSet({
              version: values.version,
              kind: values.kind,
              spec: values.spec,
              problem: values.problem,
              next_run_at: values.next_run_at,
              last_slot: null,
              last_instance_id: null,
              activated_at: now,
              ended_at: null,
              ended_by_event: null,
            })
            .where((eb) =>
              eb.or([
                eb("workflow_schedules.version", "<>", values.version),
                eb("workflow_schedules.spec", "is distinct from", eb.ref("excluded.spec")),
              ]),
            ),
        )
        .execute();
    }
    return Number(removed.numAffectedRows ?? 0n) + changed.rows.length;
  }

  /** Starts every due time-based schedule once (one instance per schedule, catching up missed slots in one). */
  async function startDue(limit: number): Promise<number> {
    const now = new Date(deps.now());
    return owner.transaction().execute(async (trx) => {
      const due = await sql<ScheduleRow>`
        select s.tenant_id, s.namespace, s.name, s.version, s.kind, s.spec, s.next_run_at
        from workflow_schedules s
        join workflow_definition_heads h on h.tenant_id = s.tenant_id and h.namespace = s.namespace
          and h.name = s.name and h.current_version = s.version
        where s.next_run_at <= ${now} and s.kind <> 'on' and s.spec is not null
        order by s.next_run_at
        limit ${limit}
        for update of s skip locked`.execute(trx);
      let started = 0;
      for (const row of due.rows) {
        if (!row.spec || !row.next_run_at) continue;
        const slot = dueSlot(row.spec, row.next_run_at, now);
        if (!slot) continue;
        let instanceId: string | null = null;
        try {
          const result = await deps.start({
            tenantId: row.tenant_id,
            namespace: row.namespace,
            name: row.name,
            version: row.version,
            input: {},
            businessKey: `schedule:${slot.slot.toISOString()}`,
          });
          instanceId = result.instance.id;
          if (result.created) started += 1;
        } catch (error) {
          deps.logger.error(
            {
              err: error,
              tenantId: row.tenant_id,
              definition: `${row.namespace}/${row.name}@${row.version}`,
            },
            "scheduled start failed; the slot is skipped",
          );
        }
        // An `after` schedule whose start failed tries again one delay later.
        const next =
          row.spec.kind === "after" && instanceId === null
            ? new Date(now.getTime() + row.spec.delayMs)
            : slot.next;
        await trx
          .updateTable("workflow_schedules")
          .set({ next_run_at: next, last_slot: slot.slot, last_instance_id: instanceId })
          .where("tenant_id", "=", row.tenant_id)
          .where("namespace", "=", row.namespace)
          .where("name", "=", row.name)
          .where("version", "=", row.version)
          .execute();
      }
      return started;
    });
  }

  /** Sets the next run of `after` schedules whose last instance has ended (completed, faulted or cancelled). */
  async function rearmAfter(): Promise<void> {
    const ended = await sql<{
      tenant_id: string;
      namespace: string;
      name: string;
      spec: ScheduleSpec;
      last_instance_id: string;
      ended_at: Date;
    }>`
      select s.tenant_id, s.namespace, s.name, s.spec, s.last_instance_id, i.ended_at
      from workflow_schedules s
      join workflow_instances i on i.id = s.last_instance_id
      where s.kind = 'after' and s.next_run_at is null and s.spec is not null and i.ended_at is not null`.execute(
      owner,
    );
    for (const row of ended.rows) {
      if (row.spec.kind !== "after") continue;
      await owner
        .updateTable("workflow_schedules")
        .set({ next_run_at: new Date(row.ended_at.getTime() + row.spec.delayMs) })
        .where("tenant_id", "=", row.tenant_id)
        .where("namespace", "=", row.namespace)
        .where("name", "=", row.name)
        .where("last_instance_id", "=", row.last_instance_id)
        .where("next_run_at", "is", null)
        .execute();
    }
  }

  /**
   * Starts instances for recorded `on` events: one per event for `one`/`any` (input: `[data]`, as `listen`
   * outputs it); for `all`, one as soon as every filter has an event (input: their data in filter order, key of
   * the last event). Triggers of a version that is no longer current are dropped.
   */
  async function startTriggered(limit: number): Promise<number> {
    return owner.transaction().execute(async (trx) => {
      const pending = await sql<{
        tenant_id: string;
        namespace: string;
        name: string;
        version: string;
        event_id: string;
        filter_index: number;
        event: { id: string; data: unknown };
        current: boolean;
        spec: ScheduleSpec | null;
      }>`
        select t.tenant_id, t.namespace, t.name, t.version, t.event_id, t.filter_index, t.event,
          (s.version is not null and h.current_version = t.version) as current, s.spec
        from workflow_schedule_triggers t
        left join workflow_schedules s on s.tenant_id = t.tenant_id and s.namespace = t.namespace
          and s.name = t.name and s.version = t.version
        left join workflow_definition_heads h on h.tenant_id = t.tenant_id and h.namespace = t.namespace
          and h.name = t.name
        where t.started_at is null
        order by t.recorded_at, t.event_id, t.filter_index
        limit ${limit}
        for update of t skip locked`.execute(trx);
      const markStarted = async (
        rows: {
          tenant_id: string;
          namespace: string;
          name: string;
          event_id: string;
          filter_index: number;
        }[],
        instanceId: string | null,
      ) => {
        for (const row of rows) {
          await trx
            .updateTable("workflow_schedule_triggers")
            .set({ started_at: new Date(deps.now()), instance_id: instanceId })
            .where("tenant_id", "=", row.tenant_id)
            .where("namespace", "=", row.namespace)
            .where("name", "=", row.name)
            .where("event_id", "=", row.event_id)
            .where("filter_index", "=", row.filter_index)
            .execute();
        }
      };
      let started = 0;
      const startFor = async (rows: typeof pending.rows, key: string): Promise<void> => {
        const first = rows[0];
        if (!first) return;
        try {
          const result = await deps.start({
            tenantId: first.tenant_id,
            namespace: first.namespace,
            name: first.name,
            version: first.version,
            input: rows.map((row) => row.event.data),
            businessKey: `event:${key}`,
          });
          if (result.created) started += 1;
          await markStarted(rows, result.instance.id);
        } catch (error) {
          deps.logger.error(
            { err: error, tenantId: first.tenant_id, definition: `${first.namespace}/${first.name}` },
            "event-scheduled start failed; the event is dropped for this schedule",
          );
          await markStarted(rows, null);
        }
      };

      type TriggerRow = (typeof pending.rows)[number];
      const gathering = new Map<string, { filters: number; rows: Map<number, TriggerRow> }>();
      for (const row of pending.rows) {
        if (!row.current || !row.spec || row.spec.kind !== "on") {
          await markStarted([row], null);
          continue;
        }
        if (row.spec.mode !== "all") {
          await startFor([row], row.event_id);
          continue;
        }
        const scheduleKey = `${row.tenant_id}/${row.namespace}/${row.name}`;
        const group = gathering.get(scheduleKey) ?? {
          filters: row.spec.filters.length,
          rows: new Map<number, TriggerRow>(),
        };
        gathering.set(scheduleKey, group);
        if (!group.rows.has(row.filter_index)) group.rows.set(row.filter_index, row);
        if (group.rows.size === group.filters) {
          const rows = [...group.rows.entries()].sort(([a], [b]) => a - b).map(([, entry]) => entry);
          await startFor(rows, row.event_id);
          gathering.delete(scheduleKey);
        }
      }
      return started;
    });
  }

  return {
    sync,
    startDue,
    rearmAfter,
    startTriggered,

    /**
     * Steps 2 to 4 (the orchestrator's sweep syncs first, then dispatches events, then runs this); returns how
     * many instances it started.
     */
    async run(limit = 500): Promise<{ scheduled: number }> {
      await rearmAfter();
      const timed = await startDue(limit);
      const triggered = await startTriggered(limit);
      return { scheduled: timed + triggered };
    },
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;
