import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuditLog } from "../../src/platform/audit/audit.log.ts";
import { createPasswordHasher } from "../../src/platform/auth/password.hasher.ts";
import { createUserProvisioning } from "../../src/platform/auth/user.provisioning.ts";
import { createDatabase, type Database } from "../../src/platform/db/database.ts";
import {
  freePort,
  praptiEnvironment,
  runPrapti,
  startPrapti,
  waitForHealth,
  type PraptiProcess,
} from "../support/prapti-process.ts";
import { createTenant } from "../support/tenants.ts";
import { createEmptyTestDatabase } from "../support/test-database.ts";

const INSTANCES = 24;
const PASSWORD = "correct horse battery staple";

let empty: Awaited<ReturnType<typeof createEmptyTestDatabase>>;
let database: Database | undefined;
let dataDir: string;
let service: Server;
let serviceUrl: string;
const processes: PraptiProcess[] = [];

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  empty = await createEmptyTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), "prapti-scale-"));
});

afterAll(async () => {
  for (const started of processes) started.child.kill("SIGKILL");
  await Promise.all(processes.map((started) => started.exited));
  service?.close();
  await database?.close();
  await empty?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

/**
 * The receiving service: every request is counted by its Idempotency-Key in a table, so a repeated delivery is
 * visible (deliveries > 1) while the effect itself lands once per key. `/slow` answers after a second, so some
 * calls are in flight when the worker dies.
 */
async function startService(db: Database): Promise<void> {
  await sql`create table scale_effects (
    effect_key text primary key,
    path text not null,
    deliveries integer not null default 1,
    first_at timestamptz not null default clock_timestamp()
  )`.execute(db.owner);
  service = createServer((request, response) => {
    const key = String(request.headers["idempotency-key"] ?? "");
    void (async () => {
      await sql`insert into scale_effects (effect_key, path) values (${key}, ${request.url ?? ""})
        on conflict (effect_key) do update set deliveries = scale_effects.deliveries + 1`.execute(db.owner);
      if (request.url === "/slow") await pause(1_000);
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true }));
    })().catch(() => response.writeHead(500).end());
  });
  await new Promise<void>((resolve) => service.listen(0, "127.0.0.1", resolve));
  serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
}

const definition = () => `
document: { dsl: '1.0.0', namespace: scale, name: slow-followup, version: '1.0.0' }
do:
  - first:
      call: http
      with: { method: post, endpoint: '${serviceUrl}/first' }
  - settle:
      wait: { seconds: 2 }
  - second:
      call: http
      with: { method: post, endpoint: '${serviceUrl}/slow' }
  - again:
      wait: { seconds: 1 }
  - third:
      call: http
      with: { method: post, endpoint: '${serviceUrl}/third' }
`;

async function pendingOf(db: Database, executorId: string): Promise<number> {
  const result = await sql<{ n: number }>`
    select count(*)::int as n from dbos.workflow_status where executor_id = ${executorId} and status = 'PENDING'`.execute(
    db.owner,
  );
  return result.rows[0]?.n ?? 0;
}

describe("scale-out: a worker that never comes back", () => {
  // Three real processes on a loaded two-core machine; the takeover itself needs only a few heartbeats.
  it(
    "hands a killed worker's workflows to the live one: every instance completes, each effect once",
    { timeout: 600_000 },
    async () => {
      const shared = {
        DATABASE_URL: empty.url,
        PRAPTI_DATA_DIR: dataDir,
        PRAPTI_JWT_SECRET: randomBytes(32).toString("hex"),
        PRAPTI_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}`,
        PRAPTI_BLIND_INDEX_KEY: randomBytes(32).toString("base64"),
        PRAPTI_HEARTBEAT_MS: "300",
        PRAPTI_EXECUTOR_DEAD_AFTER_MS: "1500",
        PRAPTI_RATE_LIMIT_PER_MINUTE: "1000000",
        PRAPTI_RATE_LIMIT_BURST: "1000000",
        LOG_LEVEL: "warn",
      };
      const apiPort = await freePort();
      const api = startPrapti(
        ["serve", "--role", "api"],
        praptiEnvironment({ ...shared, PORT: String(apiPort), PRAPTI_EXECUTOR_ID: "scale-api" }),
      );
      processes.push(api);
      // The API process applies the migrations; the workers start on the migrated database.
      await waitForHealth(apiPort, api, 180_000);
      const workers = new Map<string, PraptiProcess>();
      for (const executorId of ["scale-worker-1", "scale-worker-2"]) {
        const port = await freePort();
        const worker = startPrapti(
          ["worker", "--no-migrate"],
          praptiEnvironment({ ...shared, PORT: String(port), PRAPTI_EXECUTOR_ID: executorId }),
        );
        processes.push(worker);
        workers.set(executorId, worker);
        await waitForHealth(port, worker, 180_000);
      }

      database = createDatabase({ url: empty.url, maxConnections: 4 });
      const db = database;
      await startService(db);
      const tenantId = await createTenant(db.owner, "Scale Out Traders");
      await createUserProvisioning({
        owner: db.owner,
        hasher: createPasswordHasher(),
        audit: createAuditLog({ db: db.app }),
      }).provisionUser({
        email: "owner@scale.example",
        displayName: "Owner",
        password: PASSWORD,
        memberships: [{ tenantId, role: "owner" }],
      });
      const apiUrl = `http://127.0.0.1:${apiPort}`;
      const call = async (path: string, body: unknown, token?: string) => {
        const response = await fetch(`${apiUrl}${path}`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify(body),
        });
        const text = await response.text();
        if (response.status >= 300) throw new Error(`${path} answered ${response.status}: ${text}`);
        return JSON.parse(text) as Record<string, unknown>;
      };
      const { accessToken } = (await call("/api/v1/auth/login", {
        email: "owner@scale.example",
        password: PASSWORD,
        tenantId,
      })) as { accessToken: string };
      await call("/api/v1/workflow-definitions", { source: definition() }, accessToken);

      // Started one by one through the API: both workers poll the shared queue and take a share each.
      const ids: string[] = [];
      for (let index = 0; index < INSTANCES; index += 1) {
        const started = await call(
          "/api/v1/workflow-instances",
          { namespace: "scale", name: "slow-followup", input: { index } },
          accessToken,
        );
        ids.push(String(started.id));
        await pause(60);
      }

      // Kill the worker holding more running workflows, while its instances are mid-way, and never restart it.
      let victim = "";
      let owned = 0;
      for (;;) {
        const counts = await Promise.all(
          [...workers.keys()].map(async (id) => [id, await pendingOf(db, id)] as const),
        );
        const [busiest, count] = counts.sort((a, b) => b[1] - a[1])[0]!;
        const delivered = await sql<{ n: number }>`
          select count(*)::int as n from scale_effects where path = '/slow'`.execute(db.owner);
        if (count >= 2 && (delivered.rows[0]?.n ?? 0) > 0) {
          victim = busiest;
          owned = count;
          break;
        }
        await pause(50);
      }
      const survivor = [...workers.keys()].find((id) => id !== victim)!;
      workers.get(victim)!.child.kill("SIGKILL");
      await workers.get(victim)!.exited;
      const killedAt = (await sql<{ at: Date }>`select clock_timestamp() as at`.execute(db.owner)).rows[0]!
        .at;
      const unfinishedAtKill = (
        await sql<{
          id: string;
        }>`select id::text from workflow_instances where status <> 'completed'`.execute(db.owner)
      ).rows.map((row) => row.id);
      expect(unfinishedAtKill.length).toBeGreaterThan(0);

      // Only the survivor runs workflows now; wait (without a deadline of our own) until every instance ends.
      for (;;) {
        const open = await sql<{ n: number }>`
          select count(*)::int as n from workflow_instances where status not in ('completed', 'faulted', 'cancelled')`.execute(
          db.owner,
        );
        if (open.rows[0]?.n === 0) break;
        await pause(200);
      }

      const instances = await sql<{ id: string; status: string }>`
        select id::text, status from workflow_instances order by created_at`.execute(db.owner);
      expect(instances.rows.map((row) => row.status)).toEqual(ids.map(() => "completed"));

      // Each instance's three calls reached the service with their own key; each key was applied once (one row).
      const effects = await sql<{ effect_key: string; deliveries: number; first_at: Date }>`
        select effect_key, deliveries, first_at from scale_effects`.execute(db.owner);
      for (const id of ids) {
        const keys = effects.rows.filter((row) => row.effect_key.startsWith(`${id}:`));
        expect(keys.map((row) => row.effect_key.split(":")[1]).sort()).toEqual([
          "/do/0/first",
          "/do/2/second",
          "/do/4/third",
        ]);
      }
      expect(effects.rows).toHaveLength(3 * INSTANCES);
      // A repeated delivery is only ever a call that was in flight in the killed worker: it first arrived before
      // the kill, and belongs to an instance that was unfinished then. Nothing recorded is ever repeated.
      const repeated = effects.rows.filter((row) => row.deliveries > 1);
      for (const row of repeated) {
        expect(row.deliveries).toBe(2);
        expect(row.first_at.getTime()).toBeLessThan(killedAt.getTime());
        expect(unfinishedAtKill).toContain(row.effect_key.split(":")[0]);
      }
      expect(repeated.length).toBeLessThanOrEqual(owned);

      // The takeover happened once, by the survivor, and the dead worker owns nothing any more.
      const executors = await sql<{
        executor_id: string;
        recovered_by: string | null;
        recovered_workflows: number | null;
      }>`select executor_id, recovered_by, recovered_workflows from engine_executors order by executor_id`.execute(
        db.owner,
      );
      const dead = executors.rows.find((row) => row.executor_id === victim);
      expect(dead?.recovered_by).toBe(survivor);
      expect(dead?.recovered_workflows).toBeGreaterThanOrEqual(1);
      expect(executors.rows.find((row) => row.executor_id === survivor)?.recovered_by).toBeNull();
      const engineRows = await sql<{ executor_id: string; status: string; n: number }>`
        select executor_id, status, count(*)::int as n from dbos.workflow_status
        where name = 'orchestration.execute' group by 1, 2`.execute(db.owner);
      expect(engineRows.rows.filter((row) => row.status !== "SUCCESS")).toEqual([]);
      expect(await pendingOf(db, victim)).toBe(0);

      // `prapti workers` shows it.
      const listed = await runPrapti(
        ["workers", "--json"],
        praptiEnvironment({ DATABASE_URL: empty.url, PRAPTI_DATA_DIR: dataDir, LOG_LEVEL: "warn" }),
      );
      expect(listed.code).toBe(0);
      const shown = JSON.parse(listed.output.slice(listed.output.indexOf("["))) as {
        executorId: string;
        role: string;
        recoveredBy: string | null;
      }[];
      expect(shown.find((entry) => entry.executorId === victim)).toMatchObject({
        role: "worker",
        recoveredBy: survivor,
      });
      expect(shown.find((entry) => entry.executorId === "scale-api")).toMatchObject({ role: "api" });
    },
  );
});
