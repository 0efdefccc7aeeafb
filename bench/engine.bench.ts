import { DBOS } from "@dbos-inc/dbos-sdk";
import pg from "pg";
import pino from "pino";
import { sql } from "kysely";
import { createHub } from "../src/app/hub.ts";
import { createDatabase } from "../src/platform/db/database.ts";
import { launchDbosEngine } from "../src/platform/engine/dbos-engine.ts";
import { EventTypeRegistry } from "../src/platform/events/event-outbox.ts";
import type { Workflow } from "../src/orchestration/dsl/workflow.types.ts";
import { interpretWorkflow } from "../src/orchestration/runtime/workflow.interpreter.ts";
import { createBenchDatabase, formatSummary, measure, ratio } from "./support.ts";

const WORKFLOWS = Number(process.env.BENCH_WORKFLOWS ?? 2_000);
const CONCURRENCY = 100;
const PARKED = Number(process.env.BENCH_PARKED ?? 100_000);

const THREE_CALLS = `
document: { dsl: '1.0.0', namespace: bench, name: three-calls, version: '1.0.0' }
do:
  - first:
      call: bench.noop
  - second:
      call: bench.noop
  - third:
      call: bench.noop
`;

const PARK_A_DAY = `
document: { dsl: '1.0.0', namespace: bench, name: park-a-day, version: '1.0.0' }
do:
  - later:
      wait: P1D
  - done:
      call: bench.noop
`;

function heapMegabytes(): number {
  const collect = (globalThis as { gc?: () => void }).gc;
  collect?.();
  collect?.();
  return process.memoryUsage().heapUsed / 1_048_576;
}

/**
 * The engine benchmark: a 3-task workflow through the interpreter against the same three steps coded directly
 * on DBOS and against plain PostgreSQL round trips; a worker's memory with many instances parked; and how fast
 * parked instances are woken and advanced.
 */
export async function runEngineBenchmark(): Promise<string[]> {
  const lines: string[] = [];
  const bench = await createBenchDatabase();
  const database = createDatabase({ url: bench.url, maxConnections: 20 });
  const logger = pino({ level: "warn" });
  try {
    const tenant = await database.owner
      .insertInto("tenants")
      .values({ name: "Bench Traders", slug: "bench-traders", gstin: null })
      .returning("id")
      .executeTakeFirstOrThrow();

    const engineRef: { engine?: Awaited<ReturnType<typeof launchDbosEngine>> } = {};
    const hub = createHub({
      database,
      engine: () => engineRef.engine!,
      events: new EventTypeRegistry(),
      functions: { has: (name) => name === "bench.noop", call: async () => ({ ok: true }) },
      interpret: ({ workflow, input, instanceId, host }) =>
        interpretWorkflow({ workflow: workflow as unknown as Workflow, input, instanceId, host }),
      logger,
      parkThresholdMs: 300_000,
    });
    const direct = DBOS.registerWorkflow(
      async (index: number) => {
        for (const step of ["first", "second", "third"])
          await DBOS.runStep(async () => ({ ok: true, index }), { name: step });
        return index;
      },
      { name: "bench.direct" },
    );
    engineRef.engine = await launchDbosEngine({
      databaseUrl: bench.url,
      executorId: "bench-worker",
      role: "all",
      workflows: [hub.orchestrator.executeRegistration],
      workerConcurrency: 200,
    });

    // Plain PostgreSQL: one insert and four updates, each its own commit (what a 3-step workflow commits).
    const pool = new pg.Pool({ connectionString: bench.url, max: 20 });
    await pool.query("create table bench_raw (id int primary key, step int not null)");
    const raw = await measure(WORKFLOWS, CONCURRENCY, async (index) => {
      await pool.query("insert into bench_raw values ($1, 0)", [index]);
      for (let step = 1; step <= 4; step += 1)
        await pool.query("update bench_raw set step = $2 where id = $1", [index, step]);
    });
    await pool.end();

    const directRun = await measure(WORKFLOWS, CONCURRENCY, async (index) => {
      const handle = await DBOS.startWorkflow(direct)(index);
      await handle.getResult();
    });

    await hub.definitions.publish({ tenantId: tenant.id, source: THREE_CALLS, publishedBy: "bench" });
    // Ends are remembered, so an instance that finishes before its waiter is registered is not missed and
    // the measurement adds no reads of its own.
    const waiting = new Map<string, () => void>();
    const endedIds = new Set<string>();
    hub.orchestrator.onEnded((ended) => {
      endedIds.add(ended.instanceId);
      waiting.get(ended.instanceId)?.();
    });
    const interpreted = await measure(WORKFLOWS, CONCURRENCY, async () => {
      const { instance } = await hub.orchestrator.start({
        tenantId: tenant.id,
        namespace: "bench",
        name: "three-calls",
        input: {},
      });
      if (!endedIds.has(instance.id)) {
        await new Promise<void>((resolve) => waiting.set(instance.id, resolve));
      }
      waiting.delete(instance.id);
      endedIds.delete(instance.id);
    });

    lines.push(formatSummary("plain PostgreSQL, 5 commits", raw));
    lines.push(formatSummary("3 steps directly on DBOS", directRun));
    lines.push(formatSummary("3-task workflow through the interpreter", interpreted));
    lines.push(ratio("direct DBOS / plain PostgreSQL (throughput)", directRun.perSecond / raw.perSecond));
    lines.push(
      ratio(
        "interpreter overhead (direct / interpreter)",
        directRun.perSecond / interpreted.perSecond,
        "within 1.5x",
      ),
    );

    // Memory: many instances parked in a one-day wait, against the same worker before it parked any.
    await hub.definitions.publish({ tenantId: tenant.id, source: PARK_A_DAY, publishedBy: "bench" });
    const idleHeap = heapMegabytes();
    const parkedRun = await measure(PARKED, CONCURRENCY, async () => {
      await hub.orchestrator.start({
        tenantId: tenant.id,
        namespace: "bench",
        name: "park-a-day",
        input: {},
      });
    });
    for (;;) {
      const counted = await sql<{ n: string }>`select count(*)::text as n from workflow_parked`.execute(
        database.owner,
      );
      if (Number(counted.rows[0]?.n) >= PARKED) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const parkedHeap = heapMegabytes();
    lines.push(
      `${"instances parked (started at)".padEnd(44)} ${parkedRun.perSecond.toFixed(0).padStart(7)}/s   (${PARKED})`,
    );
    lines.push(
      `${"worker heap: idle / with parked instances".padEnd(44)} ${idleHeap.toFixed(1)} MB / ${parkedHeap.toFixed(1)} MB`,
    );
    lines.push(ratio(`worker memory with ${PARKED} parked / idle`, parkedHeap / idleHeap, "within 1.2x"));

    // Wake-up: make every parked instance due now and time until all have finished.
    let finished = 0;
    let allDone!: () => void;
    const everyoneDone = new Promise<void>((resolve) => (allDone = resolve));
    hub.orchestrator.onEnded(() => {
      finished += 1;
      if (finished === PARKED) allDone();
    });
    const wakeStart = process.hrtime.bigint();
    // Move the clock of every parked instance forward a day: its journaled timer and its parked row.
    await sql`update workflow_journal set result = to_jsonb(floor(extract(epoch from now()) * 1000) - 1000) where effect_key like 's:%'`.execute(
      database.owner,
    );
    await sql`update workflow_parked set wake_at = now() - interval '1 second'`.execute(database.owner);
    const stopSweeper = hub.orchestrator.startSweeper(200);
    await everyoneDone;
    const wakeSeconds = Number(process.hrtime.bigint() - wakeStart) / 1e9;
    await stopSweeper();
    const wakeRate = PARKED / wakeSeconds;
    lines.push(
      `${"parked instances woken and finished".padEnd(44)} ${wakeRate.toFixed(0).padStart(7)}/s   (${PARKED} in ${wakeSeconds.toFixed(1)} s)`,
    );
    lines.push(ratio("wake-up / direct DBOS throughput", wakeRate / directRun.perSecond, "at least 0.5x"));

    await engineRef.engine.shutdown({ graceMs: 1_000 });
  } finally {
    await database.close();
    await bench.drop();
  }
  return lines;
}
