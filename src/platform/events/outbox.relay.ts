import { sql, type Kysely, type Transaction } from "kysely";
import type { Logger } from "pino";
import type { DB } from "../db/schema.ts";
import { backoffDelayMs, errorText } from "./event-bus.port.ts";
import { eventsDb, type EventsDB } from "./event-bus.tables.ts";
import { rowToCloudEvent, type CloudEvent } from "./event-outbox.ts";
import { Waker } from "./waker.ts";

/** Any fixed 64-bit number: only the process holding it relays, so the bus sees the outbox's order. */
const RELAY_LOCK_KEY = "7276540120101";

export interface OutboxEntry {
  sequence: bigint;
  event: CloudEvent;
}

/** Where the relay hands events: PostgreSQL deliveries or a JetStream stream. */
export interface OutboxPublisher {
  /**
   * Runs inside the relay's transaction, which then marks the events published. Throwing leaves every
   * event of the batch in the outbox for a later try.
   */
  publish(trx: Transaction<EventsDB>, entries: OutboxEntry[]): Promise<void>;
}

/**
 * Publishes the oldest unpublished outbox events, in sequence order, and marks them published — all in one
 * transaction under an advisory lock, so one relay at a time works and nothing is marked that was not handed
 * over. Returns how many events it published (0 when none, or when another relay holds the lock).
 */
export async function relayOutboxBatch(options: {
  owner: Kysely<DB>;
  publisher: OutboxPublisher;
  batchSize?: number;
}): Promise<number> {
  return eventsDb(options.owner)
    .transaction()
    .execute(async (trx) => {
      const lock = await sql<{ locked: boolean }>`
        select pg_try_advisory_xact_lock(${RELAY_LOCK_KEY}::bigint) as locked`.execute(trx);
      if (!lock.rows[0]?.locked) return 0;
      const rows = await trx
        .selectFrom("event_outbox")
        .select(["sequence", "id", "tenant_id", "type", "source", "subject", "time", "data"])
        .where("published_at", "is", null)
        .orderBy("sequence")
        .limit(options.batchSize ?? 200)
        .execute();
      if (rows.length === 0) return 0;
      await options.publisher.publish(
        trx,
        rows.map((row) => ({ sequence: row.sequence, event: rowToCloudEvent(row) })),
      );
      await trx
        .updateTable("event_outbox")
        .set({ published_at: sql<Date>`now()` })
        .where(
          "sequence",
          "in",
          rows.map((row) => row.sequence),
        )
        .execute();
      return rows.length;
    });
}

export interface OutboxRelay {
  start(): void;
  stop(): Promise<void>;
  /** Asks the relay to look at the outbox now (e.g. on a `prapti_events` notification). */
  wake(): void;
  runOnce(): Promise<number>;
}

/**
 * The relay loop: woken by notifications, polling as a fallback, and backing off while the bus refuses
 * events (they stay in the outbox meanwhile).
 */
export function createOutboxRelay(options: {
  owner: Kysely<DB>;
  publisher: OutboxPublisher;
  logger?: Logger;
  batchSize?: number;
  pollIntervalMs?: number;
}): OutboxRelay {
  const waker = new Waker();
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  let stopped = true;
  let loop: Promise<void> | undefined;
  let failures = 0;

  const runOnce = () =>
    relayOutboxBatch({
      owner: options.owner,
      publisher: options.publisher,
      ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    });

  async function run(): Promise<void> {
    while (!stopped) {
      let relayed = 0;
      try {
        relayed = await runOnce();
        if (failures > 0) options.logger?.info({ failures }, "outbox relay publishes again");
        failures = 0;
      } catch (error) {
        failures += 1;
        const delay = backoffDelayMs(failures, pollIntervalMs, 30_000);
        options.logger?.warn(
          { err: errorText(error), failures, retryInMs: delay },
          "outbox relay could not publish; events stay in the outbox",
        );
        await waker.sleep(delay);
        continue;
      }
      if (relayed === 0) await waker.wait(pollIntervalMs);
    }
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      loop = run();
    },
    async stop() {
      stopped = true;
      waker.wake();
      await loop;
    },
    wake: () => waker.wake(),
    runOnce,
  };
}
