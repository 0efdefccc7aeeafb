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
import { registerRequestSpans } from "./request-spans.ts";
import type { Tracing } from "../telemetry/tracing.ts";
import { registerRouteAccess } from "./route-access.ts";

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
  /** Records a span per request when enabled. */
  tracing?: Tracing;
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

  // First, so every route registered later (module routes included) documents and enforces its access.
  registerRouteAccess(app as never);
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

  // PostgreSQL text cannot hold U+0000: refuse it as invalid input naming the field, instead of letting the
  // database fail the request with a 500. After authentication and validation, before any handler.
  app.addHook("preHandler", async (request, reply) => {
    const field =
      fieldWithNul(request.query, "querystring") ??
      fieldWithNul(request.params, "params") ??
      fieldWithNul(request.body, "body");
    if (field === undefined) return;
    return sendProblem(
      reply,
      AppError.invalidInput([{ field, reason: "must not contain the NUL character (U+0000)" }]),
      request,
    );
  });

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

  if (options.tracing?.enabled) registerRequestSpans(app, options.tracing);

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

/** The dotted path of the first string holding U+0000 in a parsed query, params or JSON body, if any. */
export function fieldWithNul(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === "string") return value.includes("\u0000") ? path : undefined;
  if (depth > 32 || typeof value !== "object" || value === null || Buffer.isBuffer(value)) return undefined;
  for (const [key, entry] of Array.isArray(value) ? value.entries() : Object.entries(value)) {
    if (typeof key === "string" && key.includes("\u0000")) return `${path}.${key}`;
    const found = fieldWithNul(entry, `${path}.${String(key)}`, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
