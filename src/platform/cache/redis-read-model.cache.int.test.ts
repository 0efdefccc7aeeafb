import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { afterAll, expect, it } from "vitest";
import { createReadModelCache } from "./create-read-model.cache.ts";
import { describeReadModelCache, TENANT_A } from "./read-model.cache.contract.ts";

const REDIS_URL = "redis://127.0.0.1:6379";
const prefix = `prapti-test-${randomBytes(6).toString("hex")}:`;

afterAll(async () => {
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describeReadModelCache("Redis", () =>
  createReadModelCache({ redisUrl: REDIS_URL, maxEntries: 100, ttlMs: 60_000, keyPrefix: prefix }),
);

it("shares entries between caches on the same Redis and keeps keys under the tenant's prefix", async () => {
  const one = createReadModelCache({ redisUrl: REDIS_URL, maxEntries: 1, ttlMs: 60_000, keyPrefix: prefix });
  const two = createReadModelCache({ redisUrl: REDIS_URL, maxEntries: 1, ttlMs: 60_000, keyPrefix: prefix });
  try {
    expect(one.kind).toBe("redis");
    await one.set(TENANT_A, "shared", { n: 1 }, { tags: ["s"] });
    expect(await two.get(TENANT_A, "shared")).toEqual({ n: 1 });
    await two.invalidateTags(TENANT_A, ["s"]);
    expect(await one.get(TENANT_A, "shared")).toBeUndefined();

    await one.set(TENANT_A, "layout", 1, { tags: ["g"] });
    const redis = new Redis(REDIS_URL);
    const keys = (await redis.keys(`${prefix}*`)).sort();
    await redis.quit();
    expect(keys).toContain(`${prefix}t:${TENANT_A}:k:layout`);
    expect(keys).toContain(`${prefix}t:${TENANT_A}:g:g`);
    expect(keys.every((key) => key.startsWith(`${prefix}t:`))).toBe(true);
  } finally {
    await one.close();
    await two.close();
  }
});

it("falls back to loading when Redis cannot be reached", async () => {
  const probe = createServer();
  probe.listen(0, "127.0.0.1");
  await once(probe, "listening");
  const port = (probe.address() as AddressInfo).port;
  probe.close();
  await once(probe, "close");

  const cache = createReadModelCache({ redisUrl: `redis://127.0.0.1:${port}`, maxEntries: 1, ttlMs: 60_000 });
  try {
    await expect(cache.getOrLoad(TENANT_A, "report", async () => ({ rows: 3 }))).resolves.toEqual({
      rows: 3,
    });
    await expect(cache.get(TENANT_A, "report")).rejects.toThrow();
  } finally {
    await cache.close();
  }
});
