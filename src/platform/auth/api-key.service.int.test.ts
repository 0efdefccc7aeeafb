import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { AppError, isAppError } from "../../kernel/app-error.ts";
import { withTenant } from "../db/database.ts";
import { createTenant, testClock, testSecurity, type TestClock } from "./auth.fixtures.testing.ts";
import type { AuthTables } from "./auth.tables.ts";
import { permissionsOf } from "./permission.matrix.ts";
import type { Principal } from "./principal.ts";
import type { SecurityServices } from "./security.services.ts";

let database: TestDatabase;
let clock: TestClock;
let security: SecurityServices;
let tenantA: string;
let tenantB: string;
let admin: Principal;
let collector: Principal;

async function failureOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (isAppError(error)) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

function member(tenantId: string, role: "admin" | "collector", userId: string): Principal {
  return { kind: "user", userId, tenantId, role, permissions: permissionsOf(role), isPlatformAdmin: false };
}

beforeAll(async () => {
  database = await createTestDatabase();
  clock = testClock();
  security = testSecurity(database, { clock });
  tenantA = await createTenant(database.owner, "tally-sync-a");
  tenantB = await createTenant(database.owner, "tally-sync-b");
  const { id: adminId } = await security.provisioning.provisionUser({
    email: "admin@a.example",
    displayName: "Admin",
    memberships: [{ tenantId: tenantA, role: "admin" }],
  });
  admin = member(tenantA, "admin", adminId);
  collector = member(tenantA, "collector", adminId);
});

afterAll(async () => {
  await database?.drop();
});

describe("API keys", () => {
  it("are shown once, stored only as a hash, and authenticate with their permissions", async () => {
    const { apiKey, secret } = await security.apiKeys.create({
      principal: admin,
      name: "Tally sync",
      permissions: ["invoices:read", "customers:read", "invoices:read"],
      context: { requestId: "req-key" },
    });
    expect(secret).toMatch(new RegExp(`^prk_${tenantA.replaceAll("-", "")}_[A-Za-z0-9_-]{43}$`));
    expect(apiKey).toMatchObject({
      tenantId: tenantA,
      name: "Tally sync",
      permissions: ["customers:read", "invoices:read"],
      createdBy: admin.userId,
      lastUsedAt: null,
      revokedAt: null,
    });
    expect(secret.startsWith(apiKey.prefix.slice(0, 4))).toBe(true);
    const rows = await database.owner.withTables<AuthTables>().selectFrom("api_keys").selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(secret.slice(-43));

    const principal = await security.apiKeys.authenticate(secret);
    expect(principal).toEqual({
      kind: "api-key",
      apiKeyId: apiKey.id,
      tenantId: tenantA,
      permissions: ["customers:read", "invoices:read"],
      isPlatformAdmin: false,
    });
    const [listed] = await security.apiKeys.list({ tenantId: tenantA });
    expect(listed?.lastUsedAt?.toISOString()).toBe(clock().toISOString());
    const { entries } = await security.audit.list({
      tenantId: tenantA,
      filter: { action: "api_key.created" },
    });
    expect(entries[0]).toMatchObject({
      entityId: apiKey.id,
      requestId: "req-key",
      after: { name: "Tally sync" },
    });
    expect(JSON.stringify(entries)).not.toContain(secret.slice(-43));
  });

  it("update last-used at most once a minute", async () => {
    const { apiKey, secret } = await security.apiKeys.create({
      principal: admin,
      name: "Bank feed",
      permissions: ["payments:write"],
    });
    await security.apiKeys.authenticate(secret);
    const first = clock().toISOString();
    clock.advance(30_000);
    await security.apiKeys.authenticate(secret);
    const lastUsed = async () =>
      (await security.apiKeys.list({ tenantId: tenantA })).find((key) => key.id === apiKey.id)?.lastUsedAt;
    expect((await lastUsed())?.toISOString()).toBe(first);
    clock.advance(31_000);
    await security.apiKeys.authenticate(secret);
    expect((await lastUsed())?.toISOString()).toBe(clock().toISOString());
  });

  it("are refused once revoked, and the revocation is audited", async () => {
    const { apiKey, secret } = await security.apiKeys.create({
      principal: admin,
      name: "Old CRM",
      permissions: ["customers:read"],
    });
    const revoked = await security.apiKeys.revoke({ principal: admin, apiKeyId: apiKey.id });
    expect(revoked.revokedAt).not.toBeNull();
    expect((await failureOf(security.apiKeys.authenticate(secret))).code).toBe("UNAUTHENTICATED");
    const { entries } = await security.audit.list({ tenantId: tenantA, filter: { entityId: apiKey.id } });
    expect(entries.map((entry) => entry.action)).toEqual(["api_key.revoked", "api_key.created"]);
    expect(
      (
        await failureOf(
          security.apiKeys.revoke({ principal: admin, apiKeyId: "00000000-0000-4000-8000-000000000000" }),
        )
      ).code,
    ).toBe("NOT_FOUND");
  });

  it("are refused after they expire", async () => {
    const { secret } = await security.apiKeys.create({
      principal: admin,
      name: "Trial",
      permissions: ["invoices:read"],
      expiresAt: new Date(clock().getTime() + 3_600_000),
    });
    await expect(security.apiKeys.authenticate(secret)).resolves.toBeDefined();
    clock.advance(3_600_000);
    expect((await failureOf(security.apiKeys.authenticate(secret))).code).toBe("UNAUTHENTICATED");
  });

  it("cannot carry more than their creator may do, nor manage people or keys", async () => {
    const beyond = await failureOf(
      security.apiKeys.create({ principal: collector, name: "Sneaky", permissions: ["invoices:issue"] }),
    );
    expect(beyond.code).toBe("FORBIDDEN");
    const excluded = await failureOf(
      security.apiKeys.create({
        principal: admin,
        name: "Root",
        permissions: ["users:manage", "api-keys:manage"],
      }),
    );
    expect(excluded.code).toBe("INVALID_INPUT");
    const unknown = await failureOf(
      security.apiKeys.create({ principal: admin, name: "X", permissions: ["everything"] }),
    );
    expect(unknown.issues[0]?.reason).toMatch(/unknown: everything/);
    expect(
      (
        await failureOf(
          security.apiKeys.create({ principal: admin, name: " ", permissions: ["invoices:read"] }),
        )
      ).code,
    ).toBe("INVALID_INPUT");
  });

  it("belong to one tenant: invisible to others, and useless with another tenant's id", async () => {
    const { secret } = await security.apiKeys.create({
      principal: admin,
      name: "Scoped",
      permissions: ["invoices:read"],
    });
    expect(await security.apiKeys.list({ tenantId: tenantB })).toEqual([]);
    const bent = secret.replace(tenantA.replaceAll("-", ""), tenantB.replaceAll("-", ""));
    expect((await failureOf(security.apiKeys.authenticate(bent))).code).toBe("UNAUTHENTICATED");
    expect(
      (
        await failureOf(
          security.apiKeys.authenticate(`${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`),
        )
      ).code,
    ).toBe("UNAUTHENTICATED");
    expect((await failureOf(security.apiKeys.authenticate("not-a-key"))).code).toBe("UNAUTHENTICATED");
  });

  it("cannot have their permissions or hash changed by the application role", async () => {
    await expect(
      withTenant(database.app, tenantA, (trx) =>
        sql`update api_keys set permissions = '{audit:read}'`.execute(trx),
      ),
    ).rejects.toThrow(/permission denied/);
    await expect(
      withTenant(database.app, tenantA, (trx) =>
        sql`update api_keys set secret_hash = ${"0".repeat(64)}`.execute(trx),
      ),
    ).rejects.toThrow(/permission denied/);
    await expect(
      withTenant(database.app, tenantA, (trx) => sql`delete from api_keys`.execute(trx)),
    ).rejects.toThrow(/permission denied/);
  });
});
