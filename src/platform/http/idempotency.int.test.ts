import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTenant } from "../../../test/support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { createFieldCipher } from "../crypto/field.cipher.ts";
import { parseKeyRing } from "../crypto/key-ring.ts";
import { reencryptIdempotencyResponses, registerIdempotency } from "./idempotency.ts";
import { createHttpServer, type HttpServer } from "./server.ts";

let database: TestDatabase;
let app: HttpServer;
let tenantId: string;
let effects = 0;
let failNext = false;
const k1 = `k1:${randomBytes(32).toString("base64")}`;
const k2 = `k2:${randomBytes(32).toString("base64")}`;
const cipher = createFieldCipher(parseKeyRing(k1));

beforeAll(async () => {
  database = await createTestDatabase();
  tenantId = await createTenant(database.owner);
  app = await createHttpServer({ logger: pino({ level: "silent" }), readinessChecks: [] });
  registerIdempotency(app, {
    db: database.app,
    cipher,
    scopeOf: (request) => {
      const user = request.headers["x-test-user"];
      return typeof user === "string" ? { tenantId, principal: user } : undefined;
    },
  });
  app.post(
    "/api/v1/payments",
    {
      schema: {
        body: z.object({ amountPaise: z.number().int().positive(), accountNumber: z.string().optional() }),
      },
    },
    async (request, reply) => {
      if (failNext) {
        failNext = false;
        throw new Error("gateway down");
      }
      effects += 1;
      return reply
        .status(201)
        .header("location", `/api/v1/payments/${effects}`)
        .send({
          id: effects,
          amountPaise: request.body.amountPaise,
          ...(request.body.accountNumber ? { payer: { accountNumber: request.body.accountNumber } } : {}),
        });
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

describe("stored responses", () => {
  const stored = async (key: string) => {
    const rows = await sql<{ response_body: string | null }>`
      select response_body from idempotency_keys where key = ${key}`.execute(database.owner);
    return rows.rows[0]?.response_body ?? null;
  };

  it("are encrypted at rest, bound to their key, and replayed byte for byte", async () => {
    const first = await post("acct-1", { amountPaise: 2500, accountNumber: "50100012345678" });
    expect(first.statusCode).toBe(201);
    expect(first.body).toContain("50100012345678");
    const body = await stored("acct-1");
    expect(body).toMatch(/^enc:v1:k1:/);
    expect(body).not.toContain("50100012345678");
    const retry = await post("acct-1", { amountPaise: 2500, accountNumber: "50100012345678" });
    expect(retry.statusCode).toBe(201);
    expect(retry.headers["idempotent-replayed"]).toBe("true");
    expect(retry.body).toBe(first.body);
    expect(retry.headers["content-type"]).toBe(first.headers["content-type"]);
    expect(retry.headers.location).toBe(first.headers.location);

    // Moved to another key's row, the ciphertext does not decrypt: the replay fails instead of leaking.
    await post("acct-2", { amountPaise: 1 });
    await sql`update idempotency_keys set response_body = ${body} where key = 'acct-2'`.execute(
      database.owner,
    );
    expect((await post("acct-2", { amountPaise: 1 })).statusCode).toBe(500);
  });

  it("replays responses stored before encryption, and re-encryption converts them and rotates keys", async () => {
    const plain = JSON.stringify({ id: 999, amountPaise: 77, payer: { accountNumber: "30012345678" } });
    await sql`insert into idempotency_keys (tenant_id, principal, key, method, path, request_hash, status_code,
        response_body, response_headers, completed_at)
      select ${tenantId}, 'user-1', 'legacy', method, path, request_hash, 201, ${plain},
        '{"content-type":"application/json; charset=utf-8"}'::jsonb, now()
      from idempotency_keys where key = 'pay-1'`.execute(database.owner);
    // Same sender, path and body as "pay-1", so the same request hash: a retry replays the stored text.
    const before = await post("legacy", { amountPaise: 500 });
    expect(before.statusCode).toBe(201);
    expect(before.body).toBe(plain);

    const rotated = createFieldCipher(parseKeyRing(`${k2},${k1}`));
    // The row "acct-2" holds a ciphertext of another row (above): put it right before rotating.
    await sql`delete from idempotency_keys where key = 'acct-2'`.execute(database.owner);
    const rewritten = await reencryptIdempotencyResponses({
      owner: database.owner,
      cipher: rotated,
      batchSize: 2,
    });
    const total = await sql<{ count: string }>`
      select count(*)::text as count from idempotency_keys where response_body is not null`.execute(
      database.owner,
    );
    expect(rewritten).toBe(Number(total.rows[0]?.count));
    expect(await reencryptIdempotencyResponses({ owner: database.owner, cipher: rotated })).toBe(0);
    const legacy = await stored("legacy");
    expect(legacy).toMatch(/^enc:v1:k2:/);
    expect(legacy).not.toContain("30012345678");
    expect(await stored("acct-1")).toMatch(/^enc:v1:k2:/);
    const onlyK2 = createFieldCipher(parseKeyRing(k2));
    expect(
      JSON.parse(
        onlyK2.decrypt(legacy ?? "", `idempotency_keys.response_body:${tenantId}:user-1:legacy`),
      ) as unknown,
    ).toEqual(JSON.parse(plain));
  });
});
