import type { Logger } from "pino";
import type { Database } from "../db/database.ts";
import type { PraptiMetrics } from "../telemetry/metrics.ts";
import type { EventBus } from "./event-bus.port.ts";
import { createNatsEventBus } from "./nats-event.bus.ts";
import { createPostgresEventBus } from "./postgres-event.bus.ts";

/** The bus the configuration asks for: NATS JetStream when NATS_URL is set, PostgreSQL otherwise. */
export function createEventBus(options: {
  database: Pick<Database, "owner" | "url">;
  config: { natsUrl: string | undefined; natsStream: string; eventMaxAttempts: number };
  logger?: Logger;
  metrics?: PraptiMetrics;
  /** Run the outbox relay in this process (API-only processes may leave it to the workers). Default true. */
  relay?: boolean;
}): EventBus {
  const common = {
    owner: options.database.owner,
    databaseUrl: options.database.url,
    maxAttempts: options.config.eventMaxAttempts,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.relay === undefined ? {} : { relay: options.relay }),
  };
  const bus = options.config.natsUrl
    ? createNatsEventBus({ ...common, natsUrl: options.config.natsUrl, stream: options.config.natsStream })
    : createPostgresEventBus(common);
  options.metrics?.observeEventBus(bus);
  return bus;
}
