import type { Kysely } from "kysely";
import { reencryptCustomerContacts } from "../modules/customers/index.ts";
import { reencryptPaymentAccounts } from "../modules/payments/index.ts";
import { reencryptWorkflowSecrets } from "../orchestration/secrets/workflow-secret.store.ts";
import type { BlindIndex } from "../platform/crypto/blind.index.ts";
import type { FieldCipher } from "../platform/crypto/field.cipher.ts";
import { reencryptIdempotencyResponses } from "../platform/http/idempotency.ts";

/** How many rows of one kind were rewritten. */
export interface ReencryptionCount {
  what: string;
  count: number;
}

/**
 * `prapti security reencrypt`: brings every encrypted value of every tenant under the current key of
 * PRAPTI_ENCRYPTION_KEYS, and encrypts values written before their field was encrypted (writing their blind
 * indexes). Runs with the owner connection. Safe to repeat: a second run rewrites nothing; once every count is
 * 0 the older keys may leave the ring.
 */
export async function reencryptStoredData<Schema>(options: {
  owner: Kysely<Schema>;
  cipher: FieldCipher;
  blindIndex: BlindIndex;
}): Promise<ReencryptionCount[]> {
  const protection = { cipher: options.cipher, blindIndex: options.blindIndex };
  const customers = await reencryptCustomerContacts({ owner: options.owner, protection });
  const payments = await reencryptPaymentAccounts({ owner: options.owner, protection });
  const idempotency = await reencryptIdempotencyResponses({ owner: options.owner, cipher: options.cipher });
  const secrets = await reencryptWorkflowSecrets({ owner: options.owner, cipher: options.cipher });
  return [
    { what: "customer contacts", count: customers },
    { what: "payer account numbers", count: payments.payerProfiles },
    { what: "receipt payer accounts", count: payments.payments },
    { what: "bank accounts", count: payments.bankAccounts },
    { what: "statement line payer accounts", count: payments.statementLines },
    { what: "payment gateway secrets", count: payments.gatewayCredentials },
    { what: "payment command answers", count: payments.commandAnswers },
    { what: "idempotent responses", count: idempotency },
    { what: "workflow secrets", count: secrets },
  ];
}
