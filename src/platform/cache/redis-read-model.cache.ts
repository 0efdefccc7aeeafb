import { Redis } from "ioredis";
import {
  deserializeValue,
  entryKey,
  serializeValue,
  singleFlightLoader,
  tagKey,
  type CacheSetOptions,
  type ReadModelCache,
} from "./read-model.cache.ts";

export interface RedisReadModelCacheOptions {
  url: string;
  ttlMs: number;
  /** Put before every key, e.g. `prapti:`; lets several deployments (or test runs) share one Redis. */
  keyPrefix?: string;
}

// Stores an entry and adds it to its tags' sets. A tag set lives at least as long as its longest-lived
// member: NX sets a lifetime where there is none, GT only ever extends it.
const SET_WITH_TAGS = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
for i = 2, #KEYS do
  redis.call('SADD', KEYS[i], KEYS[1])
  redis.call('PEXPIRE', KEYS[i], ARGV[2], 'NX')
  redis.call('PEXPIRE', KEYS[i], ARGV[2], 'GT')
end
return 1`;

// Drops every member of the given tag sets and the sets themselves, atomically.
const INVALIDATE_TAGS = `
local dropped = 0
for i = 1, #KEYS do
  local members = redis.call('SMEMBERS', KEYS[i])
  for _, member in ipairs(members) do
    dropped = dropped + redis.call('DEL', member)
  end
  redis.call('DEL', KEYS[i])
end
return dropped`;

/** The shared cache (with `REDIS_URL`): every process of a deployment sees the same entries. */
export function createRedisReadModelCache(options: RedisReadModelCacheOptions): ReadModelCache {
  const redis = new Redis(options.url, {
    lazyConnect: false,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
  });
  redis.on("error", () => undefined);
  const prefix = options.keyPrefix ?? "prapti:";
  let hits = 0;
  let misses = 0;

  const cache: ReadModelCache = {
    kind: "redis",
    async get<T>(tenantId: string, key: string): Promise<T | undefined> {
      const text = await redis.get(prefix + entryKey(tenantId, key));
      if (text === null) {
        misses += 1;
        return undefined;
      }
      hits += 1;
      return deserializeValue<T>(text);
    },
    async set(tenantId: string, key: string, value: unknown, setOptions?: CacheSetOptions): Promise<void> {
      const ttl = String(Math.max(1, Math.round(setOptions?.ttlMs ?? options.ttlMs)));
      const keys = [
        prefix + entryKey(tenantId, key),
        ...(setOptions?.tags ?? []).map((tag) => prefix + tagKey(tenantId, tag)),
      ];
      await redis.eval(SET_WITH_TAGS, keys.length, ...keys, serializeValue(value), ttl);
    },
    getOrLoad: (tenantId, key, load, setOptions) => loader(tenantId, key, load, setOptions),
    async delete(tenantId: string, key: string): Promise<void> {
      await redis.del(prefix + entryKey(tenantId, key));
    },
    async invalidateTags(tenantId: string, tags: string[]): Promise<number> {
      if (tags.length === 0) return 0;
      const keys = tags.map((tag) => prefix + tagKey(tenantId, tag));
      return Number(await redis.eval(INVALIDATE_TAGS, keys.length, ...keys));
    },
    stats: () => ({ hits, misses }),
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
  const loader = singleFlightLoader(cache);
  return cache;
}
