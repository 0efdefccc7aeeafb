import { AppError } from "../../kernel/app-error.ts";
import type { CloudEvent } from "./event-outbox.ts";

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface EventHandlerContext {
  /** 1 for the first delivery of this event to this consumer. */
  attempt: number;
  /** Aborted when the handler runs past its time limit or the bus stops. */
  signal: AbortSignal;
}

/**
 * A named reader of the bus. Delivery is at least once, so handlers must be idempotent (the event id is a
 * natural key). Events with the same tenant and `subject` reach one consumer in order; others may be handled
 * in parallel.
 */
export interface EventConsumer {
  /** Lower-case letters, digits, `-` and `_`: the durable name of its position. */
  name: string;
  /** Event types it takes; `"*"` for every type. */
  types: string[] | "*";
  handle(event: CloudEvent, ctx: EventHandlerContext): Promise<void>;
  /** Failed attempts before the event becomes a dead letter for this consumer. Default from the bus. */
  maxAttempts?: number;
  /** How many subjects it handles at once. Default 8. */
  concurrency?: number;
  /** Time limit of one attempt. Default 60 s. */
  handlerTimeoutMs?: number;
  /**
   * Where a consumer seen for the first time starts: only events published from now on (default), or every
   * event still in the outbox.
   */
  startFrom?: "now" | "beginning";
}

export interface ConsumerLag {
  consumer: string;
  /** Events published and not yet handled (nor dead-lettered). */
  pending: number;
  /** Age of the oldest of them; 0 when none. */
  oldestAgeSeconds: number;
}

export interface BusLag {
  /** Age of the oldest outbox event not yet published; 0 when none. */
  outboxLagSeconds: number;
  unpublished: number;
  consumers: ConsumerLag[];
}

/** Where events go after the outbox: PostgreSQL itself (default) or NATS JetStream. */
export interface EventBus {
  readonly kind: "postgres" | "nats";
  /** Adds a consumer; call before `start()`. */
  subscribe(consumer: EventConsumer): void;
  /** Starts the outbox relay and every consumer. */
  start(): Promise<void>;
  /** Stops taking new work, waits for handlers in progress, and closes connections. */
  stop(): Promise<void>;
  /** Publishes what is in the outbox now, once; returns how many events. The relay does this on its own. */
  relayOnce(): Promise<number>;
  lag(): Promise<BusLag>;
}

const CONSUMER_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export function checkConsumer(consumer: EventConsumer, existing: ReadonlyMap<string, EventConsumer>): void {
  if (!CONSUMER_NAME.test(consumer.name)) {
    throw AppError.invalidInput(
      [{ field: "name", reason: "must be 1-63 lower-case letters, digits, dashes or underscores" }],
      `consumer name "${consumer.name}" is invalid`,
    );
  }
  if (existing.has(consumer.name)) {
    throw AppError.conflict(`consumer ${consumer.name} is already subscribed`, { consumer: consumer.name });
  }
  if (consumer.types !== "*" && consumer.types.length === 0) {
    throw AppError.invalidInput([{ field: "types", reason: "must name at least one type, or be *" }]);
  }
}

/** Grouping for in-order handling: one tenant's one subject; an event without a subject stands alone. */
export function orderingKeyOf(event: Pick<CloudEvent, "tenantid" | "subject" | "id">): string {
  return `${event.tenantid}:${event.subject ?? `#${event.id}`}`;
}

/** Exponential backoff with full jitter between `initialMs` and `maxMs`. */
export function backoffDelayMs(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 4_000);
  return String(error).slice(0, 4_000);
}

/** Runs one handler attempt with its time limit; rejects with the handler's error or a timeout. */
export async function runHandler(
  consumer: EventConsumer,
  event: CloudEvent,
  attempt: number,
  stopSignal: AbortSignal,
): Promise<void> {
  const timeoutMs = consumer.handlerTimeoutMs ?? 60_000;
  const signal = AbortSignal.any([stopSignal, AbortSignal.timeout(timeoutMs)]);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () =>
      reject(
        new AppError({
          code: "UNAVAILABLE",
          message: stopSignal.aborted
            ? `consumer ${consumer.name} stopped while handling ${event.id}`
            : `consumer ${consumer.name} took longer than ${timeoutMs} ms for ${event.id}`,
          retryable: true,
        }),
      );
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    await Promise.race([consumer.handle(event, { attempt, signal }), aborted]);
  } finally {
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}
