import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { AppError } from "../../kernel/app-error.ts";
import { withTenant } from "../db/database.ts";
import type { DB } from "../db/schema.ts";
import { eventsDb } from "./event-bus.tables.ts";

export interface WebhookSubscription {
  id: string;
  tenantId: string;
  url: string;
  eventTypes: string[];
  description: string | null;
  active: boolean;
  createdAt: Date;
}

export interface WebhookDelivery {
  id: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  lastStatusCode: number | null;
  nextAttemptAt: Date;
  finishedAt: Date | null;
}

export interface WebhookAttempt {
  attempt: number;
  attemptedAt: Date;
  statusCode: number | null;
  responseExcerpt: string | null;
  error: string | null;
  durationMs: number;
}

const EVENT_TYPE = /^([a-z0-9-]+(\.[a-z0-9-]+)+|\*)$/;

function checkSubscription(url: string, eventTypes: string[]): void {
  const issues: { field: string; reason: string }[] = [];
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    issues.push({ field: "url", reason: "must be an absolute URL" });
  }
  if (parsed && parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    issues.push({ field: "url", reason: "must use https (or http)" });
  }
  if (parsed && (parsed.username || parsed.password)) {
    issues.push({ field: "url", reason: "must not carry credentials" });
  }
  if (eventTypes.length === 0)
    issues.push({ field: "eventTypes", reason: "must name at least one type, or *" });
  eventTypes.forEach((type, index) => {
    if (!EVENT_TYPE.test(type))
      issues.push({ field: `eventTypes.${index}`, reason: "must be a dotted event type or *" });
  });
  if (issues.length > 0) throw AppError.invalidInput(issues);
}

/**
 * Subscribes a URL of the tenant to event types. Returns the subscription and its signing secret, which is
 * shown this once; the receiver keeps it to verify `X-Prapti-Signature`.
 */
export async function createWebhookSubscription(
  app: Kysely<DB>,
  input: { tenantId: string; url: string; eventTypes: string[]; description?: string },
): Promise<WebhookSubscription & { secret: string }> {
  checkSubscription(input.url, input.eventTypes);
  const secret = `whsec_${randomBytes(32).toString("base64url")}`;
  const row = await withTenant(app, input.tenantId, (trx) =>
    eventsDb(trx)
      .insertInto("webhook_subscriptions")
      .values({
        tenant_id: input.tenantId,
        url: input.url,
        event_types: [...new Set(input.eventTypes)].sort(),
        secret,
        description: input.description ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
  return { ...toSubscription(row), secret };
}

function toSubscription(row: {
  id: string;
  tenant_id: string;
  url: string;
  event_types: string[];
  description: string | null;
  active: boolean;
  created_at: Date;
}): WebhookSubscription {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    url: row.url,
    eventTypes: row.event_types,
    description: row.description,
    active: row.active,
    createdAt: row.created_at,
  };
}

export async function listWebhookSubscriptions(
  app: Kysely<DB>,
  tenantId: string,
): Promise<WebhookSubscription[]> {
  const rows = await withTenant(app, tenantId, (trx) =>
    eventsDb(trx)
      .selectFrom("webhook_subscriptions")
      .select(["id", "tenant_id", "url", "event_types", "description", "active", "created_at"])
      .orderBy("created_at")
      .execute(),
  );
  return rows.map(toSubscription);
}

/** Stops deliveries to a subscription; pending ones end as failed. NOT_FOUND for another tenant's id. */
export async function deactivateWebhookSubscription(
  app: Kysely<DB>,
  tenantId: string,
  id: string,
): Promise<void> {
  const result = await withTenant(app, tenantId, (trx) =>
    eventsDb(trx)
      .updateTable("webhook_subscriptions")
      .set({ active: false })
      .where("id", "=", id)
      .executeTakeFirst(),
  );
  if (result.numUpdatedRows === 0n) throw AppError.notFound("webhook subscription", id);
}

export async function listWebhookDeliveries(
  app: Kysely<DB>,
  tenantId: string,
  filter: { subscriptionId?: string; eventId?: string } = {},
): Promise<WebhookDelivery[]> {
  const rows = await withTenant(app, tenantId, (trx) => {
    let query = eventsDb(trx)
      .selectFrom("webhook_deliveries")
      .select([
        "id",
        "subscription_id",
        "event_id",
        "event_type",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "finished_at",
      ])
      .orderBy("created_at");
    if (filter.subscriptionId) query = query.where("subscription_id", "=", filter.subscriptionId);
    if (filter.eventId) query = query.where("event_id", "=", filter.eventId);
    return query.execute();
  });
  return rows.map((row) => ({
    id: row.id,
    subscriptionId: row.subscription_id,
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.last_status_code,
    nextAttemptAt: row.next_attempt_at,
    finishedAt: row.finished_at,
  }));
}

export async function listWebhookAttempts(
  app: Kysely<DB>,
  tenantId: string,
  deliveryId: string,
): Promise<WebhookAttempt[]> {
  const rows = await withTenant(app, tenantId, (trx) =>
    eventsDb(trx)
      .selectFrom("webhook_delivery_attempts")
      .select(["attempt", "attempted_at", "status_code", "response_excerpt", "error", "duration_ms"])
      .where("delivery_id", "=", deliveryId)
      .orderBy("attempt")
      .execute(),
  );
  return rows.map((row) => ({
    attempt: row.attempt,
    attemptedAt: row.attempted_at,
    statusCode: row.status_code,
    responseExcerpt: row.response_excerpt,
    error: row.error,
    durationMs: row.duration_ms,
  }));
}
