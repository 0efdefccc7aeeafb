import { createHash } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { sql, type Kysely } from "kysely";
import { AppError } from "../../kernel/app-error.ts";
import { isEncryptedValue, type FieldCipher } from "../crypto/field.cipher.ts";
import { withTenant } from "../db/database.ts";
import type { DB } from "../db/schema.ts";
import { sendProblem } from "./problem.ts";
import type { HttpServer } from "./server.ts";

export interface IdempotencyScope {
  tenantId: string;
  /** Who sent the request (user or API key): keys are per sender, so two senders never collide. */
  principal: string;
}

interface PendingRecord {
  scope: IdempotencyScope;
  key: string;
}

declare module "fastify" {
  interface FastifyRequest {
    idempotency?: PendingRecord;
  }
}

const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

/** Binds a stored response to its key: a body copied to another row does not decrypt. */
function responseContext(scope: IdempotencyScope, key: string): string {
  return `idempotency_keys.response_body:${scope.tenantId}:${scope.principal}:${key}`;
}

function requestHash(request: FastifyRequest): string {
  // The body is already parsed by the route's schema: money in paise is bigint there.
  const body = JSON.stringify(request.body ?? null, (_key, value: unknown) =>
    typeof value === "bigint" ? value.toString() : value,
  );
  return createHash("sha256").update(`${request.method} ${request.url}\n${body}`).digest("hex");
}

/**
 * Honours `Idempotency-Key` on every POST: the first request with a key runs and its response is stored;
 * a retry with the same key and the same request gets the stored response; the same key with a different
 * request is refused; a retry while the first is still running gets 409. Failed (5xx) attempts are forgotten
 * so they can be retried. Stored responses carry whatever the request created (e-mail addresses, phone and
 * account numbers), so they are kept encrypted with the field cipher.
 */
export function registerIdempotency(
  app: HttpServer,
  options: {
    db: Kysely<DB>;
    cipher: FieldCipher;
    scopeOf(request: FastifyRequest): IdempotencyScope | undefined;
  },
): void {
  app.addHook("preHandler", async (request, reply) => {
    if (request.method !== "POST") return;
    const header = request.headers["idempotency-key"];
    if (header === undefined) return;
    const key = Array.isArray(header) ? header[0] : header;
    if (!key || !KEY_PATTERN.test(key)) {
      return sendProblem(
        reply,
        AppError.invalidInput([
          { field: "headers.idempotency-key", reason: "must be 1-200 visible ASCII characters" },
        ]),
        request,
      );
    }
    const scope = options.scopeOf(request);
    if (!scope) return;
    const hash = requestHash(request);
    const outcome = await withTenant(options.db, scope.tenantId, async (trx) => {
      const inserted = await trx
        .insertInto("idempotency_keys")
        .values({
          tenant_id: scope.tenantId,
          principal: scope.principal,
          key,
          method: request.method,
          path: request.url,
          request_hash: hash,
        })
        .onConflict((conflict) => conflict.columns(["tenant_id", "principal", "key"]).doNothing())
        .returning("key")
        .executeTakeFirst();
      if (inserted) return { kind: "first" as const };
      const existing = await trx
        .selectFrom("idempotency_keys")
        .selectAll()
        .where("principal", "=", scope.principal)
        .where("key", "=", key)
        .executeTakeFirstOrThrow();
      return { kind: "seen" as const, existing };
    });
    if (outcome.kind === "first") {
      request.idempotency = { scope, key };
      return;
    }
    const body = outcome.existing.response_body;
    const { existing } = outcome;
    if (existing.request_hash !== hash) {
      return sendProblem(
        reply,
        AppError.invalidInput(
          [{ field: "headers.idempotency-key", reason: "was already used for a different request" }],
          "this Idempotency-Key was already used for a different request",
        ),
        request,
      );
    }
    if (existing.status_code === null) {
      return sendProblem(
        reply,
        AppError.conflict("a request with this Idempotency-Key is still being processed"),
        request,
      );
    }
    const headers = (existing.response_headers ?? {}) as Record<string, string>;
    for (const [name, value] of Object.entries(headers)) void reply.header(name, value);
    return reply
      .status(existing.status_code)
      .header("idempotent-replayed", "true")
      .send(
        // Responses stored before they were encrypted are plaintext.
        body !== null && isEncryptedValue(body)
          ? options.cipher.decrypt(body, responseContext(scope, key))
          : (body ?? ""),
      );
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const pending = request.idempotency;
    if (!pending) return payload;
    const forget = reply.statusCode >= 500;
    await withTenant(options.db, pending.scope.tenantId, async (trx) => {
      if (forget) {
        await trx
          .deleteFrom("idempotency_keys")
          .where("principal", "=", pending.scope.principal)
          .where("key", "=", pending.key)
          .execute();
        return;
      }
      const contentType = reply.getHeader("content-type");
      const location = reply.getHeader("location");
      await trx
        .updateTable("idempotency_keys")
        .set({
          status_code: reply.statusCode,
          response_body: options.cipher.encrypt(
            typeof payload === "string"
              ? payload
              : payload === null || payload === undefined
                ? ""
                : JSON.stringify(payload),
            responseContext(pending.scope, pending.key),
          ),
          response_headers: JSON.stringify({
            ...(contentType ? { "content-type": String(contentType) } : {}),
            ...(location ? { location: String(location) } : {}),
          }),
          completed_at: new Date(),
        })
        .where("principal", "=", pending.scope.principal)
        .where("key", "=", pending.key)
        .execute();
    });
    return payload;
  });
}

/**
 * Brings every stored response under the current encryption key: responses stored in plaintext (before they
 * were encrypted) or with an older key are encrypted again. Run it with the owner connection (all tenants) after
 * putting a new key first in PRAPTI_ENCRYPTION_KEYS; returns how many rows it rewrote.
 */
export async function reencryptIdempotencyResponses<Schema>(options: {
  owner: Kysely<Schema>;
  cipher: FieldCipher;
  batchSize?: number;
}): Promise<number> {
  const { cipher } = options;
  const batchSize = options.batchSize ?? 200;
  let rewritten = 0;
  let after: { tenantId: string; principal: string; key: string } | undefined;
  for (;;) {
    const rows = await options.owner.transaction().execute(async (trx) => {
      const batch = await sql<{ tenant_id: string; principal: string; key: string; response_body: string }>`
        select tenant_id, principal, key, response_body from idempotency_keys
        where response_body is not null
          ${after === undefined ? sql`` : sql`and (tenant_id, principal, key) > (${after.tenantId}::uuid, ${after.principal}, ${after.key})`}
        order by tenant_id, principal, key limit ${batchSize} for update`.execute(trx);
      for (const row of batch.rows) {
        const body = row.response_body;
        if (isEncryptedValue(body) && !cipher.needsReencryption(body)) continue;
        const context = responseContext({ tenantId: row.tenant_id, principal: row.principal }, row.key);
        const value = isEncryptedValue(body)
          ? cipher.reencrypt(body, context)
          : cipher.encrypt(body, context);
        await sql`update idempotency_keys set response_body = ${value}
          where tenant_id = ${row.tenant_id} and principal = ${row.principal} and key = ${row.key}`.execute(
          trx,
        );
        rewritten += 1;
      }
      return batch.rows;
    });
    if (rows.length < batchSize) return rewritten;
    const last = rows[rows.length - 1];
    after = last ? { tenantId: last.tenant_id, principal: last.principal, key: last.key } : after;
  }
}
