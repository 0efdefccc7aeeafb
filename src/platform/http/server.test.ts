import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import pino from "pino";
import { AppError } from "../../kernel/app-error.ts";
import { createHttpServer, type HttpServer } from "./server.ts";

let app: HttpServer;

beforeAll(async () => {
  app = await createHttpServer({
    logger: pino({ level: "silent" }),
    bodyLimitBytes: 1024,
    readinessChecks: [
      { name: "database", check: async () => undefined },
      { name: "gateway", check: async () => ({ invoicing: "closed" }) },
    ],
  });
  app.post(
    "/api/v1/echo",
    {
      schema: {
        body: z.object({ name: z.string().min(1), amountPaise: z.number().int() }),
        response: { 200: z.object({ name: z.string() }) },
      },
    },
    async (request) => ({ name: request.body.name }),
  );
  app.get("/api/v1/conflict", async () => {
    throw AppError.conflict("invoice INV-1 changed meanwhile");
  });
  app.get("/api/v1/boom", async () => {
    throw new Error("database password is hunter2");
  });
  await app.ready();
});

afterAll(async () => {
  await app.close();
});

describe("HTTP edge", () => {
  it("answers liveness and readiness with details", async () => {
    expect((await app.inject("/healthz")).json()).toEqual({ status: "ok" });
    const ready = await app.inject("/readyz");
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({
      checks: { gateway: { ok: true, detail: { invoicing: "closed" } } },
    });
  });

  it("reports invalid input as problem+json naming every bad field", async () => {
    const response = await app.inject({
      method: "POST",
      url: "/api/v1/echo",
      payload: { name: "", amountPaise: 1.5 },
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers["content-type"]).toContain("application/problem+json");
    const problem = response.json<{ code: string; issues: { field: string }[] }>();
    expect(problem.code).toBe("INVALID_INPUT");
    expect(problem.issues.map((issue) => issue.field).sort()).toEqual(["body.amountPaise", "body.name"]);
  });

  it("maps application errors to their status and hides unexpected ones", async () => {
    const conflict = await app.inject("/api/v1/conflict");
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toMatchObject({
      code: "CONFLICT",
      status: 409,
      detail: "invoice INV-1 changed meanwhile",
    });
    const boom = await app.inject("/api/v1/boom");
    expect(boom.statusCode).toBe(500);
    expect(boom.body).not.toContain("hunter2");
    const missing = await app.inject("/api/v1/nothing-here");
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: "NOT_FOUND" });
  });

  it("refuses oversized bodies with 413 as a problem naming the body", async () => {
    const response = await app.inject({
      method: "POST",
      url: "/api/v1/echo",
      payload: { name: "x".repeat(5000), amountPaise: 1 },
    });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({
      code: "TOO_LARGE",
      issues: [{ field: "body", reason: "too large" }],
    });
  });

  it("publishes an OpenAPI 3.1 document and a reference page", async () => {
    const document = (await app.inject("/api/openapi.json")).json<{
      openapi: string;
      paths: Record<string, unknown>;
    }>();
    expect(document.openapi).toBe("3.1.0");
    expect(Object.keys(document.paths)).toContain("/api/v1/echo");
    expect(Object.keys(document.paths)).not.toContain("/healthz");
    const docs = await app.inject("/api/docs/");
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain("<html");
  });

  it("sends security headers and keeps CORS closed", async () => {
    const response = await app.inject({ url: "/healthz", headers: { origin: "https://evil.example" } });
    expect(response.headers["x-content-type-options"]).toBe("nosniff");
    expect(response.headers["strict-transport-security"]).toBeDefined();
    expect(response.headers["access-control-allow-origin"]).toBeUndefined();
  });
});
