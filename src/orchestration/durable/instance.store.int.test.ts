import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { createTenant } from "../../../test/support/tenants.ts";
import { appendEvent, EventTypeRegistry } from "../../platform/events/event-outbox.ts";
import { withTenant } from "../../platform/db/database.ts";
import { z } from "zod";
import { createInstanceStore, type InstanceStore } from "./instance.store.ts";
import { dispatchPendingEvents, eventMatchesFilter } from "./event.dispatcher.ts";

let database: TestDatabase;
let store: InstanceStore;
let tenantA: string;
let tenantB: string;
const registry = new EventTypeRegistry();
registry.register("payment.received", z.object({ invoiceId: z.string(), amountPaise: z.string() }));

async function definition(tenantId: string) {
  const owner = database.owner.withTables<import("../store/orchestration.tables.ts").OrchestrationTables>();
  await owner
    .insertInto("workflow_definitions")
    .values({
      tenant_id: tenantId,
      namespace: "receivables",
      name: "overdue-followup",
      version: "1.0.0",
      document: "{}",
      source: "",
      checksum: "x",
      published_by: "test",
    })
    .onConflict((conflict) => conflict.doNothing())
    .execute();
}

beforeAll(async () => {
  database = await createTestDatabase();
  store = createInstanceStore({ db: database.app, owner: database.owner });
  tenantA = await createTenant(database.owner, "Asha Textiles");
  tenantB = await createTenant(database.owner, "Bharat Steel");
  await definition(tenantA);
  await definition(tenantB);
});

afterAll(async () => {
  await database?.drop();
});

const start = (tenantId: string, businessKey?: string) =>
  store.create({
    tenantId,
    namespace: "receivables",
    name: "overdue-followup",
    version: "1.0.0",
    input: { invoiceId: "INV-1" },
    ...(businessKey ? { businessKey } : {}),
  });

describe("instance store", () => {
  it("returns the same instance for the same business key", async () => {
    const first = await start(tenantA, "invoice:INV-1");
    const second = await start(tenantA, "invoice:INV-1");
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.instance.id).toBe(first.instance.id);
    const otherTenant = await start(tenantB, "invoice:INV-1");
    expect(otherTenant.created).toBe(true);
    expect(otherTenant.instance.id).not.toBe(first.instance.id);
  });

  it("keeps the first journal result of an effect recorded twice and stores history with it", async () => {
    const { instance } = await start(tenantA);
    const history = [
      { sequence: 1, taskPath: "/do/0/send", taskName: "send", status: "started" as const, at: new Date() },
    ];
    await store.recordEffect({
      tenantId: tenantA,
      instanceId: instance.id,
      execution: 1,
      key: "k1",
      result: { sent: 1 },
      history,
    });
    await store.recordEffect({
      tenantId: tenantA,
      instanceId: instance.id,
      execution: 1,
      key: "k1",
      result: { sent: 2 },
      history,
    });
    expect(await store.loadJournal(tenantA, instance.id)).toEqual(new Map([["k1", { sent: 1 }]]));
    expect(await store.history(tenantA, instance.id)).toHaveLength(1);
    await expect(store.loadJournal(tenantB, instance.id)).resolves.toEqual(new Map());
    await expect(store.get(tenantB, instance.id)).rejects.toThrow(/not found/);
  });

  it("wakes parked instances when due, each exactly once across concurrent sweepers", async () => {
    const ids: string[] = [];
    for (let index = 0; index < 20; index += 1) {
      const { instance } = await start(tenantA);
      ids.push(instance.id);
      await store.park({
        tenantId: tenantA,
        instanceId: instance.id,
        execution: 1,
        wakeAt: new Date(Date.now() - 1000),
        reason: "timer",
        history: [],
      });
    }
    const { instance: later } = await start(tenantA);
    await store.park({
      tenantId: tenantA,
      instanceId: later.id,
      execution: 1,
      wakeAt: new Date(Date.now() + 86_400_000),
      reason: "timer",
      history: [],
    });
    expect((await store.get(tenantA, later.id)).status).toBe("waiting");

    const claims = await Promise.all([1, 2, 3].map(() => store.claimDue({ now: new Date(), limit: 50 })));
    const claimed = claims.flat().map((claim) => claim.instanceId);
    expect(claimed.filter((id) => ids.includes(id)).sort()).toEqual([...ids].sort());
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(claimed).not.toContain(later.id);
    expect(claims.flat().every((claim) => claim.execution === 2)).toBe(true);
  });

  it("suspends a parked instance where it lies and cancels it for good", async () => {
    const { instance } = await start(tenantA);
    await store.park({
      tenantId: tenantA,
      instanceId: instance.id,
      execution: 1,
      wakeAt: new Date(Date.now() - 1),
      reason: "timer",
      history: [],
    });
    expect((await store.requestSuspend(tenantA, instance.id)).status).toBe("suspended");
    const claimed = await store.claimDue({ now: new Date(), limit: 500 });
    expect(claimed.map((claim) => claim.instanceId)).not.toContain(instance.id);
    expect((await store.cancel(tenantA, instance.id)).status).toBe("cancelled");
    await expect(store.cancel(tenantA, instance.id)).rejects.toThrow(/already ended/);
  });
});

describe("event dispatch to waiting instances", () => {
  it("matches filters on type and data, delivering each event once per correlation and never across tenants", async () => {
    const { instance } = await start(tenantA);
    const { instance: otherTenantInstance } = await start(tenantB);
    await store.park({
      tenantId: tenantA,
      instanceId: instance.id,
      execution: instance.execution,
      wakeAt: null,
      reason: "event",
      history: [],
    });
    const owner = database.owner.withTables<import("../store/orchestration.tables.ts").OrchestrationTables>();
    await owner
      .insertInto("workflow_correlations")
      .values([
        {
          id: `${instance.id}:/do/0/wait`,
          instance_id: instance.id,
          tenant_id: tenantA,
          event_types: ["payment.received"],
          filters: JSON.stringify([{ with: { type: "payment.received", data: { invoiceId: "INV-9" } } }]),
          mode: "one",
        },
        {
          id: `${otherTenantInstance.id}:/do/0/wait`,
          instance_id: otherTenantInstance.id,
          tenant_id: tenantB,
          event_types: ["payment.received"],
          filters: JSON.stringify([{ with: { type: "payment.received" } }]),
          mode: "one",
        },
      ])
      .execute();
    await withTenant(database.app, tenantA, async (trx) => {
      await appendEvent(trx, registry, {
        tenantId: tenantA,
        type: "payment.received",
        source: "/payments",
        data: { invoiceId: "INV-8", amountPaise: "100" },
      });
      await appendEvent(trx, registry, {
        tenantId: tenantA,
        type: "payment.received",
        source: "/payments",
        data: { invoiceId: "INV-9", amountPaise: "100" },
      });
    });
    const result = await dispatchPendingEvents({ owner: database.owner });
    // The parked instance moves to its next execution in the dispatch itself, ready to hand to the engine.
    expect(result.woken).toEqual([
      { tenantId: tenantA, instanceId: instance.id, execution: instance.execution + 1 },
    ]);
    const woken = await store.get(tenantA, instance.id);
    expect(woken).toMatchObject({ status: "running", execution: instance.execution + 1 });
    expect(
      await owner.selectFrom("workflow_parked").selectAll().where("instance_id", "=", instance.id).execute(),
    ).toEqual([]);
    const again = await dispatchPendingEvents({ owner: database.owner });
    expect(again).toEqual({ dispatched: 0, woken: [] });
    const deliveries = await owner.selectFrom("workflow_deliveries").selectAll().execute();
    expect(deliveries).toHaveLength(1);
    expect((deliveries[0]?.event as { data: { invoiceId: string } }).data.invoiceId).toBe("INV-9");
  });

  it("refuses an event whose data does not match its registered schema, writing nothing", async () => {
    await expect(
      withTenant(database.app, tenantA, (trx) =>
        appendEvent(trx, registry, {
          tenantId: tenantA,
          type: "payment.received",
          source: "/payments",
          data: { invoiceId: 7 },
        }),
      ),
    ).rejects.toThrow(/does not match its schema/);
  });

  it("evaluates runtime expressions and regular expressions in filters", () => {
    const event = {
      specversion: "1.0" as const,
      id: "e1",
      type: "payment.received",
      source: "/payments/razorpay",
      time: new Date().toISOString(),
      datacontenttype: "application/json" as const,
      data: { amount: 1500 },
      tenantid: "t",
    };
    expect(eventMatchesFilter(event, { with: { source: "/payments/.*", data: "${ .amount > 1000 }" } })).toBe(
      true,
    );
    expect(eventMatchesFilter(event, { with: { data: "${ .amount > 2000 }" } })).toBe(false);
    expect(eventMatchesFilter(event, { with: { type: "payment.failed" } })).toBe(false);
  });
});
