import { AppError } from "../../kernel/app-error.ts";

export interface CacheSetOptions {
  /** Lifetime of this entry; default the cache's. */
  ttlMs?: number;
  /** Labels an event can invalidate the entry by, e.g. `invoice:<id>` or `invoice-list`. */
  tags?: string[];
}

/**
 * A cache of read models (query results), always per tenant: every key lives under `t:<tenantId>:`, so one
 * tenant's call can never name another tenant's entry. Values round-trip through JSON (bigint kept).
 */
export interface ReadModelCache {
  readonly kind: "lru" | "redis" | "off";
  get<T>(tenantId: string, key: string): Promise<T | undefined>;
  set(tenantId: string, key: string, value: unknown, options?: CacheSetOptions): Promise<void>;
  /** The cached value, or `load()`'s result stored for next time; concurrent misses in this process load once. */
  getOrLoad<T>(tenantId: string, key: string, load: () => Promise<T>, options?: CacheSetOptions): Promise<T>;
  delete(tenantId: string, key: string): Promise<void>;
  /** Drops every entry of the tenant carrying one of the tags; returns how many. */
  invalidateTags(tenantId: string, tags: string[]): Promise<number>;
  /** Hits and misses of `get` and `getOrLoad` since the cache was created. */
  stats(): { hits: number; misses: number };
  close(): Promise<void>;
}

const TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkTenant(tenantId: string): string {
  if (!TENANT_ID.test(tenantId)) {
    throw AppError.invalidInput([{ field: "tenantId", reason: "must be a tenant id (UUID)" }]);
  }
  return tenantId.toLowerCase();
}

function checkPart(field: string, value: string): string {
  if (value.length === 0 || value.length > 512) {
    throw AppError.invalidInput([{ field, reason: "must be 1-512 characters" }]);
  }
  return value;
}

/** `t:<tenant>:k:<key>`: a tenant id has no colon, so no key of one tenant can fall under another's prefix. */
export function entryKey(tenantId: string, key: string): string {
  return `t:${checkTenant(tenantId)}:k:${checkPart("key", key)}`;
}

export function tagKey(tenantId: string, tag: string): string {
  return `t:${checkTenant(tenantId)}:g:${checkPart("tag", tag)}`;
}

export function serializeValue(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    typeof item === "bigint" ? { $bigint: item.toString() } : item,
  );
}

export function deserializeValue<T>(text: string): T {
  return JSON.parse(text, (_key, item: unknown) => {
    if (item && typeof item === "object" && !Array.isArray(item)) {
      const record = item as Record<string, unknown>;
      const keys = Object.keys(record);
      if (keys.length === 1 && keys[0] === "$bigint" && typeof record.$bigint === "string") {
        return BigInt(record.$bigint);
      }
    }
    return item;
  }) as T;
}

/**
 * getOrLoad on top of get and set, with one load per key in flight in this process. Cache errors (Redis
 * unreachable) fall back to loading, so the cache never makes a read fail.
 */
export function singleFlightLoader(cache: Pick<ReadModelCache, "get" | "set">) {
  const inFlight = new Map<string, Promise<unknown>>();
  return async function getOrLoad<T>(
    tenantId: string,
    key: string,
    load: () => Promise<T>,
    options?: CacheSetOptions,
  ): Promise<T> {
    // A cache that cannot answer is a miss: the read model is always there to load from.
    const cached = await cache.get<T>(tenantId, key).catch(() => undefined);
    if (cached !== undefined) return cached;
    const flightKey = entryKey(tenantId, key);
    const existing = inFlight.get(flightKey);
    if (existing) return existing as Promise<T>;
    const loading = (async () => {
      try {
        const value = await load();
        if (value !== undefined) await cache.set(tenantId, key, value, options).catch(() => undefined);
        return value;
      } finally {
        inFlight.delete(flightKey);
      }
    })();
    inFlight.set(flightKey, loading);
    return loading;
  };
}
