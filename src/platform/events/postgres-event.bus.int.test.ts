import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { isAppError } from "../../kernel/app-error.ts";
import { withTenant } from "../db/database.ts";
import { createMetrics } from "../telemetry/metrics.ts";
import { listDeadLetters, replayDeadLetters } from "./dead-letters.ts";
import type { EventBus, EventConsumer } from "./event-bus.port.ts";
import { eventsDb } from "./event-bus.tables.ts";
import { appendEvents, createTenants, deferred, testEventRegistry, waitFor } from "./event-bus.testing.ts";
import { appendEvent, type CloudEvent } from "./event-outbox.ts";
import { createPostgresEventBus, type PostgresEventBusOptions } from "./postgres-event.bus.ts";

let database: TestDatabase;
let tenantA: string;
let tenantB: string;
const registry = testEventRegistry();
const buses: EventBus[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  [tenantA = "", tenantB = ""] = await createTenants(database.owner, 2);
});

afterEach(async () => {
  for (const bus of buses.splice(0)) await bus.stop();
  // Each test starts from an empty bus.
  await sql`truncate event_deliveries, event_consumers, event_dead_letters`.execute(database.owner);
  await sql`update event_outbox set published_at = now() where published_at is null`.execute(database.owner);
});

afterAll(async () => {
  await database.drop();
});

function startBus(consumers: EventConsumer[], options: Partial<PostgresEventBusOptions> = {}): EventBus {
  const bus = createPostgresEventBus({
    owner: database.owner,
    databaseUrl: database.url,
    pollIntervalMs: 100,
    retryBackoff: { initialMs: 5, maxMs: 20 },
    maxAttempts: 3,
    ...options,
  });
  for (const consumer of consumers) bus.subscribe(consumer);
  buses.push(bus);
  return bus;
}

function recorder(name: string, types: string[] | "*" = "*") {
  const seen: CloudEvent[] = [];
  const consumer: EventConsumer = {
    name,
    types,
    async handle(event) {
      seen.push(event);
    },
  };
  return { consumer, seen };
}

describe("PostgreSQL event bus", () => {
  it("delivers each event to every consumer of its type, once, and marks the outbox published", async () => {
    const all = recorder("all-events");
    const paid = recorder("paid-only", ["test.invoice.paid"]);
    const bus = startBus([all.consumer, paid.consumer]);
    await bus.start();

    const appended = await appendEvents(database.app, registry, tenantA, [
      { type: "test.invoice.created", subject: "inv-1", n: 1 },
      { type: "test.invoice.paid", subject: "inv-1", n: 2 },
      { type: "test.customer.updated", subject: "cust-1", n: 3 },
    ]);

    await waitFor("all three events", () => (all.seen.length === 3 ? true : undefined));
    await waitFor("the paid event", () => (paid.seen.length === 1 ? true : undefined));
    expect(all.seen.map((event) => event.id).sort()).toEqual(appended.map((event) => event.id).sort());
    expect(paid.seen[0]).toMatchObject({
      type: "test.invoice.paid",
      subject: "inv-1",
      data: { n: 2 },
      tenantid: tenantA,
    });

    const unpublished = await eventsDb(database.owner)
      .selectFrom("event_outbox")
      .select("id")
      .where("published_at", "is", null)
      .execute();
    expect(unpublished).toEqual([]);
    await waitFor("empty deliveries", async () => {
      const lag = await bus.lag();
      return lag.consumers.every((consumer) => consumer.pending === 0) ? lag : undefined;
    });
    const lag = await bus.lag();
    expect(lag.unpublished).toBe(0);
    expect(lag.consumers.map((consumer) => consumer.consumer)).toEqual(["all-events", "paid-only"]);
  });

  it("handles one subject's events in order while other subjects go on in parallel", async () => {
    const order = new Map<string, number[]>();
    const slowStarted = deferred();
    const releaseSlow = deferred();
    let slowHeld = false;
    const consumer: EventConsumer = {
      name: "ordered",
      types: "*",
      concurrency: 4,
      async handle(event) {
        const n = (event.data as { n: number }).n;
        if (event.subject === "slow" && !slowHeld) {
          slowHeld = true;
          slowStarted.resolve();
          await releaseSlow.promise;
        }
        const list = order.get(`${event.tenantid}/${event.subject ?? ""}`) ?? [];
        list.push(n);
        order.set(`${event.tenantid}/${event.subject ?? ""}`, list);
      },
    };
    await startBus([consumer]).start();

    // Interleaved transactions for three subjects of two tenants.
    for (let n = 1; n <= 5; n++) {
      await appendEvents(database.app, registry, tenantA, [
        { type: "test.invoice.paid", subject: "slow", n },
      ]);
      await appendEvents(database.app, registry, tenantA, [
        { type: "test.invoice.paid", subject: "fast", n },
      ]);
      await appendEvents(database.app, registry, tenantB, [
        { type: "test.invoice.paid", subject: "slow", n },
      ]);
    }
    await slowStarted.promise;
    // While tenant A's "slow" subject is held, the other subjects are handled completely.
    await waitFor("other subjects", () =>
      order.get(`${tenantA}/fast`)?.length === 5 && order.get(`${tenantB}/slow`)?.length === 5
        ? true
        : undefined,
    );
    expect(order.get(`${tenantA}/slow`)).toBeUndefined();
    releaseSlow.resolve();
    await waitFor("the held subject", () => (order.get(`${tenantA}/slow`)?.length === 5 ? true : undefined));
    for (const list of order.values()) expect(list).toEqual([1, 2, 3, 4, 5]);
  });

  it("never skips an event whose transaction commits after a later one", async () => {
    const seen = recorder("late-commits");
    const bus = startBus([seen.consumer]);
    await bus.start();

    const holdOpen = deferred();
    const appendedEarly = deferred<CloudEvent>();
    const early = withTenant(database.app, tenantA, async (trx) => {
      const event = await appendEvent(trx, registry, {
        tenantId: tenantA,
        type: "test.invoice.created",
        source: "/test",
        subject: "inv-early",
        data: { n: 1 },
      });
      appendedEarly.resolve(event);
      await holdOpen.promise;
      return event;
    });
    const earlyEvent = await appendedEarly.promise;
    const [late] = await appendEvents(database.app, registry, tenantA, [
      { type: "test.invoice.created", subject: "inv-late", n: 2 },
    ]);
    await waitFor("the later event", () =>
      seen.seen.some((event) => event.id === late?.id) ? true : undefined,
    );
    expect(seen.seen.some((event) => event.id === earlyEvent.id)).toBe(false);

    holdOpen.resolve();
    await early;
    await waitFor("the earlier event", () =>
      seen.seen.some((event) => event.id === earlyEvent.id) ? true : undefined,
    );
    expect(seen.seen).toHaveLength(2);
  });

  it("retries a failing event, then records a dead letter, and replays it on request", async () => {
    let failing = true;
    const attempts: number[] = [];
    const handled: number[] = [];
    const metrics = createMetrics({ processMetrics: false });
    const consumer: EventConsumer = {
      name: "fragile",
      types: ["test.invoice.paid"],
      async handle(event, ctx) {
        const n = (event.data as { n: number }).n;
        if (n === 1 && failing) {
          attempts.push(ctx.attempt);
          throw new Error("ledger unavailable");
        }
        handled.push(n);
      },
    };
    await startBus([consumer], { metrics }).start();
    const [poisoned] = await appendEvents(database.app, registry, tenantA, [
      { type: "test.invoice.paid", subject: "inv-9", n: 1 },
      { type: "test.invoice.paid", subject: "inv-9", n: 2 },
    ]);

    const letters = await waitFor("a dead letter", async () => {
      const found = await listDeadLetters({ db: database.owner, consumer: "fragile" });
      return found.length > 0 ? found : undefined;
    });
    expect(attempts).toEqual([1, 2, 3]);
    expect(letters[0]).toMatchObject({
      consumer: "fragile",
      eventId: poisoned?.id,
      eventType: "test.invoice.paid",
      tenantId: tenantA,
      attempts: 3,
      replayedAt: null,
    });
    expect(letters[0]?.error).toContain("ledger unavailable");
    expect(letters[0]?.event).toMatchObject({ id: poisoned?.id, data: { n: 1 } });
    // The subject's next event goes on once the failed one is set aside.
    await waitFor("the next event", () => (handled.includes(2) ? true : undefined));

    // A tenant sees its own dead letters only.
    const visible = await withTenant(database.app, tenantB, (trx) =>
      eventsDb(trx).selectFrom("event_dead_letters").select("id").execute(),
    );
    expect(visible).toEqual([]);

    failing = false;
    const result = await replayDeadLetters({ db: database.owner, consumer: "fragile" });
    expect(result).toEqual({ replayed: [letters[0]?.id], missingEvents: [] });
    await waitFor("the replayed event", () => (handled.includes(1) ? true : undefined));
    expect(await listDeadLetters({ db: database.owner, consumer: "fragile" })).toEqual([]);
    expect(
      (await listDeadLetters({ db: database.owner, consumer: "fragile", includeReplayed: true }))[0]
        ?.replayedAt,
    ).toBeInstanceOf(Date);

    const text = await metrics.registry.metrics();
    expect(text).toContain('prapti_event_deliveries_total{consumer="fragile",outcome="dead_letter"} 1');
    expect(text).toContain('prapti_event_deliveries_total{consumer="fragile",outcome="retry"} 2');

    await expect(replayDeadLetters({ db: database.owner, consumer: "nobody" })).rejects.toSatisfy(
      (error) => isAppError(error) && error.code === "NOT_FOUND",
    );
  });

  it("shares a consumer's work between processes without handling an event twice or out of order", async () => {
    const handledBy = new Map<string, string>();
    const order = new Map<string, number[]>();
    const consumerIn = (processName: string): EventConsumer => ({
      name: "shared",
      types: "*",
      concurrency: 3,
      async handle(event) {
        if (handledBy.has(event.id)) throw new Error(`event ${event.id} handled twice`);
        handledBy.set(event.id, processName);
        const list = order.get(event.subject ?? "") ?? [];
        list.push((event.data as { n: number }).n);
        order.set(event.subject ?? "", list);
        await new Promise((resolve) => setTimeout(resolve, 2));
      },
    });
    await startBus([consumerIn("one")]).start();
    await startBus([consumerIn("two")]).start();

    for (let n = 1; n <= 10; n++) {
      await appendEvents(
        database.app,
        registry,
        tenantA,
        ["a", "b", "c", "d"].map((subject) => ({ type: "test.customer.updated", subject, n })),
      );
    }
    await waitFor("forty events", () => (handledBy.size === 40 ? true : undefined));
    for (const list of order.values()) expect(list).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it("starts a new consumer from now, or from the beginning when it asks", async () => {
    await appendEvents(database.app, registry, tenantB, [
      { type: "test.invoice.created", subject: "old", n: 1 },
    ]);
    const first = startBus([]);
    await first.relayOnce();
    const fromNow = recorder("from-now");
    const fromStart = recorder("from-start");
    fromStart.consumer.startFrom = "beginning";
    await startBus([fromNow.consumer, fromStart.consumer]).start();
    await appendEvents(database.app, registry, tenantB, [
      { type: "test.invoice.created", subject: "new", n: 2 },
    ]);
    const subjectsFromStart = () => new Set(fromStart.seen.map((event) => event.subject));
    await waitFor("the new event", () =>
      fromNow.seen.length === 1 && subjectsFromStart().has("old") && subjectsFromStart().has("new")
        ? true
        : undefined,
    );
    expect(fromNow.seen.map((event) => event.subject)).toEqual(["new"]);
    expect(fromStart.seen.map((event) => event.subject)).toContain("old");
  });

  it("refuses event data that does not match the registered schema", async () => {
    const failure = await withTenant(database.app, tenantA, (trx) =>
      appendEvent(trx, registry, {
        tenantId: tenantA,
        type: "test.invoice.paid",
        source: "/test",
        data: { n: "x" },
      }),
    ).catch((error: unknown) => error);
    expect(isAppError(failure) && failure.code).toBe("INVALID_INPUT");
  });
});
