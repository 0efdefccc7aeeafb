import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { can, isPermission, ROLES } from "../../src/platform/auth/permission.matrix.ts";
import type { TenantRole } from "../../src/platform/db/schema.ts";
import { createTenantObjects, prepareRequest, type TenantObjects } from "./api-fixtures.ts";
import { operationsOf, startApiHarness, type ApiHarness, type OpenApiOperation } from "./api-harness.ts";

/**
 * Walks every operation of the served OpenAPI document as every role of a tenant, an API key, a platform
 * administrator and nobody, and holds each answer against the permission the operation declares
 * (`x-permission`, written from the guard the route really runs) and the role → permission matrix.
 */

let harness: ApiHarness;
let operations: OpenApiOperation[];
let objectsA: TenantObjects;
let apiKey: { secret: string; permissions: string[] };

const KEY_PERMISSIONS = ["customers:read", "invoices:read", "payments:write"];

beforeAll(async () => {
  harness = await startApiHarness();
  objectsA = await createTenantObjects(harness, harness.a, "A");
  await createTenantObjects(harness, harness.b, "B");
  const created = await harness.call({
    method: "POST",
    path: "/api/v1/api-keys",
    token: harness.a.tokens.owner,
    body: { name: "walker", permissions: KEY_PERMISSIONS },
  });
  expect(created.status).toBe(201);
  const body = created.json<{ key?: string; secret?: string; apiKey?: string }>();
  const secret = body.key ?? body.secret ?? body.apiKey;
  if (typeof secret !== "string") throw new Error(`no key in ${created.text}`);
  apiKey = { secret, permissions: KEY_PERMISSIONS };
  operations = await operationsOf(harness);
});

afterAll(async () => {
  await harness?.stop();
});

const label = (operation: OpenApiOperation) => `${operation.method} ${operation.path}`;

interface Caller {
  name: string;
  headers: Record<string, string>;
  /** Whether this caller may run an operation that needs `permission`. */
  holds(permission: string): boolean;
  isPlatformAdmin: boolean;
}

function roleCaller(role: TenantRole): Caller {
  return {
    name: role,
    headers: { authorization: `Bearer ${harness.a.tokens[role]}` },
    holds: (permission) => isPermission(permission) && can(role, permission),
    isPlatformAdmin: false,
  };
}

/** Sends the operation; a server-sent event stream is closed as soon as its status is known. */
async function send(operation: OpenApiOperation, headers: Record<string, string>, objects: TenantObjects) {
  const prepared = prepareRequest(operation, objects, harness.a.slug);
  if (operation.path === "/api/v1/stream") {
    const controller = new AbortController();
    const response = await fetch(`${harness.url}${prepared.path}`, { headers, signal: controller.signal });
    const status = response.status;
    const text = status === 200 ? "" : await response.text();
    controller.abort();
    return { status, text, json: <T>() => JSON.parse(text) as T };
  }
  return harness.call({
    method: operation.method,
    path: prepared.path,
    headers: { ...prepared.headers, ...headers },
    ...(prepared.body !== undefined ? { body: prepared.body } : {}),
  });
}

describe("the route walk", () => {
  it("finds the whole API in the OpenAPI document", () => {
    expect(operations.length).toBeGreaterThan(90);
    expect(operations.map(label)).toEqual(
      expect.arrayContaining([
        "GET /api/v1/customers",
        "POST /api/v1/invoices",
        "POST /api/v1/payments",
        "POST /api/v1/workflow-instances",
        "DELETE /api/v1/api-keys/{id}",
      ]),
    );
  });

  it("has every operation declare who may call it, and every permission exists", () => {
    const undeclared = operations.filter((operation) => operation.access === undefined).map(label);
    expect(undeclared, "operations whose route runs no access guard and declares no access").toEqual([]);
    const unknown = operations
      .filter((operation) => operation.access === "permission")
      .filter((operation) => operation.permission === undefined || !isPermission(operation.permission))
      .map(label);
    expect(unknown).toEqual([]);
    const publicOnes = operations.filter((operation) => operation.access === "public").map(label);
    expect(publicOnes.sort()).toEqual(
      [
        "GET /metrics",
        "POST /api/v1/auth/login",
        "POST /api/v1/auth/logout",
        "POST /api/v1/auth/refresh",
        "POST /api/v1/webhooks/cashfree/{tenant}",
        "POST /api/v1/webhooks/razorpay/{tenant}",
      ].sort(),
    );
  });

  it("answers another tenant's ids with 404 on every route with an id in its path", async () => {
    // Payments keys these by another module's id (it cannot know which tenant a customer or invoice belongs
    // to): they work on the caller's own rows and must show nothing of tenant A's.
    const keyedByForeignId = new Set([
      "PUT /api/v1/payments/receivables/{invoiceId}",
      "PUT /api/v1/payments/payers/{customerId}",
      "GET /api/v1/payments/customers/{customerId}/credit",
      "GET /api/v1/tds/customers/{customerId}/position",
    ]);
    const failures: string[] = [];
    const idRoutes = operations.filter(
      (operation) =>
        operation.access !== "public" &&
        operation.pathParameters.some((name) => name === "id" || name.endsWith("Id")),
    );
    expect(idRoutes.length).toBeGreaterThan(40);
    for (const operation of idRoutes) {
      const { unfilled } = prepareRequest(operation, objectsA, harness.a.slug);
      if (unfilled.length > 0) {
        failures.push(
          `${label(operation)}: no object of tenant A for ${unfilled.join(", ")} (add a fixture)`,
        );
        continue;
      }
      // Tenant B's owner holds every permission; only the tenant differs.
      const response = await send(operation, { authorization: `Bearer ${harness.b.tokens.owner}` }, objectsA);
      if (keyedByForeignId.has(label(operation))) {
        const leaks = [objectsA.paymentId, "INV/A/0101", objectsA.allocationId].filter((marker) =>
          response.text.includes(marker),
        );
        if (response.status >= 500 || leaks.length > 0) {
          failures.push(`${label(operation)} answered ${response.status} showing ${leaks.join(", ")}`);
        }
        continue;
      }
      if (response.status !== 404) {
        failures.push(`${label(operation)} answered ${response.status}: ${response.text.slice(0, 300)}`);
      }
    }
    expect(failures).toEqual([]);
    // Tenant B registering "its" receivable under A's invoice id left A's untouched.
    const own = await harness.call({
      method: "GET",
      path: `/api/v1/payments/receivables/${objectsA.receivableInvoiceId}`,
      token: harness.a.tokens.owner,
    });
    expect(own.status).toBe(200);
    expect(own.text).toContain("INV/A/0101");
  });

  it("refuses a request without credentials with 401 on every route that is not public", async () => {
    const failures: string[] = [];
    for (const operation of operations.filter((entry) => entry.access !== "public")) {
      const response = await send(operation, {}, objectsA);
      if (response.status !== 401) failures.push(`${label(operation)} answered ${response.status}`);
      else if (!String(response.json<{ type?: string }>().type).includes("unauthenticated")) {
        failures.push(`${label(operation)} answered 401 without a problem document`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("allows exactly the roles, keys and administrators the matrix names, and 403s the rest", async () => {
    const callers: Caller[] = [
      ...ROLES.map(roleCaller),
      {
        name: "api-key",
        headers: { "x-api-key": apiKey.secret },
        holds: (permission) => apiKey.permissions.includes(permission),
        isPlatformAdmin: false,
      },
      {
        name: "platform-admin (viewer)",
        headers: { authorization: `Bearer ${harness.platformAdminToken}` },
        holds: (permission) => isPermission(permission) && can("viewer", permission),
        isPlatformAdmin: true,
      },
    ];
    const failures: string[] = [];
    let allowed = 0;
    let refused = 0;
    for (const operation of operations) {
      for (const caller of callers) {
        const response = await send(operation, caller.headers, objectsA);
        const where = `${label(operation)} as ${caller.name}`;
        if (response.status >= 500) {
          failures.push(`${where} failed with ${response.status}: ${response.text.slice(0, 300)}`);
          continue;
        }
        if (operation.access === "public") {
          if (response.status === 403) failures.push(`${where} answered 403 on a public route`);
          continue;
        }
        const expected =
          operation.access === "authenticated"
            ? true
            : operation.access === "platform-admin"
              ? caller.isPlatformAdmin
              : caller.holds(operation.permission ?? "");
        if (expected) {
          allowed += 1;
          if (response.status === 401 || response.status === 403) {
            failures.push(`${where} was refused (${response.status}): ${response.text.slice(0, 300)}`);
          }
        } else {
          refused += 1;
          if (response.status !== 403) {
            failures.push(`${where} should be 403 but answered ${response.status}`);
            continue;
          }
          const problem = response.json<{ code?: string; permission?: string }>();
          const needed = operation.access === "platform-admin" ? "platform:admin" : operation.permission;
          if (problem.code !== "FORBIDDEN" || problem.permission !== needed) {
            failures.push(`${where} refused for ${String(problem.permission)}, not ${String(needed)}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(allowed).toBeGreaterThan(300);
    expect(refused).toBeGreaterThan(200);
  });
});
