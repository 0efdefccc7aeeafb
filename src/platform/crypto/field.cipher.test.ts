import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createFieldCipher } from "./field.cipher.ts";
import { parseKeyRing } from "./key-ring.ts";

const k1 = randomBytes(32).toString("base64");
const k2 = randomBytes(32).toString("base64");

function flipCharacter(value: string, partIndex: number): string {
  const parts = value.split(":");
  const part = parts[partIndex] ?? "";
  const bytes = Buffer.from(part, "base64url");
  bytes[0] = (bytes[0] ?? 0) ^ 0x01;
  parts[partIndex] = bytes.toString("base64url");
  return parts.join(":");
}

describe("key ring", () => {
  it("takes the first key as current and knows every id", () => {
    const ring = parseKeyRing(`k2:${k2}, k1:${k1}`);
    expect(ring.current.id).toBe("k2");
    expect(ring.ids).toEqual(["k2", "k1"]);
    expect(ring.byId("k1")?.key.toString("base64")).toBe(k1);
    expect(ring.byId("k3")).toBeUndefined();
  });

  it.each([
    ["", /no key/],
    [`k1:${k1},k1:${k2}`, /appears twice/],
    [`k1:${randomBytes(16).toString("base64")}`, /32 bytes/],
    [`:${k1}`, /needs an id/],
    [`bad id:${k1}`, /needs an id/],
  ])("refuses %j without printing key material", (spec, reason) => {
    let message = "";
    try {
      parseKeyRing(spec);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(reason);
    expect(message).not.toContain(k1);
    expect(message).not.toContain(k2);
  });
});

describe("field cipher", () => {
  const cipher = createFieldCipher(parseKeyRing(`k1:${k1}`));

  it("round-trips text, including non-Latin scripts and the empty string", () => {
    for (const text of ["ravi@example.com", "राम कुमार, पुणे", "", "a".repeat(10_000)]) {
      const stored = cipher.encrypt(text);
      expect(stored).toMatch(/^enc:v1:k1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]*:[A-Za-z0-9_-]{22}$/);
      expect(cipher.isEncrypted(stored)).toBe(true);
      expect(cipher.decrypt(stored)).toBe(text);
    }
    expect(cipher.isEncrypted("ravi@example.com")).toBe(false);
  });

  it("uses a fresh IV each time, so equal plaintexts give different ciphertexts", () => {
    expect(cipher.encrypt("9876543210")).not.toBe(cipher.encrypt("9876543210"));
  });

  it("detects a change to the ciphertext, the tag or the IV", () => {
    const stored = cipher.encrypt("HDFC0001234 / 50100012345678");
    // parts: enc, v1, kid, iv, ciphertext, tag
    for (const index of [3, 4, 5]) {
      expect(() => cipher.decrypt(flipCharacter(stored, index))).toThrow(/integrity check/);
    }
  });

  it("binds a value to its context: a ciphertext moved to another row does not decrypt", () => {
    const stored = cipher.encrypt("ravi@example.com", "customers.email:row-1");
    expect(cipher.decrypt(stored, "customers.email:row-1")).toBe("ravi@example.com");
    expect(() => cipher.decrypt(stored, "customers.email:row-2")).toThrow(/integrity check/);
    expect(() => cipher.decrypt(stored)).toThrow(/integrity check/);
  });

  it("cannot be tricked into another key by editing the key id", () => {
    const both = createFieldCipher(parseKeyRing(`k2:${k2},k1:${k1}`));
    const stored = both.encrypt("secret");
    expect(() => both.decrypt(stored.replace("enc:v1:k2:", "enc:v1:k1:"))).toThrow(/integrity check/);
  });

  it("refuses malformed values and names an unknown key id", () => {
    expect(() => cipher.decrypt("plain text")).toThrow(/malformed/);
    expect(() => cipher.decrypt("enc:v1:k1:abc")).toThrow(/malformed/);
    const other = createFieldCipher(parseKeyRing(`k9:${k2}`)).encrypt("x");
    expect(() => cipher.decrypt(other)).toThrow(/key k9, which is not in PRAPTI_ENCRYPTION_KEYS/);
  });

  it("keeps decrypting after rotation and re-encrypts old values under the new key", () => {
    const before = createFieldCipher(parseKeyRing(`k1:${k1}`));
    const old = before.encrypt("27AAPFU0939F1ZV", "ctx");
    const after = createFieldCipher(parseKeyRing(`k2:${k2},k1:${k1}`));
    expect(after.decrypt(old, "ctx")).toBe("27AAPFU0939F1ZV");
    expect(after.needsReencryption(old)).toBe(true);
    const rotated = after.reencrypt(old, "ctx");
    expect(after.keyIdOf(rotated)).toBe("k2");
    expect(after.needsReencryption(rotated)).toBe(false);
    expect(after.reencrypt(rotated, "ctx")).toBe(rotated);
    const onlyNew = createFieldCipher(parseKeyRing(`k2:${k2}`));
    expect(onlyNew.decrypt(rotated, "ctx")).toBe("27AAPFU0939F1ZV");
    expect(() => onlyNew.decrypt(old, "ctx")).toThrow(/not in PRAPTI_ENCRYPTION_KEYS/);
  });
});
