import { describe, expect, it } from "vitest";
import type { ReadModelCache } from "./read-model.cache.ts";

export const TENANT_A = "6f1c1f3e-2a7b-4c55-9d0e-1a2b3c4d5e6f";
export const TENANT_B = "0b7e8c9d-1111-4222-8333-944455556666";

/** The behaviour every read-model cache shares; each implementation's test file runs it. */
export function describeReadModelCache(name: string, makeCache: () => ReadModelCache): void {
  describe(`${name} read-model cache`, () => {
    it("stores and reads values per tenant, bigint included, counting hits and misses", async () => {
      const cache = makeCache();
      try {
        expect(await cache.get(TENANT_A, "invoice:1")).toBeUndefined();
        await cache.set(TENANT_A, "invoice:1", { number: "INV-1", totalPaise: 118_000n, lines: [1, 2] });
        expect(await cache.get(TENANT_A, "invoice:1")).toEqual({
          number: "INV-1",
          totalPaise: 118_000n,
          lines: [1, 2],
        });
        expect(cache.stats()).toEqual({ hits: 1, misses: 1 });
      } finally {
        await cache.close();
      }
    });

    it("never shows one tenant's entry to another", async () => {
      const cache = makeCache();
      try {
        await cache.set(TENANT_A, "dashboard", { outstanding: 5 }, { tags: ["dashboard"] });
        expect(await cache.get(TENANT_B, "dashboard")).toBeUndefined();
        await cache.set(TENANT_B, "dashboard", { outstanding: 9 }, { tags: ["dashboard"] });
        expect(await cache.get(TENANT_A, "dashboard")).toEqual({ outstanding: 5 });
        // A key that tries to name another tenant's prefix stays inside the caller's own namespace.
        expect(await cache.get(TENANT_B, `x:t:${TENANT_A}:k:dashboard`)).toBeUndefined();
        expect(await cache.invalidateTags(TENANT_B, ["dashboard"])).toBe(1);
        expect(await cache.get(TENANT_A, "dashboard")).toEqual({ outstanding: 5 });
        await expect(cache.get("not-a-tenant", "dashboard")).rejects.toThrow(/tenant id/);
        await expect(cache.get(`${TENANT_A}:k:dashboard`, "x")).rejects.toThrow(/tenant id/);
      } finally {
        await cache.close();
      }
    });

    it("drops entries by tag and deletes single keys", async () => {
      const cache = makeCache();
      try {
        await cache.set(TENANT_A, "invoice:1", 1, { tags: ["invoice:1", "invoice-list"] });
        await cache.set(TENANT_A, "invoice:2", 2, { tags: ["invoice:2", "invoice-list"] });
        await cache.set(TENANT_A, "list:open", [1, 2], { tags: ["invoice-list"] });
        await cache.set(TENANT_A, "customer:9", 9, { tags: ["customer:9"] });
        expect(await cache.invalidateTags(TENANT_A, ["invoice:1"])).toBe(1);
        expect(await cache.get(TENANT_A, "invoice:1")).toBeUndefined();
        expect(await cache.get(TENANT_A, "invoice:2")).toBe(2);
        expect(await cache.invalidateTags(TENANT_A, ["invoice-list"])).toBe(2);
        expect(await cache.get(TENANT_A, "list:open")).toBeUndefined();
        expect(await cache.get(TENANT_A, "customer:9")).toBe(9);
        await cache.delete(TENANT_A, "customer:9");
        expect(await cache.get(TENANT_A, "customer:9")).toBeUndefined();
      } finally {
        await cache.close();
      }
    });

    it("loads a missing value once and serves it afterwards", async () => {
      const cache = makeCache();
      try {
        let loads = 0;
        const load = async () => {
          loads += 1;
          return { ageingBuckets: [10, 20] };
        };
        const [first, second] = await Promise.all([
          cache.getOrLoad(TENANT_A, "ageing", load),
          cache.getOrLoad(TENANT_A, "ageing", load),
        ]);
        expect(first).toEqual({ ageingBuckets: [10, 20] });
        expect(second).toEqual(first);
        expect(await cache.getOrLoad(TENANT_A, "ageing", load)).toEqual(first);
        expect(loads).toBe(1);
      } finally {
        await cache.close();
      }
    });

    it("expires entries after their time to live", async () => {
      const cache = makeCache();
      try {
        await cache.set(TENANT_A, "short", 1, { ttlMs: 20, tags: ["t"] });
        await cache.set(TENANT_A, "long", 2, { ttlMs: 60_000, tags: ["t"] });
        let value: unknown = 1;
        for (let i = 0; i < 100 && value !== undefined; i++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          value = await cache.get(TENANT_A, "short");
        }
        expect(value).toBeUndefined();
        expect(await cache.get(TENANT_A, "long")).toBe(2);
        // The tag still reaches the longer-lived entry.
        expect(await cache.invalidateTags(TENANT_A, ["t"])).toBe(1);
      } finally {
        await cache.close();
      }
    });
  });
}
