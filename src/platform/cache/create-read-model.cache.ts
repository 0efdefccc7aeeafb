import type { PraptiMetrics } from "../telemetry/metrics.ts";
import { createLruReadModelCache } from "./lru-read-model.cache.ts";
import type { ReadModelCache } from "./read-model.cache.ts";
import { createRedisReadModelCache } from "./redis-read-model.cache.ts";

/** Redis when `redisUrl` is set (REDIS_URL), the in-process LRU otherwise; hit and miss counts go to `metrics`. */
export function createReadModelCache(options: {
  redisUrl: string | undefined;
  maxEntries: number;
  ttlMs: number;
  keyPrefix?: string;
  metrics?: PraptiMetrics;
}): ReadModelCache {
  const cache = options.redisUrl
    ? createRedisReadModelCache({
        url: options.redisUrl,
        ttlMs: options.ttlMs,
        ...(options.keyPrefix ? { keyPrefix: options.keyPrefix } : {}),
      })
    : createLruReadModelCache({ maxEntries: options.maxEntries, ttlMs: options.ttlMs });
  options.metrics?.observeCache(cache);
  return cache;
}
