import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectEngineClient } from "../../src/platform/engine/dbos-engine.ts";
import { DEMO_WORKFLOW } from "../../src/platform/engine/demo.workflow.ts";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";
import {
  eventually,
  freePort,
  praptiEnvironment,
  startPrapti,
  waitForHealth,
  type PraptiProcess,
} from "../support/prapti-process.ts";

let database: TestDatabase;
const processes: PraptiProcess[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  for (const started of processes) started.child.kill("SIGKILL");
  await database?.drop();
});

async function stepRuns(workflowId: string) {
  return database.owner
    .selectFrom("engine_demo_step_runs")
    .select(["step", "executor_id"])
    .where("workflow_id", "=", workflowId)
    .orderBy("executed_at")
    .execute();
}

describe("durable engine across a crash", () => {
  it("completes a workflow killed during its sleep, each step once, when the same executor comes back", async () => {
    const port = await freePort();
    const env = praptiEnvironment({
      DATABASE_URL: database.url,
      PORT: String(port),
      PRAPTI_EXECUTOR_ID: "crash-test-worker",
    });
    const first = startPrapti(["serve"], env);
    processes.push(first);
    await waitForHealth(port, first);

    const client = await connectEngineClient({ databaseUrl: database.url });
    try {
      const { workflowId } = await client.start(DEMO_WORKFLOW, { sleepMs: 3_000 });
      await eventually(async () => ((await stepRuns(workflowId)).length === 1 ? true : undefined), {
        timeoutMs: 30_000,
        process: first,
        what: "the first step",
      });
      // Kill during the sleep, once the engine has checkpointed the first step: a kill between a step's effect
      // and its checkpoint runs the step again by design (steps are at least once; the hub's journal and
      // idempotency keys are what make workflow effects happen once).
      await eventually(
        async () => {
          const checkpointed = await sql<{ n: number }>`
            select count(*)::int as n from dbos.operation_outputs
            where workflow_uuid = ${workflowId} and function_name = 'first'`.execute(database.owner);
          return (checkpointed.rows[0]?.n ?? 0) > 0 ? true : undefined;
        },
        { timeoutMs: 30_000, process: first, what: "the first step's checkpoint" },
      );
      first.child.kill("SIGKILL");
      await first.exited;
      expect((await client.getStatus(workflowId))?.status).toBe("pending");

      const second = startPrapti(["serve", "--no-migrate"], env);
      processes.push(second);
      const info = await client.waitForEnd(workflowId, 60_000);
      expect(info.status).toBe("success");
      expect(await stepRuns(workflowId)).toEqual([
        { step: "first", executor_id: "crash-test-worker" },
        { step: "second", executor_id: "crash-test-worker" },
      ]);

      // Starting the same workflow id again returns the finished one; nothing runs twice.
      await client.start(DEMO_WORKFLOW, { sleepMs: 0 }, { workflowId });
      expect((await client.getStatus(workflowId))?.status).toBe("success");
      expect(await stepRuns(workflowId)).toHaveLength(2);

      second.child.kill("SIGTERM");
      expect((await second.exited).code).toBe(0);
    } finally {
      await client.close();
    }
  });
});
