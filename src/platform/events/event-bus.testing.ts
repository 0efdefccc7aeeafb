import type { EventBus } from "./event-bus.port.ts";
import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { z } from "zod";
import { withTenant } from "../db/database.ts";
import type { DB } from "../db/schema.ts";
import { appendEvent, EventTypeRegistry, type CloudEvent } from "./event-outbox.ts";

/** Helpers shared by the event bus tests. */

export function testEventRegistry(): EventTypeRegistry {
  const registry = new EventTypeRegistry();
  registry.register("test.invoice.created", z.object({ n: z.number().int() }));
  registry.register("test.invoice.paid", z.object({ n: z.number().int() }));
  registry.register("test.customer.updated", z.object({ n: z.number().int() }));
  return registry;
}

export async function createTenants(owner: Kysely<DB>, count: number): Promise<string[]> {
  const rows = await owner
    .insertInto("tenants")
    .values(
      Array.from({ length: count }, (_unused, index) => ({
        name: `Tenant ${index}`,
        slug: `t-${randomBytes(5).toString("hex")}`,
        gstin: null,
      })),
    )
    .returning("id")
    .execute();
  return rows.map((row) => row.id);
}

export interface TestEvent {
  type: string;
  subject?: string;
  n: number;
}

/** Appends events for one tenant in one transaction, as a module's command would. */
export async function appendEvents(
  app: Kysely<DB>,
  registry: EventTypeRegistry,
  tenantId: string,
  events: TestEvent[],
): Promise<CloudEvent[]> {
  return withTenant(app, tenantId, async (trx) => {
    const appended: CloudEvent[] = [];
    for (const event of events) {
      appended.push(
        await appendEvent(trx, registry, {
          tenantId,
          type: event.type,
          source: "/test",
          ...(event.subject ? { subject: event.subject } : {}),
          data: { n: event.n },
        }),
      );
    }
    return appended;
  });
}

/** Polls `check` until it returns something other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Waits until the bus has published the whole outbox and no consumer has a delivery left. */
export async function waitForDrainedBus(bus: Pick<EventBus, "lag">): Promise<void> {
  await waitFor("the bus to drain", async () => {
    const lag = await bus.lag();
    return lag.unpublished === 0 && lag.consumers.every((consumer) => consumer.pending === 0)
      ? true
      : undefined;
  });
}

export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}
