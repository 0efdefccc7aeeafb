import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant } from "../../../test/support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { createBlindIndex } from "../../platform/crypto/blind.index.ts";
import { createFieldCipher } from "../../platform/crypto/field.cipher.ts";
import { parseKeyRing } from "../../platform/crypto/key-ring.ts";
import type { AccountProtection } from "./account-protection.ts";
import { reencryptPaymentAccounts } from "./account-reencryption.ts";
import {
  ZBankAccountInput,
  ZImportStatementInput,
  ZRecordPaymentInput,
  ZRegisterPayerInput,
  ZRegisterReceivableInput,
  ZRunMatchingInput,
} from "./payments.schemas.ts";
import { createPaymentsServices, type PaymentsServices } from "./payments.services.ts";
import { newUuid, outboxEvents, testPaymentsDeps } from "./payments.testing.ts";

/** Bank account numbers in payments are encrypted at rest, found by blind index, and survive key rotation. */

let database: TestDatabase;
let tenantId: string;
let otherTenantId: string;
const k1 = `k1:${randomBytes(32).toString("base64")}`;
const k2 = `k2:${randomBytes(32).toString("base64")}`;
const blindIndexKey = randomBytes(32);

const protectionWith = (ring: string): AccountProtection => ({
  cipher: createFieldCipher(parseKeyRing(ring)),
  blindIndex: createBlindIndex(blindIndexKey),
});
const servicesWith = (ring: string): PaymentsServices =>
  createPaymentsServices(testPaymentsDeps(database, { protection: protectionWith(ring) }));
let services: PaymentsServices;

const meta = (key?: string) => ({
  tenantId,
  actor: "user:meera",
  requestId: "req-accounts",
  ...(key ? { idempotencyKey: key } : {}),
});
const rao = newUuid();
const raoInvoice = newUuid();
const PAYER_ACCOUNT = "60011122233";
const RECEIPT_ACCOUNT = "50100012345678";
const OWN_ACCOUNT = "50200098765432";
let bankAccountId: string;
let paymentId: string;

/** Everything the payments tables hold for the tenant, as text (read as owner, past row-level security). */
async function rawText(): Promise<string> {
  const tables = [
    "payer_profiles",
    "payments",
    "bank_accounts",
    "bank_statement_lines",
    "payment_command_keys",
    "event_outbox",
    "audit_log",
  ];
  const parts: string[] = [];
  for (const table of tables) {
    const rows = await sql<{ text: string }>`
      select coalesce(string_agg(t::text, ' '), '') as text from ${sql.table(table)} t`.execute(
      database.owner,
    );
    parts.push(rows.rows[0]?.text ?? "");
  }
  return parts.join("\n");
}

function mt940(account: string, lines: string[]): string {
  return [
    ":20:STMT250818",
    `:25:${account}`,
    ":28C:00001/001",
    ":60F:C250817INR100000,00",
    ...lines,
    "-",
  ].join("\r\n");
}

/** A credit whose narration names nobody: only the payer's account (structured ?31) points to Rao Fabrics. */
const ACCOUNT_ONLY_LINE = [
  ":61:2508180818C43210,00NTRFNONREF",
  `:86:166?00NEFT CREDIT?20TRANSFER?30ICIC0000104?31${PAYER_ACCOUNT}?32ACCOUNTS DEPT`,
];

beforeAll(async () => {
  database = await createTestDatabase();
  tenantId = await createTenant(database.owner, "Account Traders");
  otherTenantId = await createTenant(database.owner, "Other Traders");
  services = servicesWith(k1);
  await services.payments.registerPayer(
    meta(),
    ZRegisterPayerInput.parse({ customerId: rao, name: "Rao Fabrics", accountNumbers: [PAYER_ACCOUNT] }),
  );
  await services.payments.registerReceivable(
    meta(),
    ZRegisterReceivableInput.parse({
      invoiceId: raoInvoice,
      invoiceNumber: "RF/2025/0007",
      customerId: rao,
      issueDate: "2025-07-20",
      dueDate: "2025-08-19",
      totalPaise: "4321000",
      taxableValuePaise: "3661864",
    }),
  );
});

afterAll(async () => {
  await database?.drop();
});

describe("account numbers at rest", () => {
  it("are stored encrypted with blind indexes, and shown in plaintext to the API", async () => {
    const recorded = await services.payments.record(
      meta("record-1"),
      ZRecordPaymentInput.parse({
        method: "neft",
        reference: "HDFCN52025081812",
        payer: { name: "Joshi Packaging", accountNumber: RECEIPT_ACCOUNT, ifsc: "HDFC0000123" },
        receivedOn: "2025-08-18",
        amountPaise: "100000",
      }),
    );
    paymentId = recorded.payment.id;
    expect(recorded.payment.payer).toMatchObject({ accountNumber: RECEIPT_ACCOUNT });
    const account = await services.statements.createBankAccount(
      meta("bank-1"),
      ZBankAccountInput.parse({ name: "HDFC current", accountIdentifier: OWN_ACCOUNT }),
    );
    bankAccountId = account.id;
    expect(account.accountIdentifier).toBe(OWN_ACCOUNT);

    const text = await rawText();
    for (const plaintext of [PAYER_ACCOUNT, RECEIPT_ACCOUNT, OWN_ACCOUNT])
      expect(text).not.toContain(plaintext);

    const profile = await sql<{ account_numbers: string[]; account_number_index: string[] }>`
      select account_numbers, account_number_index from payer_profiles where customer_id = ${rao}`.execute(
      database.owner,
    );
    expect(profile.rows[0]?.account_numbers).toEqual([expect.stringMatching(/^enc:v1:k1:/)]);
    expect(profile.rows[0]?.account_number_index).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/)]);
    const payment = await sql<{ payer: Record<string, string> }>`
      select payer from payments where id = ${paymentId}`.execute(database.owner);
    expect(payment.rows[0]?.payer.name).toBe("Joshi Packaging");
    expect(payment.rows[0]?.payer.accountNumber).toMatch(/^enc:v1:k1:/);
    const bank = await sql<{ account_identifier: string; account_identifier_index: string }>`
      select account_identifier, account_identifier_index from bank_accounts where id = ${bankAccountId}`.execute(
      database.owner,
    );
    expect(bank.rows[0]?.account_identifier).toMatch(/^enc:v1:k1:/);
    expect(bank.rows[0]?.account_identifier_index).toMatch(/^[0-9a-f]{64}$/);

    // Audit entries and events carry the numbers masked.
    const audit = await sql<{ after: unknown }>`
      select after from audit_log where action in ('payment.recorded', 'bank-account.created') order by seq`.execute(
      database.owner,
    );
    expect(JSON.stringify(audit.rows)).toContain("XXXXXXXXXX5678");
    expect(JSON.stringify(audit.rows)).toContain("XXXXXXXXXX5432");
    const [received] = await outboxEvents(database, tenantId, "payment.received");
    expect(received?.data.payer).toMatchObject({ accountNumber: "XXXXXXXXXX5678" });

    // Reads decrypt: the receipt, the account list, the payer profile.
    expect((await services.payments.get(tenantId, paymentId)).payer).toMatchObject({
      accountNumber: RECEIPT_ACCOUNT,
    });
    expect(
      (await services.statements.listBankAccounts(tenantId)).map((row) => row.accountIdentifier),
    ).toEqual([OWN_ACCOUNT]);
    const again = await services.payments.registerPayer(
      meta(),
      ZRegisterPayerInput.parse({ customerId: rao, name: "Rao Fabrics" }),
    );
    expect(again.accountNumbers).toEqual([PAYER_ACCOUNT]);
  });

  it("replays a command's stored answer, kept encrypted, identically", async () => {
    const stored = await sql<{ response: Record<string, unknown> }>`
      select response from payment_command_keys where key = 'record-1'`.execute(database.owner);
    const response = stored.rows[0]?.response ?? {};
    expect(Object.keys(response)).toEqual(["$sealed"]);
    expect(response.$sealed).toMatch(/^enc:v1:k1:/);
    expect(JSON.stringify(response)).not.toContain(RECEIPT_ACCOUNT);
    const replay = await services.payments.record(
      meta("record-1"),
      ZRecordPaymentInput.parse({
        method: "neft",
        reference: "HDFCN52025081812",
        payer: { name: "Joshi Packaging", accountNumber: RECEIPT_ACCOUNT, ifsc: "HDFC0000123" },
        receivedOn: "2025-08-18",
        amountPaise: "100000",
      }),
    );
    expect(replay.payment.id).toBe(paymentId);
    expect(replay.payment.payer).toMatchObject({ accountNumber: RECEIPT_ACCOUNT });
  });

  it("finds the bank account by blind index: duplicates refused, statements checked against it", async () => {
    await expect(
      services.statements.createBankAccount(
        meta(),
        ZBankAccountInput.parse({ name: "Same account", accountIdentifier: "5020 0098-765432" }),
      ),
    ).rejects.toMatchObject({ code: "CONFLICT", message: "account XXXXXXXXXX5432 is already set up" });
    // The same number in another business is another account.
    const elsewhere = await createPaymentsServices(
      testPaymentsDeps(database, { protection: protectionWith(k1) }),
    ).statements.createBankAccount(
      { tenantId: otherTenantId, actor: "user:other" },
      ZBankAccountInput.parse({ name: "HDFC current", accountIdentifier: OWN_ACCOUNT }),
    );
    expect(elsewhere.accountIdentifier).toBe(OWN_ACCOUNT);

    await expect(
      services.statements.importStatement(
        meta(),
        ZImportStatementInput.parse({
          bankAccountId,
          format: "mt940",
          content: mt940("99999999999", ACCOUNT_ONLY_LINE),
        }),
      ),
    ).rejects.toMatchObject({ code: "INVALID_INPUT", issues: [{ field: "content" }] });
    const imported = await services.statements.importStatement(
      meta(),
      ZImportStatementInput.parse({
        bankAccountId,
        format: "mt940",
        content: mt940(OWN_ACCOUNT, ACCOUNT_ONLY_LINE),
      }),
    );
    expect(imported).toMatchObject({ duplicate: false, newLineCount: 1, creditCount: 1 });
  });

  it("matches a statement line to the payer by the blind index of its account", async () => {
    const run = await services.reconciliation.runMatching(
      meta(),
      ZRunMatchingInput.parse({ autoApply: false }),
    );
    const proposal = run.proposals.find((item) => item.customerId === rao);
    expect(proposal?.evidence).toContain("known payer account or UPI address");
    expect(proposal?.allocations).toMatchObject([{ invoiceId: raoInvoice }]);
  });
});

describe("rows written before encryption, and key rotation", () => {
  const legacyPayer = newUuid();
  const legacyPayment = newUuid();
  const legacyBank = newUuid();
  const LEGACY_PAYER_ACCOUNT = "70011122233";
  const LEGACY_RECEIPT_ACCOUNT = "917020012345678";
  const LEGACY_BANK_ACCOUNT = "000405001234";

  it("read as before, and re-encryption converts them; a second run finds nothing to do", async () => {
    await sql`insert into payer_profiles (tenant_id, customer_id, name, account_numbers, updated_at)
      values (${tenantId}, ${legacyPayer}, 'Legacy Mills', ${[LEGACY_PAYER_ACCOUNT]}::text[], now())`.execute(
      database.owner,
    );
    await sql`insert into payments (id, tenant_id, method, payer, received_on, amount_paise, source, created_at,
        created_by, updated_at)
      values (${legacyPayment}, ${tenantId}, 'imps',
        ${JSON.stringify({ name: "Legacy Mills", accountNumber: LEGACY_RECEIPT_ACCOUNT })}::jsonb,
        '2025-08-01', 5000, 'manual', now(), 'user:old', now())`.execute(database.owner);
    await sql`insert into bank_accounts (id, tenant_id, name, account_identifier, created_at, updated_at)
      values (${legacyBank}, ${tenantId}, 'ICICI collections', ${LEGACY_BANK_ACCOUNT}, now(), now())`.execute(
      database.owner,
    );
    await sql`insert into payment_gateway_credentials (tenant_id, provider, key_id, key_secret, webhook_secret,
        updated_at, updated_by)
      values (${tenantId}, 'razorpay', 'rzp_test_1', 'plain:ks-legacy-1', 'plain:wh-legacy-1', now(), 'user:old')`.execute(
      database.owner,
    );
    await sql`insert into payment_command_keys (tenant_id, key, command, request_hash, response)
      values (${tenantId}, 'legacy-answer', 'payments.register-payer', 'x',
        ${JSON.stringify({ accountNumbers: [LEGACY_PAYER_ACCOUNT] })}::jsonb)`.execute(database.owner);

    // Plaintext rows read, and a duplicate of a plaintext bank account is still refused.
    expect((await services.payments.get(tenantId, legacyPayment)).payer).toMatchObject({
      accountNumber: LEGACY_RECEIPT_ACCOUNT,
    });
    expect(
      (await services.statements.listBankAccounts(tenantId)).map((row) => row.accountIdentifier),
    ).toContain(LEGACY_BANK_ACCOUNT);
    await expect(
      services.statements.createBankAccount(
        meta(),
        ZBankAccountInput.parse({ name: "Again", accountIdentifier: LEGACY_BANK_ACCOUNT }),
      ),
    ).rejects.toMatchObject({ code: "CONFLICT" });

    const first = await reencryptPaymentAccounts({
      owner: database.owner,
      protection: protectionWith(k1),
      batchSize: 2,
    });
    expect(first).toEqual({
      payerProfiles: 1,
      payments: 1,
      bankAccounts: 1,
      statementLines: 0,
      gatewayCredentials: 1,
      commandAnswers: 1,
    });
    expect(await reencryptPaymentAccounts({ owner: database.owner, protection: protectionWith(k1) })).toEqual(
      {
        payerProfiles: 0,
        payments: 0,
        bankAccounts: 0,
        statementLines: 0,
        gatewayCredentials: 0,
        commandAnswers: 0,
      },
    );
    const text = await rawText();
    for (const plaintext of [LEGACY_PAYER_ACCOUNT, LEGACY_RECEIPT_ACCOUNT, LEGACY_BANK_ACCOUNT]) {
      expect(text).not.toContain(plaintext);
    }
    const gateway = await sql<{ key_secret: string }>`
      select key_secret from payment_gateway_credentials where tenant_id = ${tenantId}`.execute(
      database.owner,
    );
    expect(gateway.rows[0]?.key_secret).toMatch(/^enc:v1:k1:/);
    // The converted rows read the same, and the legacy payer's account now has its blind index.
    expect((await services.payments.get(tenantId, legacyPayment)).payer).toMatchObject({
      accountNumber: LEGACY_RECEIPT_ACCOUNT,
    });
    const again = await services.payments.registerPayer(
      meta(),
      ZRegisterPayerInput.parse({ customerId: legacyPayer, name: "Legacy Mills" }),
    );
    expect(again.accountNumbers).toEqual([LEGACY_PAYER_ACCOUNT]);
    const index = await sql<{ account_number_index: string[] }>`
      select account_number_index from payer_profiles where customer_id = ${legacyPayer}`.execute(
      database.owner,
    );
    expect(index.rows[0]?.account_number_index).toHaveLength(1);
  });

  it("rotates: new values use the new key, old ones still decrypt, re-encryption retires the old key", async () => {
    const rotated = servicesWith(`${k2},${k1}`);
    const fresh = await rotated.statements.createBankAccount(
      meta(),
      ZBankAccountInput.parse({ name: "Axis current", accountIdentifier: "917020099999999" }),
    );
    const stored = await sql<{ account_identifier: string }>`
      select account_identifier from bank_accounts where id = ${fresh.id}`.execute(database.owner);
    expect(stored.rows[0]?.account_identifier).toMatch(/^enc:v1:k2:/);
    expect((await rotated.payments.get(tenantId, paymentId)).payer).toMatchObject({
      accountNumber: RECEIPT_ACCOUNT,
    });
    // Without k1 the old rows cannot be read yet.
    await expect(servicesWith(k2).payments.get(tenantId, paymentId)).rejects.toThrow(/k1/);

    const moved = await reencryptPaymentAccounts({
      owner: database.owner,
      protection: protectionWith(`${k2},${k1}`),
    });
    expect(moved.payerProfiles).toBe(2);
    expect(moved.payments).toBe(2);
    expect(moved.bankAccounts).toBe(3);
    expect(moved.gatewayCredentials).toBe(1);
    expect(moved.commandAnswers).toBeGreaterThanOrEqual(3);
    const text = await rawText();
    expect(text).not.toContain("enc:v1:k1:");
    expect(text).toContain("enc:v1:k2:");

    // Once re-encrypted, k1 can leave the ring: everything decrypts, lookups and replays still work.
    const onlyK2 = servicesWith(k2);
    expect((await onlyK2.payments.get(tenantId, paymentId)).payer).toMatchObject({
      accountNumber: RECEIPT_ACCOUNT,
    });
    expect(
      (await onlyK2.statements.listBankAccounts(tenantId)).map((row) => row.accountIdentifier),
    ).toContain(OWN_ACCOUNT);
    await expect(
      onlyK2.statements.createBankAccount(
        meta(),
        ZBankAccountInput.parse({ name: "Same account", accountIdentifier: OWN_ACCOUNT }),
      ),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    const replay = await onlyK2.statements.createBankAccount(
      meta("bank-1"),
      ZBankAccountInput.parse({ name: "HDFC current", accountIdentifier: OWN_ACCOUNT }),
    );
    expect(replay).toMatchObject({ id: bankAccountId, accountIdentifier: OWN_ACCOUNT });
    const gateway = await sql<{ key_secret: string }>`
      select key_secret from payment_gateway_credentials where tenant_id = ${tenantId}`.execute(
      database.owner,
    );
    expect(
      createFieldCipher(parseKeyRing(k2)).decrypt(
        gateway.rows[0]?.key_secret ?? "",
        `payment_gateway_credentials.key_secret:${tenantId}:razorpay`,
      ),
    ).toBe("ks-legacy-1");
  });
});
