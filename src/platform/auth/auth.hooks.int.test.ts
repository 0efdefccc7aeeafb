import { randomBytes } from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import type { TenantRole } from "../db/schema.ts";
import {
  createMember,
  createTenant,
  TEST_PASSWORD,
  testClock,
  testSecurity,
  type TestClock,
} from "./auth.fixtures.testing.ts";
import { registerAuthentication, requirePermission, requirePlatformAdmin } from "./auth.hooks.ts";
import { can, PERMISSIONS, permissionsOf, ROLES, type Permission } from "./permission.matrix.ts";
import { rateLimit } from "./rate-limit.hook.ts";
import { createMemoryRateLimitStore, createRateLimiter } from "./rate.limiter.ts";
import type { SecurityServices } from "./security.services.ts";
import { createAccessTokenService } from "./token.service.ts";

let database: TestDatabase;
let clock: TestClock;
let security: SecurityServices & { secrets: { jwtSecret: Uint8Array } };
let app: FastifyInstance;
let tenantA: string;
let tenantB: string;
const tokens: Partial<Record<TenantRole, string>> = {};
let platformAdminToken: string;
let userOfBToken: string;

/** One route per permission, plus a few for identity and platform checks. */
function routeOf(permission: Permission): string {
  return `/check/${permission.replace(":", "/")}`;
}

function buildApp(): FastifyInstance {
  const instance = Fastify({ logger: false });
  registerAuthentication(instance, { auth: security.auth, apiKeys: security.apiKeys, audit: security.audit });
  instance.addHook(
    "onRequest",
    rateLimit({
      limiter: createRateLimiter({
        store: createMemoryRateLimitStore(),
        clock,
        burst: 1000,
        perMinute: 6000,
      }),
      tenantLimiter: createRateLimiter({
        store: createMemoryRateLimitStore(),
        clock,
        burst: 1000,
        perMinute: 6000,
      }),
    }),
  );
  instance.get("/public", async () => ({ ok: true }));
  instance.get("/whoami", async (request) => ({ principal: request.principal }));
  for (const permission of PERMISSIONS) {
    instance.get(routeOf(permission), { preHandler: requirePermission(permission) }, async () => ({
      ok: true,
    }));
  }
  instance.get("/platform/tenants", { preHandler: requirePlatformAdmin() }, async () => ({ ok: true }));
  return instance;
}

beforeAll(async () => {
  database = await createTestDatabase();
  clock = testClock(new Date().toISOString());
  security = testSecurity(database, { clock });
  tenantA = await createTenant(database.owner, "hooks-a");
  tenantB = await createTenant(database.owner, "hooks-b");
  for (const role of ROLES) {
    await createMember(security, {
      email: `${role}@hooks.example`,
      memberships: [{ tenantId: tenantA, role }],
    });
    tokens[role] = (
      await security.auth.signIn({ email: `${role}@hooks.example`, password: TEST_PASSWORD })
    ).accessToken;
  }
  await createMember(security, {
    email: "operator@hooks.example",
    memberships: [{ tenantId: tenantA, role: "viewer" }],
    isPlatformAdmin: true,
  });
  platformAdminToken = (
    await security.auth.signIn({ email: "operator@hooks.example", password: TEST_PASSWORD })
  ).accessToken;
  await createMember(security, {
    email: "owner@hooks-b.example",
    memberships: [{ tenantId: tenantB, role: "owner" }],
  });
  userOfBToken = (await security.auth.signIn({ email: "owner@hooks-b.example", password: TEST_PASSWORD }))
    .accessToken;
  app = buildApp();
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await database?.drop();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function problemOf(response: { headers: Record<string, unknown>; json(): unknown }) {
  expect(String(response.headers["content-type"])).toMatch(/^application\/problem\+json/);
  return response.json() as { type: string; title: string; status: number; detail: string; code: string };
}

describe("authentication", () => {
  it("leaves public routes open and answers 401 problem+json where a permission is needed", async () => {
    expect((await app.inject({ url: "/public" })).statusCode).toBe(200);
    const response = await app.inject({ url: routeOf("invoices:read") });
    expect(response.statusCode).toBe(401);
    expect(response.headers["www-authenticate"]).toBe('Bearer realm="prapti"');
    expect(problemOf(response)).toEqual({
      type: "urn:prapti:problem:unauthenticated",
      title: "Authentication required",
      status: 401,
      detail: "this request needs a bearer token or an API key",
      code: "UNAUTHENTICATED",
    });
  });

  it("sets the principal from a bearer token, bound to the token's tenant", async () => {
    const mine = (await app.inject({ url: "/whoami", headers: bearer(tokens.accountant!) })).json<{
      principal: { kind: string; tenantId: string; role: string; permissions: string[] };
    }>();
    expect(mine.principal).toMatchObject({ kind: "user", tenantId: tenantA, role: "accountant" });
    expect(mine.principal.permissions).toEqual(permissionsOf("accountant"));
    const theirs = (await app.inject({ url: "/whoami", headers: bearer(userOfBToken) })).json<{
      principal: { tenantId: string };
    }>();
    expect(theirs.principal.tenantId).toBe(tenantB);
  });

  it.each([
    ["garbage", "not-a-jwt"],
    ["a wrong signature", "forged"],
    ["alg none", "none"],
    ["an edited tenant", "edited"],
  ])("refuses a token with %s", async (_name, kind) => {
    let token = kind;
    const valid = tokens.owner!;
    if (kind === "forged") {
      const forger = createAccessTokenService({ secret: randomBytes(32), ttlSeconds: 900, clock });
      const claims = await security.tokens.verify(valid);
      token = (await forger.issue(claims)).token;
    } else if (kind === "none" || kind === "edited") {
      const [header, payload, signature] = valid.split(".");
      const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString()) as Record<
        string,
        unknown
      >;
      if (kind === "none") {
        const none = Buffer.from(JSON.stringify({ alg: "none", typ: "at+jwt" })).toString("base64url");
        token = `${none}.${payload}.`;
      } else {
        claims.tid = tenantB;
        token = `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${signature}`;
      }
    }
    const response = await app.inject({ url: "/whoami", headers: bearer(token) });
    expect(response.statusCode).toBe(401);
    expect(response.headers["www-authenticate"]).toBe('Bearer realm="prapti", error="invalid_token"');
    expect(problemOf(response).code).toBe("UNAUTHENTICATED");
  });

  it("refuses an expired token", async () => {
    const claims = await security.tokens.verify(tokens.viewer!);
    const now = Math.floor(clock().getTime() / 1000);
    const expired = await new SignJWT({
      tid: claims.tenantId,
      sid: claims.sessionId,
      role: claims.role,
      platform_admin: false,
    })
      .setProtectedHeader({ alg: "HS256", typ: "at+jwt" })
      .setSubject(claims.userId)
      .setIssuer("prapti")
      .setAudience("prapti-api")
      .setJti("expired-one")
      .setIssuedAt(now - 1000)
      .setExpirationTime(now - 60)
      .sign(security.secrets.jwtSecret);
    const response = await app.inject({ url: "/whoami", headers: bearer(expired) });
    expect(response.statusCode).toBe(401);
    expect(problemOf(response).detail).toBe("access token has expired");
  });

  it("refuses a malformed Authorization header, or two credentials at once", async () => {
    expect(
      (await app.inject({ url: "/whoami", headers: { authorization: `Basic ${tokens.owner}` } })).statusCode,
    ).toBe(401);
    const both = await app.inject({
      url: "/whoami",
      headers: { ...bearer(tokens.owner!), "x-api-key": "prk_x" },
    });
    expect(both.statusCode).toBe(401);
  });

  it("accepts an API key in X-API-Key or as a bearer token, and refuses it once revoked", async () => {
    const owner = await security.auth.authenticateAccessToken(tokens.owner!);
    const { apiKey, secret } = await security.apiKeys.create({
      principal: owner,
      name: "Zoho",
      permissions: ["invoices:read"],
    });
    for (const headers of [{ "x-api-key": secret }, bearer(secret)]) {
      const whoami = (await app.inject({ url: "/whoami", headers })).json<{
        principal: Record<string, unknown>;
      }>();
      expect(whoami.principal).toMatchObject({ kind: "api-key", apiKeyId: apiKey.id, tenantId: tenantA });
      expect((await app.inject({ url: routeOf("invoices:read"), headers })).statusCode).toBe(200);
      expect((await app.inject({ url: routeOf("invoices:issue"), headers })).statusCode).toBe(403);
    }
    await security.apiKeys.revoke({ principal: owner, apiKeyId: apiKey.id });
    const refused = await app.inject({ url: "/whoami", headers: { "x-api-key": secret } });
    expect(refused.statusCode).toBe(401);
    expect(problemOf(refused).detail).toMatch(/revoked/);
  });
});

describe("permissions over HTTP", () => {
  it.each(ROLES)("lets %s through exactly the routes of its permissions", async (role) => {
    for (const permission of PERMISSIONS) {
      const response = await app.inject({ url: routeOf(permission), headers: bearer(tokens[role]!) });
      expect({ permission, status: response.statusCode }).toEqual({
        permission,
        status: can(role, permission) ? 200 : 403,
      });
    }
  });

  it("answers a denial with 403 problem+json and records it in the audit log", async () => {
    const response = await app.inject({
      url: routeOf("audit:read"),
      headers: { ...bearer(tokens.collector!), "x-request-id": "ignored" },
    });
    expect(response.statusCode).toBe(403);
    expect(problemOf(response)).toEqual({
      type: "urn:prapti:problem:forbidden",
      title: "Permission denied",
      status: 403,
      detail: "this action needs the permission audit:read",
      code: "FORBIDDEN",
      permission: "audit:read",
    });
    const collector = await security.auth.authenticateAccessToken(tokens.collector!);
    const { entries } = await security.audit.list({
      tenantId: tenantA,
      filter: { action: "auth.permission_denied", actorId: collector.userId!, entityId: "audit:read" },
    });
    expect(entries[0]).toMatchObject({
      actor: { type: "user", id: collector.userId },
      entityType: "permission",
      metadata: { method: "GET", route: "/check/audit/read", role: "collector" },
    });
    expect(entries[0]?.requestId).toMatch(/^req-/);
  });

  it("keeps platform administration apart from tenant roles", async () => {
    expect((await app.inject({ url: "/platform/tenants", headers: bearer(tokens.owner!) })).statusCode).toBe(
      403,
    );
    expect(
      (await app.inject({ url: "/platform/tenants", headers: bearer(platformAdminToken) })).statusCode,
    ).toBe(200);
    // The operator is a viewer in the tenant: being platform admin adds no tenant permission.
    expect(
      (await app.inject({ url: routeOf("invoices:write"), headers: bearer(platformAdminToken) })).statusCode,
    ).toBe(403);
  });
});

describe("rate limiting", () => {
  it("answers 429 with Retry-After once a caller's bucket is empty, per caller", async () => {
    const limited = Fastify({ logger: false });
    registerAuthentication(limited, { auth: security.auth, apiKeys: security.apiKeys });
    limited.addHook(
      "onRequest",
      rateLimit({
        limiter: createRateLimiter({ store: createMemoryRateLimitStore(), clock, burst: 2, perMinute: 30 }),
      }),
    );
    limited.get("/ping", async () => ({ ok: true }));
    const statuses = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      statuses.push((await limited.inject({ url: "/ping", headers: bearer(tokens.viewer!) })).statusCode);
    }
    expect(statuses).toEqual([200, 200, 429]);
    const refused = await limited.inject({ url: "/ping", headers: bearer(tokens.viewer!) });
    expect(refused.headers["retry-after"]).toBe("2");
    expect(problemOf(refused)).toMatchObject({ status: 429, code: "RATE_LIMITED" });
    expect((await limited.inject({ url: "/ping", headers: bearer(tokens.owner!) })).statusCode).toBe(200);
    expect((await limited.inject({ url: "/ping" })).statusCode).toBe(200);
    clock.advance(2_000);
    expect((await limited.inject({ url: "/ping", headers: bearer(tokens.viewer!) })).statusCode).toBe(200);
    await limited.close();
  });
});
