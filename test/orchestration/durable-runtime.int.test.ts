import { sql } from "kysely";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningPrapti } from "../../src/app/runtime.ts";
import { withTenant } from "../../src/platform/db/database.ts";
import { EventTypeRegistry } from "../../src/platform/events/event-outbox.ts";
import { appendExternalEvent } from "../../src/platform/events/external-event.ts";
import type { OrchestrationTables } from "../../src/orchestration/store/orchestration.tables.ts";
import { startInProcess, waitForInstance } from "../support/running-prapti.ts";
import { createTenant } from "../support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";

let database: TestDatabase;
let prapti: RunningPrapti;
let tenantId: string;
let service: Server;
let serviceUrl: string;
const calls: { key: string | undefined; path: string }[] = [];
let failSecond = false;

beforeAll(async () => {
  database = await createTestDatabase();
  tenantId = await createTenant(database.owner, "Durable Traders");
  service = createServer((request, response) => {
    calls.push({ key: request.headers["idempotency-key"] as string | undefined, path: request.url ?? "" });
    if (failSecond && request.url === "/second") {
      response.writeHead(503, { "content-type": "application/json" }).end('{"error":"down"}');
      return;
    }
    response
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ ok: true, path: request.url }));
  });
  await new Promise<void>((resolve) => service.listen(0, "127.0.0.1", resolve));
  serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
  prapti = await startInProcess({ databaseUrl: database.url, parkThresholdMs: 400 });
});

afterAll(async () => {
  await prapti?.stop();
  service?.close();
  await database?.drop();
});

async function publishAndStart(source: string, input: unknown = {}, businessKey?: string) {
  const published = await prapti.hub.definitions.publish({ tenantId, source, publishedBy: "test" });
  const { instance } = await prapti.hub.orchestrator.start({
    tenantId,
    namespace: published.namespace,
    name: published.name,
    input,
    ...(businessKey ? { businessKey } : {}),
  });
  return instance;
}

async function sendEvent(type: string, data: unknown) {
  await withTenant(database.app, tenantId, (trx) =>
    appendExternalEvent(trx, new EventTypeRegistry(), { tenantId, type, source: "/test", data }),
  );
}

const journalOf = (instanceId: string) =>
  database.owner
    .withTables<OrchestrationTables>()
    .selectFrom("workflow_journal")
    .select(["effect_key"])
    .where("instance_id", "=", instanceId)
    .execute();

describe("durable orchestration runtime", () => {
  it("runs a workflow with a call, a short wait and an emit to completion, recording history", async () => {
    const instance = await publishAndStart(
      `
document: { dsl: '1.0.0', namespace: test, name: call-wait-emit, version: '1.0.0' }
do:
  - fetchStatus:
      call: http
      with:
        method: get
        endpoint: ${serviceUrl}/status
  - pause:
      wait: { milliseconds: 100 }
  - announce:
      emit:
        event:
          with:
            type: test.announced
            source: https://prapti.dev/workflows/test
            data: { done: true }
  - finish:
      set:
        fetched: \${ $context.fetched // true }
`,
      { invoice: "INV-1" },
    );
    const done = await waitForInstance(prapti, tenantId, instance.id, ["completed", "faulted"]);
    expect(done.status).toBe("completed");
    expect(done.output).toEqual({ fetched: true });
    const history = await prapti.hub.orchestrator.store.history(tenantId, instance.id);
    const completed = history.filter((entry) => entry.status === "completed").map((entry) => entry.taskName);
    expect(completed).toEqual(expect.arrayContaining(["fetchStatus", "pause", "announce", "finish"]));
    const call = calls.find((entry) => entry.path === "/status");
    expect(call?.key).toMatch(new RegExp(`^${instance.id}:/do/0/fetchStatus:`));
    const emitted = await database.owner
      .selectFrom("event_outbox")
      .select(["type"])
      .where("type", "=", "test.announced")
      .execute();
    expect(emitted).toHaveLength(1);
  });

  it("parks a long wait in the database and wakes it when due", async () => {
    const instance = await publishAndStart(`
document: { dsl: '1.0.0', namespace: test, name: long-wait, version: '1.0.0' }
do:
  - sleepOnIt:
      wait: { seconds: 2 }
  - after:
      set: { woke: true }
`);
    await waitForInstance(prapti, tenantId, instance.id, ["waiting"]);
    const parked = await database.owner
      .withTables<OrchestrationTables>()
      .selectFrom("workflow_parked")
      .selectAll()
      .where("instance_id", "=", instance.id)
      .execute();
    expect(parked).toEqual([expect.objectContaining({ reason: "timer" })]);
    const done = await waitForInstance(prapti, tenantId, instance.id, ["completed", "faulted"]);
    expect(done).toMatchObject({ status: "completed", output: { woke: true } });
    expect(done.execution).toBe(2);
    const history = await prapti.hub.orchestrator.store.history(tenantId, instance.id);
    expect(history.map((entry) => `${entry.taskName}:${entry.status}`)).toEqual([
      "sleepOnIt:started",
      "sleepOnIt:completed",
      "after:started",
      "after:completed",
    ]);
  });

  it("delivers an event to a parked listener exactly once and continues it", async () => {
    const instance = await publishAndStart(`
document: { dsl: '1.0.0', namespace: test, name: await-payment, version: '1.0.0' }
do:
  - awaitPayment:
      listen:
        to:
          one:
            with:
              type: payment.received
              data: '\${ .invoiceId == "INV-42" }'
  - record:
      set:
        paid: \${ .[0].amountPaise }
`);
    await waitForInstance(prapti, tenantId, instance.id, ["waiting"]);
    await sendEvent("payment.received", { invoiceId: "INV-41", amountPaise: 1 });
    await sendEvent("payment.received", { invoiceId: "INV-42", amountPaise: 11800000 });
    const done = await waitForInstance(prapti, tenantId, instance.id, ["completed", "faulted"]);
    expect(done.output).toEqual({ paid: 11800000 });
    const deliveries = await database.owner
      .withTables<OrchestrationTables>()
      .selectFrom("workflow_deliveries")
      .selectAll()
      .execute();
    expect(deliveries.filter((delivery) => delivery.correlation_id.startsWith(instance.id))).toHaveLength(1);
  });

  it("returns the same instance for the same business key", async () => {
    const source = `
document: { dsl: '1.0.0', namespace: test, name: keyed, version: '1.0.0' }
do:
  - only:
      set: { ok: true }
`;
    const first = await publishAndStart(source, {}, "invoice:INV-7");
    const second = await prapti.hub.orchestrator.start({
      tenantId,
      namespace: "test",
      name: "keyed",
      input: {},
      businessKey: "invoice:INV-7",
    });
    expect(second.created).toBe(false);
    expect(second.instance.id).toBe(first.id);
  });

  it("cancels a waiting instance: it runs no further task", async () => {
    const instance = await publishAndStart(`
document: { dsl: '1.0.0', namespace: test, name: cancellable, version: '1.0.0' }
do:
  - hold:
      wait: { minutes: 10 }
  - never:
      call: http
      with: { method: get, endpoint: ${serviceUrl}/never }
`);
    await waitForInstance(prapti, tenantId, instance.id, ["waiting"]);
    await prapti.hub.orchestrator.cancel(tenantId, instance.id);
    expect((await prapti.hub.orchestrator.store.get(tenantId, instance.id)).status).toBe("cancelled");
    expect(await prapti.hub.orchestrator.sweep()).toMatchObject({ woken: 0 });
    expect(calls.some((entry) => entry.path === "/never")).toBe(false);
  });

  it("suspends and resumes a parked instance", async () => {
    const instance = await publishAndStart(`
document: { dsl: '1.0.0', namespace: test, name: suspendable, version: '1.0.0' }
do:
  - hold:
      wait: { seconds: 1 }
  - after:
      set: { resumed: true }
`);
    await waitForInstance(prapti, tenantId, instance.id, ["waiting"]);
    await prapti.hub.orchestrator.suspend(tenantId, instance.id);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await prapti.hub.orchestrator.store.get(tenantId, instance.id)).status).toBe("suspended");
    await prapti.hub.orchestrator.resume(tenantId, instance.id);
    const done = await waitForInstance(prapti, tenantId, instance.id, ["completed", "faulted"]);
    expect(done.output).toEqual({ resumed: true });
  });

  it("retries a faulted instance from the failed task without repeating what succeeded", async () => {
    failSecond = true;
    const instance = await publishAndStart(`
document: { dsl: '1.0.0', namespace: test, name: retryable, version: '1.0.0' }
do:
  - first:
      call: http
      with: { method: post, endpoint: ${serviceUrl}/first }
  - second:
      call: http
      with: { method: post, endpoint: ${serviceUrl}/second }
`);
    const faulted = await waitForInstance(prapti, tenantId, instance.id, ["faulted", "completed"]);
    expect(faulted.status).toBe("faulted");
    expect(faulted.error).toMatchObject({ status: 503, instance: "/do/1/second" });
    failSecond = false;
    await prapti.hub.orchestrator.retry(tenantId, instance.id);
    const done = await waitForInstance(prapti, tenantId, instance.id, ["completed", "faulted"]);
    expect(done.status).toBe("completed");
    expect(calls.filter((entry) => entry.path === "/first")).toHaveLength(1);
    expect(calls.filter((entry) => entry.path === "/second")).toHaveLength(2);
    expect((await journalOf(instance.id)).length).toBeGreaterThanOrEqual(2);
  });

  it("wakes an instance whose event was delivered while it was parking", async () => {
    // Deliver the event in the very transaction that parks the instance, so that nobody has a parked row to
    // wake when the delivery becomes visible: only the instance's own look after parking can see it.
    await sql`
      create function test_deliver_while_parking() returns trigger language plpgsql as $$
      begin
        insert into workflow_deliveries (correlation_id, event_id, tenant_id, event)
          select c.id, 'delivered-while-parking', c.tenant_id,
            jsonb_build_object('specversion', '1.0', 'id', 'delivered-while-parking', 'source', '/test',
              'type', 'race.happened', 'data', jsonb_build_object('ok', true))
          from workflow_correlations c
          join workflow_instances i on i.id = c.instance_id
          where c.instance_id = new.instance_id and c.closed_at is null and i.name = 'park-race';
        return new;
      end $$`.execute(database.owner);
    await sql`create trigger test_deliver_while_parking after insert on workflow_parked
      for each row execute function test_deliver_while_parking()`.execute(database.owner);
    try {
      const instance = await publishAndStart(`
document: { dsl: '1.0.0', namespace: test, name: park-race, version: '1.0.0' }
do:
  - awaitIt:
      listen:
        to:
          one:
            with:
              type: race.happened
  - after:
      set:
        done: true
`);
      const done = await waitForInstance(prapti, tenantId, instance.id, ["completed", "faulted"]);
      expect(done.status).toBe("completed");
      expect(done.output).toEqual({ done: true });
    } finally {
      await sql`drop trigger test_deliver_while_parking on workflow_parked`.execute(database.owner);
      await sql`drop function test_deliver_while_parking()`.execute(database.owner);
    }
  });

  it("hands over an execution that a crash left without an engine workflow", async () => {
    const published = await prapti.hub.definitions.publish({
      tenantId,
      publishedBy: "test",
      source: `
document: { dsl: '1.0.0', namespace: test, name: never-handed-over, version: '1.0.0' }
do:
  - only:
      set:
        ran: true
`,
    });
    // What a process killed right after moving the instance to an execution, before the engine heard of it, leaves.
    const { instance } = await prapti.hub.orchestrator.store.create({
      tenantId,
      namespace: published.namespace,
      name: published.name,
      version: published.version,
      input: {},
      status: "running",
    });
    await sql`update workflow_instances set updated_at = now() - interval '1 minute' where id = ${instance.id}`.execute(
      database.owner,
    );
    await prapti.hub.orchestrator.sweep();
    const done = await waitForInstance(prapti, tenantId, instance.id, ["completed", "faulted"]);
    expect(done.status).toBe("completed");
    expect(done.output).toEqual({ ran: true });
  });
});
