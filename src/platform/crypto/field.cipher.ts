import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { sql, type Kysely } from "kysely";
import { AppError } from "../../kernel/app-error.ts";
import type { KeyRing } from "./key-ring.ts";

/**
 * Field encryption with AES-256-GCM. A stored value reads `enc:v1:<kid>:<iv>:<ciphertext>:<tag>` (base64url
 * parts), so it names the key that encrypted it and keeps decrypting after the ring rotates.
 *
 * The optional `context` (for example `customers.email:<row id>`) is authenticated but not stored: a
 * ciphertext copied to another row or column then fails to decrypt instead of showing someone else's data.
 */
export interface FieldCipher {
  encrypt(plaintext: string, context?: string): string;
  decrypt(stored: string, context?: string): string;
  isEncrypted(value: string): boolean;
  keyIdOf(stored: string): string;
  /** True when the value was encrypted with a key other than the current one. */
  needsReencryption(stored: string): boolean;
  /** Decrypts with whichever key encrypted it and encrypts again with the current key (unchanged if current). */
  reencrypt(stored: string, context?: string): string;
}

const PREFIX = "enc:v1:";
const IV_BYTES = 12;
const TAG_BYTES = 16;

interface Parts {
  keyId: string;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/** True when a stored value is a field ciphertext (`enc:v1:...`); needs no key, so plaintext rows can be told apart. */
export function isEncryptedValue(value: string): boolean {
  return value.startsWith(PREFIX);
}

function malformed(reason: string): AppError {
  return new AppError({ code: "INTERNAL", message: `encrypted value is malformed: ${reason}` });
}

function parse(stored: string): Parts {
  if (!stored.startsWith(PREFIX)) throw malformed(`it does not start with ${PREFIX}`);
  const parts = stored.slice(PREFIX.length).split(":");
  if (parts.length !== 4) throw malformed("expected kid, iv, ciphertext and tag");
  const [keyId, iv, ciphertext, tag] = parts as [string, string, string, string];
  const decoded = {
    keyId,
    iv: Buffer.from(iv, "base64url"),
    ciphertext: Buffer.from(ciphertext, "base64url"),
    tag: Buffer.from(tag, "base64url"),
  };
  if (decoded.iv.length !== IV_BYTES || decoded.tag.length !== TAG_BYTES)
    throw malformed("bad iv or tag length");
  return decoded;
}

function additionalData(keyId: string, context: string | undefined): Buffer {
  return Buffer.from(`${PREFIX}${keyId}\n${context ?? ""}`, "utf8");
}

export function createFieldCipher(keyRing: KeyRing): FieldCipher {
  function encrypt(plaintext: string, context?: string): string {
    const { id, key } = keyRing.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(id, context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    const tag = cipher.getAuthTag();
    return `${PREFIX}${id}:${iv.toString("base64url")}:${ciphertext.toString("base64url")}:${tag.toString("base64url")}`;
  }

  function decrypt(stored: string, context?: string): string {
    const parts = parse(stored);
    const entry = keyRing.byId(parts.keyId);
    if (!entry) {
      throw new AppError({
        code: "INTERNAL",
        message: `encrypted value uses key ${parts.keyId}, which is not in PRAPTI_ENCRYPTION_KEYS`,
        details: { keyId: parts.keyId },
      });
    }
    const decipher = createDecipheriv("aes-256-gcm", entry.key, parts.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData(parts.keyId, context));
    decipher.setAuthTag(parts.tag);
    try {
      return Buffer.concat([decipher.update(parts.ciphertext), decipher.final()]).toString("utf8");
    } catch (error) {
      throw new AppError({
        code: "INTERNAL",
        message: "encrypted value failed its integrity check (altered, or decrypted in the wrong context)",
        details: { keyId: parts.keyId },
        cause: error,
      });
    }
  }

  return {
    encrypt,
    decrypt,
    isEncrypted: (value) => value.startsWith(PREFIX),
    keyIdOf: (stored) => parse(stored).keyId,
    needsReencryption: (stored) => parse(stored).keyId !== keyRing.current.id,
    reencrypt(stored, context) {
      if (parse(stored).keyId === keyRing.current.id) return stored;
      return encrypt(decrypt(stored, context), context);
    },
  };
}

export interface ReencryptColumnOptions {
  table: string;
  /** A unique, sortable column (usually the primary key) to walk the table by. */
  keyColumn: string;
  column: string;
  /** The context each value was encrypted with, from its key column value. */
  contextOf?: (key: string) => string;
  batchSize?: number;
}

/**
 * Re-encrypts every value of one column that is not under the current key, in batches, each batch in its
 * own transaction. Run it with the owner connection after putting a new key first in the ring; once it
 * reports nothing left, the old key can leave the ring. Returns how many values were rewritten.
 */
export async function reencryptColumn<Schema>(
  db: Kysely<Schema>,
  cipher: FieldCipher,
  currentKeyId: string,
  options: ReencryptColumnOptions,
): Promise<number> {
  const batchSize = options.batchSize ?? 500;
  const table = sql.table(options.table);
  const keyColumn = sql.ref(options.keyColumn);
  const column = sql.ref(options.column);
  const currentPrefix = `${PREFIX}${currentKeyId}:`;
  let rewritten = 0;
  let after: string | undefined;
  for (;;) {
    const batch = await db.transaction().execute(async (trx) => {
      const rows = await sql<{ key: string; value: string }>`
        select ${keyColumn}::text as key, ${column} as value from ${table}
        where ${column} like ${`${PREFIX}%`} and ${column} not like ${`${currentPrefix}%`}
          ${after === undefined ? sql`` : sql`and ${keyColumn}::text > ${after}`}
        order by ${keyColumn}::text
        limit ${batchSize}
        for update`.execute(trx);
      for (const row of rows.rows) {
        const context = options.contextOf?.(row.key);
        const value = cipher.reencrypt(row.value, context);
        await sql`update ${table} set ${column} = ${value} where ${keyColumn}::text = ${row.key}`.execute(
          trx,
        );
      }
      return rows.rows;
    });
    rewritten += batch.length;
    if (batch.length < batchSize) return rewritten;
    after = batch[batch.length - 1]?.key;
  }
}
