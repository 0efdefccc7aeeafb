import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { sql, type Kysely } from "kysely";
import type { Logger } from "pino";
import type { DB } from "../../platform/db/schema.ts";

/** One process as `engine_executors` records it. */
export interface ExecutorRecord {
  executorId: string;
  role: string;
  host: string;
  pid: number;
  startedAt: Date;
  lastSeen: Date;
  stoppedAt: Date | null;
  recoveredAt: Date | null;
  recoveredBy: string | null;
  recoveredWorkflows: number | null;
  /** Seconds since the last heartbeat, by the database's clock. */
  silentForSeconds: number;
}

/** Hands every pending engine workflow recorded under `executorId` to the shared queue; returns their ids. */
export type RecoverExecutor = (executorId: string) => Promise<string[]>;

export interface ExecutorMonitorOptions {
  owner: Kysely<DB>;
  executorId: string;
  role: string;
  heartbeatMs: number;
  deadAfterMs: number;
  logger: Logger;
  /**
   * Called once when this process must stop running workflows at once: it was declared dead and its work was
   * handed over, another process took its executor id, or it could not write a heartbeat for so long that
   * another worker may have taken over.
   */
  onLost(reason: string): void;
}

interface ExecutorRow {
  executor_id: string;
  role: string;
  host: string;
  pid: number;
  started_at: Date;
  last_seen: Date;
  stopped_at: Date | null;
  recovered_at: Date | null;
  recovered_by: string | null;
  recovered_workflows: number | null;
  silent_for_seconds: number;
}

/** Every executor that has written a heartbeat, most recently seen first. */
export async function listExecutors(owner: Kysely<DB>): Promise<ExecutorRecord[]> {
  const rows = await sql<ExecutorRow>`
    select executor_id, role, host, pid, started_at, last_seen, stopped_at, recovered_at, recovered_by,
      recovered_workflows, extract(epoch from now() - last_seen)::float8 as silent_for_seconds
    from engine_executors order by last_seen desc`.execute(owner);
  return rows.rows.map((row) => ({
    executorId: row.executor_id,
    role: row.role,
    host: row.host,
    pid: row.pid,
    startedAt: row.started_at,
    lastSeen: row.last_seen,
    stoppedAt: row.stopped_at,
    recoveredAt: row.recovered_at,
    recoveredBy: row.recovered_by,
    recoveredWorkflows: row.recovered_workflows,
    silentForSeconds: Number(row.silent_for_seconds),
  }));
}

/**
 * Liveness of workflow processes. Every process records a heartbeat in `engine_executors`; workers also look,
 * every heartbeat, for executors silent longer than the dead-after limit and hand their pending workflows to the
 * shared queue, once per death: the executor's row is locked (`for update skip locked`) while the engine
 * re-enqueues exactly the workflows still pending under that id, and is then marked recovered. All times are
 * the database's, so clocks of different machines do not matter.
 */
export function createExecutorMonitor(options: ExecutorMonitorOptions) {
  const incarnation = randomUUID();
  let beatTimer: NodeJS.Timeout | undefined;
  let recoveryTimer: NodeJS.Timeout | undefined;
  let lastBeatAt = Date.now();
  let lost = false;
  let stopped = false;
  let beating: Promise<void> = Promise.resolve();
  let recovering: Promise<unknown> = Promise.resolve();

  function loseExecutor(reason: string): void {
    if (lost || stopped) return;
    lost = true;
    if (beatTimer) clearInterval(beatTimer);
    if (recoveryTimer) clearInterval(recoveryTimer);
    options.logger.fatal({ executorId: options.executorId }, `executor lost: ${reason}`);
    options.onLost(reason);
  }

  async function beat(): Promise<void> {
    try {
      const updated = await sql<{ recovered_at: Date | null }>`
        update engine_executors set last_seen = now()
        where executor_id = ${options.executorId} and incarnation = ${incarnation}
        returning recovered_at`.execute(options.owner);
      const row = updated.rows[0];
      if (!row) {
        loseExecutor(`another process started with executor id ${options.executorId}`);
        return;
      }
      if (row.recovered_at !== null) {
        loseExecutor("this process was silent too long and its workflows were handed to other workers");
        return;
      }
      lastBeatAt = Date.now();
    } catch (error) {
      options.logger.warn({ err: error }, "executor heartbeat failed");
      // Past this point another worker may already consider this one dead and take its workflows over.
      if (Date.now() - lastBeatAt >= options.deadAfterMs - options.heartbeatMs) {
        loseExecutor(`no heartbeat could be written for ${Date.now() - lastBeatAt} ms`);
      }
    }
  }

  /** One pass: takes over the pending workflows of every dead executor (for tests and the background loop). */
  async function recoverDead(
    recover: RecoverExecutor,
  ): Promise<{ executorId: string; workflows: string[] }[]> {
    return options.owner.transaction().execute(async (trx) => {
      const dead = await sql<{ executor_id: string }>`
        select executor_id from engine_executors
        where recovered_at is null and executor_id <> ${options.executorId}
          and last_seen < now() - ${options.deadAfterMs} * interval '1 millisecond'
        order by last_seen
        limit 20
        for update skip locked`.execute(trx);
      const recovered: { executorId: string; workflows: string[] }[] = [];
      for (const { executor_id: executorId } of dead.rows) {
        const workflows = await recover(executorId);
        await sql`
          update engine_executors
          set recovered_at = now(), recovered_by = ${options.executorId}, recovered_workflows = ${workflows.length}
          where executor_id = ${executorId}`.execute(trx);
        recovered.push({ executorId, workflows });
        if (workflows.length > 0) {
          options.logger.warn(
            { deadExecutorId: executorId, workflows: workflows.length },
            `executor ${executorId} is dead: its pending workflows went to the shared queue`,
          );
        }
      }
      // Rows of processes recovered long ago are history, not state.
      await sql`delete from engine_executors where recovered_at < now() - interval '7 days'`.execute(trx);
      return recovered;
    });
  }

  return {
    incarnation,

    /**
     * Records this process as alive and keeps doing so. Call it before the engine launches: a takeover of this
     * executor id that is in progress holds the row's lock, so the engine's own recovery at launch cannot
     * overlap with it.
     */
    async register(): Promise<void> {
      await sql`
        insert into engine_executors (executor_id, role, host, pid, incarnation, started_at, last_seen)
        values (${options.executorId}, ${options.role}, ${hostname()}, ${process.pid}, ${incarnation}, now(), now())
        on conflict (executor_id) do update set
          role = excluded.role, host = excluded.host, pid = excluded.pid, incarnation = excluded.incarnation,
          started_at = now(), last_seen = now(), stopped_at = null,
          recovered_at = null, recovered_by = null, recovered_workflows = null`.execute(options.owner);
      lastBeatAt = Date.now();
      beatTimer = setInterval(() => {
        beating = beating.then(beat);
      }, options.heartbeatMs);
      beatTimer.unref();
    },

    recoverDead,

    /** Looks for dead executors every heartbeat (workers only: API processes run no workflows). */
    startRecovery(recover: RecoverExecutor): void {
      recoveryTimer = setInterval(() => {
        recovering = recovering.then(() =>
          recoverDead(recover).catch((error: unknown) =>
            options.logger.error({ err: error }, "recovering dead executors failed"),
          ),
        );
      }, options.heartbeatMs);
      recoveryTimer.unref();
    },

    /**
     * Stops beating and recovering. The row stays: workflows this process could not finish within its grace
     * period are taken over by another worker once the row is older than the dead-after limit, unless this
     * executor id starts again first.
     */
    async stop(): Promise<void> {
      stopped = true;
      if (beatTimer) clearInterval(beatTimer);
      if (recoveryTimer) clearInterval(recoveryTimer);
      await beating;
      await recovering;
      if (lost) return;
      await sql`
        update engine_executors set stopped_at = now()
        where executor_id = ${options.executorId} and incarnation = ${incarnation}`
        .execute(options.owner)
        .catch(() => undefined);
    },
  };
}

export type ExecutorMonitor = ReturnType<typeof createExecutorMonitor>;
