import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "kysely";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDefinitionRegistry } from "../../src/orchestration/definitions/definition.registry.ts";
import { unsupportedFeatures } from "../../src/orchestration/dsl/unsupported-feature.finder.ts";
import { validateWorkflowDocument } from "../../src/orchestration/dsl/workflow.validator.ts";
import { createOrchestrator } from "../../src/orchestration/durable/orchestrator.ts";
import { withTenant } from "../../src/platform/db/database.ts";
import { connectEngineClient } from "../../src/platform/engine/dbos-engine.ts";
import { EventTypeRegistry } from "../../src/platform/events/event-outbox.ts";
import { appendExternalEvent } from "../../src/platform/events/external-event.ts";
import {
  freePort,
  praptiEnvironment,
  startPrapti,
  waitForHealth,
  type PraptiProcess,
} from "../support/prapti-process.ts";
import { createTenant } from "../support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";

const INSTANCES = 6;

let database: TestDatabase;
let service: Server;
let serviceUrl: string;
const processes: PraptiProcess[] = [];
/** Side effects as the receiving service applies them: once per idempotency key. */
const applied = new Map<string, number>();
let requests = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  service = createServer((request, response) => {
    requests += 1;
    const key = String(request.headers["idempotency-key"] ?? "");
    applied.set(key, (applied.get(key) ?? 0) + (applied.has(key) ? 0 : 1));
    response
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ ok: true, path: request.url }));
  });
  await new Promise<void>((resolve) => service.listen(0, "127.0.0.1", resolve));
  serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const started of processes) started.child.kill("SIGKILL");
  service?.close();
  await database?.drop();
});

const definition = () => `
document: { dsl: '1.0.0', namespace: crash, name: everything, version: '1.0.0' }
do:
  - notify:
      call: http
      with: { method: post, endpoint: '${serviceUrl}/notify/{id}', body: { n: 1 } }
  - pause:
      wait: { milliseconds: 700 }
  - both:
      fork:
        branches:
          - left:
              call: http
              with: { method: post, endpoint: '${serviceUrl}/left' }
          - right:
              do:
                - rest:
                    wait: { milliseconds: 300 }
                - rightCall:
                    call: http
                    with: { method: post, endpoint: '${serviceUrl}/right' }
  - awaitPayment:
      listen:
        to:
          one:
            with:
              type: crash.payment
  - thank:
      call: http
      with: { method: post, endpoint: '${serviceUrl}/thank' }
`;

describe("crash recovery", () => {
  // Starting and killing real processes several times takes a while on a loaded machine.
  it(
    "finishes every instance with each side effect once, however often the worker is killed",
    { timeout: 600_000 },
    async () => {
      const tenantId = await createTenant(database.owner, "Crash Test Traders");
      const port = await freePort();
      const env = praptiEnvironment({
        DATABASE_URL: database.url,
        PORT: String(port),
        PRAPTI_EXECUTOR_ID: "crash-worker",
        PRAPTI_PARK_THRESHOLD_MS: "500",
        LOG_LEVEL: "warn",
      });
      // The first worker creates the engine's tables; instances are started while it runs.
      let worker = startPrapti(["serve", "--no-migrate"], env);
      processes.push(worker);
      await waitForHealth(port, worker);
      const engine = await connectEngineClient({ databaseUrl: database.url });
      const definitions = createDefinitionRegistry({
        db: database.app,
        validate: (text) => validateWorkflowDocument(text),
        unsupportedFeatures: (workflow) => unsupportedFeatures(workflow),
      });
      const orchestrator = createOrchestrator({
        db: database.app,
        owner: database.owner,
        engine: () => engine,
        definitions,
        interpret: () => Promise.reject(new Error("this process only starts instances")),
        logger: pino({ level: "silent" }),
        parkThresholdMs: 500,
        callFunction: () => Promise.reject(new Error("unused")),
        emit: () => Promise.reject(new Error("unused")),
      });
      try {
        await definitions.publish({ tenantId, source: definition(), publishedBy: "test" });
        const ids: string[] = [];
        for (let index = 0; index < INSTANCES; index += 1) {
          const { instance } = await orchestrator.start({
            tenantId,
            namespace: "crash",
            name: "everything",
            input: { id: index },
          });
          ids.push(instance.id);
        }

        const statuses = async () =>
          Promise.all(ids.map(async (id) => (await orchestrator.store.get(tenantId, id)).status));
        // Kill the worker at varying points, a few times.
        const restart = async () => {
          worker = startPrapti(["serve", "--no-migrate"], env);
          processes.push(worker);
          await waitForHealth(port, worker);
        };
        const kill = async () => {
          worker.child.kill("SIGKILL");
          await worker.exited;
        };
        for (const delay of [900, 450, 1300, 200, 700]) {
          await new Promise((resolve) => setTimeout(resolve, delay));
          await kill();
          await restart();
        }
        // Once every instance listens (its correlation is registered), publish the payments, and crash again.
        const openCorrelations = async () =>
          Number(
            (
              await sql<{
                n: string;
              }>`select count(*)::text as n from workflow_correlations where closed_at is null`.execute(
                database.owner,
              )
            ).rows[0]?.n,
          );
        const listening = Date.now() + 300_000;
        while ((await openCorrelations()) < INSTANCES) {
          if (Date.now() > listening)
            throw new Error(`only ${await openCorrelations()} instances are listening`);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        for (let index = 0; index < INSTANCES; index += 1) {
          await withTenant(database.app, tenantId, (trx) =>
            appendExternalEvent(trx, new EventTypeRegistry(), {
              tenantId,
              type: "crash.payment",
              source: "/test",
              data: { index },
            }),
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 600));
        await kill();
        await restart();
        const deadline = Date.now() + 300_000;
        while ((await statuses()).some((status) => status !== "completed")) {
          if (Date.now() > deadline) throw new Error(`not all completed: ${(await statuses()).join(", ")}`);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }

        // Four calls per instance (notify, left, right, thank), each applied once: a repeat after a crash carries the same key.
        const perInstance = ids.map(
          (id) => [...applied.keys()].filter((key) => key.startsWith(`${id}:`)).length,
        );
        expect(perInstance).toEqual(ids.map(() => 4));
        expect([...applied.values()].every((count) => count === 1)).toBe(true);
        expect(requests).toBeGreaterThanOrEqual(4 * INSTANCES);
        const history = await orchestrator.store.history(tenantId, ids[0]!);
        const completedTasks = history
          .filter((entry) => entry.status === "completed")
          .map((entry) => entry.taskName);
        expect(completedTasks.filter((name) => name === "notify")).toHaveLength(1);
        expect(completedTasks).toEqual(
          expect.arrayContaining(["notify", "pause", "left", "rightCall", "awaitPayment", "thank"]),
        );
      } finally {
        await engine.close();
      }
    },
  );
});
