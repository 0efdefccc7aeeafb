import type { FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { z } from "zod";
import type { ModuleRegistration } from "../actions/action-catalog.ts";
import type { Database } from "../db/database.ts";
import type { EventTypeRegistry } from "../events/event-outbox.ts";
import type { HttpServer } from "../http/server.ts";
import type { InvalidationRule } from "../cache/outbox-cache.invalidator.ts";
import type { ReadModelCache } from "../cache/read-model.cache.ts";

/** What every module gets from the composition root: nothing is pulled from globals. */
export interface ModuleContext {
  database: Database;
  events: EventTypeRegistry;
  logger: Logger;
  /** Epoch milliseconds; tests and simulation move it. */
  now(): number;
}

/** The caller of an HTTP route, as authentication established it. */
export interface RoutePrincipal {
  tenantId: string;
  /** `user:<id>` or `api-key:<id>`: who is recorded as the actor. */
  actor: string;
}

export interface RouteContext extends ModuleContext {
  /**
   * The read-model cache, per tenant. Entries are dropped by tag when an event the owning module's
   * `cacheInvalidation` rule names is committed (in any process).
   */
  cache: ReadModelCache;
  /** A preHandler that refuses the request unless its principal holds `permission`. */
  guard(permission: string): (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** The authenticated caller of a request that passed a guard. */
  principalOf(request: FastifyRequest): RoutePrincipal;
}

/**
 * A domain module as the rest of Prapti sees it: its own tables (migrations), the events it publishes (with
 * their payload schemas), its actions (for workflows, through the gateway) and its HTTP routes.
 */
export interface ModuleDefinition {
  name: string;
  /** Folder of its numbered SQL migrations (scope = module name), if it owns tables. */
  migrationsDirectory?: string;
  /** Event type -> payload schema, registered before anything is published. */
  events: Record<string, z.ZodType>;
  actions(context: ModuleContext): ModuleRegistration;
  routes?(app: HttpServer, context: RouteContext): void;
  /** Which cached reads (tags) each of its events makes stale; see `RouteContext.cache`. */
  cacheInvalidation?: InvalidationRule;
}
