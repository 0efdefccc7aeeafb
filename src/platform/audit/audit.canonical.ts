import { createHash } from "node:crypto";
import type { AuditActorType } from "./audit.tables.ts";

/** The `prev_hash` of a tenant's first entry. */
export const GENESIS_HASH = "0".repeat(64);

/** Keys whose values never enter the audit log, at any depth of `before`, `after` or `metadata`. */
const SECRET_KEY =
  /^(password|new_?password|current_?password|password_?hash|secret|secret_?hash|client_?secret|token|token_?hash|access_?token|refresh_?token|id_?token|api_?key|code_?verifier|otp)$/i;

export const REDACTED = "[redacted]";

/**
 * Turns a payload into the JSON the log stores: bigint becomes a string of digits, dates ISO strings,
 * undefined disappears, secrets are replaced by `[redacted]`. Hashing this value and hashing what PostgreSQL
 * hands back from the jsonb column give the same result.
 */
export function toAuditJson(value: unknown): unknown {
  if (value === undefined) return null;
  const text = JSON.stringify(value, function (this: unknown, key: string, current: unknown) {
    if (key !== "" && SECRET_KEY.test(key) && current !== null && current !== undefined) return REDACTED;
    return typeof current === "bigint" ? current.toString() : current;
  });
  return text === undefined ? null : (JSON.parse(text) as unknown);
}

/**
 * Canonical JSON (after RFC 8785): object keys sorted by UTF-16 code units, no whitespace, numbers and
 * strings as ECMAScript's JSON.stringify writes them.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "bigint") return JSON.stringify(value.toString());
  if (typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(",")}}`;
}

/** Everything an entry's hash covers; `v` versions the serialisation itself. */
export interface HashedFields {
  id: string;
  tenantId: string;
  seq: number;
  at: Date;
  actorType: AuditActorType;
  actorId: string | null;
  action: string;
  entityType: string | null;
  entityId: string | null;
  before: unknown;
  after: unknown;
  metadata: unknown;
  requestId: string | null;
  prevHash: string;
}

export function entryHash(fields: HashedFields): string {
  const material = canonicalJson({
    v: 1,
    id: fields.id,
    tenantId: fields.tenantId,
    seq: fields.seq,
    at: fields.at.toISOString(),
    actorType: fields.actorType,
    actorId: fields.actorId,
    action: fields.action,
    entityType: fields.entityType,
    entityId: fields.entityId,
    before: fields.before ?? null,
    after: fields.after ?? null,
    metadata: fields.metadata ?? null,
    requestId: fields.requestId,
    prevHash: fields.prevHash,
  });
  return createHash("sha256").update(material, "utf8").digest("hex");
}
