import { sql, type Kysely } from "kysely";
import { AppError } from "../../kernel/app-error.ts";
import { appendAudit } from "../../platform/audit/audit.log.ts";
import { auditActorOf } from "../../platform/audit/command-actor.ts";
import { withTenant } from "../../platform/db/database.ts";
import type { DB } from "../../platform/db/schema.ts";
import type { FieldCipher } from "../../platform/crypto/field.cipher.ts";
import type { OrchestrationTables } from "../store/orchestration.tables.ts";

/** What may be listed about a secret: never its value. */
export interface WorkflowSecretSummary {
  name: string;
  /** The id of the encryption key that protects it (useful while rotating keys). */
  keyId: string;
  createdAt: Date;
  updatedAt: Date;
  updatedBy: string;
}

export const SECRET_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,99}$/;
/** Secrets are small (tokens, passwords, client credentials); a megabyte of them is a mistake. */
const MAX_VALUE_BYTES = 64 * 1024;

/** Binds each ciphertext to its tenant and name: a value copied to another row does not decrypt. */
const contextOf = (tenantId: string, name: string) => `workflow_secrets:${tenantId}:${name}`;

function checkName(name: string): void {
  if (!SECRET_NAME_PATTERN.test(name)) {
    throw AppError.invalidInput([
      {
        field: "name",
        reason: "must start with a letter or _ and hold only letters, digits, _ and - (at most 100)",
      },
    ]);
  }
}

/** Who changes a secret, for the audit log: `user:<id>`, `api-key:<id>`, `cli`, ...; and the request id. */
export interface SecretChangeBy {
  actor: string;
  requestId?: string | undefined;
}

/**
 * The per-tenant secrets workflows use (`$secrets.<name>`), encrypted at rest with the field cipher. Values go
 * in (set) and out only to the durable host, for the names a definition declares in `use.secrets`. Every set
 * and delete is written to the audit log in the same transaction: who, which secret, never its value.
 */
export function createWorkflowSecretStore(deps: { db: Kysely<DB>; cipher: FieldCipher }) {
  const inTenant = <T>(
    tenantId: string,
    work: (trx: Kysely<DB & OrchestrationTables>) => Promise<T>,
  ): Promise<T> => withTenant(deps.db, tenantId, (trx) => work(trx.withTables<OrchestrationTables>()));

  const audit = (
    trx: Kysely<DB & OrchestrationTables>,
    tenantId: string,
    by: SecretChangeBy,
    change: { action: string; name: string; metadata: Record<string, unknown> },
  ) =>
    appendAudit(trx, {
      tenantId,
      actor: auditActorOf(by.actor),
      action: change.action,
      entity: { type: "workflow-secret", id: change.name },
      metadata: change.metadata,
      ...(by.requestId !== undefined ? { requestId: by.requestId } : {}),
    });

  return {
    /** Creates or replaces a secret; the value is any JSON (a string, or an object such as `{ token }`). */
    async set(input: {
      tenantId: string;
      name: string;
      value: unknown;
      actor: string;
      requestId?: string | undefined;
    }): Promise<WorkflowSecretSummary & { created: boolean }> {
      checkName(input.name);
      if (input.value === undefined || input.value === null) {
        throw AppError.invalidInput([{ field: "value", reason: "a secret needs a value" }]);
      }
      const json = JSON.stringify(input.value);
      if (Buffer.byteLength(json) > MAX_VALUE_BYTES) {
        throw AppError.invalidInput([{ field: "value", reason: `at most ${MAX_VALUE_BYTES} bytes` }]);
      }
      const value = deps.cipher.encrypt(json, contextOf(input.tenantId, input.name));
      const row = await inTenant(input.tenantId, async (trx) => {
        const saved = await trx
          .insertInto("workflow_secrets")
          .values({ tenant_id: input.tenantId, name: input.name, value, updated_by: input.actor })
          .onConflict((conflict) =>
            conflict
              .columns(["tenant_id", "name"])
              .doUpdateSet({ value, updated_by: input.actor, updated_at: new Date() }),
          )
          .returning(["name", "value", "created_at", "updated_at", "updated_by"])
          .executeTakeFirstOrThrow();
        // The name and the key id only: the value never reaches the audit log.
        await audit(trx, input.tenantId, input, {
          action: "workflow-secret.set",
          name: input.name,
          metadata: {
            operation: "set",
            name: input.name,
            created: saved.created_at.getTime() === saved.updated_at.getTime(),
            keyId: deps.cipher.keyIdOf(saved.value),
          },
        });
        return saved;
      });
      return {
        name: row.name,
        keyId: deps.cipher.keyIdOf(row.value),
        createdAt: row.created_at,
        updatedAt: row.updated_at,
        updatedBy: row.updated_by,
        created: row.created_at.getTime() === row.updated_at.getTime(),
      };
    },

    /** Names and metadata, never values. */
    async list(tenantId: string): Promise<WorkflowSecretSummary[]> {
      const rows = await inTenant(tenantId, (trx) =>
        trx
          .selectFrom("workflow_secrets")
          .select(["name", "value", "created_at", "updated_at", "updated_by"])
          .orderBy("name")
          .execute(),
      );
      return rows.map((row) => ({
        name: row.name,
        keyId: deps.cipher.keyIdOf(row.value),
        createdAt: row.created_at,
        updatedAt: row.updated_at,
        updatedBy: row.updated_by,
      }));
    },

    async delete(tenantId: string, name: string, by: SecretChangeBy): Promise<void> {
      checkName(name);
      await inTenant(tenantId, async (trx) => {
        const deleted = await trx
          .deleteFrom("workflow_secrets")
          .where("name", "=", name)
          .returning("name")
          .executeTakeFirst();
        if (!deleted) throw AppError.notFound("workflow secret", name);
        await audit(trx, tenantId, by, {
          action: "workflow-secret.deleted",
          name,
          metadata: { operation: "delete", name },
        });
      });
    },

    /** The values of the named secrets (for the durable host); names without a secret are left out. */
    async load(tenantId: string, names: readonly string[]): Promise<Record<string, unknown>> {
      const wanted = names.filter((name) => SECRET_NAME_PATTERN.test(name));
      if (wanted.length === 0) return {};
      const rows = await inTenant(tenantId, (trx) =>
        trx.selectFrom("workflow_secrets").select(["name", "value"]).where("name", "in", wanted).execute(),
      );
      return Object.fromEntries(
        rows.map((row) => [
          row.name,
          JSON.parse(deps.cipher.decrypt(row.value, contextOf(tenantId, row.name))) as unknown,
        ]),
      );
    },
  };
}

export type WorkflowSecretStore = ReturnType<typeof createWorkflowSecretStore>;

/**
 * Re-encrypts every workflow secret that is not under the current key, in batches, each in its own transaction.
 * Run it with the owner connection (all tenants) after putting a new key first in PRAPTI_ENCRYPTION_KEYS; returns
 * how many secrets it rewrote.
 */
export async function reencryptWorkflowSecrets<Schema>(options: {
  owner: Kysely<Schema>;
  cipher: FieldCipher;
  batchSize?: number;
}): Promise<number> {
  const { cipher } = options;
  const batchSize = options.batchSize ?? 200;
  let rewritten = 0;
  let after: { tenantId: string; name: string } | undefined;
  for (;;) {
    const rows = await options.owner.transaction().execute(async (trx) => {
      const batch = await sql<{ tenant_id: string; name: string; value: string }>`
        select tenant_id, name, value from workflow_secrets
        ${after === undefined ? sql`` : sql`where (tenant_id, name) > (${after.tenantId}::uuid, ${after.name})`}
        order by tenant_id, name limit ${batchSize} for update`.execute(trx);
      for (const row of batch.rows) {
        if (!cipher.needsReencryption(row.value)) continue;
        const value = cipher.reencrypt(row.value, contextOf(row.tenant_id, row.name));
        await sql`update workflow_secrets set value = ${value}
          where tenant_id = ${row.tenant_id} and name = ${row.name}`.execute(trx);
        rewritten += 1;
      }
      return batch.rows;
    });
    if (rows.length < batchSize) return rewritten;
    const last = rows[rows.length - 1];
    after = last ? { tenantId: last.tenant_id, name: last.name } : after;
  }
}
