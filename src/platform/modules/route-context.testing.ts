import type { FastifyRequest } from "fastify";
import pino from "pino";
import { AppError } from "../../kernel/app-error.ts";
import { createLruReadModelCache } from "../cache/lru-read-model.cache.ts";
import type { Database } from "../db/database.ts";
import type { EventTypeRegistry } from "../events/event-outbox.ts";
import type { RouteContext } from "./module.contract.ts";

/**
 * Test helper: a RouteContext whose guard trusts headers instead of authenticating (authentication is tested
 * where it lives). `x-test-tenant` names the tenant, `x-test-permissions` the comma-separated permissions and
 * `x-test-actor` the actor (default `user:tester`).
 */
export function testRouteContext(options: {
  database: Database;
  events: EventTypeRegistry;
  now: () => number;
}): RouteContext {
  const header = (request: FastifyRequest, name: string): string | undefined => {
    const value = request.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  return {
    database: options.database,
    events: options.events,
    logger: pino({ level: "silent" }),
    now: options.now,
    cache: createLruReadModelCache({ maxEntries: 1_000, ttlMs: 60_000 }),
    guard: (permission) => async (request) => {
      if (header(request, "x-test-tenant") === undefined) {
        throw new AppError({ code: "UNAUTHENTICATED", message: "no test principal" });
      }
      const granted = (header(request, "x-test-permissions") ?? "").split(",").map((entry) => entry.trim());
      if (!granted.includes(permission)) {
        throw new AppError({ code: "FORBIDDEN", message: `missing permission ${permission}` });
      }
    },
    principalOf: (request) => ({
      tenantId: header(request, "x-test-tenant") ?? "",
      actor: header(request, "x-test-actor") ?? "user:tester",
    }),
  };
}
