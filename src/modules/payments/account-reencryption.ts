import { sql, type Kysely, type RawBuilder, type Transaction } from "kysely";
import { isEncryptedValue } from "../../platform/crypto/field.cipher.ts";
import {
  ACCOUNT_CONTEXTS,
  createAccountSealer,
  sealCommandAnswerText,
  sealedText,
  type AccountProtection,
} from "./account-protection.ts";

/** How many rows of each table were rewritten. */
export interface PaymentsReencryption {
  payerProfiles: number;
  payments: number;
  bankAccounts: number;
  statementLines: number;
  gatewayCredentials: number;
  commandAnswers: number;
}

interface Options<Schema> {
  owner: Kysely<Schema>;
  protection: AccountProtection;
  batchSize?: number;
}

/**
 * Walks a table in key order, one transaction per batch of `batchSize` rows locked `for update`, and lets
 * `rewrite` change each row; returns how many rows it rewrote.
 */
async function walk<Schema, Row extends { walk_key: string }>(
  options: Options<Schema>,
  select: (after: string | undefined, limit: number) => RawBuilder<Row>,
  rewrite: (trx: Transaction<Schema>, row: Row) => Promise<boolean>,
): Promise<number> {
  const batchSize = options.batchSize ?? 200;
  let rewritten = 0;
  let after: string | undefined;
  for (;;) {
    const rows = await options.owner.transaction().execute(async (trx) => {
      const batch = await select(after, batchSize).execute(trx);
      for (const row of batch.rows) if (await rewrite(trx, row)) rewritten += 1;
      return batch.rows;
    });
    if (rows.length < batchSize) return rewritten;
    after = rows[rows.length - 1]?.walk_key ?? after;
  }
}

const since = (column: RawBuilder<string>, after: string | undefined) =>
  after === undefined ? sql`true` : sql`${column} > ${after}`;

/**
 * Brings every account number, gateway secret and stored command answer of the payments module under the current
 * encryption key: values written in plaintext (before they were encrypted) or with an older key are encrypted
 * again, and missing blind indexes are written. Run it with the owner connection (all tenants) after putting a new
 * key first in PRAPTI_ENCRYPTION_KEYS; once every count is 0 the old key is no longer needed for payments.
 */
export async function reencryptPaymentAccounts<Schema>(
  options: Options<Schema>,
): Promise<PaymentsReencryption> {
  const { cipher } = options.protection;
  const accounts = createAccountSealer(options.protection);
  const stale = (value: string) => !isEncryptedValue(value) || cipher.needsReencryption(value);

  const payerKey = sql<string>`tenant_id::text || '/' || customer_id::text`;
  const payerProfiles = await walk(
    options,
    (after, limit) => sql<{
      walk_key: string;
      tenant_id: string;
      customer_id: string;
      account_numbers: string[];
      account_number_index: string[];
    }>`
      select ${payerKey} as walk_key, tenant_id, customer_id, account_numbers, account_number_index
      from payer_profiles where cardinality(account_numbers) > 0 and ${since(payerKey, after)}
      order by walk_key limit ${limit} for update`,
    async (trx, row) => {
      const context = ACCOUNT_CONTEXTS.payerProfile(row.tenant_id, row.customer_id);
      if (!row.account_numbers.some(stale) && row.account_number_index.length > 0) return false;
      const plain = row.account_numbers.map((value) => accounts.open(value, context));
      await sql`update payer_profiles
        set account_numbers = ${plain.map((value) => cipher.encrypt(value, context))}::text[],
            account_number_index = ${accounts.indexes(row.tenant_id, plain)}::text[]
        where tenant_id = ${row.tenant_id} and customer_id = ${row.customer_id}`.execute(trx);
      return true;
    },
  );

  const paymentKey = sql<string>`id::text`;
  const payments = await walk(
    options,
    (after, limit) => sql<{ walk_key: string; id: string; account: string }>`
      select ${paymentKey} as walk_key, id, payer->>'accountNumber' as account
      from payments where jsonb_typeof(payer->'accountNumber') = 'string' and ${since(paymentKey, after)}
      order by walk_key limit ${limit} for update`,
    async (trx, row) => {
      if (!stale(row.account)) return false;
      const context = ACCOUNT_CONTEXTS.payment(row.id);
      const sealed = cipher.encrypt(accounts.open(row.account, context), context);
      await sql`update payments set payer = jsonb_set(payer, '{accountNumber}', to_jsonb(${sealed}::text))
        where id = ${row.id}`.execute(trx);
      return true;
    },
  );

  const lineKey = sql<string>`id::text`;
  const statementLines = await walk(
    options,
    (after, limit) => sql<{ walk_key: string; id: string; tenant_id: string; account: string }>`
      select ${lineKey} as walk_key, id, tenant_id, counterparty->>'account' as account
      from bank_statement_lines
      where jsonb_typeof(counterparty->'account') = 'string' and ${since(lineKey, after)}
      order by walk_key limit ${limit} for update`,
    async (trx, row) => {
      if (!stale(row.account)) return false;
      const context = ACCOUNT_CONTEXTS.statementLine(row.id);
      const plain = accounts.open(row.account, context);
      await sql`update bank_statement_lines
        set counterparty = counterparty
          || jsonb_build_object('account', ${cipher.encrypt(plain, context)}::text,
               'accountIndex', ${accounts.index(row.tenant_id, plain)}::text)
        where id = ${row.id}`.execute(trx);
      return true;
    },
  );

  const bankKey = sql<string>`id::text`;
  const bankAccounts = await walk(
    options,
    (after, limit) => sql<{
      walk_key: string;
      id: string;
      tenant_id: string;
      account_identifier: string;
      account_identifier_index: string | null;
    }>`
      select ${bankKey} as walk_key, id, tenant_id, account_identifier, account_identifier_index
      from bank_accounts where ${since(bankKey, after)}
      order by walk_key limit ${limit} for update`,
    async (trx, row) => {
      if (!stale(row.account_identifier) && row.account_identifier_index !== null) return false;
      const context = ACCOUNT_CONTEXTS.bankAccount(row.id);
      const plain = accounts.open(row.account_identifier, context);
      await sql`update bank_accounts
        set account_identifier = ${cipher.encrypt(plain, context)},
            account_identifier_index = ${accounts.index(row.tenant_id, plain)}
        where id = ${row.id}`.execute(trx);
      return true;
    },
  );

  // Gateway secrets: `plain:` marks a secret saved by a module without a cipher.
  const PLAIN = "plain:";
  const gatewayKey = sql<string>`tenant_id::text || '/' || provider`;
  const gatewayCredentials = await walk(
    options,
    (after, limit) => sql<{
      walk_key: string;
      tenant_id: string;
      provider: string;
      key_secret: string;
      webhook_secret: string;
    }>`
      select ${gatewayKey} as walk_key, tenant_id, provider, key_secret, webhook_secret
      from payment_gateway_credentials where ${since(gatewayKey, after)}
      order by walk_key limit ${limit} for update`,
    async (trx, row) => {
      const again = (field: "key_secret" | "webhook_secret"): string => {
        const context = `payment_gateway_credentials.${field}:${row.tenant_id}:${row.provider}`;
        const value = row[field];
        if (value.startsWith(PLAIN)) return cipher.encrypt(value.slice(PLAIN.length), context);
        return cipher.reencrypt(value, context);
      };
      const keySecret = again("key_secret");
      const webhookSecret = again("webhook_secret");
      if (keySecret === row.key_secret && webhookSecret === row.webhook_secret) return false;
      await sql`update payment_gateway_credentials
        set key_secret = ${keySecret}, webhook_secret = ${webhookSecret}
        where tenant_id = ${row.tenant_id} and provider = ${row.provider}`.execute(trx);
      return true;
    },
  );

  const answerKey = sql<string>`tenant_id::text || '/' || key`;
  const commandAnswers = await walk(
    options,
    (after, limit) => sql<{ walk_key: string; tenant_id: string; key: string; response: string }>`
      select ${answerKey} as walk_key, tenant_id, key, response::text as response
      from payment_command_keys where response is not null and ${since(answerKey, after)}
      order by walk_key limit ${limit} for update`,
    async (trx, row) => {
      const context = ACCOUNT_CONTEXTS.commandAnswer(row.tenant_id, row.key);
      const stored = JSON.parse(row.response) as unknown;
      const sealed = sealedText(stored);
      if (sealed !== undefined && !cipher.needsReencryption(sealed)) return false;
      // The answer's JSON text is encrypted as it is (jsonb text keeps large numbers exact).
      const text = sealed === undefined ? row.response : cipher.decrypt(sealed, context);
      const value = sealCommandAnswerText(cipher, context, text);
      await sql`update payment_command_keys set response = ${JSON.stringify(value)}::jsonb
        where tenant_id = ${row.tenant_id} and key = ${row.key}`.execute(trx);
      return true;
    },
  );

  return { payerProfiles, payments, bankAccounts, statementLines, gatewayCredentials, commandAnswers };
}
