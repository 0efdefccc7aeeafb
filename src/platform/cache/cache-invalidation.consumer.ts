import type { EventConsumer } from "../events/event-bus.port.ts";
import type { CloudEvent } from "../events/event-outbox.ts";
import type { ReadModelCache } from "./read-model.cache.ts";

/** The tags an event makes stale, e.g. `(event) => [\`invoice:${event.subject}\`, "invoice-list"]`. */
export type InvalidationRule = (event: CloudEvent) => string[];

export interface CacheInvalidationOptions {
  cache: ReadModelCache;
  /** Per event type, the tags to drop in the event's tenant. */
  rules: Record<string, InvalidationRule>;
  /** Consumer name; default `cache-invalidation`. */
  name?: string;
}

/**
 * A bus consumer that drops the cache entries an event affects, in the event's tenant. Bus consumers are
 * shared by all processes, so this clears one cache: Redis for a deployment, or the in-process cache of a
 * single-process installation (see docs/events.md).
 */
export function createCacheInvalidationConsumer(options: CacheInvalidationOptions): EventConsumer {
  const types = Object.keys(options.rules);
  return {
    name: options.name ?? "cache-invalidation",
    types,
    async handle(event) {
      const rule = options.rules[event.type];
      if (!rule) return;
      const tags = rule(event);
      if (tags.length > 0) await options.cache.invalidateTags(event.tenantid, tags);
    },
  };
}
