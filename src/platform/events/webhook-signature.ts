import { createHmac, timingSafeEqual } from "node:crypto";

/** Header carrying the signature of a webhook delivery. */
export const SIGNATURE_HEADER = "x-prapti-signature";

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the subscription's secret. The timestamp in
 * the signed text lets a receiver refuse old deliveries (replays).
 */
export function signWebhookPayload(options: {
  secret: string;
  timestampSeconds: number;
  body: string;
}): string {
  const t = Math.floor(options.timestampSeconds);
  const mac = createHmac("sha256", options.secret).update(`${t}.${options.body}`).digest("hex");
  return `t=${t},v1=${mac}`;
}

export type SignatureCheck = { valid: true; timestampSeconds: number } | { valid: false; reason: string };

/**
 * What a receiver does: parse the header, recompute the HMAC over the raw body, compare in constant time,
 * and refuse timestamps further than `toleranceSeconds` from its own clock.
 */
export function verifyWebhookSignature(options: {
  secret: string;
  header: string | undefined;
  body: string;
  nowSeconds: number;
  toleranceSeconds?: number;
}): SignatureCheck {
  if (!options.header) return { valid: false, reason: "no signature header" };
  const parts = new Map<string, string[]>();
  for (const piece of options.header.split(",")) {
    const [key, ...rest] = piece.trim().split("=");
    if (!key || rest.length === 0) continue;
    parts.set(key, [...(parts.get(key) ?? []), rest.join("=")]);
  }
  const t = Number(parts.get("t")?.[0]);
  if (!Number.isInteger(t)) return { valid: false, reason: "no timestamp" };
  if (Math.abs(options.nowSeconds - t) > (options.toleranceSeconds ?? 300)) {
    return { valid: false, reason: "timestamp outside the tolerance" };
  }
  const expected = Buffer.from(
    createHmac("sha256", options.secret).update(`${t}.${options.body}`).digest("hex"),
  );
  for (const candidate of parts.get("v1") ?? []) {
    const given = Buffer.from(candidate);
    if (given.length === expected.length && timingSafeEqual(given, expected)) {
      return { valid: true, timestampSeconds: t };
    }
  }
  return { valid: false, reason: "signature does not match" };
}
