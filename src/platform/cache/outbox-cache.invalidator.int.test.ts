import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant } from "../../../test/support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { withTenant } from "../db/database.ts";
import { EventTypeRegistry } from "../events/event-outbox.ts";
import { appendExternalEvent } from "../events/external-event.ts";
import { createLruReadModelCache } from "./lru-read-model.cache.ts";
import { createOutboxCacheInvalidator, type InvalidationRule } from "./outbox-cache.invalidator.ts";

let database: TestDatabase;
let tenantA: string;
let tenantB: string;
const registry = new EventTypeRegistry();
const HOUR = 3_600_000;

// Invoice events make the list and the invoice itself stale; other events change nothing cached.
const invoiceRule: InvalidationRule = (change) =>
  change.type.startsWith("invoice.") ? ["invoice-list", `invoice:${change.subject ?? ""}`] : [];

beforeAll(async () => {
  database = await createTestDatabase();
  tenantA = await createTenant(database.owner, "Cached A");
  tenantB = await createTenant(database.owner, "Cached B");
});

afterAll(async () => {
  await database?.drop();
});

function append(tenantId: string, type: string, subject: string) {
  return withTenant(database.app, tenantId, (trx) =>
    appendExternalEvent(trx, registry, { tenantId, type, source: "/test", subject, data: {} }),
  );
}

function setup() {
  const cache = createLruReadModelCache({ maxEntries: 100, ttlMs: HOUR });
  const invalidator = createOutboxCacheInvalidator({
    owner: database.owner,
    databaseUrl: database.url,
    cache,
    rules: [invoiceRule],
    pollMs: HOUR,
  });
  return { cache, invalidator };
}

describe("cache invalidation from the outbox", () => {
  it("drops the tags an event names, in its tenant only, and leaves unrelated entries", async () => {
    const { cache, invalidator } = setup();
    await invalidator.start();
    try {
      await cache.set(tenantA, "list", [1], { tags: ["invoice-list"] });
      await cache.set(tenantA, "invoice:x", { id: "x" }, { tags: ["invoice:x"] });
      await cache.set(tenantA, "invoice:y", { id: "y" }, { tags: ["invoice:y"] });
      await cache.set(tenantB, "list", [2], { tags: ["invoice-list"] });
      await append(tenantA, "customer.updated", "c1");
      // Read (here, or already by the pass its commit notification woke), but it names no cached tag.
      await invalidator.catchUp();
      expect(await cache.get(tenantA, "list")).toEqual([1]);

      await append(tenantA, "invoice.paid", "x");
      await invalidator.catchUp();
      expect(await cache.get(tenantA, "list")).toBeUndefined();
      expect(await cache.get(tenantA, "invoice:x")).toBeUndefined();
      expect(await cache.get(tenantA, "invoice:y")).toEqual({ id: "y" });
      expect(await cache.get(tenantB, "list")).toEqual([2]);
      // Read once: a second pass finds nothing new.
      expect(await invalidator.catchUp()).toBe(0);
    } finally {
      await invalidator.stop();
    }
  });

  it("sees an event whose transaction commits after a later one was read", async () => {
    const { cache, invalidator } = setup();
    await invalidator.start();
    // A transaction takes its sequence number, then waits while a later one commits and is read.
    let releaseSlow!: () => void;
    const slowMayCommit = new Promise<void>((resolve) => (releaseSlow = resolve));
    let slowAppended!: () => void;
    const slowHasAppended = new Promise<void>((resolve) => (slowAppended = resolve));
    const slow = withTenant(database.app, tenantA, async (trx) => {
      await appendExternalEvent(trx, registry, {
        tenantId: tenantA,
        type: "invoice.paid",
        source: "/test",
        subject: "late",
        data: {},
      });
      slowAppended();
      await slowMayCommit;
    });
    await slowHasAppended;
    await cache.set(tenantA, "invoice:late", "stale", { tags: ["invoice:late"] });
    await append(tenantA, "invoice.issued", "early");
    await invalidator.catchUp();
    expect(await cache.get(tenantA, "invoice:late")).toBe("stale");
    releaseSlow();
    await slow;
    await invalidator.catchUp();
    expect(await cache.get(tenantA, "invoice:late")).toBeUndefined();
    await invalidator.stop();
  });

  it("reacts to the commit notification without being asked", async () => {
    const { cache, invalidator } = setup();
    await invalidator.start();
    try {
      await cache.set(tenantB, "invoice:n", "cached", { tags: ["invoice:n"] });
      await append(tenantB, "invoice.updated", "n");
      // The poll interval is an hour and the entries live an hour: only the notification can drop it.
      while ((await cache.get(tenantB, "invoice:n")) !== undefined) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await cache.get(tenantB, "invoice:n")).toBeUndefined();
    } finally {
      await invalidator.stop();
    }
  });
});
