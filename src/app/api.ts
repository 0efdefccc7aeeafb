import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { AppError } from "../kernel/app-error.ts";
import { isPermission, PERMISSIONS } from "../platform/auth/permission.matrix.ts";
import type { Principal } from "../platform/auth/principal.ts";
import { requirePermission } from "../platform/auth/auth.hooks.ts";
import { registerSecurityHooks, type SecurityServices } from "../platform/auth/security.services.ts";
import type { Database } from "../platform/db/database.ts";
import type { EventTypeRegistry } from "../platform/events/event-outbox.ts";
import { registerIdempotency } from "../platform/http/idempotency.ts";
import type { HttpServer } from "../platform/http/server.ts";
import type { ModuleContext, ModuleDefinition, RouteContext } from "../platform/modules/module.contract.ts";
import type { ModuleGateway } from "../orchestration/gateway/module.gateway.ts";
import { registerWorkflowRoutes } from "../orchestration/http/workflow.routes.ts";
import { registerWorkflowSecretRoutes } from "../orchestration/http/workflow-secret.routes.ts";
import { createWorkflowSecretStore } from "../orchestration/secrets/workflow-secret.store.ts";
import { registerWorkflowSettingsRoutes } from "../orchestration/http/workflow-settings.routes.ts";
import { createWorkflowSettingsStore } from "../orchestration/durable/workflow-settings.store.ts";
import type { Hub } from "./hub.ts";
import type { ReadModelCache } from "../platform/cache/read-model.cache.ts";

function principalOf(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (!principal)
    throw new AppError({
      code: "UNAUTHENTICATED",
      message: "this request needs a bearer token or an API key",
    });
  return principal;
}

function actorOf(principal: Principal): string {
  return principal.kind === "user" ? `user:${principal.userId ?? ""}` : `api-key:${principal.apiKeyId ?? ""}`;
}

const requestContext = (request: FastifyRequest) => ({
  requestId: String(request.id),
  ip: request.ip,
  ...(request.headers["user-agent"] ? { userAgent: request.headers["user-agent"] } : {}),
});

const ZTokens = z.object({
  tokenType: z.literal("Bearer"),
  accessToken: z.string(),
  accessTokenExpiresAt: z.string(),
  refreshToken: z.string(),
  refreshTokenExpiresAt: z.string(),
  tenantId: z.string(),
  role: z.string(),
  user: z.object({
    id: z.string(),
    email: z.string(),
    displayName: z.string(),
    isPlatformAdmin: z.boolean(),
  }),
});

/** Identity routes: sign in, refresh, sign out, who am I, API keys, the audit log. */
function registerIdentityRoutes(
  app: HttpServer,
  security: SecurityServices,
  guard: RouteContext["guard"],
): void {
  const tokensJson = (result: Awaited<ReturnType<SecurityServices["auth"]["signIn"]>>) => ({
    tokenType: result.tokenType,
    accessToken: result.accessToken,
    accessTokenExpiresAt: result.accessTokenExpiresAt.toISOString(),
    refreshToken: result.refreshToken,
    refreshTokenExpiresAt: result.refreshTokenExpiresAt.toISOString(),
    tenantId: result.tenantId,
    role: result.role,
    user: result.user,
  });

  app.post(
    "/api/v1/auth/login",
    {
      config: { access: "public" },
      schema: {
        tags: ["identity"],
        body: z.object({
          email: z.string().min(3).max(320),
          password: z.string().min(1).max(256),
          tenantId: z.uuid().optional(),
        }),
        response: { 200: ZTokens },
      },
    },
    async (request) =>
      tokensJson(
        await security.auth.signIn({
          email: request.body.email,
          password: request.body.password,
          ...(request.body.tenantId ? { tenantId: request.body.tenantId } : {}),
          context: requestContext(request),
        }),
      ),
  );

  app.post(
    "/api/v1/auth/refresh",
    {
      config: { access: "public" },
      schema: {
        tags: ["identity"],
        body: z.object({ refreshToken: z.string().min(1).max(500) }),
        response: { 200: ZTokens },
      },
    },
    async (request) =>
      tokensJson(
        await security.auth.refresh({
          refreshToken: request.body.refreshToken,
          context: requestContext(request),
        }),
      ),
  );

  app.post(
    "/api/v1/auth/logout",
    {
      config: { access: "public" },
      schema: { tags: ["identity"], body: z.object({ refreshToken: z.string().min(1).max(500) }) },
    },
    async (request, reply) => {
      await security.auth.signOut({
        refreshToken: request.body.refreshToken,
        context: requestContext(request),
      });
      return reply.status(204).send();
    },
  );

  app.get(
    "/api/v1/me",
    { config: { access: "authenticated" }, schema: { tags: ["identity"] } },
    async (request) => {
      const principal = principalOf(request);
      return { ...principal, permissions: [...principal.permissions] };
    },
  );

  app.get(
    "/api/v1/api-keys",
    { preHandler: guard("api-keys:manage"), schema: { tags: ["identity"] } },
    async (request) => ({
      items: await security.apiKeys.list({ tenantId: principalOf(request).tenantId }),
    }),
  );

  app.post(
    "/api/v1/api-keys",
    {
      preHandler: guard("api-keys:manage"),
      schema: {
        tags: ["identity"],
        summary: "Create an API key; its secret is shown in this response only",
        body: z.object({
          name: z.string().min(1).max(100),
          permissions: z.array(z.enum(PERMISSIONS)).min(1),
          expiresAt: z.iso.datetime().optional(),
        }),
      },
    },
    async (request, reply) => {
      const created = await security.apiKeys.create({
        principal: principalOf(request),
        name: request.body.name,
        permissions: request.body.permissions,
        ...(request.body.expiresAt ? { expiresAt: new Date(request.body.expiresAt) } : {}),
        context: requestContext(request),
      });
      return reply.status(201).send(created);
    },
  );

  app.delete(
    "/api/v1/api-keys/:id",
    {
      preHandler: guard("api-keys:manage"),
      schema: { tags: ["identity"], params: z.object({ id: z.uuid() }) },
    },
    async (request) =>
      security.apiKeys.revoke({
        principal: principalOf(request),
        apiKeyId: request.params.id,
        context: requestContext(request),
      }),
  );

  app.get(
    "/api/v1/audit",
    {
      preHandler: guard("audit:read"),
      schema: {
        tags: ["audit"],
        summary: "Export the audit log",
        querystring: z.object({ format: z.enum(["csv", "json", "ndjson"]).default("json") }),
      },
    },
    async (request, reply) => {
      const format = request.query.format;
      void reply.type(
        format === "csv"
          ? "text/csv; charset=utf-8"
          : format === "json"
            ? "application/json"
            : "application/x-ndjson",
      );
      let body = "";
      for await (const chunk of security.audit.exportAudit({
        tenantId: principalOf(request).tenantId,
        format,
      }))
        body += chunk;
      return reply.send(body);
    },
  );

  app.get(
    "/api/v1/audit/verify",
    { preHandler: guard("audit:read"), schema: { tags: ["audit"] } },
    async (request) => security.audit.verifyAuditChain({ tenantId: principalOf(request).tenantId }),
  );
}

export interface RegisterApiOptions {
  app: HttpServer;
  security: SecurityServices;
  database: Database;
  events: EventTypeRegistry;
  modules: ModuleDefinition[];
  moduleContext: ModuleContext;
  hub: Hub;
  gateway: ModuleGateway;
  cache: ReadModelCache;
}

/** Every HTTP route of the API: authentication first, then identity, modules and the hub. */
export function registerApi(options: RegisterApiOptions): void {
  const { app, security } = options;
  registerSecurityHooks(app as never, security);
  registerIdempotency(app, {
    db: options.database.app,
    // Stored responses hold what the request created (contacts, account numbers): encrypted at rest.
    cipher: security.cipher,
    scopeOf: (request) => {
      const principal = request.principal;
      return principal ? { tenantId: principal.tenantId, principal: actorOf(principal) } : undefined;
    },
  });
  const guard = (permission: string) => {
    if (!isPermission(permission)) throw new Error(`unknown permission "${permission}" on a route`);
    return requirePermission(permission) as (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  };
  const routeContext: RouteContext = {
    ...options.moduleContext,
    cache: options.cache,
    guard,
    principalOf: (request) => {
      const principal = principalOf(request);
      return { tenantId: principal.tenantId, actor: actorOf(principal) };
    },
  };
  registerIdentityRoutes(app, security, guard);
  for (const module of options.modules) module.routes?.(app, routeContext);
  registerWorkflowRoutes(
    app,
    {
      definitions: options.hub.definitions,
      orchestrator: options.hub.orchestrator,
      gateway: options.gateway,
      database: options.database,
      events: options.events,
    },
    routeContext,
  );
  registerWorkflowSecretRoutes(
    app,
    { secrets: createWorkflowSecretStore({ db: options.database.app, cipher: security.cipher }) },
    routeContext,
  );
  registerWorkflowSettingsRoutes(
    app,
    { settings: createWorkflowSettingsStore({ db: options.database.app }) },
    routeContext,
  );
}
