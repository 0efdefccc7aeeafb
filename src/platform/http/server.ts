import Fastify from "fastify";
import type { Logger } from "pino";

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export interface CreateHttpServerOptions {
  logger: Logger;
  readinessChecks: ReadinessCheck[];
  bodyLimitBytes?: number;
}

/** The HTTP edge: liveness and readiness now; the API routes register on the returned instance. */
export function createHttpServer(options: CreateHttpServerOptions) {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimitBytes ?? 1_048_576,
    return503OnClosing: true,
  });

  app.get("/healthz", async () => ({ status: "ok" }));

  app.get("/readyz", async (_request, reply) => {
    const results = await Promise.all(
      options.readinessChecks.map(async (readiness) => {
        try {
          await readiness.check();
          return [readiness.name, { ok: true }] as const;
        } catch (error) {
          return [readiness.name, { ok: false, error: (error as Error).message }] as const;
        }
      }),
    );
    const ready = results.every(([, result]) => result.ok);
    return reply.status(ready ? 200 : 503).send({ status: ready ? "ready" : "not ready", checks: Object.fromEntries(results) });
  });

  return app;
}

export type HttpServer = ReturnType<typeof createHttpServer>;
