import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningPrapti } from "../../src/app/runtime.ts";
import { testSecurity } from "../../src/platform/auth/auth.fixtures.testing.ts";
import { draftInput, TEST_SUPPLIER } from "../../src/modules/invoicing/invoice-wire.fixtures.testing.ts";
import { startInProcess } from "../support/running-prapti.ts";
import { createTenant } from "../support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";

let database: TestDatabase;
let prapti: RunningPrapti;
const tokens: Record<string, string> = {};
const PASSWORD = "a long and careful passphrase";

async function api(tenant: string, method: string, path: string, body?: unknown, extra = {}) {
  const response = await fetch(`${prapti.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${tokens[tenant] ?? ""}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...extra,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, headers: response.headers, json: (await response.json()) as never };
}

const cacheOf = () => {
  if (!prapti.cache) throw new Error("the API process has a cache");
  return prapti.cache;
};

beforeAll(async () => {
  database = await createTestDatabase();
  const security = testSecurity(database);
  for (const name of ["a", "b"]) {
    const tenantId = await createTenant(database.owner, `List Cache ${name}`);
    await security.provisioning.provisionUser({
      email: `owner@${name}.example`,
      displayName: "Owner",
      password: PASSWORD,
      memberships: [{ tenantId, role: "owner" }],
    });
  }
  prapti = await startInProcess({ databaseUrl: database.url });
  for (const name of ["a", "b"]) {
    const login = await fetch(`${prapti.url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: `owner@${name}.example`, password: PASSWORD }),
    });
    tokens[name] = ((await login.json()) as { accessToken: string }).accessToken;
  }
  const settings = await api("a", "GET", "/api/v1/invoicing/settings");
  const saved = await api(
    "a",
    "PUT",
    "/api/v1/invoicing/settings",
    { supplier: TEST_SUPPLIER },
    {
      "if-match": settings.headers.get("etag") ?? "",
    },
  );
  expect(saved.status).toBe(200);
});

afterAll(async () => {
  await prapti?.stop();
  await database?.drop();
});

type Page = { items: { id: string; number: string; status: string }[] };

describe("cached invoice lists", () => {
  it("serves a repeated list from the cache and drops it when an invoice changes", async () => {
    const first = await api("a", "GET", "/api/v1/invoices?status=draft");
    expect(first.status).toBe(200);
    expect((first.json as Page).items).toEqual([]);
    const hitsBefore = cacheOf().store.stats().hits;
    // The same filters in another order, or with the default limit spelled out, are the same list.
    const again = await api("a", "GET", "/api/v1/invoices?limit=50&status=draft");
    const same = await api("a", "GET", "/api/v1/invoices?status=draft&limit=50");
    expect((again.json as Page).items).toEqual([]);
    expect((same.json as Page).items).toEqual([]);
    expect(cacheOf().store.stats().hits).toBe(hitsBefore + 2);

    const created = await api("a", "POST", "/api/v1/invoices", draftInput({ number: "KF/25-26/900" }));
    expect(created.status).toBe(201);
    // The change's event is committed with it; the invalidation pass drops the cached lists.
    await cacheOf().invalidator.catchUp();
    const after = await api("a", "GET", "/api/v1/invoices?status=draft");
    expect((after.json as Page).items.map((item) => item.number)).toEqual(["KF/25-26/900"]);
  });

  it("keeps each tenant's lists apart", async () => {
    const mine = await api("a", "GET", "/api/v1/invoices?status=draft");
    const theirs = await api("b", "GET", "/api/v1/invoices?status=draft");
    expect((mine.json as Page).items).toHaveLength(1);
    expect((theirs.json as Page).items).toEqual([]);
  });

  it("answers status=overdue with open invoices past their due date, and refuses unknown statuses", async () => {
    const overdue = await api("a", "GET", "/api/v1/invoices?status=overdue");
    expect(overdue.status).toBe(200);
    // The only invoice is a draft: drafts are never overdue.
    expect((overdue.json as Page).items).toEqual([]);
    const drafts = await api("a", "GET", "/api/v1/invoices?status=draft");
    const id = (drafts.json as Page).items[0]?.id ?? "";
    const issuedNow = await api("a", "POST", `/api/v1/invoices/${id}/issue`, {});
    expect(issuedNow.status).toBe(200);
    await cacheOf().invalidator.catchUp();
    // Issued on 1 October 2025 with 30 days' credit: overdue today.
    const later = await api("a", "GET", "/api/v1/invoices?status=overdue");
    expect((later.json as Page).items.map((item) => item.number)).toEqual(["KF/25-26/900"]);
    const bad = await api("a", "GET", "/api/v1/invoices?status=late");
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toContain("status");
  });
});
