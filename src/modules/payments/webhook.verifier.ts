import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { AppError } from "../../kernel/app-error.ts";
import type { GatewayProvider } from "./payment-gateway.port.ts";

/**
 * Remembers webhook event ids so that a replayed delivery is refused. `claim` answers true the first time a key
 * is seen. A database implementation should insert the key in the same transaction that handles the event, so a
 * failed handling releases it; `release` does that for implementations without transactions.
 */
export interface WebhookReplayGuard {
  claim(key: string, seenAt: Date): Promise<boolean>;
  release?(key: string): Promise<void>;
}

/** A bounded in-memory guard for a single process (tests, demos). */
export function createInMemoryReplayGuard(
  options: { retentionSeconds?: number; maxEntries?: number } = {},
): WebhookReplayGuard {
  const retentionMs = (options.retentionSeconds ?? 3 * 24 * 3600) * 1000;
  const maxEntries = options.maxEntries ?? 100_000;
  const seen = new Map<string, number>();
  return {
    claim(key: string, seenAt: Date): Promise<boolean> {
      const now = seenAt.getTime();
      for (const [existing, at] of seen) {
        if (now - at <= retentionMs && seen.size < maxEntries) break;
        seen.delete(existing);
      }
      if (seen.has(key)) return Promise.resolve(false);
      seen.set(key, now);
      return Promise.resolve(true);
    },
    release(key: string): Promise<void> {
      seen.delete(key);
      return Promise.resolve();
    },
  };
}

export function hmacSha256(secret: string, message: string | Buffer): Buffer {
  return createHmac("sha256", secret).update(message).digest();
}

/** Compares a received signature with the expected bytes in constant time (length differences included). */
function signatureMatches(expected: Buffer, received: string, encoding: "hex" | "base64"): boolean {
  const pattern = encoding === "hex" ? /^[0-9a-fA-F]+$/ : /^[A-Za-z0-9+/]+={0,2}$/;
  const trimmed = received.trim();
  const decoded = pattern.test(trimmed) ? Buffer.from(trimmed, encoding) : Buffer.alloc(0);
  const comparable = decoded.length === expected.length ? decoded : Buffer.alloc(expected.length);
  return timingSafeEqual(comparable, expected) && decoded.length === expected.length && trimmed.length > 0;
}

/** Razorpay webhook: X-Razorpay-Signature = hex(HMAC-SHA256(raw body, webhook secret)). */
export function verifyRazorpaySignature(options: {
  body: string | Buffer;
  signature: string;
  secret: string;
}): boolean {
  return signatureMatches(hmacSha256(options.secret, options.body), options.signature, "hex");
}

/** Razorpay checkout: razorpay_signature = hex(HMAC-SHA256(order_id + "|" + payment_id, key secret)). */
export function verifyRazorpayPaymentSignature(options: {
  orderId: string;
  paymentId: string;
  signature: string;
  keySecret: string;
}): boolean {
  return verifyRazorpaySignature({
    body: `${options.orderId}|${options.paymentId}`,
    signature: options.signature,
    secret: options.keySecret,
  });
}

/** Razorpay subscription: hex(HMAC-SHA256(payment_id + "|" + subscription_id, key secret)). */
export function verifyRazorpaySubscriptionSignature(options: {
  paymentId: string;
  subscriptionId: string;
  signature: string;
  keySecret: string;
}): boolean {
  return verifyRazorpaySignature({
    body: `${options.paymentId}|${options.subscriptionId}`,
    signature: options.signature,
    secret: options.keySecret,
  });
}

/** Razorpay payment-link callback: hex(HMAC-SHA256(link id|reference id|status|payment id, key secret)). */
export function verifyRazorpayPaymentLinkSignature(options: {
  paymentLinkId: string;
  referenceId: string;
  status: string;
  paymentId: string;
  signature: string;
  keySecret: string;
}): boolean {
  const message = [options.paymentLinkId, options.referenceId, options.status, options.paymentId].join("|");
  return verifyRazorpaySignature({ body: message, signature: options.signature, secret: options.keySecret });
}

/** Cashfree: x-webhook-signature = base64(HMAC-SHA256(x-webhook-timestamp + raw body, secret)). */
export function verifyCashfreeSignature(options: {
  body: string | Buffer;
  timestamp: string;
  signature: string;
  secret: string;
}): boolean {
  const message = Buffer.concat([
    Buffer.from(options.timestamp, "utf8"),
    Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body, "utf8"),
  ]);
  return signatureMatches(hmacSha256(options.secret, message), options.signature, "base64");
}

export interface VerifiedWebhook {
  provider: GatewayProvider;
  eventId: string;
  eventType: string;
  occurredAt: Date;
  payload: Record<string, unknown>;
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

function header(headers: Headers, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

function refuse(reason: string, provider: string): AppError {
  return new AppError({
    code: "UNAUTHENTICATED",
    message: `${provider} webhook refused: ${reason}`,
    details: { provider, reason },
  });
}

function parseJsonObject(body: string | Buffer, provider: string): Record<string, unknown> {
  try {
    const value = JSON.parse(Buffer.isBuffer(body) ? body.toString("utf8") : body) as unknown;
    if (value !== null && typeof value === "object" && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw AppError.invalidInput([{ field: "body", reason: `${provider} webhook body is not a JSON object` }]);
}

function checkFreshness(occurredAt: Date, now: Date, toleranceSeconds: number, provider: string): void {
  const age = (now.getTime() - occurredAt.getTime()) / 1000;
  if (Number.isNaN(age)) throw refuse("no usable timestamp", provider);
  if (age > toleranceSeconds)
    throw refuse(`stale: sent ${Math.round(age)} s ago, tolerance ${toleranceSeconds} s`, provider);
  if (-age > toleranceSeconds) throw refuse("timestamp lies in the future", provider);
}

async function claimOnce(guard: WebhookReplayGuard, key: string, now: Date, provider: string): Promise<void> {
  if (!(await guard.claim(key, now))) {
    throw new AppError({
      code: "CONFLICT",
      message: `${provider} webhook ${key} was already received`,
      details: { provider, replay: true },
    });
  }
}

const sha256 = (body: string | Buffer): string => createHash("sha256").update(body).digest("hex");

/**
 * Verifies a Razorpay webhook: signature over the raw body (constant time), then freshness from the payload's
 * `created_at` (Razorpay retries failed deliveries for 24 hours, hence the default tolerance), then the replay
 * check on X-Razorpay-Event-Id. Forged or stale deliveries are UNAUTHENTICATED; replays are CONFLICT.
 */
export async function verifyRazorpayWebhook(options: {
  rawBody: string | Buffer;
  headers: Headers;
  secret: string;
  now: Date;
  replayGuard: WebhookReplayGuard;
  toleranceSeconds?: number;
}): Promise<VerifiedWebhook> {
  const signature = header(options.headers, "x-razorpay-signature");
  if (!signature) throw refuse("X-Razorpay-Signature header missing", "Razorpay");
  if (!verifyRazorpaySignature({ body: options.rawBody, signature, secret: options.secret }))
    throw refuse("signature does not match", "Razorpay");
  const payload = parseJsonObject(options.rawBody, "Razorpay");
  const createdAt =
    typeof payload.created_at === "number" ? new Date(payload.created_at * 1000) : new Date(Number.NaN);
  checkFreshness(createdAt, options.now, options.toleranceSeconds ?? 24 * 3600 + 600, "Razorpay");
  const eventId = header(options.headers, "x-razorpay-event-id") ?? `sha256:${sha256(options.rawBody)}`;
  await claimOnce(options.replayGuard, `razorpay:${eventId}`, options.now, "Razorpay");
  return {
    provider: "razorpay",
    eventId,
    eventType: typeof payload.event === "string" ? payload.event : "unknown",
    occurredAt: createdAt,
    payload,
  };
}

/**
 * Verifies a Cashfree webhook: base64 HMAC-SHA256 of x-webhook-timestamp + raw body (constant time), the signed
 * timestamp within the tolerance (default 5 minutes), then the replay check on the payment id and event type
 * (or the body's hash when the event carries no payment id).
 */
export async function verifyCashfreeWebhook(options: {
  rawBody: string | Buffer;
  headers: Headers;
  secret: string;
  now: Date;
  replayGuard: WebhookReplayGuard;
  toleranceSeconds?: number;
}): Promise<VerifiedWebhook> {
  const signature = header(options.headers, "x-webhook-signature");
  const timestamp = header(options.headers, "x-webhook-timestamp");
  if (!signature || !timestamp)
    throw refuse("x-webhook-signature or x-webhook-timestamp header missing", "Cashfree");
  if (!verifyCashfreeSignature({ body: options.rawBody, timestamp, signature, secret: options.secret })) {
    throw refuse("signature does not match", "Cashfree");
  }
  const numeric = /^\d+$/.test(timestamp) ? Number(timestamp) : Number.NaN;
  const sentAt = new Date(numeric > 1e12 ? numeric : numeric * 1000);
  checkFreshness(sentAt, options.now, options.toleranceSeconds ?? 300, "Cashfree");
  const payload = parseJsonObject(options.rawBody, "Cashfree");
  const eventType = typeof payload.type === "string" ? payload.type : "unknown";
  const data =
    payload.data !== null && typeof payload.data === "object"
      ? (payload.data as Record<string, unknown>)
      : {};
  const payment =
    data.payment !== null && typeof data.payment === "object"
      ? (data.payment as Record<string, unknown>)
      : {};
  const order =
    data.order !== null && typeof data.order === "object" ? (data.order as Record<string, unknown>) : {};
  const paymentId = payment.cf_payment_id ?? order.transaction_id;
  const eventId =
    typeof paymentId === "string" || typeof paymentId === "number"
      ? `${eventType}:${paymentId}`
      : `sha256:${sha256(options.rawBody)}`;
  await claimOnce(options.replayGuard, `cashfree:${eventId}`, options.now, "Cashfree");
  const eventTime = typeof payload.event_time === "string" ? new Date(payload.event_time) : sentAt;
  return {
    provider: "cashfree",
    eventId,
    eventType,
    occurredAt: Number.isNaN(eventTime.getTime()) ? sentAt : eventTime,
    payload,
  };
}
