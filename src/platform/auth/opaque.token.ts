import { createHash, randomBytes } from "node:crypto";

/**
 * Opaque credentials that name their tenant: `<kind>_<tenant id, 32 hex>_<43 characters of base64url>`. The
 * tenant part is not secret; it lets the lookup run inside the tenant, under row-level security. The random
 * part carries 256 bits, so a plain SHA-256 of the whole credential is a safe thing to store.
 */
export type OpaqueKind = "prt" | "prk";

export interface OpaqueToken {
  kind: OpaqueKind;
  tenantId: string;
  secret: string;
  value: string;
}

export function newOpaqueToken(kind: OpaqueKind, tenantId: string): OpaqueToken {
  const secret = randomBytes(32).toString("base64url");
  const value = `${kind}_${tenantId.replaceAll("-", "").toLowerCase()}_${secret}`;
  return { kind, tenantId, secret, value };
}

const FORMAT = /^(prt|prk)_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

export function parseOpaqueToken(value: string, kind: OpaqueKind): OpaqueToken | undefined {
  const match = FORMAT.exec(value.trim());
  if (!match || match[1] !== kind) return undefined;
  const hex = match[2] ?? "";
  const tenantId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { kind, tenantId, secret: match[3] ?? "", value: value.trim() };
}

export function sha256Hex(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}
