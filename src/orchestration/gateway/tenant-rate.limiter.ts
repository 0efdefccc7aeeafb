import { LRUCache } from "lru-cache";
import type { RateLimitOptions } from "../../platform/actions/action-catalog.ts";

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Token buckets per key (an action and a tenant): `burst` calls at once, refilled at `perSecond`. In process
 * memory; each process limits its own share. Idle buckets are forgotten first when there are too many.
 */
export class TenantRateLimiter {
  private readonly buckets: LRUCache<string, Bucket>;

  constructor(
    private readonly clock: Clock = systemClock,
    maxKeys = 50_000,
  ) {
    this.buckets = new LRUCache<string, Bucket>({ max: maxKeys });
  }

  take(key: string, limit: RateLimitOptions): RateDecision {
    const capacity = limit.burst ?? Math.max(1, Math.ceil(limit.perSecond));
    const now = this.clock.now();
    const bucket = this.buckets.get(key) ?? { tokens: capacity, updatedAt: now };
    const elapsedSeconds = Math.max(0, now - bucket.updatedAt) / 1000;
    bucket.tokens = Math.min(capacity, bucket.tokens + elapsedSeconds * limit.perSecond);
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterMs: Math.ceil(((1 - bucket.tokens) / limit.perSecond) * 1000) };
  }
}
