import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { DB } from "../db/schema.ts";
import { createNotificationListener, type NotificationListener } from "../events/pg-notification.listener.ts";
import { Waker } from "../events/waker.ts";
import type { ReadModelCache } from "./read-model.cache.ts";

/** What an event says about itself, enough to know which cached reads it makes stale. */
export interface ChangeNotice {
  tenantId: string;
  type: string;
  subject: string | undefined;
}

/** The tags a change makes stale in its tenant, e.g. `["invoice-list", "invoice:<id>"]`; none to ignore it. */
export type InvalidationRule = (change: ChangeNotice) => string[];

export interface OutboxCacheInvalidator {
  start(): Promise<void>;
  /** Drops what every event committed since the last pass makes stale; returns how many events it read. */
  catchUp(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Keeps one process's read-model cache true to the database by tailing the event outbox: every change a
 * module commits appends an event in the same transaction, so reading the outbox after each commit
 * notification (and on a slow poll, in case a notification is missed) sees every change, whichever process
 * made it. Each process that serves reads runs one, so an in-process cache on several API processes stays
 * correct, and with Redis the drops are repeated harmlessly.
 *
 * Sequence numbers are taken before commit, so a transaction can commit a lower number after a higher one
 * was read; the pass therefore re-reads a window below the highest number seen and skips events it handled.
 */
export function createOutboxCacheInvalidator(options: {
  owner: Kysely<DB>;
  databaseUrl: string;
  cache: ReadModelCache;
  rules: InvalidationRule[];
  logger?: Logger;
  pollMs?: number;
  /** How far below the highest sequence seen a late commit is still picked up. */
  lookback?: number;
}): OutboxCacheInvalidator {
  const pollMs = options.pollMs ?? 2_000;
  const lookback = options.lookback ?? 2_000;
  const waker = new Waker();
  const handled = new Set<bigint>();
  let highest = 0n;
  let running: Promise<void> | undefined;
  let stopped = true;
  let listener: NotificationListener | undefined;
  let pass: Promise<number> = Promise.resolve(0);

  async function readSince(low: bigint) {
    return options.owner
      .selectFrom("event_outbox")
      .select(["sequence", "tenant_id", "type", "subject"])
      .where("sequence", ">", low)
      .orderBy("sequence")
      .limit(5_000)
      .execute();
  }

  async function runPass(): Promise<number> {
    let read = 0;
    for (;;) {
      const low = highest > BigInt(lookback) ? highest - BigInt(lookback) : 0n;
      const rows = (await readSince(low)).filter((row) => !handled.has(BigInt(row.sequence)));
      if (rows.length === 0) return read;
      const staleByTenant = new Map<string, Set<string>>();
      for (const row of rows) {
        const change: ChangeNotice = {
          tenantId: row.tenant_id,
          type: row.type,
          subject: row.subject ?? undefined,
        };
        for (const rule of options.rules) {
          for (const tag of rule(change)) {
            let tags = staleByTenant.get(row.tenant_id);
            if (!tags) staleByTenant.set(row.tenant_id, (tags = new Set()));
            tags.add(tag);
          }
        }
      }
      for (const [tenantId, tags] of staleByTenant) {
        await options.cache.invalidateTags(tenantId, [...tags]);
      }
      for (const row of rows) {
        const sequence = BigInt(row.sequence);
        handled.add(sequence);
        if (sequence > highest) highest = sequence;
      }
      const floor = highest - BigInt(lookback);
      for (const sequence of handled) if (sequence <= floor) handled.delete(sequence);
      read += rows.length;
    }
  }

  function catchUp(): Promise<number> {
    // Passes never overlap: the next one starts after the current one ends.
    pass = pass.catch(() => 0).then(runPass);
    return pass;
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      try {
        await catchUp();
      } catch (error) {
        options.logger?.warn({ err: error }, "cache invalidation pass failed; retrying");
      }
      await waker.wait(pollMs);
    }
  }

  return {
    async start() {
      if (!stopped) return;
      stopped = false;
      // Nothing is cached yet, so the history before now needs no dropping: start from the current end.
      const last = await options.owner
        .selectFrom("event_outbox")
        .select((eb) => eb.fn.max("sequence").as("sequence"))
        .executeTakeFirst();
      highest = last?.sequence ? BigInt(last.sequence) : 0n;
      for (const row of await readSince(highest > BigInt(lookback) ? highest - BigInt(lookback) : 0n)) {
        handled.add(BigInt(row.sequence));
      }
      listener = createNotificationListener({
        url: options.databaseUrl,
        channels: { prapti_events: () => waker.wake() },
        ...(options.logger ? { logger: options.logger } : {}),
      });
      await listener.start();
      running = loop();
    },
    catchUp,
    async stop() {
      if (stopped) return;
      stopped = true;
      waker.wake();
      await listener?.stop();
      await running;
      await pass.catch(() => undefined);
    },
  };
}
