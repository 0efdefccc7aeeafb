import cors from "@fastify/cors";
import helmet from "@fastify/helmet";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify from "fastify";
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import type { Logger } from "pino";
import { AppError } from "../../kernel/app-error.ts";
import { sendProblem, toAppError } from "./problem.ts";

export interface ReadinessCheck {
  name: string;
  check(): Promise<unknown>;
}

export interface CreateHttpServerOptions {
  logger: Logger;
  readinessChecks: ReadinessCheck[];
  bodyLimitBytes?: number;
  /** Origins allowed to call the API from a browser; none by default. */
  corsOrigins?: string[];
  version?: string;
}

/**
 * The HTTP edge: health, OpenAPI document and reference page, security headers, closed CORS, and errors as
 * RFC 9457 problem+json. Routes register on the returned instance with zod schemas.
 */
export async function createHttpServer(options: CreateHttpServerOptions) {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimitBytes ?? 1_048_576,
    return503OnClosing: true,
    genReqId: () => crypto.randomUUID(),
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", "data:"],
      },
    },
  });
  await app.register(cors, {
    origin: options.corsOrigins && options.corsOrigins.length > 0 ? options.corsOrigins : false,
  });
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Prapti API",
        version: options.version ?? "1",
        description: "Receivables orchestration for Indian SMEs",
      },
      components: {
        securitySchemes: {
          bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
          apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: "/api/docs" });

  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error);
    if (appError.code === "INTERNAL") request.log.error({ err: error }, "request failed");
    return sendProblem(reply, appError, request);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      AppError.notFound("route", `${request.method} ${request.url.split("?")[0] ?? ""}`),
      request,
    ),
  );

  app.get("/api/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  app.get("/healthz", { schema: { hide: true } }, async () => ({ status: "ok" }));

  app.get("/readyz", { schema: { hide: true } }, async (_request, reply) => {
    const checks: Record<string, { ok: boolean; detail?: unknown; error?: string }> = {};
    await Promise.all(
      options.readinessChecks.map(async (readiness) => {
        try {
          const detail = await readiness.check();
          checks[readiness.name] = detail === undefined ? { ok: true } : { ok: true, detail };
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

export type HttpServer = Awaited<ReturnType<typeof createHttpServer>>;
