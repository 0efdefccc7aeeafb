import { AppError } from "../../kernel/app-error.ts";
import type { BlindIndex } from "../../platform/crypto/blind.index.ts";
import { isEncryptedValue, type FieldCipher } from "../../platform/crypto/field.cipher.ts";
import { maskAccountNumber, maskEmail, maskPhone } from "../../platform/crypto/masking.ts";
import { jsonReplacer } from "../../platform/events/event-outbox.ts";

/**
 * Bank account numbers (payers' accounts, the business's own accounts) are personal data: they are stored
 * encrypted with the platform's field cipher (AES-256-GCM, key id inside each value, so keys rotate) and found by
 * equality through blind indexes. Each ciphertext is bound to its table, field and row (the context below): a
 * value copied to another row does not decrypt.
 */
export interface AccountProtection {
  cipher: FieldCipher;
  blindIndex: BlindIndex;
}

/** Additional authenticated data of each encrypted account number. */
export const ACCOUNT_CONTEXTS = {
  payerProfile: (tenantId: string, customerId: string): string =>
    `payments.payer_profiles.account_numbers:${tenantId}:${customerId}`,
  payment: (paymentId: string): string => `payments.payments.payer.accountNumber:${paymentId}`,
  bankAccount: (bankAccountId: string): string =>
    `payments.bank_accounts.account_identifier:${bankAccountId}`,
  statementLine: (lineId: string): string => `payments.bank_statement_lines.counterparty.account:${lineId}`,
  commandAnswer: (tenantId: string, key: string): string =>
    `payments.payment_command_keys:${tenantId}:${key}`,
} as const;

const INDEX_PURPOSE = "payments.account-number";

/** An account number as compared: upper-case letters and digits only (`5010 0012-345678` = `50100012345678`). */
export function normaliseAccountNumber(value: string): string {
  return value.toUpperCase().replace(/[^A-Z0-9]/g, "");
}

export type AccountSealer = ReturnType<typeof createAccountSealer>;

/**
 * Encrypts, decrypts and indexes account numbers with the module's protection. Values written before account
 * numbers were encrypted are plaintext and are read as they are (`reencryptPaymentAccounts` converts them).
 * Without protection nothing can be written: the composition root passes the cipher and the blind index.
 */
export function createAccountSealer(protection: AccountProtection | undefined) {
  function required(): AccountProtection {
    if (!protection) {
      throw new AppError({
        code: "INTERNAL",
        message:
          "account numbers are stored encrypted: create the payments module with the field cipher and the blind index",
      });
    }
    return protection;
  }
  function seal(value: string, context: string): string {
    if (isEncryptedValue(value)) return value;
    return required().cipher.encrypt(value, context);
  }
  function open(value: string, context: string): string {
    if (!isEncryptedValue(value)) return value;
    return required().cipher.decrypt(value, context);
  }
  function index(tenantId: string, value: string): string {
    return required().blindIndex.compute({
      purpose: INDEX_PURPOSE,
      value: normaliseAccountNumber(value),
      tenantId,
    });
  }
  return {
    /** False when the module was built without the cipher and blind index (nothing encrypted can be written). */
    enabled: protection !== undefined,
    seal,
    open,
    index,
    /** Blind indexes of plaintext account numbers, each once, in the order given. */
    indexes: (tenantId: string, values: readonly string[]): string[] => [
      ...new Set(values.map((value) => index(tenantId, value))),
    ],
    /** A receipt's payer as stored: the account number encrypted. */
    sealPayer(paymentId: string, payer: Record<string, unknown>): Record<string, unknown> {
      if (typeof payer.accountNumber !== "string") return payer;
      return { ...payer, accountNumber: seal(payer.accountNumber, ACCOUNT_CONTEXTS.payment(paymentId)) };
    },
    /**
     * A statement line's counterparty as stored: the payer's account number encrypted, with its blind index
     * beside it (`accountIndex`) so matching never needs the plaintext to compare.
     */
    sealCounterparty(
      tenantId: string,
      lineId: string,
      counterparty: Record<string, unknown>,
    ): Record<string, unknown> {
      if (typeof counterparty.account !== "string") return counterparty;
      return {
        ...counterparty,
        account: seal(counterparty.account, ACCOUNT_CONTEXTS.statementLine(lineId)),
        accountIndex: index(tenantId, counterparty.account),
      };
    },
    /** A statement line's counterparty as read: the account number in plaintext, without the index. */
    openCounterparty(lineId: string, counterparty: Record<string, unknown>): Record<string, unknown> {
      const { accountIndex: _index, ...rest } = counterparty;
      if (typeof rest.account !== "string") return rest;
      return { ...rest, account: open(rest.account, ACCOUNT_CONTEXTS.statementLine(lineId)) };
    },
    /** A receipt's payer as read: the account number in plaintext. */
    openPayer(paymentId: string, payer: Record<string, unknown>): Record<string, unknown> {
      if (typeof payer.accountNumber !== "string") return payer;
      return { ...payer, accountNumber: open(payer.accountNumber, ACCOUNT_CONTEXTS.payment(paymentId)) };
    },
  };
}

const SEALED = "$sealed";

/**
 * A command's answer as kept in `payment_command_keys`: encrypted as a whole (answers carry payers, accounts and
 * contact details), bound to the tenant and the key. Without a cipher it is kept as it is.
 */
export function sealCommandAnswer(
  cipher: FieldCipher | undefined,
  context: string,
  answer: unknown,
): unknown {
  if (!cipher) return answer;
  return sealCommandAnswerText(cipher, context, JSON.stringify(answer ?? null, jsonReplacer));
}

/** A stored answer from its JSON text, encrypted. */
export function sealCommandAnswerText(cipher: FieldCipher, context: string, text: string): unknown {
  return { [SEALED]: cipher.encrypt(text, context) };
}

/** The stored answer, decrypted; an answer stored before answers were encrypted is returned as it is. */
export function openCommandAnswer(
  cipher: FieldCipher | undefined,
  context: string,
  stored: unknown,
): unknown {
  const sealed = sealedText(stored);
  if (sealed === undefined) return stored;
  if (!cipher) {
    throw new AppError({
      code: "INTERNAL",
      message: "a stored command answer is encrypted but the payments module has no field cipher",
    });
  }
  return JSON.parse(cipher.decrypt(sealed, context)) as unknown;
}

/** The ciphertext of a sealed answer, or undefined for an answer kept in the clear. */
export function sealedText(stored: unknown): string | undefined {
  if (typeof stored !== "object" || stored === null || Array.isArray(stored)) return undefined;
  const value = (stored as Record<string, unknown>)[SEALED];
  return typeof value === "string" && isEncryptedValue(value) && Object.keys(stored).length === 1
    ? value
    : undefined;
}

const ACCOUNT_FIELDS = new Set(["accountNumber", "accountIdentifier", "account", "account_number"]);
const EMAIL_FIELDS = new Set(["email"]);
const PHONE_FIELDS = new Set(["phone", "mobile", "whatsapp"]);

function maskedAccount(value: string): string {
  return isEncryptedValue(value) ? "[encrypted]" : maskAccountNumber(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/**
 * A copy of a value for the audit log (which can never forget) and for events: account numbers
 * (`accountNumber`, `accountIdentifier`, `accountNumbers`, a counterparty's `account`), e-mail addresses and phone
 * numbers are masked at any depth.
 */
export function maskAccounts(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskAccounts);
  if (!isPlainObject(value)) return value;
  const masked: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry === "string" && ACCOUNT_FIELDS.has(key)) masked[key] = maskedAccount(entry);
    else if (typeof entry === "string" && EMAIL_FIELDS.has(key)) masked[key] = maskEmail(entry);
    else if (typeof entry === "string" && PHONE_FIELDS.has(key)) masked[key] = maskPhone(entry);
    else if (key === "accountNumbers" && Array.isArray(entry)) {
      masked[key] = entry.map((account: unknown) =>
        typeof account === "string" ? maskedAccount(account) : account,
      );
    } else masked[key] = maskAccounts(entry);
  }
  return masked;
}
