import type { LoggerOptions } from "pino";
import { maskAccountNumber, maskEmail, maskPhone } from "./masking.ts";

/**
 * What pino must never print in full. Secrets are replaced by `****`; personal identifiers are masked so a
 * log line still helps (`r***@example.com`, `98******21`, `XXXXXX1234`). Paths cover the field at the top of a
 * log object and up to two levels down (`customer.email`, `body.customer.email`).
 */
const SECRET_FIELDS = [
  "password",
  "newPassword",
  "currentPassword",
  "passwordHash",
  "password_hash",
  "secret",
  "clientSecret",
  "client_secret",
  "token",
  "accessToken",
  "access_token",
  "refreshToken",
  "refresh_token",
  "idToken",
  "id_token",
  "apiKey",
  "api_key",
  "codeVerifier",
  "code_verifier",
  "otp",
  "pin",
];
const EMAIL_FIELDS = ["email", "emailAddress"];
const PHONE_FIELDS = ["phone", "mobile", "phoneNumber", "whatsapp"];
const ACCOUNT_FIELDS = [
  "accountNumber",
  "account_number",
  "bankAccount",
  "accountIdentifier",
  "account_identifier",
  "accountNumbers",
  "account_numbers",
];
const HEADERS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

function atDepths(field: string): string[] {
  return [field, `*.${field}`, `*.*.${field}`];
}

export const REDACTED_PATHS: readonly string[] = [
  ...HEADERS,
  ...[...SECRET_FIELDS, ...EMAIL_FIELDS, ...PHONE_FIELDS, ...ACCOUNT_FIELDS].flatMap(atDepths),
];

const emailFields = new Set(EMAIL_FIELDS);
const phoneFields = new Set(PHONE_FIELDS);
const accountFields = new Set(ACCOUNT_FIELDS);

/** Replaces one redacted value: masked when it is a personal identifier, `****` otherwise. */
export function censorLogValue(value: unknown, path: readonly string[]): unknown {
  const field = path[path.length - 1] ?? "";
  if (typeof value === "string") {
    if (emailFields.has(field)) return maskEmail(value);
    if (phoneFields.has(field)) return maskPhone(value);
    if (accountFields.has(field)) return maskAccountNumber(value);
  }
  if (Array.isArray(value) && accountFields.has(field)) {
    return value.map((entry: unknown) => (typeof entry === "string" ? maskAccountNumber(entry) : "****"));
  }
  if (value === undefined || value === null) return value;
  return "****";
}

/** Drop-in `redact` option for pino: `pino({ ...logRedaction() })`. */
export function logRedaction(): Pick<LoggerOptions, "redact"> {
  return { redact: { paths: [...REDACTED_PATHS], censor: censorLogValue } };
}
