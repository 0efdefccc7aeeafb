import type { Kysely } from "kysely";
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  headers,
  nanos,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
} from "nats";
import type { Logger } from "pino";
import type { DB } from "../db/schema.ts";
import type { PraptiMetrics } from "../telemetry/metrics.ts";
import { DeliveryWorker } from "./delivery.worker.ts";
import {
  backoffDelayMs,
  checkConsumer,
  errorText,
  orderingKeyOf,
  runHandler,
  type BusLag,
  type ConsumerLag,
  type EventBus,
  type EventConsumer,
} from "./event-bus.port.ts";
import { DELIVERIES_CHANNEL, busLag, recordDeadLetter, registerConsumers } from "./event-delivery.store.ts";
import type { CloudEvent } from "./event-outbox.ts";
import { createOutboxRelay, type OutboxPublisher } from "./outbox.relay.ts";
import { createNotificationListener, type NotificationListener } from "./pg-notification.listener.ts";
import { EVENTS_CHANNEL } from "./postgres-event.bus.ts";
import { Waker } from "./waker.ts";

export interface NatsEventBusOptions {
  owner: Kysely<DB>;
  databaseUrl?: string;
  natsUrl: string;
  /** JetStream stream name (PRAPTI_NATS_STREAM). */
  stream: string;
  /** First token of every subject: `<prefix>.<tenant>.<type>`. Default `prapti`. */
  subjectPrefix?: string;
  logger?: Logger;
  metrics?: PraptiMetrics;
  maxAttempts?: number;
  retryBackoff?: { initialMs: number; maxMs: number };
  pollIntervalMs?: number;
  relay?: boolean;
  /** How long JetStream remembers message ids to drop re-published events. Default 10 minutes. */
  duplicateWindowMs?: number;
  /** How long the stream keeps events. Default 14 days. */
  maxAgeMs?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

class Semaphore {
  private available: number;
  private readonly queue: (() => void)[] = [];
  constructor(count: number) {
    this.available = count;
  }
  async acquire(): Promise<void> {
    if (this.available > 0) {
      this.available -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.queue.push(resolve));
  }
  release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.available += 1;
  }
}

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split(".").map(Number);
  return a > major || (a === major && b >= minor);
}

/**
 * The bus on NATS JetStream (with NATS_URL): the relay publishes each outbox event to
 * `<prefix>.<tenant>.<type>` with the event id as message id (JetStream drops a re-published id within its
 * duplicate window), and each consumer is a durable pull consumer. A message is acknowledged once handled or
 * recorded as a dead letter. Replayed dead letters come back through PostgreSQL delivery rows.
 */
export function createNatsEventBus(options: NatsEventBusOptions): EventBus {
  const prefix = options.subjectPrefix ?? "prapti";
  const consumers = new Map<string, EventConsumer>();
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const replayWorkers: DeliveryWorker[] = [];
  const consumerLoops: Promise<void>[] = [];
  const openIterators = new Set<ConsumerMessages>();
  const stopController = new AbortController();
  const waker = new Waker();
  let listener: NotificationListener | undefined;
  let connection: Promise<{ nc: NatsConnection; js: JetStreamClient; jsm: JetStreamManager }> | undefined;
  let streamReady = false;
  let started = false;
  let stopped = false;

  async function jetstream() {
    connection ??= (async () => {
      const nc = await connect({
        servers: options.natsUrl,
        name: "prapti-events",
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1_000,
      });
      return { nc, js: nc.jetstream(), jsm: await nc.jetstreamManager() };
    })().catch((error: unknown) => {
      connection = undefined;
      throw error;
    });
    const handles = await connection;
    if (!streamReady) {
      await ensureStream(handles.jsm);
      streamReady = true;
    }
    return handles;
  }

  async function ensureStream(jsm: JetStreamManager): Promise<void> {
    const subjects = [`${prefix}.>`];
    try {
      const info = await jsm.streams.info(options.stream);
      if (!subjects.every((subject) => info.config.subjects?.includes(subject))) {
        await jsm.streams.update(options.stream, {
          subjects: [...new Set([...(info.config.subjects ?? []), ...subjects])],
        });
      }
    } catch (error) {
      if (!/not found/i.test((error as Error).message)) throw error;
      await jsm.streams.add({
        name: options.stream,
        subjects,
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        duplicate_window: nanos(options.duplicateWindowMs ?? 10 * 60_000),
        max_age: nanos(options.maxAgeMs ?? 14 * 24 * 3_600_000),
      });
    }
  }

  const subjectOf = (event: CloudEvent) => `${prefix}.${event.tenantid}.${event.type}`;

  const publisher: OutboxPublisher = {
    async publish(_trx, entries) {
      const { js } = await jetstream();
      // Published in order on one connection; a partly failed batch is published again and de-duplicated.
      await Promise.all(
        entries.map(({ sequence, event }) => {
          const h = headers();
          h.set("Prapti-Sequence", sequence.toString());
          h.set("Prapti-Tenant", event.tenantid);
          h.set("Prapti-Type", event.type);
          if (event.subject) h.set("Prapti-Subject", event.subject);
          return js.publish(subjectOf(event), encoder.encode(JSON.stringify(event)), {
            msgID: event.id,
            headers: h,
            expect: { streamName: options.stream },
          });
        }),
      );
    },
  };

  const relay = createOutboxRelay({
    owner: options.owner,
    publisher,
    pollIntervalMs,
    ...(options.logger ? { logger: options.logger } : {}),
  });

  async function ensureConsumer(jsm: JetStreamManager, nc: NatsConnection, consumer: EventConsumer) {
    const types = consumer.types === "*" ? [] : consumer.types;
    const multiFilter = versionAtLeast(nc.info?.version ?? "0.0.0", 2, 10);
    const filter: Partial<ConsumerConfig> =
      types.length === 0
        ? { filter_subject: `${prefix}.>` }
        : types.length === 1
          ? { filter_subject: `${prefix}.*.${types[0]}` }
          : multiFilter
            ? { filter_subjects: types.map((type) => `${prefix}.*.${type}`) }
            : // Older servers take one filter: take everything and skip other types here.
              { filter_subject: `${prefix}.>` };
    const ackWait = nanos((consumer.handlerTimeoutMs ?? 60_000) + 30_000);
    try {
      const info = await jsm.consumers.info(options.stream, consumer.name);
      const current = info.config.filter_subjects ?? [info.config.filter_subject ?? ""];
      const wanted = filter.filter_subjects ?? [filter.filter_subject ?? ""];
      if (JSON.stringify(current) !== JSON.stringify(wanted)) {
        await jsm.consumers.update(options.stream, consumer.name, { ...filter, ack_wait: ackWait });
      }
    } catch (error) {
      if (!/not found/i.test((error as Error).message)) throw error;
      await jsm.consumers.add(options.stream, {
        durable_name: consumer.name,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: consumer.startFrom === "beginning" ? DeliverPolicy.All : DeliverPolicy.New,
        ack_wait: ackWait,
        max_ack_pending: 1_000,
        ...filter,
      });
    }
  }

  async function handleMessage(consumer: EventConsumer, message: JsMsg, event: CloudEvent, slots: Semaphore) {
    const maxAttempts = consumer.maxAttempts ?? options.maxAttempts ?? 8;
    const backoff = options.retryBackoff ?? { initialMs: 1_000, maxMs: 5 * 60_000 };
    const sequenceHeader = message.headers?.get("Prapti-Sequence");
    let attempt = message.info.deliveryCount;
    await slots.acquire();
    try {
      for (;;) {
        try {
          await runHandler(consumer, event, attempt, stopController.signal);
          message.ack();
          options.metrics?.eventsHandled.inc({ consumer: consumer.name, outcome: "ok" });
          return;
        } catch (error) {
          if (stopped) {
            message.nak();
            return;
          }
          const reason = errorText(error);
          if (attempt >= maxAttempts) {
            try {
              await recordDeadLetter(
                options.owner,
                {
                  consumer: consumer.name,
                  event,
                  sequence: sequenceHeader ? BigInt(sequenceHeader) : null,
                  error: reason,
                  attempts: attempt,
                },
                { removeDelivery: false },
              );
              message.ack();
              options.metrics?.eventsHandled.inc({ consumer: consumer.name, outcome: "dead_letter" });
              options.logger?.error(
                { consumer: consumer.name, eventId: event.id, attempts: attempt, err: reason },
                `consumer ${consumer.name} gave up on event ${event.id}; recorded as a dead letter`,
              );
            } catch {
              message.nak(backoff.maxMs);
            }
            return;
          }
          options.metrics?.eventsHandled.inc({ consumer: consumer.name, outcome: "retry" });
          // Retried here rather than by redelivery, so the subject's later events keep waiting their turn.
          let remaining = backoffDelayMs(attempt, backoff.initialMs, backoff.maxMs);
          while (remaining > 0 && !stopped) {
            message.working();
            const step = Math.min(remaining, 10_000);
            await waker.sleep(step);
            remaining -= step;
          }
          if (stopped) {
            message.nak();
            return;
          }
          message.working();
          attempt += 1;
        }
      }
    } finally {
      slots.release();
    }
  }

  async function runConsumer(consumer: EventConsumer): Promise<void> {
    const concurrency = consumer.concurrency ?? 8;
    let failures = 0;
    while (!stopped) {
      try {
        const { nc, js, jsm } = await jetstream();
        await ensureConsumer(jsm, nc, consumer);
        const pull = await js.consumers.get(options.stream, consumer.name);
        const messages = await pull.consume({ max_messages: concurrency * 8 });
        openIterators.add(messages);
        failures = 0;
        const slots = new Semaphore(concurrency);
        const chains = new Map<string, Promise<void>>();
        const pending = new Set<Promise<void>>();
        try {
          for await (const message of messages) {
            if (stopped) {
              message.nak();
              continue;
            }
            let event: CloudEvent;
            try {
              event = JSON.parse(decoder.decode(message.data)) as CloudEvent;
            } catch {
              message.term("not a CloudEvent");
              continue;
            }
            if (consumer.types !== "*" && !consumer.types.includes(event.type)) {
              message.ack();
              continue;
            }
            const key = orderingKeyOf(event);
            const previous = chains.get(key) ?? Promise.resolve();
            const next: Promise<void> = previous
              .then(() => handleMessage(consumer, message, event, slots))
              .catch((error: unknown) => {
                options.logger?.error(
                  { consumer: consumer.name, err: errorText(error) },
                  "event handling failed",
                );
              })
              .finally(() => {
                pending.delete(next);
                if (chains.get(key) === next) chains.delete(key);
              });
            chains.set(key, next);
            pending.add(next);
          }
        } finally {
          openIterators.delete(messages);
          await Promise.allSettled([...pending]);
        }
      } catch (error) {
        if (stopped) return;
        failures += 1;
        const delay = backoffDelayMs(failures, pollIntervalMs, 30_000);
        options.logger?.warn(
          { consumer: consumer.name, err: errorText(error), retryInMs: delay },
          "NATS consumer unavailable; retrying",
        );
        await waker.sleep(delay);
      }
    }
  }

  return {
    kind: "nats",
    subscribe(consumer) {
      if (started) throw new Error(`subscribe ${consumer.name} before the bus starts`);
      checkConsumer(consumer, consumers);
      consumers.set(consumer.name, consumer);
    },
    async start() {
      if (started) return;
      started = true;
      // Known to PostgreSQL as well, for dead letters and their replays (never back-filled there).
      await registerConsumers(
        options.owner,
        [...consumers.values()].map((consumer) => ({ ...consumer, startFrom: "now" as const })),
      );
      for (const consumer of consumers.values()) {
        replayWorkers.push(
          new DeliveryWorker({
            owner: options.owner,
            consumer,
            defaultMaxAttempts: options.maxAttempts ?? 8,
            retryBackoff: options.retryBackoff ?? { initialMs: 1_000, maxMs: 5 * 60_000 },
            pollIntervalMs: Math.max(pollIntervalMs, 5_000),
            ...(options.logger ? { logger: options.logger } : {}),
            ...(options.metrics ? { metrics: options.metrics } : {}),
          }),
        );
      }
      if (options.relay ?? true) relay.start();
      for (const worker of replayWorkers) worker.start();
      for (const consumer of consumers.values()) consumerLoops.push(runConsumer(consumer));
      if (options.databaseUrl) {
        listener = createNotificationListener({
          url: options.databaseUrl,
          channels: {
            [EVENTS_CHANNEL]: () => relay.wake(),
            [DELIVERIES_CHANNEL]: () => {
              for (const worker of replayWorkers) worker.wake();
            },
          },
          ...(options.logger ? { logger: options.logger } : {}),
        });
        await listener.start();
      }
    },
    async stop() {
      if (!started || stopped) return;
      stopped = true;
      await listener?.stop();
      await relay.stop();
      for (const messages of openIterators) await messages.close();
      waker.wake();
      await Promise.allSettled(consumerLoops);
      await Promise.all(replayWorkers.map((worker) => worker.stop()));
      stopController.abort();
      const handles = await connection?.catch(() => undefined);
      await handles?.nc.drain().catch(() => undefined);
    },
    relayOnce: () => relay.runOnce(),
    async lag(): Promise<BusLag> {
      const { consumers: replays, ...outbox } = await busLag(options.owner);
      const lags: ConsumerLag[] = [];
      const handles = await connection?.catch(() => undefined);
      for (const consumer of consumers.values()) {
        const replay = replays.find((entry) => entry.consumer === consumer.name);
        let pending = replay?.pending ?? 0;
        let oldestAgeSeconds = replay?.oldestAgeSeconds ?? 0;
        if (handles) {
          try {
            const info = await handles.jsm.consumers.info(options.stream, consumer.name);
            pending += info.num_pending + info.num_ack_pending;
            if (info.num_pending + info.num_ack_pending > 0) {
              // The stream's next message after the acknowledged floor: close to the oldest not yet handled.
              const next = await handles.jsm.streams.getMessage(options.stream, {
                seq: info.ack_floor.stream_seq + 1,
              });
              oldestAgeSeconds = Math.max(oldestAgeSeconds, (Date.now() - next.time.getTime()) / 1000);
            }
          } catch {
            // Not created yet, or NATS unreachable: report what PostgreSQL knows.
          }
        }
        lags.push({ consumer: consumer.name, pending, oldestAgeSeconds: Math.max(0, oldestAgeSeconds) });
      }
      return { ...outbox, consumers: lags };
    },
  };
}
