import type { PraptiMetrics } from "../telemetry/metrics.ts";
import { createLruReadModelCache } from "./lru-read-model.cache.ts";
import type { ReadModelCache } from "./read-model.cache.ts";
import { createRedisReadModelCache } from "./redis-read-model.cache.ts";

/** A cache that keeps nothing: every read loads (PRAPTI_CACHE_MAX_ENTRIES=0, e.g. to measure without it). */
export function createDisabledReadModelCache(): ReadModelCache {
  let misses = 0;
  return {
    kind: "off",
    get: async () => {
      misses += 1;
      return undefined;
    },
    set: async () => undefined,
    getOrLoad: async (_tenantId, _key, load) => {
      misses += 1;
      return load();
    },
    delete: async () => undefined,
    invalidateTags: async () => 0,
    stats: () => ({ hits: 0, misses }),
    close: async () => undefined,
  };
}

/**
 * Redis when `redisUrl` is set (REDIS_URL), the in-process LRU otherwise, nothing when `maxEntries` is 0; hit
 * and miss counts go to `metrics`.
 */
export function createReadModelCache(options: {
  redisUrl: string | undefined;
  maxEntries: number;
  ttlMs: number;
  keyPrefix?: string;
  metrics?: PraptiMetrics;
}): ReadModelCache {
  const cache =
    options.maxEntries === 0
      ? createDisabledReadModelCache()
      : options.redisUrl
        ? createRedisReadModelCache({
            url: options.redisUrl,
            ttlMs: options.ttlMs,
            ...(options.keyPrefix ? { keyPrefix: options.keyPrefix } : {}),
          })
        : createLruReadModelCache({ maxEntries: options.maxEntries, ttlMs: options.ttlMs });
  options.metrics?.observeCache(cache);
  return cache;
}
