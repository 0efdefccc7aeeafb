import { randomUUID } from "node:crypto";
import { sql, type Kysely } from "kysely";
import { AppError } from "../../kernel/app-error.ts";
import type { AuditActor, AuditLog } from "../audit/audit.log.ts";
import { withTenant } from "../db/database.ts";
import type { DB, TenantRole } from "../db/schema.ts";
import type { AuthTables } from "./auth.tables.ts";
import type { LoginThrottle } from "./login.throttle.ts";
import { newOpaqueToken, parseOpaqueToken, sha256Hex } from "./opaque.token.ts";
import { assertPasswordPolicy, type PasswordHasher } from "./password.hasher.ts";
import { isRole, permissionsOf } from "./permission.matrix.ts";
import type { Principal, RequestContext } from "./principal.ts";
import type { AccessTokenService } from "./token.service.ts";

export interface SignInResult {
  tokenType: "Bearer";
  accessToken: string;
  accessTokenExpiresAt: Date;
  /** Opaque, single use: present it once to get the next pair. */
  refreshToken: string;
  refreshTokenExpiresAt: Date;
  sessionId: string;
  tenantId: string;
  role: TenantRole;
  user: { id: string; email: string; displayName: string; isPlatformAdmin: boolean };
}

export interface AuthService {
  /** Email and password. Fails the same way for an unknown email and a wrong password. */
  signIn(input: {
    email: string;
    password: string;
    tenantId?: string;
    context?: RequestContext;
  }): Promise<SignInResult>;
  /** For an identity provider that has verified the email (OpenID Connect). The account must exist. */
  signInWithVerifiedEmail(input: {
    email: string;
    method: "oidc";
    tenantId?: string;
    context?: RequestContext;
  }): Promise<SignInResult>;
  /** Retires the refresh token and returns a new pair; a retired token presented again ends the session. */
  refresh(input: { refreshToken: string; context?: RequestContext }): Promise<SignInResult>;
  /** Ends the session of the refresh token. Unknown or already ended: nothing happens. */
  signOut(input: { refreshToken: string; context?: RequestContext }): Promise<void>;
  revokeSession(input: {
    tenantId: string;
    sessionId: string;
    reason: string;
    actor?: AuditActor;
    context?: RequestContext;
  }): Promise<boolean>;
  /** Ends every session of a user in the tenant (removal from the tenant, suspected compromise). */
  revokeUserSessions(input: {
    tenantId: string;
    userId: string;
    reason: string;
    actor?: AuditActor;
    context?: RequestContext;
  }): Promise<number>;
  /** Checks the current password, stores the new one and ends the user's other sessions in every tenant. */
  changePassword(input: {
    principal: Principal;
    currentPassword: string;
    newPassword: string;
    context?: RequestContext;
  }): Promise<void>;
  /** Verifies an access token and that its session is live; the role is the membership's current one. */
  authenticateAccessToken(token: string): Promise<Principal>;
}

export interface AuthServiceConfig {
  refreshTokenTtlSeconds: number;
  /** A session ends this long after sign-in, however often it is refreshed. Default 90 days. */
  sessionMaxAgeSeconds?: number;
}

interface LoginRow {
  user_id: string;
  email: string;
  display_name: string;
  password_hash: string | null;
  is_platform_admin: boolean;
  tenant_id: string | null;
  tenant_name: string | null;
  tenant_slug: string | null;
  role: string | null;
}

type AuthDb = Kysely<DB & AuthTables>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function unauthenticated(reason: string, message: string): AppError {
  return new AppError({ code: "UNAUTHENTICATED", message, details: { reason } });
}

const badCredentials = () => unauthenticated("bad-credentials", "email or password is incorrect");

function contextMetadata(context: RequestContext | undefined): Record<string, unknown> {
  return { ip: context?.ip ?? null, userAgent: context?.userAgent ?? null };
}

export function createAuthService(deps: {
  db: Kysely<DB>;
  clock?: () => Date;
  config: AuthServiceConfig;
  hasher: PasswordHasher;
  tokens: AccessTokenService;
  audit: AuditLog;
  throttle: LoginThrottle;
}): AuthService {
  const clock = deps.clock ?? (() => new Date());
  const sessionMaxAgeMs = (deps.config.sessionMaxAgeSeconds ?? 90 * 86_400) * 1000;
  const refreshTtlMs = deps.config.refreshTokenTtlSeconds * 1000;
  const inTenant = <T>(tenantId: string, work: (trx: AuthDb) => Promise<T>) =>
    withTenant(deps.db, tenantId, (trx) => work(trx.withTables<AuthTables>()));

  async function lookup(email: string): Promise<LoginRow[]> {
    const result = await sql<LoginRow>`select * from auth_login_lookup(${email.trim()})`.execute(deps.db);
    return result.rows;
  }

  function chooseMembership(
    rows: LoginRow[],
    tenantId: string | undefined,
  ): { tenantId: string; role: TenantRole } {
    const memberships = rows.flatMap((row) =>
      row.tenant_id && row.role && isRole(row.role)
        ? [{ tenantId: row.tenant_id, role: row.role, name: row.tenant_name, slug: row.tenant_slug }]
        : [],
    );
    if (tenantId !== undefined) {
      const chosen = memberships.find((membership) => membership.tenantId === tenantId);
      if (!chosen)
        throw new AppError({ code: "FORBIDDEN", message: "the account is not a member of this tenant" });
      return chosen;
    }
    const [only, ...others] = memberships;
    if (!only)
      throw new AppError({ code: "FORBIDDEN", message: "the account is not a member of any tenant" });
    if (others.length > 0) {
      throw new AppError({
        code: "INVALID_INPUT",
        message: "the account belongs to several tenants: choose one",
        issues: [{ field: "tenantId", reason: "is required for an account in several tenants" }],
        details: { tenants: memberships.map(({ tenantId: id, name, slug }) => ({ id, name, slug })) },
      });
    }
    return only;
  }

  async function issueRefreshToken(
    trx: AuthDb,
    input: { tenantId: string; sessionId: string; sessionExpiresAt: Date; now: Date },
  ): Promise<{ id: string; value: string; expiresAt: Date }> {
    const token = newOpaqueToken("prt", input.tenantId);
    const id = randomUUID();
    const expiresAt = new Date(
      Math.min(input.now.getTime() + refreshTtlMs, input.sessionExpiresAt.getTime()),
    );
    await trx
      .insertInto("auth_refresh_tokens")
      .values({
        id,
        tenant_id: input.tenantId,
        session_id: input.sessionId,
        token_hash: sha256Hex(token.value),
        issued_at: input.now,
        expires_at: expiresAt,
      })
      .execute();
    return { id, value: token.value, expiresAt };
  }

  async function result(input: {
    user: SignInResult["user"];
    tenantId: string;
    role: TenantRole;
    sessionId: string;
    refresh: { value: string; expiresAt: Date };
  }): Promise<SignInResult> {
    const access = await deps.tokens.issue({
      userId: input.user.id,
      tenantId: input.tenantId,
      sessionId: input.sessionId,
      role: input.role,
      isPlatformAdmin: input.user.isPlatformAdmin,
    });
    return {
      tokenType: "Bearer",
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken: input.refresh.value,
      refreshTokenExpiresAt: input.refresh.expiresAt,
      sessionId: input.sessionId,
      tenantId: input.tenantId,
      role: input.role,
      user: input.user,
    };
  }

  /** Opens the session, its first refresh token and the audit entry in one tenant transaction. */
  async function openSession(input: {
    account: LoginRow;
    tenantId: string;
    role: TenantRole;
    method: "password" | "oidc";
    context: RequestContext | undefined;
    rehash?: { from: string; to: string };
  }): Promise<SignInResult> {
    const now = clock();
    const sessionId = randomUUID();
    const sessionExpiresAt = new Date(now.getTime() + sessionMaxAgeMs);
    const refresh = await inTenant(input.tenantId, async (trx) => {
      if (input.rehash) {
        await trx
          .updateTable("users")
          .set({ password_hash: input.rehash.to })
          .where("id", "=", input.account.user_id)
          .where("password_hash", "=", input.rehash.from)
          .execute();
      }
      await trx
        .insertInto("auth_sessions")
        .values({
          id: sessionId,
          tenant_id: input.tenantId,
          user_id: input.account.user_id,
          method: input.method,
          created_at: now,
          expires_at: sessionExpiresAt,
          ip: input.context?.ip ?? null,
          user_agent: input.context?.userAgent?.slice(0, 500) ?? null,
        })
        .execute();
      const issued = await issueRefreshToken(trx, {
        tenantId: input.tenantId,
        sessionId,
        sessionExpiresAt,
        now,
      });
      await deps.audit.append(trx, {
        tenantId: input.tenantId,
        actor: { type: "user", id: input.account.user_id },
        action: "auth.login",
        entity: { type: "session", id: sessionId },
        metadata: {
          method: input.method,
          passwordRehashed: Boolean(input.rehash),
          ...contextMetadata(input.context),
        },
        ...(input.context?.requestId ? { requestId: input.context.requestId } : {}),
      });
      return issued;
    });
    return result({
      user: {
        id: input.account.user_id,
        email: input.account.email,
        displayName: input.account.display_name,
        isPlatformAdmin: input.account.is_platform_admin,
      },
      tenantId: input.tenantId,
      role: input.role,
      sessionId,
      refresh,
    });
  }

  async function auditFailedSignIn(rows: LoginRow[], context: RequestContext | undefined): Promise<void> {
    const account = rows[0];
    if (!account) return;
    const tenants = new Set(rows.flatMap((row) => (row.tenant_id ? [row.tenant_id] : [])));
    for (const tenantId of tenants) {
      await deps.audit.record({
        tenantId,
        actor: { type: "user", id: account.user_id },
        action: "auth.login_failed",
        entity: { type: "user", id: account.user_id },
        metadata: { reason: "bad-credentials", ...contextMetadata(context) },
        ...(context?.requestId ? { requestId: context.requestId } : {}),
      });
    }
  }

  async function endSession(
    trx: AuthDb,
    input: {
      tenantId: string;
      sessionId: string;
      reason: string;
      actor: AuditActor;
      context?: RequestContext;
    },
  ): Promise<boolean> {
    const ended = await trx
      .updateTable("auth_sessions")
      .set({ revoked_at: clock(), revoked_reason: input.reason })
      .where("id", "=", input.sessionId)
      .where("revoked_at", "is", null)
      .returning("user_id")
      .executeTakeFirst();
    if (!ended) return false;
    await deps.audit.append(trx, {
      tenantId: input.tenantId,
      actor: input.actor,
      action: input.reason === "sign-out" ? "auth.logout" : "auth.session_revoked",
      entity: { type: "session", id: input.sessionId },
      metadata: { reason: input.reason, userId: ended.user_id, ...contextMetadata(input.context) },
      ...(input.context?.requestId ? { requestId: input.context.requestId } : {}),
    });
    return true;
  }

  return {
    async signIn({ email, password, tenantId, context }) {
      const subject = deps.throttle.subjectOf(email);
      const lockedFor = await deps.throttle.lockedFor(subject);
      if (lockedFor > 0) {
        throw new AppError({
          code: "RATE_LIMITED",
          message: "too many failed sign-in attempts; try again later",
          details: { retryAfterSeconds: lockedFor },
        });
      }
      const rows = email.trim() === "" ? [] : await lookup(email);
      const account = rows[0];
      const verification = account?.password_hash
        ? await deps.hasher.verify(account.password_hash, password)
        : await deps.hasher.verifyNothing(password).then(() => ({ valid: false, needsRehash: false }));
      if (!account?.password_hash || !verification.valid) {
        await deps.throttle.recordFailure(subject);
        await auditFailedSignIn(rows, context);
        throw badCredentials();
      }
      await deps.throttle.reset(subject);
      const membership = chooseMembership(rows, tenantId);
      const rehash = verification.needsRehash
        ? { from: account.password_hash, to: await deps.hasher.hash(password) }
        : undefined;
      return openSession({
        account,
        tenantId: membership.tenantId,
        role: membership.role,
        method: "password",
        context,
        ...(rehash ? { rehash } : {}),
      });
    },

    async signInWithVerifiedEmail({ email, method, tenantId, context }) {
      const rows = await lookup(email);
      const account = rows[0];
      if (!account) throw unauthenticated("no-account", "there is no Prapti account for this email");
      const membership = chooseMembership(rows, tenantId);
      return openSession({ account, tenantId: membership.tenantId, role: membership.role, method, context });
    },

    async refresh({ refreshToken, context }) {
      const parsed = parseOpaqueToken(refreshToken, "prt");
      if (!parsed) throw unauthenticated("invalid", "refresh token is invalid");
      const tokenHash = sha256Hex(parsed.value);
      const now = clock();
      const outcome = await inTenant(parsed.tenantId, async (trx) => {
        const row = await trx
          .selectFrom("auth_refresh_tokens as t")
          .innerJoin("auth_sessions as s", "s.id", "t.session_id")
          .select([
            "t.id as token_id",
            "t.used_at",
            "t.expires_at as token_expires_at",
            "s.id as session_id",
            "s.user_id",
            "s.revoked_at",
            "s.expires_at as session_expires_at",
          ])
          .where("t.token_hash", "=", tokenHash)
          .forUpdate()
          .executeTakeFirst();
        if (!row) return { kind: "invalid" } as const;
        if (row.revoked_at) return { kind: "ended" } as const;
        if (row.used_at) {
          // A retired token came back: whoever holds the family now may be an attacker. End it for both.
          await endSession(trx, {
            tenantId: parsed.tenantId,
            sessionId: row.session_id,
            reason: "refresh-token-reuse",
            actor: { type: "system" },
            ...(context ? { context } : {}),
          });
          return { kind: "reused" } as const;
        }
        if (row.token_expires_at <= now || row.session_expires_at <= now) return { kind: "expired" } as const;
        const member = await trx
          .selectFrom("memberships as m")
          .innerJoin("users as u", "u.id", "m.user_id")
          .select(["m.role", "u.email", "u.display_name", "u.is_platform_admin"])
          .where("m.user_id", "=", row.user_id)
          .where("m.tenant_id", "=", parsed.tenantId)
          .executeTakeFirst();
        if (!member) {
          await endSession(trx, {
            tenantId: parsed.tenantId,
            sessionId: row.session_id,
            reason: "membership-ended",
            actor: { type: "system" },
          });
          return { kind: "ended" } as const;
        }
        const next = await issueRefreshToken(trx, {
          tenantId: parsed.tenantId,
          sessionId: row.session_id,
          sessionExpiresAt: row.session_expires_at,
          now,
        });
        await trx
          .updateTable("auth_refresh_tokens")
          .set({ used_at: now, replaced_by: next.id })
          .where("id", "=", row.token_id)
          .execute();
        return { kind: "rotated", row, member, next } as const;
      });
      switch (outcome.kind) {
        case "invalid":
          throw unauthenticated("invalid", "refresh token is invalid");
        case "ended":
          throw unauthenticated("session-ended", "the session has ended; sign in again");
        case "reused":
          throw unauthenticated("reused", "refresh token was already used; the session has been ended");
        case "expired":
          throw unauthenticated("expired", "refresh token has expired; sign in again");
        case "rotated":
          return result({
            user: {
              id: outcome.row.user_id,
              email: outcome.member.email,
              displayName: outcome.member.display_name,
              isPlatformAdmin: outcome.member.is_platform_admin,
            },
            tenantId: parsed.tenantId,
            role: outcome.member.role,
            sessionId: outcome.row.session_id,
            refresh: outcome.next,
          });
      }
    },

    async signOut({ refreshToken, context }) {
      const parsed = parseOpaqueToken(refreshToken, "prt");
      if (!parsed) return;
      await inTenant(parsed.tenantId, async (trx) => {
        const row = await trx
          .selectFrom("auth_refresh_tokens as t")
          .innerJoin("auth_sessions as s", "s.id", "t.session_id")
          .select(["s.id", "s.user_id"])
          .where("t.token_hash", "=", sha256Hex(parsed.value))
          .executeTakeFirst();
        if (!row) return;
        await endSession(trx, {
          tenantId: parsed.tenantId,
          sessionId: row.id,
          reason: "sign-out",
          actor: { type: "user", id: row.user_id },
          ...(context ? { context } : {}),
        });
      });
    },

    async revokeSession({ tenantId, sessionId, reason, actor, context }) {
      return inTenant(tenantId, (trx) =>
        endSession(trx, {
          tenantId,
          sessionId,
          reason,
          actor: actor ?? { type: "system" },
          ...(context ? { context } : {}),
        }),
      );
    },

    async revokeUserSessions({ tenantId, userId, reason, actor, context }) {
      return inTenant(tenantId, async (trx) => {
        const sessions = await trx
          .selectFrom("auth_sessions")
          .select("id")
          .where("user_id", "=", userId)
          .where("revoked_at", "is", null)
          .execute();
        let ended = 0;
        for (const session of sessions) {
          const done = await endSession(trx, {
            tenantId,
            sessionId: session.id,
            reason,
            actor: actor ?? { type: "system" },
            ...(context ? { context } : {}),
          });
          if (done) ended += 1;
        }
        return ended;
      });
    },

    async changePassword({ principal, currentPassword, newPassword, context }) {
      if (principal.kind !== "user" || !principal.userId) {
        throw new AppError({ code: "FORBIDDEN", message: "only a signed-in person can change a password" });
      }
      const userId = principal.userId;
      assertPasswordPolicy(newPassword, "newPassword");
      const user = await inTenant(principal.tenantId, (trx) =>
        trx
          .selectFrom("users")
          .select(["email", "password_hash"])
          .where("id", "=", userId)
          .executeTakeFirst(),
      );
      const verification = user?.password_hash
        ? await deps.hasher.verify(user.password_hash, currentPassword)
        : { valid: false, needsRehash: false };
      if (!user?.password_hash || !verification.valid) {
        throw unauthenticated("bad-credentials", "the current password is incorrect");
      }
      const newHash = await deps.hasher.hash(newPassword);
      const tenants = new Set(
        (await lookup(user.email)).flatMap((row) => (row.tenant_id ? [row.tenant_id] : [])),
      );
      await inTenant(principal.tenantId, async (trx) => {
        await trx.updateTable("users").set({ password_hash: newHash }).where("id", "=", userId).execute();
        await deps.audit.append(trx, {
          tenantId: principal.tenantId,
          actor: { type: "user", id: userId },
          action: "auth.password_changed",
          entity: { type: "user", id: userId },
          metadata: contextMetadata(context),
          ...(context?.requestId ? { requestId: context.requestId } : {}),
        });
      });
      for (const tenantId of tenants) {
        await inTenant(tenantId, async (trx) => {
          const sessions = await trx
            .selectFrom("auth_sessions")
            .select("id")
            .where("user_id", "=", userId)
            .where("revoked_at", "is", null)
            .where("id", "!=", principal.sessionId ?? "00000000-0000-0000-0000-000000000000")
            .execute();
          for (const session of sessions) {
            await endSession(trx, {
              tenantId,
              sessionId: session.id,
              reason: "password-changed",
              actor: { type: "user", id: userId },
              ...(context ? { context } : {}),
            });
          }
        });
      }
    },

    async authenticateAccessToken(token) {
      const claims = await deps.tokens.verify(token);
      if (![claims.tenantId, claims.sessionId, claims.userId].every((id) => UUID.test(id))) {
        throw unauthenticated("invalid", "access token is invalid");
      }
      const live = (
        await sql<{
          revoked_at: Date | null;
          expires_at: Date;
          role: TenantRole;
          is_platform_admin: boolean;
        }>`select * from auth_live_session(${claims.tenantId}::uuid, ${claims.sessionId}::uuid, ${claims.userId}::uuid)`.execute(
          deps.db,
        )
      ).rows[0];
      if (!live || live.revoked_at !== null || live.expires_at <= clock()) {
        throw unauthenticated("session-ended", "the session has ended; sign in again");
      }
      return {
        kind: "user",
        userId: claims.userId,
        sessionId: claims.sessionId,
        tenantId: claims.tenantId,
        role: live.role,
        permissions: permissionsOf(live.role),
        isPlatformAdmin: live.is_platform_admin,
      };
    },
  };
}
