import type { AuditActor } from "../audit/audit.log.ts";
import type { TenantRole } from "../db/schema.ts";
import type { Permission } from "./permission.matrix.ts";

/** Who is making a request, as established by the authentication hook. */
export interface Principal {
  kind: "user" | "api-key";
  userId?: string;
  apiKeyId?: string;
  /** The sign-in session an access token belongs to. */
  sessionId?: string;
  /** The tenant every action of this request is bound to. */
  tenantId: string;
  role?: TenantRole;
  permissions: readonly Permission[];
  /** Operator of the whole installation; independent of the tenant role, grants no tenant permission. */
  isPlatformAdmin: boolean;
}

/** The audit actor for a principal. */
export function auditActorOf(principal: Principal): AuditActor {
  if (principal.kind === "api-key") return { type: "api-key", id: principal.apiKeyId ?? "" };
  return { type: "user", id: principal.userId ?? "" };
}

/** Context of a request that services record (audit, sessions). */
export interface RequestContext {
  requestId?: string;
  ip?: string;
  userAgent?: string;
}
