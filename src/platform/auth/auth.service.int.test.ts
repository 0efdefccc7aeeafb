import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { AppError, isAppError } from "../../kernel/app-error.ts";
import { withTenant } from "../db/database.ts";
import {
  createMember,
  createTenant,
  TEST_PASSWORD,
  testClock,
  testSecurity,
  type TestClock,
} from "./auth.fixtures.testing.ts";
import type { AuthTables } from "./auth.tables.ts";
import { pruneAuthRecords } from "./auth.maintenance.ts";
import { createPasswordHasher } from "./password.hasher.ts";
import { PERMISSIONS, permissionsOf } from "./permission.matrix.ts";
import type { SecurityServices } from "./security.services.ts";

let database: TestDatabase;
let clock: TestClock;
let security: SecurityServices;
let tenantA: string;
let tenantB: string;
let ownerOfA: string;

async function failureOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (isAppError(error)) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

async function auditActions(tenantId: string): Promise<string[]> {
  const { entries } = await security.audit.list({ tenantId, limit: 500 });
  return entries.map((entry) => entry.action).reverse();
}

beforeAll(async () => {
  database = await createTestDatabase();
  clock = testClock();
  security = testSecurity(database, { clock });
  tenantA = await createTenant(database.owner, "asha-textiles");
  tenantB = await createTenant(database.owner, "bharat-steel");
  ownerOfA = await createMember(security, {
    email: "owner@asha.example",
    memberships: [{ tenantId: tenantA, role: "owner" }],
  });
});

afterAll(async () => {
  await database?.drop();
});

describe("signing in with a password", () => {
  it("returns a short-lived access token and a refresh token bound to the tenant", async () => {
    const result = await security.auth.signIn({
      email: "Owner@Asha.example",
      password: TEST_PASSWORD,
      context: { ip: "203.0.113.7", requestId: "req-login-1" },
    });
    expect(result).toMatchObject({
      tokenType: "Bearer",
      tenantId: tenantA,
      role: "owner",
      user: { id: ownerOfA },
    });
    expect(result.accessTokenExpiresAt.getTime() - clock().getTime()).toBe(900_000);
    expect(result.refreshToken).toMatch(new RegExp(`^prt_${tenantA.replaceAll("-", "")}_`));
    const principal = await security.auth.authenticateAccessToken(result.accessToken);
    expect(principal).toEqual({
      kind: "user",
      userId: ownerOfA,
      sessionId: result.sessionId,
      tenantId: tenantA,
      role: "owner",
      permissions: [...PERMISSIONS],
      isPlatformAdmin: false,
    });
    const { entries } = await security.audit.list({ tenantId: tenantA, filter: { action: "auth.login" } });
    expect(entries[0]).toMatchObject({
      actor: { type: "user", id: ownerOfA },
      entityId: result.sessionId,
      requestId: "req-login-1",
      metadata: { method: "password", ip: "203.0.113.7" },
    });
  });

  it("fails the same way for an unknown email and a wrong password", async () => {
    const wrongPassword = await failureOf(
      security.auth.signIn({ email: "owner@asha.example", password: "not the password" }),
    );
    const unknownEmail = await failureOf(
      security.auth.signIn({ email: "nobody@asha.example", password: TEST_PASSWORD }),
    );
    for (const error of [wrongPassword, unknownEmail]) {
      expect({ code: error.code, message: error.message, details: error.details }).toEqual({
        code: "UNAUTHENTICATED",
        message: "email or password is incorrect",
        details: { reason: "bad-credentials" },
      });
    }
    expect(await auditActions(tenantA)).toContain("auth.login_failed");
  });

  it("backs off after five failures, for known and unknown emails alike, then lets the right password in", async () => {
    await createMember(security, {
      email: "lockout@asha.example",
      memberships: [{ tenantId: tenantA, role: "viewer" }],
    });
    for (const email of ["lockout@asha.example", "ghost@asha.example"]) {
      for (let attempt = 1; attempt <= 5; attempt += 1) {
        expect((await failureOf(security.auth.signIn({ email, password: "guess" }))).code).toBe(
          "UNAUTHENTICATED",
        );
      }
      const locked = await failureOf(security.auth.signIn({ email, password: TEST_PASSWORD }));
      expect(locked.code).toBe("RATE_LIMITED");
      expect(locked.details.retryAfterSeconds).toBe(60);
    }
    clock.advance(61_000);
    const result = await security.auth.signIn({ email: "lockout@asha.example", password: TEST_PASSWORD });
    expect(result.role).toBe("viewer");
    // A success forgets the failures: one more mistake does not lock again.
    await failureOf(security.auth.signIn({ email: "lockout@asha.example", password: "guess" }));
    await expect(
      security.auth.signIn({ email: "lockout@asha.example", password: TEST_PASSWORD }),
    ).resolves.toMatchObject({ role: "viewer" });
  });

  it("doubles the lock for each further failure", async () => {
    const email = "doubling@asha.example";
    for (let attempt = 1; attempt <= 5; attempt += 1)
      await failureOf(security.auth.signIn({ email, password: "x" }));
    clock.advance(61_000);
    await failureOf(security.auth.signIn({ email, password: "x" }));
    expect((await failureOf(security.auth.signIn({ email, password: "x" }))).details.retryAfterSeconds).toBe(
      120,
    );
  });

  it("rehashes a password stored with older parameters", async () => {
    const weak = createPasswordHasher({ memoryCost: 4096, timeCost: 1, parallelism: 1 });
    const userId = await createMember(security, {
      email: "rehash@asha.example",
      memberships: [{ tenantId: tenantA, role: "accountant" }],
    });
    await database.owner
      .updateTable("users")
      .set({ password_hash: await weak.hash(TEST_PASSWORD) })
      .where("id", "=", userId)
      .execute();
    await security.auth.signIn({ email: "rehash@asha.example", password: TEST_PASSWORD });
    const stored = await database.owner
      .selectFrom("users")
      .select("password_hash")
      .where("id", "=", userId)
      .executeTakeFirstOrThrow();
    expect(stored.password_hash).toMatch(/m=8192/);
    await expect(
      security.auth.signIn({ email: "rehash@asha.example", password: TEST_PASSWORD }),
    ).resolves.toBeDefined();
  });

  it("asks an account in several tenants to choose, and refuses a tenant it is not in", async () => {
    const userId = await createMember(security, {
      email: "ca@firm.example",
      memberships: [
        { tenantId: tenantA, role: "accountant" },
        { tenantId: tenantB, role: "auditor" },
      ],
    });
    const choose = await failureOf(
      security.auth.signIn({ email: "ca@firm.example", password: TEST_PASSWORD }),
    );
    expect(choose.code).toBe("INVALID_INPUT");
    expect(choose.details.tenants).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: tenantA }),
        expect.objectContaining({ id: tenantB }),
      ]),
    );
    const inB = await security.auth.signIn({
      email: "ca@firm.example",
      password: TEST_PASSWORD,
      tenantId: tenantB,
    });
    expect(inB).toMatchObject({ tenantId: tenantB, role: "auditor", user: { id: userId } });
    const principal = await security.auth.authenticateAccessToken(inB.accessToken);
    expect(principal.tenantId).toBe(tenantB);
    expect(principal.permissions).toEqual(permissionsOf("auditor"));
    const outsider = await failureOf(
      security.auth.signIn({ email: "owner@asha.example", password: TEST_PASSWORD, tenantId: tenantB }),
    );
    expect(outsider.code).toBe("FORBIDDEN");
  });
});

describe("refresh tokens", () => {
  it("rotate: each use returns a new pair and retires the old token", async () => {
    const first = await security.auth.signIn({ email: "owner@asha.example", password: TEST_PASSWORD });
    clock.advance(60_000);
    const second = await security.auth.refresh({ refreshToken: first.refreshToken });
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.sessionId).toBe(first.sessionId);
    const third = await security.auth.refresh({ refreshToken: second.refreshToken });
    expect(third.sessionId).toBe(first.sessionId);
    const stored = await database.owner
      .withTables<AuthTables>()
      .selectFrom("auth_refresh_tokens")
      .selectAll()
      .execute();
    expect(JSON.stringify(stored)).not.toContain(first.refreshToken.slice(-43));
  });

  it("end the whole session when a retired token is used again", async () => {
    const first = await security.auth.signIn({ email: "owner@asha.example", password: TEST_PASSWORD });
    const second = await security.auth.refresh({ refreshToken: first.refreshToken });
    const reuse = await failureOf(security.auth.refresh({ refreshToken: first.refreshToken }));
    expect(reuse.details.reason).toBe("reused");
    // The legitimate holder's newer token is gone too, and so is its access token.
    expect(
      (await failureOf(security.auth.refresh({ refreshToken: second.refreshToken }))).details.reason,
    ).toBe("session-ended");
    expect((await failureOf(security.auth.authenticateAccessToken(second.accessToken))).details.reason).toBe(
      "session-ended",
    );
    const { entries } = await security.audit.list({
      tenantId: tenantA,
      filter: { entityId: first.sessionId },
    });
    expect(
      entries.map((entry) => [entry.action, (entry.metadata as { reason?: string } | null)?.reason]),
    ).toEqual([
      ["auth.session_revoked", "refresh-token-reuse"],
      ["auth.login", undefined],
    ]);
  });

  it("expire, and cannot be bent to another tenant", async () => {
    const result = await security.auth.signIn({ email: "owner@asha.example", password: TEST_PASSWORD });
    const otherTenant = result.refreshToken.replace(tenantA.replaceAll("-", ""), tenantB.replaceAll("-", ""));
    expect((await failureOf(security.auth.refresh({ refreshToken: otherTenant }))).details.reason).toBe(
      "invalid",
    );
    expect((await failureOf(security.auth.refresh({ refreshToken: "prt_garbage" }))).details.reason).toBe(
      "invalid",
    );
    clock.advance(31 * 86_400_000);
    expect(
      (await failureOf(security.auth.refresh({ refreshToken: result.refreshToken }))).details.reason,
    ).toBe("expired");
  });

  it("stop at sign-out, together with the session's access tokens", async () => {
    const result = await security.auth.signIn({ email: "owner@asha.example", password: TEST_PASSWORD });
    await security.auth.signOut({ refreshToken: result.refreshToken, context: { requestId: "req-out" } });
    await security.auth.signOut({ refreshToken: result.refreshToken });
    expect(
      (await failureOf(security.auth.refresh({ refreshToken: result.refreshToken }))).details.reason,
    ).toBe("session-ended");
    expect((await failureOf(security.auth.authenticateAccessToken(result.accessToken))).code).toBe(
      "UNAUTHENTICATED",
    );
    const { entries } = await security.audit.list({ tenantId: tenantA, filter: { action: "auth.logout" } });
    expect(entries[0]).toMatchObject({ entityId: result.sessionId, requestId: "req-out" });
  });
});

describe("access tokens against the live session", () => {
  it("carry the current role, and stop when the membership ends", async () => {
    const userId = await createMember(security, {
      email: "collector@asha.example",
      memberships: [{ tenantId: tenantA, role: "collector" }],
    });
    const result = await security.auth.signIn({ email: "collector@asha.example", password: TEST_PASSWORD });
    expect((await security.auth.authenticateAccessToken(result.accessToken)).role).toBe("collector");
    await database.owner
      .updateTable("memberships")
      .set({ role: "viewer" })
      .where("user_id", "=", userId)
      .execute();
    const demoted = await security.auth.authenticateAccessToken(result.accessToken);
    expect(demoted.role).toBe("viewer");
    expect(demoted.permissions).toEqual(permissionsOf("viewer"));
    await database.owner.deleteFrom("memberships").where("user_id", "=", userId).execute();
    expect((await failureOf(security.auth.authenticateAccessToken(result.accessToken))).code).toBe(
      "UNAUTHENTICATED",
    );
    expect(
      (await failureOf(security.auth.refresh({ refreshToken: result.refreshToken }))).details.reason,
    ).toBe("session-ended");
  });

  it("bind the principal to the token's tenant: a session of one tenant is unknown in another", async () => {
    const result = await security.auth.signIn({ email: "owner@asha.example", password: TEST_PASSWORD });
    expect((await security.auth.authenticateAccessToken(result.accessToken)).tenantId).toBe(tenantA);
    // Even a correctly signed token naming another tenant finds no session there.
    const crossed = await security.tokens.issue({
      userId: ownerOfA,
      tenantId: tenantB,
      sessionId: result.sessionId,
      role: "owner",
      isPlatformAdmin: false,
    });
    expect((await failureOf(security.auth.authenticateAccessToken(crossed.token))).details.reason).toBe(
      "session-ended",
    );
    const unknownSession = await security.tokens.issue({
      userId: ownerOfA,
      tenantId: tenantA,
      sessionId: randomUUID(),
      role: "owner",
      isPlatformAdmin: true,
    });
    expect((await failureOf(security.auth.authenticateAccessToken(unknownSession.token))).code).toBe(
      "UNAUTHENTICATED",
    );
  });

  it("end after revocation of all of a user's sessions", async () => {
    const one = await security.auth.signIn({ email: "owner@asha.example", password: TEST_PASSWORD });
    const two = await security.auth.signIn({ email: "owner@asha.example", password: TEST_PASSWORD });
    const ended = await security.auth.revokeUserSessions({
      tenantId: tenantA,
      userId: ownerOfA,
      reason: "suspected-compromise",
      actor: { type: "user", id: ownerOfA },
    });
    expect(ended).toBeGreaterThanOrEqual(2);
    for (const result of [one, two]) {
      expect((await failureOf(security.auth.authenticateAccessToken(result.accessToken))).code).toBe(
        "UNAUTHENTICATED",
      );
    }
  });
});

describe("changing a password", () => {
  it("needs the current password, keeps this session and ends the others in every tenant", async () => {
    await createMember(security, {
      email: "changer@firm.example",
      memberships: [
        { tenantId: tenantA, role: "admin" },
        { tenantId: tenantB, role: "viewer" },
      ],
    });
    const here = await security.auth.signIn({
      email: "changer@firm.example",
      password: TEST_PASSWORD,
      tenantId: tenantA,
    });
    const elsewhere = await security.auth.signIn({
      email: "changer@firm.example",
      password: TEST_PASSWORD,
      tenantId: tenantB,
    });
    const principal = await security.auth.authenticateAccessToken(here.accessToken);
    const wrong = await failureOf(
      security.auth.changePassword({
        principal,
        currentPassword: "nope",
        newPassword: "a brand new passphrase",
      }),
    );
    expect(wrong.code).toBe("UNAUTHENTICATED");
    const weak = await failureOf(
      security.auth.changePassword({ principal, currentPassword: TEST_PASSWORD, newPassword: "short" }),
    );
    expect(weak.code).toBe("INVALID_INPUT");
    await security.auth.changePassword({
      principal,
      currentPassword: TEST_PASSWORD,
      newPassword: "a brand new passphrase",
    });
    await expect(security.auth.authenticateAccessToken(here.accessToken)).resolves.toMatchObject({
      role: "admin",
    });
    expect((await failureOf(security.auth.authenticateAccessToken(elsewhere.accessToken))).code).toBe(
      "UNAUTHENTICATED",
    );
    await expect(
      security.auth.signIn({
        email: "changer@firm.example",
        password: "a brand new passphrase",
        tenantId: tenantA,
      }),
    ).resolves.toBeDefined();
    expect(await auditActions(tenantA)).toContain("auth.password_changed");
  });
});

describe("provisioning accounts", () => {
  it("refuses a second account for one email (in any case), also when two race", async () => {
    const input = {
      email: "Twin@Asha.example",
      displayName: "Twin",
      memberships: [{ tenantId: tenantA, role: "viewer" as const }],
    };
    const results = await Promise.allSettled([
      security.provisioning.provisionUser(input),
      security.provisioning.provisionUser({ ...input, email: "twin@asha.example" }),
    ]);
    expect(results.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((outcome) => outcome.status === "rejected");
    expect(isAppError(refused?.reason) && refused.reason.code).toBe("CONFLICT");
    const { entries } = await security.audit.list({
      tenantId: tenantA,
      filter: { action: "user.provisioned" },
    });
    expect(
      entries.filter(
        (entry) => (entry.after as { email?: string }).email?.toLowerCase() === "twin@asha.example",
      ),
    ).toHaveLength(1);
  });

  it("checks the email, the name and the password policy", async () => {
    const base = { email: "new@asha.example", displayName: "New", password: TEST_PASSWORD };
    expect(
      (await failureOf(security.provisioning.provisionUser({ ...base, email: "not-an-email" }))).code,
    ).toBe("INVALID_INPUT");
    expect((await failureOf(security.provisioning.provisionUser({ ...base, displayName: " " }))).code).toBe(
      "INVALID_INPUT",
    );
    expect((await failureOf(security.provisioning.provisionUser({ ...base, password: "short" }))).code).toBe(
      "INVALID_INPUT",
    );
  });
});

describe("the application role and accounts", () => {
  it("may change a member's password hash but not make anyone platform administrator, nor delete accounts", async () => {
    await expect(
      withTenant(database.app, tenantA, (trx) =>
        sql`update users set password_hash = password_hash`.execute(trx),
      ),
    ).resolves.toBeDefined();
    await expect(
      withTenant(database.app, tenantA, (trx) => sql`update users set is_platform_admin = true`.execute(trx)),
    ).rejects.toThrow(/permission denied/);
    await expect(
      withTenant(database.app, tenantA, (trx) => sql`update users set email = 'x@y.example'`.execute(trx)),
    ).rejects.toThrow(/permission denied/);
    await expect(
      withTenant(database.app, tenantA, (trx) => sql`delete from users`.execute(trx)),
    ).rejects.toThrow(/permission denied/);
  });
});

describe("pruning", () => {
  it("removes ended sessions and their tokens after the retention period, and stale failure counters", async () => {
    const result = await security.auth.signIn({ email: "owner@asha.example", password: TEST_PASSWORD });
    await security.auth.signOut({ refreshToken: result.refreshToken });
    await failureOf(security.auth.signIn({ email: "prune@asha.example", password: "x" }));
    const sessionRow = () =>
      database.owner
        .withTables<AuthTables>()
        .selectFrom("auth_sessions")
        .select("id")
        .where("id", "=", result.sessionId)
        .execute();
    await pruneAuthRecords(database.owner, { now: clock() });
    expect(await sessionRow()).toHaveLength(1);
    clock.advance(31 * 86_400_000);
    const later = await pruneAuthRecords(database.owner, { now: clock() });
    expect(later.sessions).toBeGreaterThanOrEqual(1);
    expect(later.refreshTokens).toBeGreaterThanOrEqual(1);
    expect(later.loginFailures).toBeGreaterThanOrEqual(1);
    const remaining = await sessionRow();
    expect(remaining).toEqual([]);
  });
});

describe("the audit chain after all of this", () => {
  it("still verifies for both tenants", async () => {
    expect(await security.audit.verifyAuditChain({ tenantId: tenantA })).toMatchObject({ ok: true });
    expect(await security.audit.verifyAuditChain({ tenantId: tenantB })).toMatchObject({ ok: true });
  });
});
