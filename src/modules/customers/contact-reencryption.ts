import { sql, type Kysely } from "kysely";
import {
  CONTACT_FIELDS,
  contactIndexOf,
  openContacts,
  sealContacts,
  type ContactProtection,
} from "./contact-protection.ts";

function needsRewrite(protection: ContactProtection, contacts: unknown): boolean {
  if (!Array.isArray(contacts)) return false;
  return contacts.some((contact: Record<string, unknown>) =>
    CONTACT_FIELDS.some((field) => {
      const value = contact[field];
      if (typeof value !== "string") return false;
      return !protection.cipher.isEncrypted(value) || protection.cipher.needsReencryption(value);
    }),
  );
}

/**
 * Brings every customer's contacts under the current encryption key: values written in plaintext (before
 * contacts were encrypted) or with an older key are encrypted again and their blind indexes written. Run it
 * with the owner connection (all tenants) after putting a new key first in PRAPTI_ENCRYPTION_KEYS; once it
 * returns 0 the old key is no longer needed for customers. Batches of `batchSize` rows, one transaction each.
 */
export async function reencryptCustomerContacts<Schema>(options: {
  owner: Kysely<Schema>;
  protection: ContactProtection;
  batchSize?: number;
}): Promise<number> {
  const { protection } = options;
  const batchSize = options.batchSize ?? 200;
  let rewritten = 0;
  let after = "00000000-0000-0000-0000-000000000000";
  for (;;) {
    const rows = await options.owner.transaction().execute(async (trx) => {
      const batch = await sql<{ id: string; tenant_id: string; contacts: unknown }>`
        select id, tenant_id, contacts from customers where id > ${after}::uuid
        order by id limit ${batchSize} for update`.execute(trx);
      for (const row of batch.rows) {
        if (!needsRewrite(protection, row.contacts)) continue;
        const plain = openContacts(protection, row.id, row.contacts);
        // Values under an old key are opened above and sealed again with the current one.
        const sealed = sealContacts(protection, row.id, plain);
        await sql`update customers set contacts = ${JSON.stringify(sealed)}::jsonb,
            contact_index = ${contactIndexOf(protection, row.tenant_id, plain)}::text[]
          where id = ${row.id}::uuid`.execute(trx);
        rewritten += 1;
      }
      return batch.rows;
    });
    if (rows.length < batchSize) return rewritten;
    after = rows[rows.length - 1]?.id ?? after;
  }
}
