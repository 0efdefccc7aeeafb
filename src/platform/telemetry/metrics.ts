import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** Circuit breaker states as the gauge reports them: 0 closed, 1 half-open, 2 open. */
export type BreakerStateName = "closed" | "half-open" | "open";
export const BREAKER_STATE_VALUE: Record<BreakerStateName, number> = { closed: 0, "half-open": 1, open: 2 };

/** What the event bus reports at scrape time (see `EventBus.lag()`). */
export interface EventBusLagSource {
  lag(): Promise<{
    outboxLagSeconds: number;
    unpublished: number;
    consumers: { consumer: string; pending: number; oldestAgeSeconds: number }[];
  }>;
}

/** What a cache reports at scrape time. */
export interface CacheStatsSource {
  readonly kind: string;
  stats(): { hits: number; misses: number };
}

export interface PraptiMetrics {
  readonly registry: Registry;
  readonly httpRequestDuration: Histogram<"route" | "method" | "status">;
  readonly workflowStarts: Counter<"definition">;
  readonly workflowCompletions: Counter<"definition">;
  readonly workflowFaults: Counter<"definition">;
  readonly workflowStepDuration: Histogram<"definition" | "task">;
  readonly gatewayCalls: Counter<"module" | "action" | "outcome">;
  readonly gatewayCallDuration: Histogram<"module" | "action">;
  readonly gatewayBreakerState: Gauge<"module">;
  readonly outboxLag: Gauge;
  readonly outboxUnpublished: Gauge;
  readonly consumerLag: Gauge<"consumer">;
  readonly consumerOldestAge: Gauge<"consumer">;
  readonly cacheRequests: Counter<"cache" | "result">;
  readonly cacheHitRatio: Gauge<"cache">;
  readonly eventsHandled: Counter<"consumer" | "outcome">;
  readonly webhookAttempts: Counter<"outcome">;
  /** Reads the bus's lag on every scrape. */
  observeEventBus(source: EventBusLagSource): void;
  /** Reads the cache's hit and miss counts on every scrape. */
  observeCache(source: CacheStatsSource): void;
}

export interface CreateMetricsOptions {
  /** Adds Node's process metrics (CPU, memory, event loop lag, GC). Default true. */
  processMetrics?: boolean;
  prefix?: string;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The Prometheus registry of one process and its instruments. One per process: pass it to whatever records
 * (HTTP plugin, gateway, interpreter, bus, cache); nothing reads it from a global.
 */
export function createMetrics(options: CreateMetricsOptions = {}): PraptiMetrics {
  const registry = new Registry();
  const prefix = options.prefix ?? "prapti_";
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix });
  const registers = [registry];

  let busSource: EventBusLagSource | undefined;
  const cacheSources: CacheStatsSource[] = [];
  let busLag: Awaited<ReturnType<EventBusLagSource["lag"]>> | undefined;
  let busLagPending: Promise<void> | undefined;

  // One scrape asks the bus once, even though several gauges read the answer.
  const refreshBusLag = async (): Promise<void> => {
    if (!busSource) return;
    busLagPending ??= busSource
      .lag()
      .then((lag) => {
        busLag = lag;
      })
      .catch(() => {
        busLag = undefined;
      })
      .finally(() => {
        busLagPending = undefined;
      });
    await busLagPending;
  };

  const metrics: PraptiMetrics = {
    registry,
    httpRequestDuration: new Histogram({
      name: `${prefix}http_request_duration_seconds`,
      help: "HTTP request duration by route template, method and status code",
      labelNames: ["route", "method", "status"],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    workflowStarts: new Counter({
      name: `${prefix}workflow_starts_total`,
      help: "Workflow instances started, by definition",
      labelNames: ["definition"],
      registers,
    }),
    workflowCompletions: new Counter({
      name: `${prefix}workflow_completions_total`,
      help: "Workflow instances completed, by definition",
      labelNames: ["definition"],
      registers,
    }),
    workflowFaults: new Counter({
      name: `${prefix}workflow_faults_total`,
      help: "Workflow instances that ended faulted, by definition",
      labelNames: ["definition"],
      registers,
    }),
    workflowStepDuration: new Histogram({
      name: `${prefix}workflow_step_duration_seconds`,
      help: "Duration of workflow steps (tasks with effects), by definition and task",
      labelNames: ["definition", "task"],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    gatewayCalls: new Counter({
      name: `${prefix}gateway_calls_total`,
      help: "Module action calls through the gateway, by module, action and outcome (ok or error kind)",
      labelNames: ["module", "action", "outcome"],
      registers,
    }),
    gatewayCallDuration: new Histogram({
      name: `${prefix}gateway_call_duration_seconds`,
      help: "Duration of module action calls through the gateway, retries included",
      labelNames: ["module", "action"],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    gatewayBreakerState: new Gauge({
      name: `${prefix}gateway_breaker_state`,
      help: "Circuit breaker state per module: 0 closed, 1 half-open, 2 open",
      labelNames: ["module"],
      registers,
    }),
    outboxLag: new Gauge({
      name: `${prefix}event_outbox_lag_seconds`,
      help: "Age of the oldest event in the outbox not yet published to the bus (0 when none)",
      registers,
      async collect() {
        await refreshBusLag();
        if (busLag) this.set(busLag.outboxLagSeconds);
      },
    }),
    outboxUnpublished: new Gauge({
      name: `${prefix}event_outbox_unpublished`,
      help: "Events in the outbox not yet published to the bus",
      registers,
      async collect() {
        await refreshBusLag();
        if (busLag) this.set(busLag.unpublished);
      },
    }),
    consumerLag: new Gauge({
      name: `${prefix}event_consumer_lag_events`,
      help: "Events published but not yet handled, per bus consumer",
      labelNames: ["consumer"],
      registers,
      async collect() {
        await refreshBusLag();
        if (!busLag) return;
        this.reset();
        for (const consumer of busLag.consumers) this.set({ consumer: consumer.consumer }, consumer.pending);
      },
    }),
    consumerOldestAge: new Gauge({
      name: `${prefix}event_consumer_oldest_pending_seconds`,
      help: "Age of the oldest event a bus consumer has not yet handled",
      labelNames: ["consumer"],
      registers,
      async collect() {
        await refreshBusLag();
        if (!busLag) return;
        this.reset();
        for (const consumer of busLag.consumers) {
          this.set({ consumer: consumer.consumer }, consumer.oldestAgeSeconds);
        }
      },
    }),
    cacheRequests: new Counter({
      name: `${prefix}cache_requests_total`,
      help: "Read-model cache look-ups by result (hit or miss)",
      labelNames: ["cache", "result"],
      registers,
      collect() {
        this.reset();
        for (const source of cacheSources) {
          const stats = source.stats();
          this.inc({ cache: source.kind, result: "hit" }, stats.hits);
          this.inc({ cache: source.kind, result: "miss" }, stats.misses);
        }
      },
    }),
    cacheHitRatio: new Gauge({
      name: `${prefix}cache_hit_ratio`,
      help: "Read-model cache hits over look-ups since the process started",
      labelNames: ["cache"],
      registers,
      collect() {
        for (const source of cacheSources) {
          const { hits, misses } = source.stats();
          this.set({ cache: source.kind }, hits + misses === 0 ? 0 : hits / (hits + misses));
        }
      },
    }),
    eventsHandled: new Counter({
      name: `${prefix}event_deliveries_total`,
      help: "Events handled by bus consumers, by consumer and outcome (ok, retry, dead_letter)",
      labelNames: ["consumer", "outcome"],
      registers,
    }),
    webhookAttempts: new Counter({
      name: `${prefix}webhook_attempts_total`,
      help: "Outbound webhook delivery attempts by outcome (delivered, retry, failed)",
      labelNames: ["outcome"],
      registers,
    }),
    observeEventBus(source) {
      busSource = source;
    },
    observeCache(source) {
      cacheSources.push(source);
    },
  };
  return metrics;
}

/** Seconds since `start` (a `performance.now()` or `Clock.now()` reading in milliseconds). */
export function secondsSince(startMs: number, nowMs: number): number {
  return Math.max(0, (nowMs - startMs) / 1000);
}
