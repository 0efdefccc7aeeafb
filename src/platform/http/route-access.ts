import type { FastifyInstance, RouteOptions } from "fastify";

/**
 * Who may call a route, as the OpenAPI document states it (`x-access`, and `x-permission` for routes that need
 * a permission):
 * - `public`: no credentials (sign-in, provider webhooks authenticated by their signature, metrics);
 * - `authenticated`: any principal, no particular permission (who am I);
 * - `permission`: a principal holding `x-permission`;
 * - `platform-admin`: a platform administrator.
 * A route that declares none of these is a route that forgot its check; the route walk test refuses it.
 */
export type RouteAccess = "public" | "authenticated" | "permission" | "platform-admin";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Declares a route that takes no permission check: `public` or `authenticated`. */
    access?: "public" | "authenticated";
  }
}

const ACCESS = Symbol.for("prapti.route-access");

interface AccessMark {
  access: RouteAccess;
  permission?: string;
}

type Marked = { [ACCESS]?: AccessMark };

/** Marks a guard (a hook function) with what it checks, so the route it protects documents it. */
export function markAccessGuard<T extends object>(guard: T, mark: AccessMark): T {
  (guard as Marked)[ACCESS] = mark;
  return guard;
}

function markOf(hook: unknown): AccessMark | undefined {
  return typeof hook === "function" ? (hook as Marked)[ACCESS] : undefined;
}

function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * onRoute hook: finds the access guard among a route's preHandlers, runs it in `preValidation` instead (so a
 * caller without the permission gets 401/403 before anything about the request is validated, parsed into
 * the database or stored under an Idempotency-Key), and writes `x-access`/`x-permission` into the route's
 * OpenAPI operation.
 */
export function registerRouteAccess(app: Pick<FastifyInstance, "addHook">): void {
  (app as FastifyInstance).addHook("onRoute", (route: RouteOptions) => {
    const preHandlers = asArray(route.preHandler);
    const guards = preHandlers.filter((hook) => markOf(hook) !== undefined);
    let mark: AccessMark | undefined = guards.length > 0 ? markOf(guards[0]) : undefined;
    if (guards.length > 0) {
      route.preHandler = preHandlers.filter((hook) => markOf(hook) === undefined);
      route.preValidation = [...guards, ...asArray(route.preValidation)] as RouteOptions["preValidation"];
    }
    const declared = route.config?.access;
    if (mark === undefined && declared !== undefined) mark = { access: declared };
    if (mark === undefined) return;
    const schema = (route.schema ?? {}) as Record<string, unknown>;
    const documented: Record<string, unknown> = { ...schema, "x-access": mark.access };
    if (mark.permission !== undefined) documented["x-permission"] = mark.permission;
    route.schema = documented;
  });
}
