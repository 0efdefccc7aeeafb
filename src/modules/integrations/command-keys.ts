import { createHash } from "node:crypto";
import { AppError } from "../../kernel/app-error.ts";
import { jsonReplacer } from "../../platform/events/event-outbox.ts";
import type { IntegrationsDb } from "./integrations.tables.ts";

function hashOf(command: string, request: unknown): string {
  return createHash("sha256")
    .update(`${command}\n${JSON.stringify(request ?? null, jsonReplacer)}`)
    .digest("hex");
}

/**
 * Runs a command once per idempotency key, inside the command's transaction. The key is claimed first: a
 * concurrent retry with the same key waits for this transaction and then reads the stored answer; when the
 * command fails, the key is released with the rollback. Without a key the command simply runs. Answers are
 * JSON views (money as digit strings), so a replay returns exactly what the first call returned.
 */
export async function runOnce<T>(
  trx: IntegrationsDb,
  options: { tenantId: string; key: string | undefined; command: string; request: unknown },
  work: () => Promise<T>,
): Promise<T> {
  const { key } = options;
  if (key === undefined || key === "") return work();
  const requestHash = hashOf(options.command, options.request);
  const claimed = await trx
    .insertInto("import_command_keys")
    .values({
      tenant_id: options.tenantId,
      key,
      command: options.command,
      request_hash: requestHash,
      response: null,
    })
    .onConflict((conflict) => conflict.columns(["tenant_id", "key"]).doNothing())
    .returning("key")
    .executeTakeFirst();
  if (!claimed) {
    const stored = await trx
      .selectFrom("import_command_keys")
      .select(["command", "request_hash", "response"])
      .where("tenant_id", "=", options.tenantId)
      .where("key", "=", key)
      .executeTakeFirstOrThrow();
    if (stored.command !== options.command || stored.request_hash !== requestHash) {
      throw AppError.invalidInput(
        [{ field: "idempotencyKey", reason: `was already used for a different request (${stored.command})` }],
        "this idempotency key was already used for a different command or input",
      );
    }
    return stored.response as T;
  }
  const result = await work();
  await trx
    .updateTable("import_command_keys")
    .set({ response: JSON.stringify(result ?? null, jsonReplacer) })
    .where("tenant_id", "=", options.tenantId)
    .where("key", "=", key)
    .execute();
  return result;
}
