import type { ColumnType } from "kysely";

type Json = ColumnType<unknown, string | null, never>;
type Immutable<T> = ColumnType<T, T, never>;

/** `audit_log`: insert-only for the application (no column may be updated). */
export interface AuditLogTable {
  id: Immutable<string>;
  tenant_id: Immutable<string>;
  seq: ColumnType<bigint, bigint | number, never>;
  at: Immutable<Date>;
  actor_type: Immutable<AuditActorType>;
  actor_id: Immutable<string | null>;
  action: Immutable<string>;
  entity_type: Immutable<string | null>;
  entity_id: Immutable<string | null>;
  before: Json;
  after: Json;
  metadata: Json;
  request_id: Immutable<string | null>;
  prev_hash: Immutable<string>;
  hash: Immutable<string>;
}

export type AuditActorType = "user" | "api-key" | "workflow" | "system";

/** Reached through `db.withTables<AuditTables>()`. */
export type AuditTables = {
  audit_log: AuditLogTable;
};
