import { createHmac, randomBytes } from "node:crypto";
import { decodeJwt, SignJWT } from "jose";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CUSTOMER_PROFILE, createTenantObjects, type TenantObjects } from "./api-fixtures.ts";
import {
  JWT_SECRET,
  operationsOf,
  startApiHarness,
  type ApiHarness,
  type OpenApiOperation,
} from "./api-harness.ts";

/**
 * Hostile requests against the running API: forged, expired and re-targeted tokens, revoked keys, injection
 * strings in every list parameter, oversized bodies, replayed idempotency keys and webhooks. After each, the
 * business tables hold exactly the rows they held before.
 */

let harness: ApiHarness;
let operations: OpenApiOperation[];
let objectsA: TenantObjects;
let objectsB: TenantObjects;

const TABLES = [
  "customers",
  "invoices",
  "payments",
  "payment_receivables",
  "bank_accounts",
  "payment_links",
  "workflow_instances",
  "idempotency_keys",
  "payment_webhook_events",
] as const;

async function rowCounts(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    const result = await sql<{
      count: string;
    }>`select count(*)::text as count from ${sql.table(table)}`.execute(harness.database.owner);
    counts[table] = Number(result.rows[0]?.count ?? "-1");
  }
  return counts;
}

const WEBHOOK_SECRET = "whsec_sweep_razorpay";

beforeAll(async () => {
  harness = await startApiHarness();
  objectsA = await createTenantObjects(harness, harness.a, "A");
  objectsB = await createTenantObjects(harness, harness.b, "B");
  operations = await operationsOf(harness);
  const gateway = await harness.call({
    method: "PUT",
    path: "/api/v1/payments/settings/gateways/razorpay",
    token: harness.a.tokens.owner,
    body: { keyId: "rzp_test_sweep", keySecret: "rzp_secret_sweep", webhookSecret: WEBHOOK_SECRET },
  });
  expect(gateway.status).toBe(200);
});

afterAll(async () => {
  await harness?.stop();
});

const customersOf = (token: string) => harness.call({ method: "GET", path: "/api/v1/customers", token });

function expectInvalidToken(response: { status: number; headers: Headers; text: string }) {
  expect(response.status).toBe(401);
  expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
  expect(response.headers.get("content-type")).toContain("application/problem+json");
}

describe("credentials", () => {
  it("refuses a token signed with another key", async () => {
    const claims = decodeJwt(harness.a.tokens.owner);
    const forged = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: "HS256", typ: "at+jwt" })
      .sign(new TextEncoder().encode(randomBytes(32).toString("hex")));
    expectInvalidToken(await customersOf(forged));
    // The same claims with the real key are accepted: only the signature differs.
    const genuine = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: "HS256", typ: "at+jwt" })
      .sign(new TextEncoder().encode(JWT_SECRET));
    expect((await customersOf(genuine)).status).toBe(200);
  });

  it("refuses an unsigned token and a tampered payload", async () => {
    const [header, payload, signature] = harness.a.tokens.owner.split(".") as [string, string, string];
    const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "at+jwt" })).toString("base64url")}.${payload}.`;
    expectInvalidToken(await customersOf(none));
    const claims = { ...decodeJwt(harness.a.tokens.owner), role: "owner", tid: harness.b.tenantId };
    const tampered = `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${signature}`;
    expectInvalidToken(await customersOf(tampered));
  });

  it("refuses an expired token", async () => {
    const claims = decodeJwt(harness.a.tokens.owner);
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ ...claims, iat: now - 3_600, exp: now - 60 })
      .setProtectedHeader({ alg: "HS256", typ: "at+jwt" })
      .sign(new TextEncoder().encode(JWT_SECRET));
    expectInvalidToken(await customersOf(expired));
  });

  it("refuses a validly signed token whose tenant is not the session's", async () => {
    // Even with the signing key, a token naming tenant B for a session of tenant A acts for nobody.
    const claims = decodeJwt(harness.a.tokens.viewer);
    const retargeted = await new SignJWT({ ...claims, tid: harness.b.tenantId, role: "owner" })
      .setProtectedHeader({ alg: "HS256", typ: "at+jwt" })
      .sign(new TextEncoder().encode(JWT_SECRET));
    const response = await customersOf(retargeted);
    expect(response.status).toBe(401);
    expect(response.text).not.toContain(objectsB.customerId);
  });

  it("answers a real token of tenant B used on tenant A's customer with 404, never A's data", async () => {
    const response = await harness.call({
      method: "GET",
      path: `/api/v1/customers/${objectsA.customerId}`,
      token: harness.b.tokens.owner,
    });
    expect(response.status).toBe(404);
    expect(response.text).not.toContain("meera");
  });

  it("refuses a revoked API key, and its writes", async () => {
    const created = await harness.call({
      method: "POST",
      path: "/api/v1/api-keys",
      token: harness.a.tokens.owner,
      body: { name: "to revoke", permissions: ["customers:read", "customers:write"] },
    });
    expect(created.status).toBe(201);
    const { apiKey, secret } = created.json<{ apiKey: { id: string }; secret: string }>();
    const body = { id: apiKey.id, key: secret };
    const fresh = await harness.call({
      method: "GET",
      path: "/api/v1/customers",
      headers: { "x-api-key": body.key },
    });
    expect(fresh.status).toBe(200);
    const revoked = await harness.call({
      method: "DELETE",
      path: `/api/v1/api-keys/${body.id}`,
      token: harness.a.tokens.owner,
    });
    expect(revoked.status).toBe(200);
    const before = await rowCounts();
    const read = await harness.call({
      method: "GET",
      path: "/api/v1/customers",
      headers: { "x-api-key": body.key },
    });
    expectInvalidToken(read);
    const write = await harness.call({
      method: "POST",
      path: "/api/v1/customers",
      headers: { authorization: `Bearer ${body.key}` },
      body: { legalName: "Revoked Key Traders", stateCode: "27" },
    });
    expectInvalidToken(write);
    expect(await rowCounts()).toEqual(before);
  });
});

const INJECTIONS = [
  "' OR 1=1 --",
  "1;drop table customers",
  "1'; drop table customers; --",
  "\u2019 OR \u20181\u2019=\u20181",
  "\uff07 OR 1=1 --",
  "%' OR '%'='",
  "\\'; select pg_sleep(0); --",
  "\u0000",
  "-1 union select * from users",
];

describe("injection strings in list parameters", () => {
  it("answer 400 naming the parameter, or a normal result of the caller's own tenant; never 500", async () => {
    const lists = operations.filter(
      (operation) =>
        operation.method === "GET" &&
        operation.queryParameters.length > 0 &&
        operation.access === "permission" &&
        operation.path !== "/api/v1/stream",
    );
    expect(lists.length).toBeGreaterThan(15);
    const foreign = [
      objectsB.customerId,
      objectsB.invoiceId,
      objectsB.paymentId,
      objectsB.linkId,
      "INV/B/0101",
    ];
    const failures: string[] = [];
    let refused = 0;
    let answered = 0;
    const before = await rowCounts();
    for (const operation of lists) {
      const path = operation.path.replace(/\{([^}]+)\}/g, (_match, name: string) =>
        name === "customerId" || name === "id" ? objectsA.customerId : objectsA.paymentId,
      );
      // Other required parameters get valid values, so only the injected one can be refused.
      const required: Record<string, string> = path.endsWith("/diff") ? { from: "1.0.0", to: "1.0.0" } : {};
      for (const parameter of operation.queryParameters) {
        for (const injection of INJECTIONS) {
          const query = new URLSearchParams({ ...required, [parameter]: injection });
          const url = `${path}?${query.toString()}`;
          const where = `${operation.method} ${url}`;
          const response = await harness.call({ method: "GET", path: url, token: harness.a.tokens.owner });
          if (response.status >= 500) {
            failures.push(`${where} failed with ${response.status}: ${response.text.slice(0, 200)}`);
          } else if (response.status === 400) {
            refused += 1;
            const problem = response.json<{ issues?: { field: string }[]; detail?: string }>();
            const named =
              (problem.issues ?? []).some((issue) => issue.field.split(".").includes(parameter)) ||
              String(problem.detail).includes(parameter);
            if (!named || !response.headers.get("content-type")?.includes("application/problem+json")) {
              failures.push(
                `${where} answered 400 without naming ${parameter}: ${response.text.slice(0, 200)}`,
              );
            }
          } else if (response.status === 200) {
            answered += 1;
            const leaked = foreign.filter((marker) => response.text.includes(marker));
            if (leaked.length > 0) failures.push(`${where} showed tenant B's ${leaked.join(", ")}`);
          } else if (response.status !== 404) {
            failures.push(`${where} answered ${response.status}: ${response.text.slice(0, 200)}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(refused).toBeGreaterThan(50);
    expect(answered).toBeGreaterThan(10);
    expect(await rowCounts()).toEqual(before);
    // The tables are all still there and tenant A's rows still read.
    const customers = await customersOf(harness.a.tokens.owner);
    expect(customers.status).toBe(200);
    expect(customers.text).toContain(objectsA.customerId);
  });

  it("treats injection strings in a search as text", async () => {
    const response = await harness.call({
      method: "GET",
      path: `/api/v1/customers?${new URLSearchParams({ search: "' OR 1=1 --" }).toString()}`,
      token: harness.a.tokens.owner,
    });
    expect(response.status).toBe(200);
    expect(response.json<{ items: unknown[] }>().items).toEqual([]);
  });
});

describe("bodies", () => {
  it("refuses an oversized body with 413 and writes nothing", async () => {
    const before = await rowCounts();
    const huge = { ...CUSTOMER_PROFILE, legalName: "Big Body Traders", notes: "x".repeat(2 * 1024 * 1024) };
    const response = await harness.call({
      method: "POST",
      path: "/api/v1/customers",
      token: harness.a.tokens.owner,
      body: huge,
    });
    expect(response.status).toBe(413);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    const webhook = await harness.call({
      method: "POST",
      path: `/api/v1/webhooks/razorpay/${harness.a.slug}`,
      headers: { "content-type": "application/json" },
      rawBody: `{"padding":"${"x".repeat(300 * 1024)}"}`,
    });
    expect(webhook.status).toBe(413);
    expect(await rowCounts()).toEqual(before);
  });

  it("replays an Idempotency-Key with the same body, refuses it with another body, and writes once", async () => {
    const key = `sweep-${randomBytes(6).toString("hex")}`;
    const before = await rowCounts();
    const body = { legalName: "Idempotent Traders", stateCode: "27", allowDuplicate: true };
    const first = await harness.call({
      method: "POST",
      path: "/api/v1/customers",
      token: harness.a.tokens.owner,
      headers: { "idempotency-key": key },
      body,
    });
    expect(first.status).toBe(201);
    const again = await harness.call({
      method: "POST",
      path: "/api/v1/customers",
      token: harness.a.tokens.owner,
      headers: { "idempotency-key": key },
      body,
    });
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.text).toBe(first.text);
    const other = await harness.call({
      method: "POST",
      path: "/api/v1/customers",
      token: harness.a.tokens.owner,
      headers: { "idempotency-key": key },
      body: { ...body, legalName: "Other Traders" },
    });
    // The current contract: the same key for a different request is invalid input naming the header.
    expect(other.status).toBe(400);
    expect(other.json<{ issues: { field: string }[] }>().issues[0]?.field).toBe("headers.idempotency-key");
    const after = await rowCounts();
    expect(after.customers).toBe((before.customers ?? 0) + 1);
    expect(after.idempotency_keys).toBe((before.idempotency_keys ?? 0) + 1);
    // A refused caller leaves no idempotency record behind.
    const refused = await harness.call({
      method: "POST",
      path: "/api/v1/customers",
      token: harness.a.tokens.viewer,
      headers: { "idempotency-key": `${key}-viewer` },
      body,
    });
    expect(refused.status).toBe(403);
    expect(await rowCounts()).toEqual(after);
  });
});

describe("webhooks", () => {
  it("ignores a replayed payment webhook (same event id) and records it once", async () => {
    const createdAt = Math.floor(Date.now() / 1000) - 30;
    const body = JSON.stringify({
      entity: "event",
      event: "payment.captured",
      created_at: createdAt,
      payload: {
        payment: {
          entity: {
            id: "pay_SweepReplay01",
            amount: 118000,
            currency: "INR",
            status: "captured",
            method: "upi",
            vpa: "joshi@okhdfcbank",
            created_at: createdAt,
            acquirer_data: { rrn: "523400009999" },
          },
        },
      },
    });
    const deliver = (signature = createHmac("sha256", WEBHOOK_SECRET).update(body).digest("hex")) =>
      harness.call({
        method: "POST",
        path: `/api/v1/webhooks/razorpay/${harness.a.slug}`,
        headers: {
          "content-type": "application/json",
          "x-razorpay-signature": signature,
          "x-razorpay-event-id": "evt_sweep_replay",
        },
        rawBody: body,
      });
    const before = await rowCounts();
    const forged = await deliver(createHmac("sha256", "not-the-secret").update(body).digest("hex"));
    expect(forged.status).toBe(401);
    expect(await rowCounts()).toEqual(before);
    const first = await deliver();
    expect(first.status).toBeLessThan(300);
    const afterFirst = await rowCounts();
    expect(afterFirst.payment_webhook_events).toBe((before.payment_webhook_events ?? 0) + 1);
    const replay = await deliver();
    expect(replay.status).toBeLessThan(500);
    if (replay.status < 300) expect(replay.json<{ status: string }>().status).not.toBe("recorded");
    expect(await rowCounts()).toEqual(afterFirst);
  });
});
