import type { FastifyPluginAsync } from "fastify";
import type { HttpServer } from "../http/server.ts";
import type { PraptiMetrics } from "./metrics.ts";

export interface MetricsPluginOptions {
  metrics: PraptiMetrics;
  /** Where the Prometheus text is served. Default `/metrics`. */
  path?: string;
}

/**
 * Records every HTTP request's duration by route template (never the raw URL, so ids do not explode the
 * label set), method and status, and serves the registry at `/metrics`.
 */
const metricsPluginBody: FastifyPluginAsync<MetricsPluginOptions> = async (app, options) => {
  const path = options.path ?? "/metrics";
  const { metrics } = options;

  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    metrics.httpRequestDuration.observe(
      { route, method: request.method, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.get(path, { config: { access: "public" } }, async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });
};

// Like fastify-plugin: the hooks apply to the whole server, not only to routes registered inside the plugin.
(metricsPluginBody as unknown as Record<symbol, boolean>)[Symbol.for("skip-override")] = true;

export const metricsPlugin = metricsPluginBody;

/** Registers the plugin on a server: `await registerMetrics(app, { metrics })`. */
export async function registerMetrics(app: HttpServer, options: MetricsPluginOptions): Promise<void> {
  await app.register(metricsPlugin, options);
}
