import { randomBytes } from "node:crypto";
import { AppError } from "../../kernel/app-error.ts";

/** One AES-256 key and the id stored beside everything it encrypts. */
export interface EncryptionKey {
  id: string;
  key: Buffer;
}

/** The keys configured in `PRAPTI_ENCRYPTION_KEYS`: the first encrypts, all of them decrypt. */
export interface KeyRing {
  current: EncryptionKey;
  ids: readonly string[];
  byId(id: string): EncryptionKey | undefined;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

function invalid(reason: string): AppError {
  return new AppError({
    code: "INVALID_INPUT",
    message: `encryption key ring is invalid: ${reason}`,
    issues: [{ field: "PRAPTI_ENCRYPTION_KEYS", reason }],
  });
}

/** Parses `k2:base64key,k1:base64key` (current key first). Key material never appears in an error. */
export function parseKeyRing(spec: string): KeyRing {
  const entries = spec
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  if (entries.length === 0) throw invalid("no key given");
  const keys: EncryptionKey[] = [];
  for (const [position, entry] of entries.entries()) {
    const separator = entry.indexOf(":");
    const id = separator > 0 ? entry.slice(0, separator) : "";
    if (!KEY_ID.test(id)) throw invalid(`entry ${position + 1} needs an id of 1-32 letters, digits, - or _`);
    if (keys.some((key) => key.id === id)) throw invalid(`key id ${id} appears twice`);
    const encoded = entry.slice(separator + 1);
    const key = Buffer.from(encoded, "base64");
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded) || key.length !== 32) {
      throw invalid(`key ${id} must be 32 bytes in base64`);
    }
    keys.push({ id, key });
  }
  const byId = new Map(keys.map((key) => [key.id, key]));
  return {
    current: keys[0] as EncryptionKey,
    ids: keys.map((key) => key.id),
    byId: (id) => byId.get(id),
  };
}

/** A new random 256-bit key in base64, as it is written in `PRAPTI_ENCRYPTION_KEYS`. */
export function generateKeyMaterial(): string {
  return randomBytes(32).toString("base64");
}
