import { randomUUID } from "node:crypto";
import { sql, type Kysely } from "kysely";
import { AppError } from "../../kernel/app-error.ts";
import { withTenant } from "../../platform/db/database.ts";
import type { DB } from "../../platform/db/schema.ts";
import type {
  InstanceStatus,
  OrchestrationTables,
  TaskHistoryStatus,
} from "../store/orchestration.tables.ts";

type HubDatabase = Kysely<DB & OrchestrationTables>;

export interface InstanceRecord {
  id: string;
  tenantId: string;
  namespace: string;
  name: string;
  version: string;
  businessKey: string | null;
  status: InstanceStatus;
  input: unknown;
  output: unknown;
  error: unknown;
  execution: number;
  parentInstanceId: string | null;
  suspendRequested: boolean;
  createdAt: Date;
  updatedAt: Date;
  endedAt: Date | null;
}

export interface TaskHistoryEntry {
  sequence: number;
  taskPath: string;
  taskName: string;
  status: TaskHistoryStatus;
  at: Date;
  output?: unknown;
  error?: unknown;
}

/** JSON for jsonb columns; bigint (paise) becomes a string of digits. */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value, (_key, current: unknown) =>
    typeof current === "bigint" ? current.toString() : current,
  );
}

function toRecord(row: {
  id: string;
  tenant_id: string;
  namespace: string;
  name: string;
  version: string;
  business_key: string | null;
  status: InstanceStatus;
  input: unknown;
  output: unknown;
  error: unknown;
  execution: number;
  parent_instance_id: string | null;
  suspend_requested: boolean;
  created_at: Date;
  updated_at: Date;
  ended_at: Date | null;
}): InstanceRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    namespace: row.namespace,
    name: row.name,
    version: row.version,
    businessKey: row.business_key,
    status: row.status,
    input: row.input,
    output: row.output,
    error: row.error,
    execution: row.execution,
    parentInstanceId: row.parent_instance_id,
    suspendRequested: row.suspend_requested,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    endedAt: row.ended_at,
  };
}

export interface InstanceListFilter {
  tenantId: string;
  status?: InstanceStatus[];
  namespace?: string;
  name?: string;
  businessKey?: string;
  createdAfter?: Date;
  createdBefore?: Date;
  updatedAfter?: Date;
  /** Keyset position: rows created before this one (newest first). */
  before?: { createdAt: Date; id: string };
  limit?: number;
}

/** The hub's instance tables: every tenant-scoped access runs under row-level security. */
export function createInstanceStore(deps: { db: Kysely<DB>; owner: Kysely<DB> }) {
  const inTenant = <T>(tenantId: string, work: (trx: HubDatabase) => Promise<T>) =>
    withTenant(deps.db, tenantId, (trx) => work(trx.withTables<OrchestrationTables>()));
  const owner = deps.owner.withTables<OrchestrationTables>();

  return {
    /**
     * Creates an instance, or returns the existing one when the business key was already used for this
     * definition (an idempotent start).
     */
    async create(input: {
      tenantId: string;
      namespace: string;
      name: string;
      version: string;
      businessKey?: string;
      input: unknown;
      parentInstanceId?: string;
      id?: string;
      /** `running` when the caller runs the first execution at once (it then needs no `beginExecution`). */
      status?: "pending" | "running";
    }): Promise<{ instance: InstanceRecord; created: boolean }> {
      return inTenant(input.tenantId, async (trx) => {
        const inserted = await trx
          .insertInto("workflow_instances")
          .values({
            id: input.id ?? randomUUID(),
            tenant_id: input.tenantId,
            namespace: input.namespace,
            name: input.name,
            version: input.version,
            business_key: input.businessKey ?? null,
            status: input.status ?? "pending",
            input: toJsonText(input.input),
            output: null,
            error: null,
            parent_instance_id: input.parentInstanceId ?? null,
          })
          .onConflict((conflict) =>
            conflict
              .columns(["tenant_id", "namespace", "name", "business_key"])
              .where("business_key", "is not", null)
              .doNothing(),
          )
          .returningAll()
          .executeTakeFirst();
        if (inserted) return { instance: toRecord(inserted), created: true };
        const existing = await trx
          .selectFrom("workflow_instances")
          .selectAll()
          .where("namespace", "=", input.namespace)
          .where("name", "=", input.name)
          .where("business_key", "=", input.businessKey ?? "")
          .executeTakeFirstOrThrow();
        return { instance: toRecord(existing), created: false };
      });
    },

    async get(tenantId: string, instanceId: string): Promise<InstanceRecord> {
      const row = await inTenant(tenantId, (trx) =>
        trx.selectFrom("workflow_instances").selectAll().where("id", "=", instanceId).executeTakeFirst(),
      );
      if (!row) throw AppError.notFound("workflow instance", instanceId);
      return toRecord(row);
    },

    async list(filter: InstanceListFilter): Promise<InstanceRecord[]> {
      return inTenant(filter.tenantId, async (trx) => {
        let query = trx.selectFrom("workflow_instances").selectAll();
        if (filter.status?.length) query = query.where("status", "in", filter.status);
        if (filter.namespace) query = query.where("namespace", "=", filter.namespace);
        if (filter.name) query = query.where("name", "=", filter.name);
        if (filter.businessKey) query = query.where("business_key", "=", filter.businessKey);
        if (filter.createdAfter) query = query.where("created_at", ">=", filter.createdAfter);
        if (filter.createdBefore) query = query.where("created_at", "<", filter.createdBefore);
        const rows = await query
          .orderBy("created_at", "desc")
          .limit(filter.limit ?? 100)
          .execute();
        return rows.map(toRecord);
      });
    },

    async history(tenantId: string, instanceId: string): Promise<TaskHistoryEntry[]> {
      const rows = await inTenant(tenantId, (trx) =>
        trx
          .selectFrom("workflow_task_history")
          .selectAll()
          .where("instance_id", "=", instanceId)
          .orderBy("sequence")
          .execute(),
      );
      return rows.map((row) => ({
        sequence: row.sequence,
        taskPath: row.task_path,
        taskName: row.task_name,
        status: row.status,
        at: row.at,
        ...(row.output === null ? {} : { output: row.output }),
        ...(row.error === null ? {} : { error: row.error }),
      }));
    },

    /**
     * Everything an execution needs before it runs, in one transaction: the instance, its journal, and the
     * status set to running. Undefined when this execution is stale (a newer one exists, or the instance ended).
     */
    async beginExecution(input: {
      tenantId: string;
      instanceId: string;
      execution: number;
    }): Promise<{ instance: InstanceRecord; journal: Map<string, unknown> } | undefined> {
      return inTenant(input.tenantId, async (trx) => {
        const row = await trx
          .selectFrom("workflow_instances")
          .selectAll()
          .where("id", "=", input.instanceId)
          .executeTakeFirst();
        if (!row) throw AppError.notFound("workflow instance", input.instanceId);
        if (row.execution !== input.execution || ["completed", "faulted", "cancelled"].includes(row.status))
          return undefined;
        const entries = await trx
          .selectFrom("workflow_journal")
          .select(["effect_key", "result"])
          .where("instance_id", "=", input.instanceId)
          .execute();
        if (row.status !== "running") {
          await trx
            .updateTable("workflow_instances")
            .set({ status: "running", updated_at: new Date() })
            .where("id", "=", input.instanceId)
            .execute();
        }
        return {
          instance: toRecord({ ...row, status: "running" }),
          journal: new Map(entries.map((entry) => [entry.effect_key, entry.result])),
        };
      });
    },

    async loadJournal(tenantId: string, instanceId: string): Promise<Map<string, unknown>> {
      const rows = await inTenant(tenantId, (trx) =>
        trx
          .selectFrom("workflow_journal")
          .select(["effect_key", "result"])
          .where("instance_id", "=", instanceId)
          .execute(),
      );
      return new Map(rows.map((row) => [row.effect_key, row.result]));
    },

    /**
     * Records an effect's result and the task history gathered since the last write, in one transaction.
     * A second record of the same key (a re-run after a crash) keeps the first result.
     */
    async recordEffect(input: {
      tenantId: string;
      instanceId: string;
      execution: number;
      key: string;
      result: unknown;
      history: TaskHistoryEntry[];
      status?: InstanceStatus;
    }): Promise<void> {
      await sql`select workflow_record_effect(${input.tenantId}::uuid, ${input.instanceId}::uuid, ${input.execution}::integer, ${input.key}, ${toJsonText(input.result)}::jsonb, ${historyJson(input.history)}::jsonb, ${input.status ?? null}::text)`.execute(
        deps.db,
      );
    },

    async setStatus(input: {
      tenantId: string;
      instanceId: string;
      execution: number;
      status: InstanceStatus;
      output?: unknown;
      error?: unknown;
      history?: TaskHistoryEntry[];
    }): Promise<void> {
      await sql`select workflow_end_execution(${input.tenantId}::uuid, ${input.instanceId}::uuid, ${input.execution}::integer, ${input.status}::text, ${input.output !== undefined}, ${input.output === undefined ? null : toJsonText(input.output)}::jsonb, ${input.error !== undefined}, ${input.error === undefined ? null : toJsonText(input.error)}::jsonb, ${historyJson(input.history ?? [])}::jsonb)`.execute(
        deps.db,
      );
    },

    /** Takes the instance out of memory: it continues in a new execution at `wakeAt` or when an event comes. */
    async park(input: {
      tenantId: string;
      instanceId: string;
      execution: number;
      wakeAt: Date | null;
      reason: "timer" | "event" | "suspended";
      history: TaskHistoryEntry[];
    }): Promise<void> {
      await inTenant(input.tenantId, async (trx) => {
        await insertHistory(trx, input.tenantId, input.instanceId, input.execution, input.history);
        await trx
          .insertInto("workflow_parked")
          .values({
            instance_id: input.instanceId,
            tenant_id: input.tenantId,
            wake_at: input.wakeAt,
            reason: input.reason,
          })
          .onConflict((conflict) =>
            conflict.column("instance_id").doUpdateSet({ wake_at: input.wakeAt, reason: input.reason }),
          )
          .execute();
        await trx
          .updateTable("workflow_instances")
          .set({ status: input.reason === "suspended" ? "suspended" : "waiting", updated_at: new Date() })
          .where("id", "=", input.instanceId)
          .where("status", "!=", "cancelled")
          .execute();
      });
    },

    /**
     * Claims parked instances whose time has come (across tenants, for the sweeper), removing their parked rows
     * and moving each to its next execution; concurrent sweepers never claim the same instance.
     */
    async claimDue(input: {
      now: Date;
      limit: number;
    }): Promise<{ instanceId: string; tenantId: string; execution: number }[]> {
      const claimed = await sql<{ instance_id: string; tenant_id: string; execution: number }>`
        with due as (
          select instance_id from workflow_parked
          where wake_at <= ${input.now} and reason <> 'suspended'
          order by wake_at
          limit ${input.limit}
          for update skip locked
        ), removed as (
          delete from workflow_parked p using due where p.instance_id = due.instance_id returning p.instance_id
        )
        update workflow_instances i
        set execution = i.execution + 1, status = 'running', updated_at = now()
        from removed
        where i.id = removed.instance_id
        returning i.id as instance_id, i.tenant_id, i.execution`.execute(owner);
      return claimed.rows.map((row) => ({
        instanceId: row.instance_id,
        tenantId: row.tenant_id,
        execution: row.execution,
      }));
    },

    /**
     * Instances meant to be running (pending or running) that have not changed for `quietFor`: across tenants,
     * for the sweeper, which checks each has an engine workflow for its current execution. A process that dies
     * between moving an instance to its next execution and handing that execution to the engine leaves one.
     */
    async quietRunning(input: {
      olderThan: Date;
      limit: number;
    }): Promise<{ instanceId: string; tenantId: string; execution: number }[]> {
      const rows = await owner
        .selectFrom("workflow_instances")
        .select(["id", "tenant_id", "execution"])
        .where("status", "in", ["pending", "running"])
        .where("updated_at", "<", input.olderThan)
        .orderBy("updated_at")
        .limit(input.limit)
        .execute();
      return rows.map((row) => ({ instanceId: row.id, tenantId: row.tenant_id, execution: row.execution }));
    },

    /** Wakes one parked instance now (an event arrived, or it was resumed); undefined if it was not parked. */
    async unpark(input: {
      tenantId: string;
      instanceId: string;
      reasons: ("timer" | "event" | "suspended")[];
    }): Promise<{ execution: number } | undefined> {
      return inTenant(input.tenantId, async (trx) => {
        const removed = await trx
          .deleteFrom("workflow_parked")
          .where("instance_id", "=", input.instanceId)
          .where("reason", "in", input.reasons)
          .returning("instance_id")
          .executeTakeFirst();
        if (!removed) return undefined;
        const updated = await trx
          .updateTable("workflow_instances")
          .set((eb) => ({
            execution: eb("execution", "+", 1),
            status: "running",
            updated_at: new Date(),
            suspend_requested: false,
          }))
          .where("id", "=", input.instanceId)
          .returning("execution")
          .executeTakeFirstOrThrow();
        return { execution: updated.execution };
      });
    },

    /** Moves an instance to a new execution without it having been parked (retry of a faulted instance). */
    async nextExecution(input: {
      tenantId: string;
      instanceId: string;
      fromStatus: InstanceStatus[];
    }): Promise<number> {
      return inTenant(input.tenantId, async (trx) => {
        const updated = await trx
          .updateTable("workflow_instances")
          .set((eb) => ({
            execution: eb("execution", "+", 1),
            status: "running",
            error: null,
            ended_at: null,
            updated_at: new Date(),
          }))
          .where("id", "=", input.instanceId)
          .where("status", "in", input.fromStatus)
          .returning("execution")
          .executeTakeFirst();
        if (!updated) {
          throw AppError.conflict(
            `workflow instance ${input.instanceId} is not ${input.fromStatus.join(" or ")}`,
          );
        }
        return updated.execution;
      });
    },

    async requestSuspend(tenantId: string, instanceId: string): Promise<InstanceRecord> {
      return inTenant(tenantId, async (trx) => {
        const row = await trx
          .updateTable("workflow_instances")
          .set({ suspend_requested: true, updated_at: new Date() })
          .where("id", "=", instanceId)
          .where("status", "in", ["pending", "running", "waiting"])
          .returningAll()
          .executeTakeFirst();
        if (!row)
          throw AppError.conflict(
            `workflow instance ${instanceId} cannot be suspended in its current status`,
          );
        // A parked instance is suspended where it lies: its timer no longer wakes it.
        await trx
          .updateTable("workflow_parked")
          .set({ reason: "suspended" })
          .where("instance_id", "=", instanceId)
          .execute();
        const parked = await trx
          .selectFrom("workflow_parked")
          .select("instance_id")
          .where("instance_id", "=", instanceId)
          .executeTakeFirst();
        if (parked) {
          await trx
            .updateTable("workflow_instances")
            .set({ status: "suspended" })
            .where("id", "=", instanceId)
            .execute();
        }
        return toRecord({ ...row, status: parked ? "suspended" : row.status });
      });
    },

    async isSuspendRequested(tenantId: string, instanceId: string): Promise<boolean> {
      const row = await inTenant(tenantId, (trx) =>
        trx
          .selectFrom("workflow_instances")
          .select("suspend_requested")
          .where("id", "=", instanceId)
          .executeTakeFirst(),
      );
      return row?.suspend_requested ?? false;
    },

    /** Cancels: no further task runs; parked rows and open correlations go away. */
    async cancel(tenantId: string, instanceId: string): Promise<InstanceRecord> {
      return inTenant(tenantId, async (trx) => {
        const row = await trx
          .updateTable("workflow_instances")
          .set({ status: "cancelled", updated_at: new Date(), ended_at: new Date() })
          .where("id", "=", instanceId)
          .where("status", "not in", ["completed", "faulted", "cancelled"])
          .returningAll()
          .executeTakeFirst();
        if (!row) {
          const existing = await trx
            .selectFrom("workflow_instances")
            .select("status")
            .where("id", "=", instanceId)
            .executeTakeFirst();
          if (!existing) throw AppError.notFound("workflow instance", instanceId);
          throw AppError.conflict(`workflow instance ${instanceId} has already ended (${existing.status})`);
        }
        await trx.deleteFrom("workflow_parked").where("instance_id", "=", instanceId).execute();
        await trx
          .updateTable("workflow_correlations")
          .set({ closed_at: new Date() })
          .where("instance_id", "=", instanceId)
          .where("closed_at", "is", null)
          .execute();
        return toRecord(row);
      });
    },
  };
}

/** Task history as the journal-writing functions take it (see migration 0007). */
function historyJson(history: TaskHistoryEntry[]): string {
  return toJsonText(
    history.map((entry) => ({
      sequence: entry.sequence,
      task_path: entry.taskPath,
      task_name: entry.taskName,
      status: entry.status,
      at: entry.at,
      output: entry.output ?? null,
      error: entry.error ?? null,
    })),
  );
}

async function insertHistory(
  trx: HubDatabase,
  tenantId: string,
  instanceId: string,
  execution: number,
  history: TaskHistoryEntry[],
): Promise<void> {
  if (history.length === 0) return;
  await trx
    .insertInto("workflow_task_history")
    .values(
      history.map((entry) => ({
        instance_id: instanceId,
        tenant_id: tenantId,
        sequence: entry.sequence,
        task_path: entry.taskPath,
        task_name: entry.taskName,
        status: entry.status,
        at: entry.at,
        output: entry.output === undefined ? null : toJsonText(entry.output),
        error: entry.error === undefined ? null : toJsonText(entry.error),
        execution,
      })),
    )
    .onConflict((conflict) => conflict.columns(["instance_id", "sequence"]).doNothing())
    .execute();
}

export type InstanceStore = ReturnType<typeof createInstanceStore>;
