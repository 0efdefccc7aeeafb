import { createHash } from "node:crypto";
import type { ImportSource } from "./imported-records.ts";

export type ImportedEntity = "customer" | "invoice" | "payment" | "credit-note" | "ledger" | "voucher";

/**
 * The key under which an imported record is remembered: "<source>:<entity>:<source id>". Importing the same
 * record again yields the same key, so a re-import updates instead of duplicating. Source ids are trimmed; Tally
 * GUIDs and Zoho ids are case-insensitive and lower-cased.
 */
export function externalIdKey(options: { source: ImportSource; entity: ImportedEntity; id: string }): string {
  const id = options.id.trim().replace(/\s+/g, " ");
  const normalised = options.source === "csv" ? id : id.toLowerCase();
  return `${options.source}:${options.entity}:${normalised}`;
}

/** A stable id for records that carry none of their own: SHA-256 over the identifying fields (case, spacing ignored). */
export function compositeId(parts: readonly string[]): string {
  const basis = parts.map((part) => part.trim().replace(/\s+/g, " ").toUpperCase()).join("\u001f");
  return `h-${createHash("sha256").update(basis).digest("hex").slice(0, 32)}`;
}

/**
 * Splits incoming records into those to create and those to update, by external id; a record repeated within the
 * batch is reported as a duplicate (the first occurrence wins).
 */
export function planReimport<T extends { externalId: string }>(options: {
  incoming: readonly T[];
  existingExternalIds: ReadonlySet<string>;
}): { create: T[]; update: T[]; duplicates: T[] } {
  const create: T[] = [];
  const update: T[] = [];
  const duplicates: T[] = [];
  const seen = new Set<string>();
  for (const record of options.incoming) {
    if (seen.has(record.externalId)) {
      duplicates.push(record);
      continue;
    }
    seen.add(record.externalId);
    (options.existingExternalIds.has(record.externalId) ? update : create).push(record);
  }
  return { create, update, duplicates };
}
