import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { connect, type JetStreamManager, type NatsConnection } from "nats";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { listDeadLetters, replayDeadLetters } from "./dead-letters.ts";
import type { EventBus, EventConsumer } from "./event-bus.port.ts";
import { eventsDb } from "./event-bus.tables.ts";
import { appendEvents, createTenants, testEventRegistry, waitFor } from "./event-bus.testing.ts";
import type { CloudEvent } from "./event-outbox.ts";
import { createNatsEventBus, type NatsEventBusOptions } from "./nats-event.bus.ts";

const NATS_URL = "nats://127.0.0.1:4222";
const run = randomBytes(4).toString("hex");
const registry = testEventRegistry();
let database: TestDatabase;
let tenantA: string;
let tenantB: string;
let nc: NatsConnection;
let jsm: JetStreamManager;
const streams: string[] = [];
const buses: EventBus[] = [];
let counter = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  [tenantA = "", tenantB = ""] = await createTenants(database.owner, 2);
  nc = await connect({ servers: NATS_URL });
  jsm = await nc.jetstreamManager();
});

afterEach(async () => {
  for (const bus of buses.splice(0)) await bus.stop();
  await sql`update event_outbox set published_at = now() where published_at is null`.execute(database.owner);
});

afterAll(async () => {
  for (const stream of streams) await jsm.streams.delete(stream).catch(() => false);
  await nc.close();
  await database.drop();
});

/** A stream and subject prefix of this test alone, deleted afterwards. */
function isolated() {
  counter += 1;
  const stream = `PRAPTI_TEST_${run}_${counter}`.toUpperCase();
  streams.push(stream);
  return { stream, subjectPrefix: `prapti_t${run}_${counter}` };
}

function natsBus(
  names: { stream: string; subjectPrefix: string },
  consumers: EventConsumer[],
  options: Partial<NatsEventBusOptions> = {},
): EventBus {
  const bus = createNatsEventBus({
    owner: database.owner,
    databaseUrl: database.url,
    natsUrl: NATS_URL,
    ...names,
    pollIntervalMs: 100,
    retryBackoff: { initialMs: 5, maxMs: 20 },
    maxAttempts: 3,
    ...options,
  });
  for (const consumer of consumers) bus.subscribe(consumer);
  buses.push(bus);
  return bus;
}

describe("NATS JetStream event bus", () => {
  it("publishes outbox events to <prefix>.<tenant>.<type> with the event id as message id", async () => {
    const names = isolated();
    const seen: CloudEvent[] = [];
    const bus = natsBus(names, [
      {
        name: "invoices",
        types: ["test.invoice.created", "test.invoice.paid"],
        handle: async (event) => void seen.push(event),
      },
    ]);
    await bus.start();
    const appended = await appendEvents(database.app, registry, tenantA, [
      { type: "test.invoice.created", subject: "inv-1", n: 1 },
      { type: "test.customer.updated", subject: "c-1", n: 2 },
      { type: "test.invoice.paid", subject: "inv-1", n: 3 },
    ]);

    await waitFor("two invoice events", () => (seen.length === 2 ? true : undefined));
    expect(seen.map((event) => (event.data as { n: number }).n)).toEqual([1, 3]);
    expect(seen[0]).toMatchObject({
      specversion: "1.0",
      id: appended[0]?.id,
      tenantid: tenantA,
      subject: "inv-1",
    });

    const stored = await jsm.streams.getMessage(names.stream, { seq: 1 });
    expect(stored.subject).toBe(`${names.subjectPrefix}.${tenantA}.test.invoice.created`);
    expect(stored.header.get("Nats-Msg-Id")).toBe(appended[0]?.id);
    const info = await jsm.streams.info(names.stream);
    expect(info.state.messages).toBe(3);
    await waitFor("the outbox rows marked published", async () => {
      const unpublished = await eventsDb(database.owner)
        .selectFrom("event_outbox")
        .select("id")
        .where("published_at", "is", null)
        .execute();
      return unpublished.length === 0 ? true : undefined;
    });
  });

  it("drops a re-published event as a duplicate", async () => {
    const names = isolated();
    const seen: string[] = [];
    const bus = natsBus(names, [
      { name: "dedupe", types: "*", handle: async (event) => void seen.push(event.id) },
    ]);
    await bus.start();
    const [event] = await appendEvents(database.app, registry, tenantB, [
      { type: "test.invoice.created", subject: "x", n: 1 },
    ]);
    await waitFor("the event", () => (seen.length === 1 ? true : undefined));

    // As if the relay had published but died before marking the row.
    await sql`update event_outbox set published_at = null where id = ${event?.id ?? ""}`.execute(
      database.owner,
    );
    await waitFor(
      "the row marked again",
      async () => {
        const row = await eventsDb(database.owner)
          .selectFrom("event_outbox")
          .select("published_at")
          .where("id", "=", event?.id ?? "")
          .executeTakeFirst();
        return row?.published_at ? true : undefined;
      },
      120_000,
    );
    const info = await jsm.streams.info(names.stream);
    expect(info.state.messages).toBe(1);
    expect(seen).toEqual([event?.id]);
  });

  it("keeps events in the outbox while the broker refuses them and publishes them later", async () => {
    const names = isolated();
    const seen: number[] = [];
    // Another stream holds the subjects, so JetStream refuses to create ours and every publish fails.
    const squatter = `${names.stream}_OTHER`;
    streams.push(squatter);
    await jsm.streams.add({ name: squatter, subjects: [`${names.subjectPrefix}.>`] });
    const bus = natsBus(names, [], { relay: false });
    await appendEvents(database.app, registry, tenantA, [
      { type: "test.invoice.created", subject: "inv-2", n: 1 },
      { type: "test.invoice.paid", subject: "inv-2", n: 2 },
    ]);
    await bus.start();
    const refusal = await bus.relayOnce().catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(Error);
    const waiting = await eventsDb(database.owner)
      .selectFrom("event_outbox")
      .select("id")
      .where("published_at", "is", null)
      .execute();
    expect(waiting).toHaveLength(2);
    await bus.stop();

    // Once the broker takes events again, a running bus catches up on its own.
    await jsm.streams.delete(squatter);
    const recovered = natsBus(names, [
      {
        name: "late",
        types: "*",
        startFrom: "beginning",
        handle: async (event) => void seen.push((event.data as { n: number }).n),
      },
    ]);
    await recovered.start();
    await waitFor("both events", () => (seen.length === 2 ? true : undefined));
    expect(seen).toEqual([1, 2]);
  });

  it("handles one subject in order, dead-letters after the attempts, and replays through PostgreSQL", async () => {
    const names = isolated();
    let failing = true;
    const handled: string[] = [];
    const consumer: EventConsumer = {
      name: "projector",
      types: "*",
      concurrency: 4,
      async handle(event) {
        const n = (event.data as { n: number }).n;
        if (event.subject === "bad" && n === 1 && failing) throw new Error("projection table locked");
        handled.push(`${event.subject ?? ""}:${n}`);
      },
    };
    await natsBus(names, [consumer]).start();
    for (let n = 1; n <= 4; n++) {
      await appendEvents(database.app, registry, tenantA, [
        { type: "test.invoice.paid", subject: "bad", n },
        { type: "test.invoice.paid", subject: "good", n },
      ]);
    }
    await waitFor("all but the poisoned event", () => (handled.length === 7 ? true : undefined));
    expect(handled.filter((entry) => entry.startsWith("bad:"))).toEqual(["bad:2", "bad:3", "bad:4"]);
    expect(handled.filter((entry) => entry.startsWith("good:"))).toEqual([
      "good:1",
      "good:2",
      "good:3",
      "good:4",
    ]);
    const [letter] = await listDeadLetters({ db: database.owner, consumer: "projector" });
    expect(letter).toMatchObject({ consumer: "projector", attempts: 3, tenantId: tenantA });
    expect(letter?.error).toContain("projection table locked");

    failing = false;
    await replayDeadLetters({ db: database.owner, consumer: "projector", ids: [letter?.id ?? ""] });
    await waitFor("the replayed event", () => (handled.includes("bad:1") ? true : undefined));
  });
});
