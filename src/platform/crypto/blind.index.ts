import { createHmac } from "node:crypto";
import { AppError } from "../../kernel/app-error.ts";

/**
 * Blind indexes: an HMAC of a normalised value, stored beside its ciphertext so that encrypted emails and
 * phone numbers can still be found by equality (`where email_index = $1`). The purpose (for example
 * `customer.email`) and, when given, the tenant are part of the input, so the same address gives unrelated
 * indexes in different columns and different tenants.
 */
export interface BlindIndex {
  compute(input: { purpose: string; value: string; tenantId?: string }): string;
  email(value: string, tenantId?: string): string;
  phone(value: string, tenantId?: string): string;
}

export function createBlindIndex(key: Buffer): BlindIndex {
  if (key.length < 32) {
    throw new AppError({ code: "INVALID_INPUT", message: "blind index key must be at least 32 bytes" });
  }
  function compute(input: { purpose: string; value: string; tenantId?: string }): string {
    if (!/^[a-z0-9_.-]+$/.test(input.purpose)) {
      throw new AppError({
        code: "INVALID_INPUT",
        message: `blind index purpose "${input.purpose}" is invalid`,
      });
    }
    return createHmac("sha256", key)
      .update(`${input.purpose}\u0000${input.tenantId ?? ""}\u0000${input.value}`, "utf8")
      .digest("hex");
  }
  return {
    compute,
    email: (value, tenantId) =>
      compute({ purpose: "email", value: normalizeEmail(value), ...(tenantId ? { tenantId } : {}) }),
    phone: (value, tenantId) =>
      compute({ purpose: "phone", value: normalizePhone(value), ...(tenantId ? { tenantId } : {}) }),
  };
}

/** Trimmed and lower-cased: addresses differing only in case are the same mailbox in practice. */
export function normalizeEmail(value: string): string {
  return value.trim().toLowerCase();
}

/**
 * Digits only, with an Indian number reduced to its 10 national digits (`+91 98765 43210`, `09876543210`
 * and `9876543210` are one number); other numbers keep every digit.
 */
export function normalizePhone(value: string): string {
  const digits = value.replace(/\D/g, "");
  if (digits.length === 12 && digits.startsWith("91")) return digits.slice(2);
  if (digits.length === 11 && digits.startsWith("0")) return digits.slice(1);
  return digits;
}
