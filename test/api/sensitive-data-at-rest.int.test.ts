import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newKey, startApiHarness, type ApiHarness } from "./api-harness.ts";

/**
 * Through the running application: bank account numbers and the responses kept for `Idempotency-Key` are
 * encrypted at rest, and changes to workflow secrets are audited without their values.
 */

let harness: ApiHarness;
const ACCOUNT = "50100077788899";
const OWN_ACCOUNT = "30012345678";

beforeAll(async () => {
  harness = await startApiHarness({ keyRing: newKey("k1") });
});

afterAll(async () => {
  await harness?.stop();
});

async function rawText(query: ReturnType<typeof sql<{ text: string }>>): Promise<string> {
  const rows = await query.execute(harness.database.owner);
  return rows.rows[0]?.text ?? "";
}

describe("account numbers and idempotent replies at rest", () => {
  it("stores ciphertext for account numbers and for the reply kept under an Idempotency-Key, and replays it identically", async () => {
    const customerId = randomUUID();
    const payer = await harness.call({
      method: "PUT",
      path: `/api/v1/payments/payers/${customerId}`,
      token: harness.a.tokens.accountant,
      body: { name: "Kulkarni Steel", accountNumbers: [ACCOUNT] },
    });
    expect(payer.status).toBeLessThan(300);
    expect(payer.json<{ accountNumbers: string[] }>().accountNumbers).toEqual([ACCOUNT]);

    const body = {
      customerId,
      method: "imps",
      reference: "523400009999",
      payer: { name: "Kulkarni Steel", accountNumber: ACCOUNT, ifsc: "HDFC0000123" },
      receivedOn: "2025-08-19",
      amountPaise: "250000",
    };
    const headers = { "idempotency-key": "receipt-kulkarni-1" };
    const first = await harness.call({
      method: "POST",
      path: "/api/v1/payments",
      token: harness.a.tokens.collector,
      headers,
      body,
    });
    expect(first.status).toBe(201);
    expect(first.text).toContain(ACCOUNT);
    const replay = await harness.call({
      method: "POST",
      path: "/api/v1/payments",
      token: harness.a.tokens.collector,
      headers,
      body,
    });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.text).toBe(first.text);

    const account = await harness.call({
      method: "POST",
      path: "/api/v1/reconciliation/bank-accounts",
      token: harness.a.tokens.accountant,
      headers: { "idempotency-key": "bank-sbi-1" },
      body: { name: "SBI current", accountIdentifier: OWN_ACCOUNT },
    });
    expect(account.status).toBe(201);
    expect(account.json<{ accountIdentifier: string }>().accountIdentifier).toBe(OWN_ACCOUNT);

    const replies = await sql<{ response_body: string }>`
      select response_body from idempotency_keys where key in ('receipt-kulkarni-1', 'bank-sbi-1')`.execute(
      harness.database.owner,
    );
    expect(replies.rows).toHaveLength(2);
    for (const row of replies.rows) expect(row.response_body).toMatch(/^enc:v1:k1:/);

    const stored = [
      await rawText(
        sql<{ text: string }>`select coalesce(string_agg(t::text, ' '), '') as text from idempotency_keys t`,
      ),
      await rawText(
        sql<{ text: string }>`select coalesce(string_agg(t::text, ' '), '') as text from payer_profiles t`,
      ),
      await rawText(
        sql<{ text: string }>`select coalesce(string_agg(t::text, ' '), '') as text from payments t`,
      ),
      await rawText(
        sql<{ text: string }>`select coalesce(string_agg(t::text, ' '), '') as text from bank_accounts t`,
      ),
      await rawText(
        sql<{
          text: string;
        }>`select coalesce(string_agg(t::text, ' '), '') as text from payment_command_keys t`,
      ),
      await rawText(
        sql<{ text: string }>`select coalesce(string_agg(t::text, ' '), '') as text from audit_log t`,
      ),
      await rawText(
        sql<{ text: string }>`select coalesce(string_agg(t::text, ' '), '') as text from event_outbox t`,
      ),
    ].join("\n");
    expect(stored).not.toContain(ACCOUNT);
    expect(stored).not.toContain(OWN_ACCOUNT);
    expect(stored).toContain("XXXXXXXXXX8899");

    // Readers see the plaintext.
    const paymentId = first.json<{ payment: { id: string } }>().payment.id;
    const read = await harness.call({
      method: "GET",
      path: `/api/v1/payments/${paymentId}`,
      token: harness.a.tokens.viewer,
    });
    expect(read.status).toBe(200);
    expect(read.json<{ payer: { accountNumber: string } }>().payer.accountNumber).toBe(ACCOUNT);
  });
});

describe("workflow secret changes", () => {
  it("are audited with who, what and the request id, never the value", async () => {
    const VALUE = "tok-audit-5f1e9c27b3";
    const put = await harness.call({
      method: "PUT",
      path: "/api/v1/workflows/secrets/ledger_api",
      token: harness.a.tokens.admin,
      body: { value: { token: VALUE } },
    });
    expect(put.status).toBe(201);
    const replaced = await harness.call({
      method: "PUT",
      path: "/api/v1/workflows/secrets/ledger_api",
      token: harness.a.tokens.owner,
      body: { value: { token: `${VALUE}-2` } },
    });
    expect(replaced.status).toBe(200);
    const deleted = await harness.call({
      method: "DELETE",
      path: "/api/v1/workflows/secrets/ledger_api",
      token: harness.a.tokens.owner,
    });
    expect(deleted.status).toBe(204);
    // A refused change and a delete of nothing leave no entry.
    const refused = await harness.call({
      method: "PUT",
      path: "/api/v1/workflows/secrets/ledger_api",
      token: harness.a.tokens.collector,
      body: { value: "x" },
    });
    expect(refused.status).toBe(403);
    const missing = await harness.call({
      method: "DELETE",
      path: "/api/v1/workflows/secrets/ledger_api",
      token: harness.a.tokens.owner,
    });
    expect(missing.status).toBe(404);

    const entries = await sql<{
      tenant_id: string;
      actor_type: string;
      actor_id: string;
      action: string;
      entity_type: string;
      entity_id: string;
      metadata: Record<string, unknown>;
      request_id: string | null;
      text: string;
    }>`
      select tenant_id, actor_type, actor_id, action, entity_type, entity_id, metadata, request_id, a::text as text
      from audit_log a where entity_type = 'workflow-secret' order by seq`.execute(harness.database.owner);
    expect(entries.rows.map((row) => [row.action, row.actor_type, row.actor_id, row.metadata])).toEqual([
      [
        "workflow-secret.set",
        "user",
        harness.a.userIds.admin,
        { operation: "set", name: "ledger_api", created: true, keyId: "k1" },
      ],
      [
        "workflow-secret.set",
        "user",
        harness.a.userIds.owner,
        { operation: "set", name: "ledger_api", created: false, keyId: "k1" },
      ],
      [
        "workflow-secret.deleted",
        "user",
        harness.a.userIds.owner,
        { operation: "delete", name: "ledger_api" },
      ],
    ]);
    for (const row of entries.rows) {
      expect(row.tenant_id).toBe(harness.a.tenantId);
      expect(row.entity_id).toBe("ledger_api");
      expect(row.request_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.text).not.toContain(VALUE);
    }
    expect(new Set(entries.rows.map((row) => row.request_id)).size).toBe(3);

    // Auditors read them in the export; the chain still verifies.
    const exported = await harness.call({
      method: "GET",
      path: "/api/v1/audit?format=ndjson",
      token: harness.a.tokens.auditor,
    });
    expect(exported.status).toBe(200);
    expect(exported.text).toContain("workflow-secret.deleted");
    expect(exported.text).not.toContain(VALUE);
    const verified = await harness.call({
      method: "GET",
      path: "/api/v1/audit/verify",
      token: harness.a.tokens.auditor,
    });
    expect(verified.status).toBe(200);
    expect(verified.json()).toMatchObject({ ok: true });
  });
});
