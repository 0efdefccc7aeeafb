import { sql } from "kysely";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { createExecutorMonitor, listExecutors, type ExecutorMonitor } from "./executor.monitor.ts";

let database: TestDatabase;
const started: ExecutorMonitor[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  for (const monitor of started) await monitor.stop();
  await database?.drop();
});

function monitor(
  executorId: string,
  options: { onLost?: (reason: string) => void; heartbeatMs?: number } = {},
) {
  const created = createExecutorMonitor({
    owner: database.owner,
    executorId,
    role: "worker",
    heartbeatMs: options.heartbeatMs ?? 100,
    // Silence is simulated by moving `last_seen` back 10 s; a slow machine never looks dead by accident.
    deadAfterMs: 5_000,
    logger: pino({ level: "silent" }),
    onLost: options.onLost ?? (() => undefined),
  });
  started.push(created);
  return created;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Makes an executor look silent for a while, as a killed process would be. */
async function age(executorId: string, seconds: number): Promise<void> {
  await sql`update engine_executors set last_seen = now() - ${seconds} * interval '1 second'
    where executor_id = ${executorId}`.execute(database.owner);
}

describe("executor heartbeats and takeover", () => {
  it("takes a dead executor over exactly once, however many workers look at the same moment", async () => {
    const dead = monitor("dead-1");
    await dead.register();
    await dead.stop();
    await age("dead-1", 10);
    const alive = monitor("alive-1");
    await alive.register();

    const calls: string[] = [];
    const recover = async (executorId: string) => {
      calls.push(executorId);
      await pause(100);
      return [`${executorId}-workflow`];
    };
    const lookers = [monitor("looker-a"), monitor("looker-b"), monitor("looker-c")];
    const results = await Promise.all(lookers.map((looker) => looker.recoverDead(recover)));

    // Only the silent executor is taken, by one of the three, once; the live one is left alone.
    expect(calls).toEqual(["dead-1"]);
    expect(results.flat()).toEqual([{ executorId: "dead-1", workflows: ["dead-1-workflow"] }]);
    const rows = await listExecutors(database.owner);
    const deadRow = rows.find((row) => row.executorId === "dead-1");
    expect(deadRow?.recoveredWorkflows).toBe(1);
    expect(["looker-a", "looker-b", "looker-c"]).toContain(deadRow?.recoveredBy);
    expect(rows.find((row) => row.executorId === "alive-1")?.recoveredAt).toBeNull();

    // A second pass finds nothing left to do.
    expect(await lookers[0]!.recoverDead(recover)).toEqual([]);
    expect(calls).toHaveLength(1);
  });

  it("retries a takeover that failed half-way", async () => {
    const dead = monitor("dead-2");
    await dead.register();
    await dead.stop();
    await age("dead-2", 10);
    const looker = monitor("looker-d");
    await expect(
      looker.recoverDead(async () => {
        throw new Error("engine unavailable");
      }),
    ).rejects.toThrow("engine unavailable");
    expect(
      (await listExecutors(database.owner)).find((row) => row.executorId === "dead-2")?.recoveredAt,
    ).toBeNull();
    const again = await looker.recoverDead(async () => []);
    expect(again.map((entry) => entry.executorId)).toContain("dead-2");
  });

  it("stops a process that was declared dead, and one whose id another process took", async () => {
    const reasons: string[] = [];
    // Beats once a second, so its row stays aged long enough for the takeover below.
    const stalled = monitor("stalled-1", { onLost: (reason) => reasons.push(reason), heartbeatMs: 1_000 });
    await stalled.register();
    // It looks silent (say its event loop stalled) and is taken over; its next heartbeat notices.
    await age("stalled-1", 10);
    await monitor("looker-e").recoverDead(async () => []);
    while (reasons.length === 0) await pause(50);
    expect(reasons[0]).toMatch(/handed to other workers/);

    const reasonsOfFirst: string[] = [];
    const first = monitor("twin-1", { onLost: (reason) => reasonsOfFirst.push(reason) });
    await first.register();
    const second = monitor("twin-1");
    await second.register();
    while (reasonsOfFirst.length === 0) await pause(50);
    expect(reasonsOfFirst[0]).toMatch(/another process started with executor id twin-1/);
  });

  it("gives a restarted executor its row back, so it is not taken over", async () => {
    const first = monitor("restart-1");
    await first.register();
    await first.stop();
    await age("restart-1", 10);
    await monitor("looker-f").recoverDead(async () => []);
    expect(
      (await listExecutors(database.owner)).find((row) => row.executorId === "restart-1")?.recoveredAt,
    ).not.toBeNull();
    const lostAgain: string[] = [];
    const again = monitor("restart-1", { onLost: (reason) => lostAgain.push(reason) });
    await again.register();
    await pause(300);
    expect(lostAgain).toEqual([]);
    const row = (await listExecutors(database.owner)).find((entry) => entry.executorId === "restart-1");
    expect(row).toMatchObject({ recoveredAt: null, recoveredBy: null, stoppedAt: null });
    expect(await monitor("looker-g").recoverDead(async () => ["never"])).toEqual([]);
  });
});
