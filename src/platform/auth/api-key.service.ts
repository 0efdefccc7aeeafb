import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { AppError } from "../../kernel/app-error.ts";
import type { AuditLog } from "../audit/audit.log.ts";
import { withTenant } from "../db/database.ts";
import type { DB } from "../db/schema.ts";
import type { AuthTables } from "./auth.tables.ts";
import { newOpaqueToken, parseOpaqueToken, sha256Hex } from "./opaque.token.ts";
import {
  API_KEY_EXCLUDED_PERMISSIONS,
  isPermission,
  PERMISSIONS,
  type Permission,
} from "./permission.matrix.ts";
import { auditActorOf, type Principal, type RequestContext } from "./principal.ts";

/** An API key as listed: never its secret. */
export interface ApiKeySummary {
  id: string;
  tenantId: string;
  name: string;
  /** The start of the key, enough to tell keys apart (`prk_1a2b3c4d…`). */
  prefix: string;
  permissions: Permission[];
  createdBy: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface ApiKeyService {
  /** Creates a key; `secret` is the whole key, returned this once and stored only as a hash. */
  create(input: {
    principal: Principal;
    name: string;
    permissions: string[];
    expiresAt?: Date;
    context?: RequestContext;
  }): Promise<{ apiKey: ApiKeySummary; secret: string }>;
  list(input: { tenantId: string }): Promise<ApiKeySummary[]>;
  revoke(input: { principal: Principal; apiKeyId: string; context?: RequestContext }): Promise<ApiKeySummary>;
  /** The principal of a presented key; UNAUTHENTICATED if unknown, revoked or expired. */
  authenticate(key: string): Promise<Principal>;
}

type AuthDb = Kysely<DB & AuthTables>;

/** `last_used_at` is written at most this often per key, so busy integrations do not write on every call. */
const LAST_USED_RESOLUTION_MS = 60_000;

const rejected = () =>
  new AppError({
    code: "UNAUTHENTICATED",
    message: "API key is invalid, revoked or expired",
    details: { reason: "invalid" },
  });

function toSummary(row: {
  id: string;
  tenant_id: string;
  name: string;
  prefix: string;
  permissions: string[];
  created_by: string | null;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
}): ApiKeySummary {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    prefix: row.prefix,
    permissions: row.permissions.filter(isPermission),
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

export function createApiKeyService(deps: {
  db: Kysely<DB>;
  clock?: () => Date;
  audit: AuditLog;
}): ApiKeyService {
  const clock = deps.clock ?? (() => new Date());
  const inTenant = <T>(tenantId: string, work: (trx: AuthDb) => Promise<T>) =>
    withTenant(deps.db, tenantId, (trx) => work(trx.withTables<AuthTables>()));

  return {
    async create({ principal, name, permissions, expiresAt, context }) {
      const issues = [];
      const trimmed = name.trim();
      if (trimmed.length < 1 || trimmed.length > 100)
        issues.push({ field: "name", reason: "must be 1-100 characters" });
      const unknown = permissions.filter((permission) => !isPermission(permission));
      if (unknown.length > 0) issues.push({ field: "permissions", reason: `unknown: ${unknown.join(", ")}` });
      const wanted = [...new Set(permissions.filter(isPermission))];
      if (wanted.length === 0 && unknown.length === 0) {
        issues.push({ field: "permissions", reason: "must name at least one permission" });
      }
      const excluded = wanted.filter((permission) => API_KEY_EXCLUDED_PERMISSIONS.includes(permission));
      if (excluded.length > 0) {
        issues.push({ field: "permissions", reason: `not available to API keys: ${excluded.join(", ")}` });
      }
      if (expiresAt && expiresAt <= clock())
        issues.push({ field: "expiresAt", reason: "must be in the future" });
      if (issues.length > 0) throw AppError.invalidInput(issues);
      const beyond = wanted.filter((permission) => !principal.permissions.includes(permission));
      if (beyond.length > 0) {
        throw new AppError({
          code: "FORBIDDEN",
          message: `an API key cannot carry permissions its creator lacks: ${beyond.join(", ")}`,
          details: { permissions: beyond },
        });
      }
      const ordered = PERMISSIONS.filter((permission) => wanted.includes(permission));
      const token = newOpaqueToken("prk", principal.tenantId);
      const row = await inTenant(principal.tenantId, async (trx) => {
        const inserted = await trx
          .insertInto("api_keys")
          .values({
            id: randomUUID(),
            tenant_id: principal.tenantId,
            name: trimmed,
            prefix: `prk_${token.secret.slice(0, 8)}`,
            secret_hash: sha256Hex(token.value),
            permissions: ordered,
            created_by: principal.userId ?? null,
            created_at: clock(),
            expires_at: expiresAt ?? null,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await deps.audit.append(trx, {
          tenantId: principal.tenantId,
          actor: auditActorOf(principal),
          action: "api_key.created",
          entity: { type: "api_key", id: inserted.id },
          after: {
            name: inserted.name,
            prefix: inserted.prefix,
            permissions: ordered,
            expiresAt: inserted.expires_at,
          },
          ...(context?.requestId ? { requestId: context.requestId } : {}),
        });
        return inserted;
      });
      return { apiKey: toSummary(row), secret: token.value };
    },

    async list({ tenantId }) {
      const rows = await inTenant(tenantId, (trx) =>
        trx
          .selectFrom("api_keys")
          .selectAll()
          .where("tenant_id", "=", tenantId)
          .orderBy("created_at")
          .execute(),
      );
      return rows.map(toSummary);
    },

    async revoke({ principal, apiKeyId, context }) {
      const row = await inTenant(principal.tenantId, async (trx) => {
        const current = await trx
          .selectFrom("api_keys")
          .selectAll()
          .where("id", "=", apiKeyId)
          .forUpdate()
          .executeTakeFirst();
        if (!current) throw AppError.notFound("API key", apiKeyId);
        if (current.revoked_at) return current;
        const revoked = await trx
          .updateTable("api_keys")
          .set({ revoked_at: clock() })
          .where("id", "=", apiKeyId)
          .returningAll()
          .executeTakeFirstOrThrow();
        await deps.audit.append(trx, {
          tenantId: principal.tenantId,
          actor: auditActorOf(principal),
          action: "api_key.revoked",
          entity: { type: "api_key", id: apiKeyId },
          before: { revokedAt: null },
          after: { revokedAt: revoked.revoked_at },
          ...(context?.requestId ? { requestId: context.requestId } : {}),
        });
        return revoked;
      });
      return toSummary(row);
    },

    async authenticate(key) {
      const parsed = parseOpaqueToken(key, "prk");
      if (!parsed) throw rejected();
      const now = clock();
      const row = await inTenant(parsed.tenantId, async (trx) => {
        const found = await trx
          .selectFrom("api_keys")
          .select(["id", "permissions", "revoked_at", "expires_at", "last_used_at"])
          .where("secret_hash", "=", sha256Hex(parsed.value))
          .executeTakeFirst();
        if (!found || found.revoked_at || (found.expires_at && found.expires_at <= now)) return undefined;
        if (!found.last_used_at || now.getTime() - found.last_used_at.getTime() >= LAST_USED_RESOLUTION_MS) {
          await trx.updateTable("api_keys").set({ last_used_at: now }).where("id", "=", found.id).execute();
        }
        return found;
      });
      if (!row) throw rejected();
      return {
        kind: "api-key",
        apiKeyId: row.id,
        tenantId: parsed.tenantId,
        permissions: row.permissions.filter(isPermission),
        isPlatformAdmin: false,
      };
    },
  };
}
