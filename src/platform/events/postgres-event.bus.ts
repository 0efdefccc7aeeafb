import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { DB } from "../db/schema.ts";
import type { PraptiMetrics } from "../telemetry/metrics.ts";
import { DeliveryWorker } from "./delivery.worker.ts";
import { checkConsumer, type BusLag, type EventBus, type EventConsumer } from "./event-bus.port.ts";
import { DELIVERIES_CHANNEL, busLag, fanOutDeliveries, registerConsumers } from "./event-delivery.store.ts";
import { createOutboxRelay, type OutboxPublisher } from "./outbox.relay.ts";
import { createNotificationListener, type NotificationListener } from "./pg-notification.listener.ts";

/** Channel the outbox trigger notifies on each commit that appended events. */
export const EVENTS_CHANNEL = "prapti_events";

export interface PostgresEventBusOptions {
  /** The owner connection: the bus works across tenants. */
  owner: Kysely<DB>;
  /** For LISTEN; without it the bus only polls. */
  databaseUrl?: string;
  logger?: Logger;
  metrics?: PraptiMetrics;
  /** Failed attempts before a dead letter, for consumers that do not say. Default 8. */
  maxAttempts?: number;
  retryBackoff?: { initialMs: number; maxMs: number };
  /** Fallback polling when no notification arrives. Default 1 s. */
  pollIntervalMs?: number;
  /** Run the outbox relay in this process. Default true. */
  relay?: boolean;
}

/** Publishing on the PostgreSQL bus: a delivery row per interested consumer. */
export const postgresPublisher: OutboxPublisher = {
  async publish(trx, entries) {
    await fanOutDeliveries(
      trx,
      entries.map((entry) => entry.sequence),
    );
  },
};

/**
 * The default bus: events never leave PostgreSQL. The relay turns each outbox event into delivery rows for
 * the consumers that take its type; each consumer's worker drains its rows in order per subject. Several
 * processes may run the same consumers: rows are claimed with SKIP LOCKED and leased.
 */
export function createPostgresEventBus(options: PostgresEventBusOptions): EventBus {
  const consumers = new Map<string, EventConsumer>();
  const workers: DeliveryWorker[] = [];
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const relay = createOutboxRelay({
    owner: options.owner,
    publisher: postgresPublisher,
    pollIntervalMs,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  let listener: NotificationListener | undefined;
  let started = false;

  return {
    kind: "postgres",
    subscribe(consumer) {
      if (started) throw new Error(`subscribe ${consumer.name} before the bus starts`);
      checkConsumer(consumer, consumers);
      consumers.set(consumer.name, consumer);
    },
    async start() {
      if (started) return;
      started = true;
      await registerConsumers(options.owner, [...consumers.values()]);
      for (const consumer of consumers.values()) {
        workers.push(
          new DeliveryWorker({
            owner: options.owner,
            consumer,
            defaultMaxAttempts: options.maxAttempts ?? 8,
            retryBackoff: options.retryBackoff ?? { initialMs: 1_000, maxMs: 5 * 60_000 },
            pollIntervalMs,
            ...(options.logger ? { logger: options.logger } : {}),
            ...(options.metrics ? { metrics: options.metrics } : {}),
          }),
        );
      }
      if (options.relay ?? true) relay.start();
      for (const worker of workers) worker.start();
      if (options.databaseUrl) {
        listener = createNotificationListener({
          url: options.databaseUrl,
          channels: {
            [EVENTS_CHANNEL]: () => relay.wake(),
            [DELIVERIES_CHANNEL]: () => {
              for (const worker of workers) worker.wake();
            },
          },
          ...(options.logger ? { logger: options.logger } : {}),
        });
        await listener.start();
      }
    },
    async stop() {
      if (!started) return;
      await listener?.stop();
      await relay.stop();
      await Promise.all(workers.map((worker) => worker.stop()));
      workers.length = 0;
      started = false;
    },
    relayOnce: () => relay.runOnce(),
    async lag(): Promise<BusLag> {
      return busLag(options.owner);
    },
  };
}
