import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTenant } from "../../../test/support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { registerIdempotency } from "./idempotency.ts";
import { createHttpServer, type HttpServer } from "./server.ts";

let database: TestDatabase;
let app: HttpServer;
let tenantId: string;
let effects = 0;
let failNext = false;

beforeAll(async () => {
  database = await createTestDatabase();
  tenantId = await createTenant(database.owner);
  app = await createHttpServer({ logger: pino({ level: "silent" }), readinessChecks: [] });
  registerIdempotency(app, {
    db: database.app,
    scopeOf: (request) => {
      const user = request.headers["x-test-user"];
      return typeof user === "string" ? { tenantId, principal: user } : undefined;
    },
  });
  app.post(
    "/api/v1/payments",
    { schema: { body: z.object({ amountPaise: z.number().int().positive() }) } },
    async (request, reply) => {
      if (failNext) {
        failNext = false;
        throw new Error("gateway down");
      }
      effects += 1;
      return reply
        .status(201)
        .header("location", `/api/v1/payments/${effects}`)
        .send({ id: effects, amountPaise: request.body.amountPaise });
    },
  );
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await database?.drop();
});

const post = (key: string | undefined, body: unknown, user = "user-1") =>
  app.inject({
    method: "POST",
    url: "/api/v1/payments",
    payload: body as Record<string, unknown>,
    headers: { "x-test-user": user, ...(key ? { "idempotency-key": key } : {}) },
  });

describe("Idempotency-Key", () => {
  it("runs a request once and replays its response to a retry", async () => {
    const first = await post("pay-1", { amountPaise: 500 });
    const retry = await post("pay-1", { amountPaise: 500 });
    expect(first.statusCode).toBe(201);
    expect(retry.statusCode).toBe(201);
    expect(retry.json()).toEqual(first.json());
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.headers["idempotent-replayed"]).toBe("true");
    expect(effects).toBe(1);
  });

  it("refuses the same key with a different request, writing nothing", async () => {
    const before = effects;
    const response = await post("pay-1", { amountPaise: 900 });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ issues: [{ field: "headers.idempotency-key" }] });
    expect(effects).toBe(before);
  });

  it("keeps keys apart per sender and forgets failed attempts", async () => {
    const before = effects;
    await post("shared", { amountPaise: 1 }, "user-a");
    await post("shared", { amountPaise: 1 }, "user-b");
    expect(effects).toBe(before + 2);
    failNext = true;
    expect((await post("flaky", { amountPaise: 7 })).statusCode).toBe(500);
    expect((await post("flaky", { amountPaise: 7 })).statusCode).toBe(201);
  });

  it("refuses malformed keys and lets requests without a key through", async () => {
    expect((await post("bad key with spaces", { amountPaise: 1 })).statusCode).toBe(400);
    const before = effects;
    await post(undefined, { amountPaise: 1 });
    await post(undefined, { amountPaise: 1 });
    expect(effects).toBe(before + 2);
  });
});
