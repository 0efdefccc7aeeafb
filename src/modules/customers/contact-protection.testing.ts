import { randomBytes } from "node:crypto";
import { createBlindIndex } from "../../platform/crypto/blind.index.ts";
import { createFieldCipher } from "../../platform/crypto/field.cipher.ts";
import { parseKeyRing } from "../../platform/crypto/key-ring.ts";
import type { ContactProtection } from "./contact-protection.ts";

/** Test helper: contact protection with fresh random keys. */
export function testContactProtection(): ContactProtection {
  return {
    cipher: createFieldCipher(parseKeyRing(`test1:${randomBytes(32).toString("base64")}`)),
    blindIndex: createBlindIndex(randomBytes(32)),
  };
}
