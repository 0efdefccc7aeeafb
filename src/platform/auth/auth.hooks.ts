import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onRequestAsyncHookHandler,
  preHandlerAsyncHookHandler,
} from "fastify";
import { isAppError } from "../../kernel/app-error.ts";
import type { AuditLog } from "../audit/audit.log.ts";
import { markAccessGuard } from "../http/route-access.ts";
import type { ApiKeyService } from "./api-key.service.ts";
import type { AuthService } from "./auth.service.ts";
import type { Permission } from "./permission.matrix.ts";
import { auditActorOf, type Principal } from "./principal.ts";
import { problem, sendProblem } from "./problem.details.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** Set by the authentication hook; null when the request carried no credentials. */
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** Records refused requests in the audit log; set by `registerAuthentication`. */
    praptiDenials: DenialRecorder | null;
  }
}

export interface DenialRecorder {
  record(request: FastifyRequest, principal: Principal, needed: string): Promise<void>;
}

export interface AuthenticationDeps {
  auth: Pick<AuthService, "authenticateAccessToken">;
  apiKeys: Pick<ApiKeyService, "authenticate">;
  /** Where permission denials are recorded; without it they are only logged. */
  audit?: AuditLog;
}

const CHALLENGE = 'Bearer realm="prapti"';

function unauthorized(reply: FastifyReply, detail: string, invalidToken: boolean): FastifyReply {
  reply.header("www-authenticate", invalidToken ? `${CHALLENGE}, error="invalid_token"` : CHALLENGE);
  return sendProblem(reply, problem(401, "UNAUTHENTICATED", detail));
}

/**
 * onRequest hook: reads `Authorization: Bearer <access token>` or `X-API-Key: <key>` (an API key is also
 * accepted as a bearer token, for tools that can only set Authorization) and sets `request.principal`.
 * No credentials: the principal stays null and routes that need one answer 401 through `requirePermission`.
 * Bad credentials: 401 at once.
 */
export function authenticate(deps: AuthenticationDeps): onRequestAsyncHookHandler {
  return async function authenticateRequest(request, reply) {
    request.principal = null;
    const authorization = request.headers.authorization;
    const apiKeyHeader = request.headers["x-api-key"];
    if (authorization === undefined && apiKeyHeader === undefined) return;
    if (authorization !== undefined && apiKeyHeader !== undefined) {
      return unauthorized(
        reply,
        "send either an Authorization header or an X-API-Key header, not both",
        true,
      );
    }
    try {
      if (typeof apiKeyHeader === "string") {
        request.principal = await deps.apiKeys.authenticate(apiKeyHeader);
        return;
      }
      if (Array.isArray(apiKeyHeader)) return unauthorized(reply, "send one X-API-Key header", true);
      const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? "");
      if (!match?.[1])
        return unauthorized(reply, "the Authorization header must read 'Bearer <token>'", true);
      const credential = match[1];
      request.principal = credential.startsWith("prk_")
        ? await deps.apiKeys.authenticate(credential)
        : await deps.auth.authenticateAccessToken(credential);
    } catch (error) {
      if (isAppError(error) && error.code === "UNAUTHENTICATED") {
        return unauthorized(reply, error.message, true);
      }
      throw error;
    }
  };
}

function denialRecorder(audit: AuditLog): DenialRecorder {
  return {
    async record(request, principal, needed) {
      await audit.record({
        tenantId: principal.tenantId,
        actor: auditActorOf(principal),
        action: "auth.permission_denied",
        entity: { type: "permission", id: needed },
        metadata: {
          method: request.method,
          route: request.routeOptions.url ?? null,
          url: request.url.split("?")[0] ?? request.url,
          role: principal.role ?? null,
          ip: request.ip,
        },
        requestId: String(request.id),
      });
    },
  };
}

/**
 * Decorates requests with `principal`, adds the authentication hook and the denial recorder. Register it on
 * the root instance (or wrap with fastify-plugin semantics) before the routes it protects.
 */
export function registerAuthentication(app: FastifyInstance, deps: AuthenticationDeps): void {
  app.decorateRequest("principal", null);
  app.decorate("praptiDenials", deps.audit ? denialRecorder(deps.audit) : null);
  app.addHook("onRequest", authenticate(deps));
}

async function deny(request: FastifyRequest, reply: FastifyReply, principal: Principal, needed: string) {
  const recorder = request.server.praptiDenials as DenialRecorder | null | undefined;
  try {
    await recorder?.record(request, principal, needed);
  } catch (error) {
    request.log.error({ err: error, needed }, "could not record a permission denial in the audit log");
  }
  request.log.warn(
    { needed, principal: { kind: principal.kind, role: principal.role } },
    "permission denied",
  );
  return sendProblem(
    reply,
    problem(403, "FORBIDDEN", `this action needs the permission ${needed}`, { permission: needed }),
  );
}

/**
 * Route guard: 401 without a principal, 403 (audited) without the permission. Declared as a preHandler; the
 * server runs it before validation and documents it as the route's `x-permission` (platform/http/route-access).
 */
export function requirePermission(permission: Permission): preHandlerAsyncHookHandler {
  return markAccessGuard(
    async function checkPermission(request, reply) {
      const principal = request.principal;
      if (!principal) {
        reply.header("www-authenticate", CHALLENGE);
        return sendProblem(
          reply,
          problem(401, "UNAUTHENTICATED", "this request needs a bearer token or an API key"),
        );
      }
      if (!principal.permissions.includes(permission)) return deny(request, reply, principal, permission);
    } satisfies preHandlerAsyncHookHandler,
    { access: "permission", permission },
  );
}

/** preHandler for installation-wide operations: the principal must be a platform administrator. */
export function requirePlatformAdmin(): preHandlerAsyncHookHandler {
  return markAccessGuard(
    async function checkPlatformAdmin(request, reply) {
      const principal = request.principal;
      if (!principal) {
        reply.header("www-authenticate", CHALLENGE);
        return sendProblem(reply, problem(401, "UNAUTHENTICATED", "this request needs a bearer token"));
      }
      if (!principal.isPlatformAdmin) return deny(request, reply, principal, "platform:admin");
    } satisfies preHandlerAsyncHookHandler,
    { access: "platform-admin" },
  );
}
