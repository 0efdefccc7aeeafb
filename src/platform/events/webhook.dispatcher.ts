import { sql, type Kysely } from "kysely";
import type { Logger } from "pino";
import { withTenant } from "../db/database.ts";
import type { DB } from "../db/schema.ts";
import type { PraptiMetrics } from "../telemetry/metrics.ts";
import { backoffDelayMs, errorText, systemClock, type Clock, type EventConsumer } from "./event-bus.port.ts";
import { eventsDb } from "./event-bus.tables.ts";
import { jsonReplacer } from "./event-outbox.ts";
import { createNotificationListener, type NotificationListener } from "./pg-notification.listener.ts";
import { Waker } from "./waker.ts";
import { SIGNATURE_HEADER, signWebhookPayload } from "./webhook-signature.ts";

export const WEBHOOKS_CHANNEL = "prapti_webhooks";

/**
 * The bus consumer behind webhooks: for each event, one pending delivery per active subscription of the
 * event's tenant that takes its type (written under the tenant's row-level security). Sending is the
 * sender's job, so one slow receiver never holds up the bus.
 */
export function createWebhookFanOutConsumer(options: {
  app: Kysely<DB>;
  name?: string;
  onQueued?: () => void;
}): EventConsumer {
  return {
    name: options.name ?? "webhooks",
    types: "*",
    async handle(event) {
      const payload = JSON.stringify(event, jsonReplacer);
      const queued = await withTenant(options.app, event.tenantid, async (trx) => {
        const db = eventsDb(trx);
        const subscriptions = await db
          .selectFrom("webhook_subscriptions")
          .select("id")
          .where("active", "=", true)
          .where(sql<boolean>`(${event.type} = any(event_types) or '*' = any(event_types))`)
          .execute();
        if (subscriptions.length === 0) return 0;
        await db
          .insertInto("webhook_deliveries")
          .values(
            subscriptions.map((subscription) => ({
              tenant_id: event.tenantid,
              subscription_id: subscription.id,
              event_id: event.id,
              event_type: event.type,
              payload,
            })),
          )
          .onConflict((conflict) => conflict.columns(["subscription_id", "event_id"]).doNothing())
          .execute();
        await sql`select pg_notify(${WEBHOOKS_CHANNEL}, '')`.execute(trx);
        return subscriptions.length;
      });
      if (queued > 0) options.onQueued?.();
    },
  };
}

export interface WebhookSenderOptions {
  /** Owner connection: the sender works across tenants. */
  owner: Kysely<DB>;
  databaseUrl?: string;
  clock?: Clock;
  fetch?: typeof fetch;
  logger?: Logger;
  metrics?: PraptiMetrics;
  /** Attempts before a delivery is marked failed (PRAPTI_WEBHOOK_MAX_ATTEMPTS). Default 12. */
  maxAttempts?: number;
  /** Exponential backoff with jitter between attempts. Default 10 s doubling up to 6 h. */
  backoff?: { initialMs: number; maxMs: number };
  /** Per attempt. Default 10 s. */
  timeoutMs?: number;
  concurrency?: number;
  pollIntervalMs?: number;
}

export interface WebhookSender {
  start(): Promise<void>;
  stop(): Promise<void>;
  wake(): void;
  /** Sends the deliveries due now (up to `concurrency`), once; returns how many it attempted. */
  sendDue(): Promise<number>;
}

interface ClaimedWebhook {
  id: string;
  tenant_id: string;
  payload: string;
  attempts: number;
  event_id: string;
  event_type: string;
  url: string;
  secret: string;
  active: boolean;
}

const EXCERPT_LENGTH = 1_000;

async function readExcerpt(response: Response): Promise<string> {
  try {
    const text = await response.text();
    return text.slice(0, EXCERPT_LENGTH);
  } catch {
    return "";
  }
}

/**
 * Sends pending webhook deliveries: a signed POST of the CloudEvent JSON, each attempt recorded with its
 * status code and an excerpt of the answer; 2xx delivers, anything else is retried with backoff until the
 * attempts run out. Redirects are not followed.
 */
export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const clock = options.clock ?? systemClock;
  const doFetch = options.fetch ?? fetch;
  const maxAttempts = options.maxAttempts ?? 12;
  const backoff = options.backoff ?? { initialMs: 10_000, maxMs: 6 * 3_600_000 };
  const timeoutMs = options.timeoutMs ?? 10_000;
  const concurrency = options.concurrency ?? 8;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const waker = new Waker();
  let stopped = true;
  let loop: Promise<void> | undefined;
  let listener: NotificationListener | undefined;

  async function claim(): Promise<ClaimedWebhook[]> {
    const result = await sql<ClaimedWebhook>`
      update webhook_deliveries d
      set attempts = d.attempts + 1, next_attempt_at = now() + ${timeoutMs + 60_000} * interval '1 millisecond'
      from (
        select id from webhook_deliveries
        where status = 'pending' and next_attempt_at <= now()
        order by next_attempt_at
        limit ${concurrency}
        for update skip locked
      ) due, webhook_subscriptions s
      where d.id = due.id and s.id = d.subscription_id
      returning d.id, d.tenant_id, d.payload, d.attempts, d.event_id, d.event_type, s.url, s.secret, s.active`.execute(
      options.owner,
    );
    return result.rows;
  }

  async function attempt(delivery: ClaimedWebhook): Promise<void> {
    const startedAt = performance.now();
    let statusCode: number | null = null;
    let excerpt: string | null = null;
    let error: string | null = null;
    if (!delivery.active) {
      error = "the subscription was deactivated";
    } else {
      const timestampSeconds = Math.floor(clock.now() / 1000);
      try {
        const response = await doFetch(delivery.url, {
          method: "POST",
          redirect: "manual",
          signal: AbortSignal.timeout(timeoutMs),
          headers: {
            "content-type": "application/json",
            "user-agent": "Prapti-Webhooks/1",
            [SIGNATURE_HEADER]: signWebhookPayload({
              secret: delivery.secret,
              timestampSeconds,
              body: delivery.payload,
            }),
            "x-prapti-event-id": delivery.event_id,
            "x-prapti-event-type": delivery.event_type,
            "x-prapti-delivery-id": delivery.id,
            "x-prapti-delivery-attempt": String(delivery.attempts),
          },
          body: delivery.payload,
        });
        statusCode = response.status;
        excerpt = await readExcerpt(response);
      } catch (failure) {
        error = errorText((failure as Error).cause ?? failure);
      }
    }
    const durationMs = Math.round(performance.now() - startedAt);
    const delivered = statusCode !== null && statusCode >= 200 && statusCode < 300;
    const givingUp = !delivered && (!delivery.active || delivery.attempts >= maxAttempts);
    await eventsDb(options.owner)
      .transaction()
      .execute(async (trx) => {
        await trx
          .insertInto("webhook_delivery_attempts")
          .values({
            delivery_id: delivery.id,
            tenant_id: delivery.tenant_id,
            attempt: delivery.attempts,
            status_code: statusCode,
            response_excerpt: excerpt,
            error,
            duration_ms: durationMs,
          })
          .execute();
        await trx
          .updateTable("webhook_deliveries")
          .set({
            last_status_code: statusCode,
            ...(delivered
              ? { status: "delivered" as const, finished_at: sql<Date>`now()` }
              : givingUp
                ? { status: "failed" as const, finished_at: sql<Date>`now()` }
                : {
                    next_attempt_at: sql<Date>`now() + ${backoffDelayMs(
                      delivery.attempts,
                      backoff.initialMs,
                      backoff.maxMs,
                    )} * interval '1 millisecond'`,
                  }),
          })
          .where("id", "=", delivery.id)
          .execute();
      });
    const outcome = delivered ? "delivered" : givingUp ? "failed" : "retry";
    options.metrics?.webhookAttempts.inc({ outcome });
    if (!delivered) {
      options.logger?.[givingUp ? "warn" : "debug"](
        { deliveryId: delivery.id, url: delivery.url, attempt: delivery.attempts, statusCode, err: error },
        givingUp ? "webhook delivery failed for good" : "webhook delivery failed; will retry",
      );
    }
  }

  async function sendDue(): Promise<number> {
    const claimed = await claim();
    await Promise.all(
      claimed.map((delivery) =>
        attempt(delivery).catch((error: unknown) => {
          // The lease runs out and the delivery is attempted again.
          options.logger?.warn(
            { deliveryId: delivery.id, err: errorText(error) },
            "could not record a webhook attempt",
          );
        }),
      ),
    );
    return claimed.length;
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopped) {
      try {
        const sent = await sendDue();
        failures = 0;
        if (sent === 0) await waker.wait(pollIntervalMs);
      } catch (error) {
        failures += 1;
        options.logger?.warn({ err: errorText(error) }, "webhook sender could not claim deliveries");
        await waker.sleep(backoffDelayMs(failures, pollIntervalMs, 30_000));
      }
    }
  }

  return {
    async start() {
      if (!stopped) return;
      stopped = false;
      loop = run();
      if (options.databaseUrl) {
        listener = createNotificationListener({
          url: options.databaseUrl,
          channels: { [WEBHOOKS_CHANNEL]: () => waker.wake() },
          ...(options.logger ? { logger: options.logger } : {}),
        });
        await listener.start();
      }
    },
    async stop() {
      stopped = true;
      await listener?.stop();
      waker.wake();
      await loop;
    },
    wake: () => waker.wake(),
    sendDue,
  };
}
