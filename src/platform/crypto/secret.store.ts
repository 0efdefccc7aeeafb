import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SecurityConfig } from "../../config/config.ts";
import { AppError } from "../../kernel/app-error.ts";
import { generateKeyMaterial, parseKeyRing, type KeyRing } from "./key-ring.ts";

/** The secret material a process needs, from configuration or, when unset, from the data directory. */
export interface Secrets {
  jwtSecret: Uint8Array;
  keyRing: KeyRing;
  blindIndexKey: Buffer;
  /** Which secrets came from files in `<dataDir>/secrets` rather than from the environment. */
  fromDataDir: ("jwt-secret" | "encryption-keys" | "blind-index-key")[];
}

/** The id of the encryption key generated for a laptop install. */
export const GENERATED_KEY_ID = "local1";

/**
 * Reads the secret from `<dataDir>/secrets/<name>`, creating it first if it does not exist. A new secret is
 * written to a temporary file and hard-linked into place, which fails if the name exists: processes starting
 * together on one machine end up with the same, complete secret.
 */
async function persistedSecret(directory: string, name: string, generate: () => string): Promise<string> {
  const file = join(directory, name);
  const temporary = join(directory, `.${name}.${process.pid}.${randomBytes(6).toString("hex")}`);
  await writeFile(temporary, `${generate()}\n`, { flag: "wx", mode: 0o600 });
  try {
    await link(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    await rm(temporary, { force: true });
  }
  const value = (await readFile(file, "utf8")).trim();
  if (value === "") {
    throw new AppError({
      code: "INTERNAL",
      message: `secret file ${file} is empty; remove it or fill it in`,
    });
  }
  return value;
}

/**
 * Resolves the access token key, the encryption key ring and the blind index key. Each comes from its
 * environment variable when set; otherwise it is generated once and kept in `<dataDir>/secrets` (mode 600),
 * which suits one machine. Several machines must share the values through the environment.
 */
export async function resolveSecrets(options: {
  dataDir: string;
  security: SecurityConfig;
}): Promise<Secrets> {
  const { security } = options;
  const directory = join(options.dataDir, "secrets");
  const fromDataDir: Secrets["fromDataDir"] = [];
  if (!security.jwtSecret || !security.encryptionKeys || !security.blindIndexKey) {
    await mkdir(directory, { recursive: true, mode: 0o700 });
  }
  let jwtSecret = security.jwtSecret;
  if (!jwtSecret) {
    jwtSecret = await persistedSecret(directory, "jwt-secret", () => randomBytes(48).toString("base64url"));
    fromDataDir.push("jwt-secret");
  }
  let encryptionKeys = security.encryptionKeys;
  if (!encryptionKeys) {
    encryptionKeys = await persistedSecret(
      directory,
      "encryption-keys",
      () => `${GENERATED_KEY_ID}:${generateKeyMaterial()}`,
    );
    fromDataDir.push("encryption-keys");
  }
  let blindIndexKey = security.blindIndexKey;
  if (!blindIndexKey) {
    blindIndexKey = await persistedSecret(directory, "blind-index-key", generateKeyMaterial);
    fromDataDir.push("blind-index-key");
  }
  if (jwtSecret.length < 32) {
    throw new AppError({
      code: "INTERNAL",
      message: "the access token secret must be at least 32 characters",
    });
  }
  return {
    jwtSecret: new TextEncoder().encode(jwtSecret),
    keyRing: parseKeyRing(encryptionKeys),
    blindIndexKey: Buffer.from(blindIndexKey, "base64"),
    fromDataDir,
  };
}
