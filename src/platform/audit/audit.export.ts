import type { AuditEntry } from "./audit.log.ts";

const COLUMNS = [
  "seq",
  "id",
  "at",
  "actor_type",
  "actor_id",
  "action",
  "entity_type",
  "entity_id",
  "request_id",
  "before",
  "after",
  "metadata",
  "prev_hash",
  "hash",
] as const;

/**
 * One CSV field (RFC 4180). A text that a spreadsheet would run as a formula (starting with `=`, `+`, `-`,
 * `@`, tab or carriage return) gets a leading apostrophe; the JSON export keeps every value exactly.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return "";
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}

export function auditCsvHeader(): string {
  return `${COLUMNS.join(",")}\r\n`;
}

export function auditCsvRow(entry: AuditEntry): string {
  const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));
  const fields: (string | number | null)[] = [
    entry.seq,
    entry.id,
    entry.at.toISOString(),
    entry.actor.type,
    entry.actor.id ?? null,
    entry.action,
    entry.entityType,
    entry.entityId,
    entry.requestId,
    json(entry.before),
    json(entry.after),
    json(entry.metadata),
    entry.prevHash,
    entry.hash,
  ];
  return `${fields.map(csvField).join(",")}\r\n`;
}
