import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { DB } from "../db/schema.ts";
import type { PraptiMetrics } from "../telemetry/metrics.ts";
import { backoffDelayMs, errorText, runHandler, type EventConsumer } from "./event-bus.port.ts";
import {
  claimDeliveries,
  completeDelivery,
  recordDeadLetter,
  retryDeliveryLater,
  type ClaimedDelivery,
} from "./event-delivery.store.ts";
import { Waker } from "./waker.ts";

export interface DeliveryWorkerOptions {
  owner: Kysely<DB>;
  consumer: EventConsumer;
  defaultMaxAttempts: number;
  retryBackoff: { initialMs: number; maxMs: number };
  pollIntervalMs: number;
  logger?: Logger;
  metrics?: PraptiMetrics;
}

/**
 * Drains one consumer's `event_deliveries`: keeps up to `concurrency` subjects in progress, retries failures
 * with backoff (the subject waits meanwhile), and turns an event into a dead letter after its attempts.
 */
export class DeliveryWorker {
  private readonly waker = new Waker();
  private readonly stopController = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = true;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: DeliveryWorkerOptions) {}

  get name(): string {
    return this.options.consumer.name;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  wake(): void {
    this.waker.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.waker.wake();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
  }

  private get leaseMs(): number {
    return (this.options.consumer.handlerTimeoutMs ?? 60_000) + 30_000;
  }

  private async run(): Promise<void> {
    const concurrency = this.options.consumer.concurrency ?? 8;
    let failures = 0;
    while (!this.stopped) {
      const free = concurrency - this.inFlight.size;
      let claimed: ClaimedDelivery[] = [];
      if (free > 0) {
        try {
          claimed = await claimDeliveries(this.options.owner, this.name, free, this.leaseMs);
          failures = 0;
        } catch (error) {
          failures += 1;
          this.options.logger?.warn(
            { consumer: this.name, err: errorText(error) },
            "could not claim deliveries",
          );
          await this.waker.sleep(backoffDelayMs(failures, this.options.pollIntervalMs, 30_000));
          continue;
        }
      }
      for (const delivery of claimed) {
        const task: Promise<void> = this.handle(delivery).finally(() => {
          this.inFlight.delete(task);
          this.waker.wake();
        });
        this.inFlight.add(task);
      }
      if (claimed.length === 0) await this.waker.wait(this.options.pollIntervalMs);
    }
  }

  private async handle(delivery: ClaimedDelivery): Promise<void> {
    const { consumer, owner, metrics, logger } = this.options;
    const maxAttempts = consumer.maxAttempts ?? this.options.defaultMaxAttempts;
    try {
      await runHandler(consumer, delivery.event, delivery.attempts, this.stopController.signal);
      await completeDelivery(owner, consumer.name, delivery.sequence);
      metrics?.eventsHandled.inc({ consumer: consumer.name, outcome: "ok" });
    } catch (error) {
      const reason = errorText(error);
      try {
        if (delivery.attempts >= maxAttempts) {
          await recordDeadLetter(
            owner,
            {
              consumer: consumer.name,
              event: delivery.event,
              sequence: delivery.sequence,
              error: reason,
              attempts: delivery.attempts,
            },
            { removeDelivery: true },
          );
          metrics?.eventsHandled.inc({ consumer: consumer.name, outcome: "dead_letter" });
          logger?.error(
            {
              consumer: consumer.name,
              eventId: delivery.event.id,
              type: delivery.event.type,
              attempts: delivery.attempts,
              err: reason,
            },
            `consumer ${consumer.name} gave up on event ${delivery.event.id}; recorded as a dead letter`,
          );
        } else {
          const delay = backoffDelayMs(
            delivery.attempts,
            this.options.retryBackoff.initialMs,
            this.options.retryBackoff.maxMs,
          );
          await retryDeliveryLater(owner, consumer.name, delivery.sequence, delay, reason);
          metrics?.eventsHandled.inc({ consumer: consumer.name, outcome: "retry" });
          logger?.warn(
            {
              consumer: consumer.name,
              eventId: delivery.event.id,
              attempts: delivery.attempts,
              retryInMs: delay,
              err: reason,
            },
            `consumer ${consumer.name} failed on event ${delivery.event.id}; retrying`,
          );
        }
      } catch (bookkeeping) {
        // The lease runs out and the delivery is claimed again: nothing is lost.
        logger?.warn(
          { consumer: consumer.name, err: errorText(bookkeeping) },
          "could not record a failed delivery",
        );
      }
    }
  }
}
