import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../config/config.ts";
import { resolveSecrets } from "./secret.store.ts";

const directories: string[] = [];
async function dataDir(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), "prapti-secrets-"));
  directories.push(directory);
  return directory;
}

afterAll(async () => {
  await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
});

describe("secrets", () => {
  it("generates missing secrets once, keeps them private, and reads the same ones back", async () => {
    const directory = await dataDir();
    const { security } = loadConfig({});
    const [first, second] = await Promise.all([
      resolveSecrets({ dataDir: directory, security }),
      resolveSecrets({ dataDir: directory, security }),
    ]);
    expect(first.fromDataDir.sort()).toEqual(["blind-index-key", "encryption-keys", "jwt-secret"]);
    expect(Buffer.from(first.jwtSecret).equals(Buffer.from(second.jwtSecret))).toBe(true);
    expect(first.keyRing.current.key.equals(second.keyRing.current.key)).toBe(true);
    expect(first.keyRing.current.id).toBe("local1");
    expect(first.blindIndexKey).toHaveLength(32);
    const mode = (await stat(join(directory, "secrets", "encryption-keys"))).mode & 0o777;
    expect(mode).toBe(0o600);
    const third = await resolveSecrets({ dataDir: directory, security });
    expect(third.blindIndexKey.equals(first.blindIndexKey)).toBe(true);
  });

  it("prefers the environment and then writes nothing", async () => {
    const directory = await dataDir();
    const key = randomBytes(32).toString("base64");
    const { security } = loadConfig({
      PRAPTI_JWT_SECRET: "x".repeat(40),
      PRAPTI_ENCRYPTION_KEYS: `prod2:${key}`,
      PRAPTI_BLIND_INDEX_KEY: randomBytes(32).toString("base64"),
    });
    const secrets = await resolveSecrets({ dataDir: directory, security });
    expect(secrets.fromDataDir).toEqual([]);
    expect(secrets.keyRing.current.id).toBe("prod2");
    await expect(readFile(join(directory, "secrets", "jwt-secret"))).rejects.toThrow(/ENOENT/);
  });
});
