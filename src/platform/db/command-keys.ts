import { createHash } from "node:crypto";
import { sql, type QueryExecutorProvider } from "kysely";
import { AppError } from "../../kernel/app-error.ts";
import { jsonReplacer } from "../events/event-outbox.ts";

function hashOf(command: string, request: unknown): string {
  return createHash("sha256")
    .update(`${command}\n${JSON.stringify(request ?? null, jsonReplacer)}`)
    .digest("hex");
}

/**
 * Runs a command once per idempotency key, inside the command's transaction. Each module keeps its keys in
 * its own table (`tenant_id, key, command, request_hash, response`, primary key `tenant_id, key`). The key is
 * claimed first: a concurrent retry with the same key waits for this transaction and then reads the stored
 * answer; when the command fails, the key is released with the rollback. Without a key the command simply
 * runs. Answers must be JSON (views, not domain objects with bigint).
 */
export async function runCommandOnce<T>(
  trx: QueryExecutorProvider,
  table: string,
  options: { tenantId: string; key: string | undefined; command: string; request: unknown },
  work: () => Promise<T>,
): Promise<T> {
  const { key } = options;
  if (key === undefined || key === "") return work();
  const requestHash = hashOf(options.command, options.request);
  const keys = sql.table(table);
  const claimed = await sql<{ key: string }>`
    insert into ${keys} (tenant_id, key, command, request_hash, response)
    values (${options.tenantId}, ${key}, ${options.command}, ${requestHash}, null)
    on conflict (tenant_id, key) do nothing
    returning key`.execute(trx);
  if (claimed.rows.length === 0) {
    const stored = await sql<{ command: string; request_hash: string; response: unknown }>`
      select command, request_hash, response from ${keys} where tenant_id = ${options.tenantId} and key = ${key}`.execute(
      trx,
    );
    const row = stored.rows[0];
    if (!row || row.command !== options.command || row.request_hash !== requestHash) {
      throw AppError.invalidInput(
        [
          {
            field: "idempotencyKey",
            reason: `was already used for a different request (${row?.command ?? "unknown"})`,
          },
        ],
        "this idempotency key was already used for a different command or input",
      );
    }
    return row.response as T;
  }
  const result = await work();
  await sql`update ${keys} set response = ${JSON.stringify(result ?? null, jsonReplacer)}::jsonb
    where tenant_id = ${options.tenantId} and key = ${key}`.execute(trx);
  return result;
}
