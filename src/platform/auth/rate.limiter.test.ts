import { describe, expect, it } from "vitest";
import { createMemoryRateLimitStore, createRateLimiter } from "./rate.limiter.ts";

describe("token bucket", () => {
  it("allows a burst, then refuses with the time until the next token, then refills", async () => {
    let now = Date.parse("2025-04-01T10:00:00Z");
    const limiter = createRateLimiter({
      store: createMemoryRateLimitStore(),
      clock: () => new Date(now),
      burst: 3,
      perMinute: 60,
    });
    const taken = [await limiter.take("k"), await limiter.take("k"), await limiter.take("k")];
    expect(taken.map((decision) => [decision.allowed, decision.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
    ]);
    const refused = await limiter.take("k");
    expect(refused).toMatchObject({ allowed: false, remaining: 0, limit: 3 });
    expect(refused.retryAfterMs).toBe(1000);
    now += 500;
    expect((await limiter.take("k")).retryAfterMs).toBe(500);
    now += 500;
    expect((await limiter.take("k")).allowed).toBe(true);
    now += 60_000;
    expect((await limiter.take("k")).remaining).toBe(2);
  });

  it("keeps separate buckets per key", async () => {
    const limiter = createRateLimiter({ store: createMemoryRateLimitStore(), burst: 1, perMinute: 1 });
    expect((await limiter.take("user:a")).allowed).toBe(true);
    expect((await limiter.take("user:a")).allowed).toBe(false);
    expect((await limiter.take("user:b")).allowed).toBe(true);
  });

  it("evicts the least recently used keys beyond its size", async () => {
    const store = createMemoryRateLimitStore({ maxKeys: 2 });
    const rule = { capacity: 1, refillPerSecond: 0.001 };
    await store.take("a", rule, 1, 0);
    await store.take("b", rule, 1, 0);
    await store.take("c", rule, 1, 0);
    expect((await store.take("a", rule, 1, 0)).allowed).toBe(true);
    expect((await store.take("c", rule, 1, 0)).allowed).toBe(false);
  });
});
