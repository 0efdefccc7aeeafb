import { expect, it } from "vitest";
import { createLruReadModelCache } from "./lru-read-model.cache.ts";
import { describeReadModelCache, TENANT_A } from "./read-model.cache.contract.ts";

describeReadModelCache("in-process", () => createLruReadModelCache({ maxEntries: 100, ttlMs: 60_000 }));

it("evicts the least recently used entry and forgets its tags", async () => {
  const cache = createLruReadModelCache({ maxEntries: 2, ttlMs: 60_000 });
  await cache.set(TENANT_A, "a", 1, { tags: ["x"] });
  await cache.set(TENANT_A, "b", 2, { tags: ["x"] });
  await cache.get(TENANT_A, "a");
  await cache.set(TENANT_A, "c", 3, { tags: ["x"] });
  expect(await cache.get(TENANT_A, "b")).toBeUndefined();
  expect(await cache.get(TENANT_A, "a")).toBe(1);
  expect(await cache.invalidateTags(TENANT_A, ["x"])).toBe(2);
});
