/** A token bucket: `capacity` requests at once, refilled at `refillPerSecond`. */
export interface BucketRule {
  capacity: number;
  refillPerSecond: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  /** Whole tokens left after this request. */
  remaining: number;
  /** How long until the request would be allowed; 0 when allowed. */
  retryAfterMs: number;
}

/**
 * Where buckets live. In-process now; a Redis implementation (one Lua script doing the same arithmetic) can
 * take its place when several processes must share limits.
 */
export interface RateLimitStore {
  take(key: string, rule: BucketRule, cost: number, nowMs: number): Promise<RateLimitDecision>;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** Buckets in a Map, oldest-touched evicted first once `maxKeys` is reached (a full bucket is no loss). */
export function createMemoryRateLimitStore(options: { maxKeys?: number } = {}): RateLimitStore {
  const maxKeys = options.maxKeys ?? 100_000;
  const buckets = new Map<string, Bucket>();
  return {
    async take(key, rule, cost, nowMs) {
      const existing = buckets.get(key);
      let tokens = rule.capacity;
      if (existing) {
        const elapsed = Math.max(0, nowMs - existing.updatedMs) / 1000;
        tokens = Math.min(rule.capacity, existing.tokens + elapsed * rule.refillPerSecond);
        buckets.delete(key);
      } else if (buckets.size >= maxKeys) {
        const oldest = buckets.keys().next().value;
        if (oldest !== undefined) buckets.delete(oldest);
      }
      const allowed = tokens >= cost;
      if (allowed) tokens -= cost;
      buckets.set(key, { tokens, updatedMs: nowMs });
      const retryAfterMs = allowed ? 0 : Math.ceil(((cost - tokens) / rule.refillPerSecond) * 1000);
      return { allowed, limit: rule.capacity, remaining: Math.floor(tokens), retryAfterMs };
    },
  };
}

export interface RateLimiter {
  take(key: string, cost?: number): Promise<RateLimitDecision>;
}

export function createRateLimiter(deps: {
  store: RateLimitStore;
  clock?: () => Date;
  /** Requests allowed in a burst. */
  burst: number;
  /** Sustained rate. */
  perMinute: number;
}): RateLimiter {
  const clock = deps.clock ?? (() => new Date());
  const rule: BucketRule = { capacity: deps.burst, refillPerSecond: deps.perMinute / 60 };
  return {
    take: (key, cost = 1) => deps.store.take(key, rule, cost, clock().getTime()),
  };
}
