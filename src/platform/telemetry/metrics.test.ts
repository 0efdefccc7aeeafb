import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { createHttpServer } from "../http/server.ts";
import { describe, expect, it } from "vitest";
import { createMetrics } from "./metrics.ts";
import { registerMetrics } from "./metrics.plugin.ts";

describe("metrics", () => {
  it("records HTTP requests by route template and serves /metrics", async () => {
    const metrics = createMetrics({ processMetrics: false });
    const app = await createHttpServer({ logger: pino({ level: "silent" }), readinessChecks: [] });
    await registerMetrics(app, { metrics });
    app.get("/invoices/:id", async (request) => ({ id: (request.params as { id: string }).id }));
    await app.ready();

    await app.inject({ method: "GET", url: "/invoices/1" });
    await app.inject({ method: "GET", url: "/invoices/2" });
    await app.inject({ method: "GET", url: "/nowhere/3" });
    const response = await app.inject({ method: "GET", url: "/metrics" });

    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toContain("text/plain");
    expect(response.body).toContain(
      'prapti_http_request_duration_seconds_count{route="/invoices/:id",method="GET",status="200"} 2',
    );
    expect(response.body).toContain(
      'prapti_http_request_duration_seconds_count{route="unmatched",method="GET",status="404"} 1',
    );
    expect(response.body).not.toContain("/invoices/1");
    await app.close();
  });

  it("reads bus lag and cache statistics when scraped", async () => {
    const metrics = createMetrics({ processMetrics: false });
    let hits = 3;
    metrics.observeEventBus({
      lag: async () => ({
        outboxLagSeconds: 4.5,
        unpublished: 2,
        consumers: [{ consumer: "webhooks", pending: 7, oldestAgeSeconds: 12 }],
      }),
    });
    metrics.observeCache({ kind: "lru", stats: () => ({ hits, misses: 1 }) });

    let text = await metrics.registry.metrics();
    expect(text).toContain("prapti_event_outbox_lag_seconds 4.5");
    expect(text).toContain("prapti_event_outbox_unpublished 2");
    expect(text).toContain('prapti_event_consumer_lag_events{consumer="webhooks"} 7');
    expect(text).toContain('prapti_event_consumer_oldest_pending_seconds{consumer="webhooks"} 12');
    expect(text).toContain('prapti_cache_requests_total{cache="lru",result="hit"} 3');
    expect(text).toContain('prapti_cache_hit_ratio{cache="lru"} 0.75');

    hits = 9;
    text = await metrics.registry.metrics();
    expect(text).toContain('prapti_cache_requests_total{cache="lru",result="hit"} 9');
    expect(text).toContain('prapti_cache_hit_ratio{cache="lru"} 0.9');
  });

  it("keeps workflow and gateway instruments with their labels", async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.workflowStarts.inc({ definition: "collections/dunning" });
    metrics.workflowFaults.inc({ definition: "collections/dunning" });
    metrics.workflowStepDuration.observe({ definition: "collections/dunning", task: "sendReminder" }, 0.2);
    metrics.gatewayCalls.inc({ module: "invoicing", action: "verify", outcome: "ok" });
    metrics.gatewayBreakerState.set({ module: "invoicing" }, 2);
    const text = await metrics.registry.metrics();
    expect(text).toContain('prapti_workflow_starts_total{definition="collections/dunning"} 1');
    expect(text).toContain('prapti_workflow_faults_total{definition="collections/dunning"} 1');
    expect(text).toContain(
      'prapti_workflow_step_duration_seconds_count{definition="collections/dunning",task="sendReminder"} 1',
    );
    expect(text).toContain('prapti_gateway_calls_total{module="invoicing",action="verify",outcome="ok"} 1');
    expect(text).toContain('prapti_gateway_breaker_state{module="invoicing"} 2');
  });
});

describe("Grafana dashboard", () => {
  it("queries only metrics the registry defines", async () => {
    const dashboard = await readFile(
      fileURLToPath(new URL("../../../ops/grafana-prapti.json", import.meta.url)),
      "utf8",
    );
    const used = new Set(
      [...dashboard.matchAll(/\b(prapti_[a-z0-9_]+)/g)].map((match) =>
        (match[1] ?? "").replace(/_(bucket|count|sum)$/, ""),
      ),
    );
    const metrics = createMetrics();
    const defined = new Set((await metrics.registry.getMetricsAsJSON()).map((metric) => metric.name));
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((name) => !defined.has(name))).toEqual([]);
  });
});
