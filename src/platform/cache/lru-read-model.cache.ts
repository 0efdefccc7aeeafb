import { LRUCache } from "lru-cache";
import {
  deserializeValue,
  entryKey,
  serializeValue,
  singleFlightLoader,
  tagKey,
  type CacheSetOptions,
  type ReadModelCache,
} from "./read-model.cache.ts";

export interface LruReadModelCacheOptions {
  maxEntries: number;
  ttlMs: number;
}

/** The in-process cache (default): least recently used entries go first; nothing shared between processes. */
export function createLruReadModelCache(options: LruReadModelCacheOptions): ReadModelCache {
  const tags = new Map<string, Set<string>>();
  const tagsOfEntry = new Map<string, string[]>();
  const forgetTags = (key: string) => {
    for (const tag of tagsOfEntry.get(key) ?? []) {
      const members = tags.get(tag);
      members?.delete(key);
      if (members?.size === 0) tags.delete(tag);
    }
    tagsOfEntry.delete(key);
  };
  const entries = new LRUCache<string, string>({
    max: options.maxEntries,
    ttl: options.ttlMs,
    dispose: (_value, key, reason) => {
      // A `set` over an existing key re-registers its tags itself.
      if (reason !== "set") forgetTags(key);
    },
  });
  let hits = 0;
  let misses = 0;

  const cache: ReadModelCache = {
    kind: "lru",
    async get<T>(tenantId: string, key: string): Promise<T | undefined> {
      const text = entries.get(entryKey(tenantId, key));
      if (text === undefined) {
        misses += 1;
        return undefined;
      }
      hits += 1;
      return deserializeValue<T>(text);
    },
    async set(tenantId: string, key: string, value: unknown, setOptions?: CacheSetOptions): Promise<void> {
      const fullKey = entryKey(tenantId, key);
      const tagKeys = (setOptions?.tags ?? []).map((tag) => tagKey(tenantId, tag));
      forgetTags(fullKey);
      entries.set(fullKey, serializeValue(value), { ttl: setOptions?.ttlMs ?? options.ttlMs });
      if (tagKeys.length > 0) {
        tagsOfEntry.set(fullKey, tagKeys);
        for (const tag of tagKeys) {
          let members = tags.get(tag);
          if (!members) {
            members = new Set();
            tags.set(tag, members);
          }
          members.add(fullKey);
        }
      }
    },
    getOrLoad: (tenantId, key, load, setOptions) => loader(tenantId, key, load, setOptions),
    async delete(tenantId: string, key: string): Promise<void> {
      entries.delete(entryKey(tenantId, key));
    },
    async invalidateTags(tenantId: string, tagNames: string[]): Promise<number> {
      let dropped = 0;
      for (const tag of tagNames.map((name) => tagKey(tenantId, name))) {
        for (const key of [...(tags.get(tag) ?? [])]) {
          if (entries.delete(key)) dropped += 1;
        }
        tags.delete(tag);
      }
      return dropped;
    },
    stats: () => ({ hits, misses }),
    async close() {
      entries.clear();
      tags.clear();
      tagsOfEntry.clear();
    },
  };
  const loader = singleFlightLoader(cache);
  return cache;
}
