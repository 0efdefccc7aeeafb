import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFieldCipher } from "../../src/platform/crypto/field.cipher.ts";
import { parseKeyRing } from "../../src/platform/crypto/key-ring.ts";
import { praptiEnvironment, runPrapti } from "../support/prapti-process.ts";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";

/** `prapti security reencrypt` and the audit of `prapti workflow secret set|delete`, as real processes. */

let database: TestDatabase;
let dataDir: string;
let tenantId: string;
const slug = `cli-crypto-${randomBytes(3).toString("hex")}`;
const k1 = `k1:${randomBytes(32).toString("base64")}`;
const k2 = `k2:${randomBytes(32).toString("base64")}`;
const blindIndexKey = randomBytes(32).toString("base64");
const customerId = randomUUID();
const paymentId = randomUUID();
const bankAccountId = randomUUID();
const PLAINTEXTS = ["asha@legacy.example", "9812300000", "60011122233", "50100012345678", "30012345678"];

const env = (keys: string) =>
  praptiEnvironment({
    DATABASE_URL: database.url,
    PRAPTI_DATA_DIR: dataDir,
    PRAPTI_ENCRYPTION_KEYS: keys,
    PRAPTI_BLIND_INDEX_KEY: blindIndexKey,
    LOG_LEVEL: "warn",
  });

/** The counts `prapti security reencrypt` printed, by what. */
function countsOf(output: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of output.split("\n")) {
    const match = /^(.+?)\s+(\d+)$/.exec(line.trim());
    if (match?.[1] && match[2]) counts[match[1]] = Number(match[2]);
  }
  return counts;
}

async function everything(): Promise<string> {
  const parts: string[] = [];
  for (const table of [
    "customers",
    "payer_profiles",
    "payments",
    "bank_accounts",
    "idempotency_keys",
    "workflow_secrets",
  ]) {
    const rows = await sql<{ text: string }>`
      select coalesce(string_agg(t::text, ' '), '') as text from ${sql.table(table)} t`.execute(
      database.owner,
    );
    parts.push(rows.rows[0]?.text ?? "");
  }
  return parts.join("\n");
}

beforeAll(async () => {
  database = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), "prapti-security-cli-"));
  const tenant = await database.owner
    .insertInto("tenants")
    .values({ name: "CLI Crypto Traders", slug, gstin: null })
    .returning("id")
    .executeTakeFirstOrThrow();
  tenantId = tenant.id;
  // Rows as they were written before these fields were encrypted.
  await sql`insert into customers (id, tenant_id, legal_name, state_code, contacts, preferred_language,
      created_at, updated_at)
    values (${customerId}, ${tenantId}, 'Legacy Traders', '27',
      ${JSON.stringify([{ name: "Asha", email: "asha@legacy.example", phone: "+919812300000", isPrimary: true }])}::jsonb,
      'en', now(), now())`.execute(database.owner);
  await sql`insert into payer_profiles (tenant_id, customer_id, name, account_numbers, updated_at)
    values (${tenantId}, ${customerId}, 'Legacy Traders', ${["60011122233"]}::text[], now())`.execute(
    database.owner,
  );
  await sql`insert into payments (id, tenant_id, method, payer, received_on, amount_paise, source, created_at,
      created_by, updated_at)
    values (${paymentId}, ${tenantId}, 'imps',
      ${JSON.stringify({ name: "Legacy Traders", accountNumber: "50100012345678" })}::jsonb,
      '2025-08-01', 5000, 'manual', now(), 'user:old', now())`.execute(database.owner);
  await sql`insert into bank_accounts (id, tenant_id, name, account_identifier, created_at, updated_at)
    values (${bankAccountId}, ${tenantId}, 'SBI current', '30012345678', now(), now())`.execute(
    database.owner,
  );
  await sql`insert into idempotency_keys (tenant_id, principal, key, method, path, request_hash, status_code,
      response_body, completed_at)
    values (${tenantId}, 'user:old', 'legacy-1', 'POST', '/api/v1/customers', 'x', 201,
      ${JSON.stringify({ email: "asha@legacy.example" })}, now())`.execute(database.owner);
});

afterAll(async () => {
  await database?.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("prapti security reencrypt", () => {
  it("encrypts rows written in plaintext, reports what it did, and reports 0 when run again", async () => {
    const secret = await runPrapti(
      ["workflow", "secret", "set", "ledger", "--tenant", slug, "--value", '{"token":"tok-cli-9d2e"}'],
      env(k1),
    );
    expect(secret.output).toContain("created secret ledger");
    expect(secret.code).toBe(0);

    const first = await runPrapti(["security", "reencrypt"], env(k1));
    expect(first.code).toBe(0);
    expect(countsOf(first.output)).toEqual({
      "customer contacts": 1,
      "payer account numbers": 1,
      "receipt payer accounts": 1,
      "bank accounts": 1,
      "statement line payer accounts": 0,
      "payment gateway secrets": 0,
      "payment command answers": 0,
      "idempotent responses": 1,
      "workflow secrets": 0,
    });
    expect(first.output).toContain("rewritten 5 under key k1");
    const text = await everything();
    for (const plaintext of PLAINTEXTS) expect(text).not.toContain(plaintext);

    const second = await runPrapti(["security", "reencrypt"], env(k1));
    expect(second.code).toBe(0);
    expect(Object.values(countsOf(second.output)).every((count) => count === 0)).toBe(true);
    expect(second.output).toContain("rewritten 0 under key k1");
  });

  it("moves everything to a new key first in the ring, after which the old key can go", async () => {
    const rotated = await runPrapti(["security", "reencrypt"], env(`${k2},${k1}`));
    expect(rotated.code).toBe(0);
    expect(countsOf(rotated.output)).toMatchObject({
      "customer contacts": 1,
      "payer account numbers": 1,
      "receipt payer accounts": 1,
      "bank accounts": 1,
      "idempotent responses": 1,
      "workflow secrets": 1,
    });
    const text = await everything();
    expect(text).not.toContain("enc:v1:k1:");
    const onlyK2 = createFieldCipher(parseKeyRing(k2));
    const bank = await sql<{ account_identifier: string }>`
      select account_identifier from bank_accounts where id = ${bankAccountId}`.execute(database.owner);
    expect(
      onlyK2.decrypt(
        bank.rows[0]?.account_identifier ?? "",
        `payments.bank_accounts.account_identifier:${bankAccountId}`,
      ),
    ).toBe("30012345678");
    expect((await runPrapti(["security", "reencrypt"], env(k2))).output).toContain(
      "rewritten 0 under key k2",
    );
  });
});

describe("prapti workflow secret", () => {
  it("audits set and delete with the actor and the secret's name, never its value", async () => {
    const deleted = await runPrapti(["workflow", "secret", "delete", "ledger", "--tenant", slug], env(k2));
    expect(deleted.code).toBe(0);
    const entries = await sql<{
      actor_type: string;
      actor_id: string;
      action: string;
      entity_id: string;
      metadata: Record<string, unknown>;
      text: string;
    }>`
      select actor_type, actor_id, action, entity_id, metadata, a::text as text from audit_log a
      where tenant_id = ${tenantId} and entity_type = 'workflow-secret' order by seq`.execute(database.owner);
    expect(
      entries.rows.map((row) => [row.action, row.actor_type, row.actor_id, row.entity_id, row.metadata]),
    ).toEqual([
      [
        "workflow-secret.set",
        "system",
        "cli",
        "ledger",
        { operation: "set", name: "ledger", created: true, keyId: "k1" },
      ],
      ["workflow-secret.deleted", "system", "cli", "ledger", { operation: "delete", name: "ledger" }],
    ]);
    for (const row of entries.rows) expect(row.text).not.toContain("tok-cli-9d2e");
  });
});
