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
    const checks: Record<string, { ok: boolean; error?: string }> = {};
    await Promise.all(
      options.readinessChecks.map(async (readiness) => {
        try {
          await readiness.check();
          checks[readiness.name] = { ok: true };
        } catch (error) {
          checks[readiness.name] = { ok: false, error: (error as Error).message };
        }
      }),
    );
    const ready = Object.values(checks).every((result) => result.ok);
    return reply.status(ready ? 200 : 503).send({ status: ready ? "ready" : "not ready", checks });
  });

  return app;
}

export type HttpServer = ReturnType<typeof createHttpServer>;
