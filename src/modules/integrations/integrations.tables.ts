import type { ColumnType, Kysely } from "kysely";
import type { DB } from "../../platform/db/schema.ts";

type Json = ColumnType<unknown, string, string>;
type JsonOrNull = ColumnType<unknown, string | null, string | null>;
type Timestamp = ColumnType<Date, Date, Date>;

/** `import_runs` (migrations/0001_imports.sql, progress columns from 0002_import_batches.sql). */
export interface ImportRunsTable {
  id: string;
  tenant_id: string;
  source: string;
  format: string;
  entity: string;
  mode: string;
  file_name: string | null;
  file_sha256: string;
  row_count: number;
  created_count: number;
  updated_count: number;
  unchanged_count: number;
  rejected_count: number;
  skipped_count: number;
  started_at: Timestamp;
  started_by: string;
  status: string;
  batch_size: number | null;
  committed_rows: number;
  not_imported_count: number;
  finished_at: ColumnType<Date | null, Date | null, Date | null>;
  failure: string | null;
}

export interface ImportRowsTable {
  tenant_id: string;
  run_id: string;
  position: number;
  row_number: number | null;
  entity: string;
  external_id: string | null;
  outcome: string;
  issues: Json;
  findings: Json;
}

export interface ImportExternalIdsTable {
  tenant_id: string;
  source: string;
  entity: string;
  external_id: string;
  internal_id: string | null;
  content_sha256: string;
  first_run_id: string;
  last_run_id: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ImportCommandKeysTable {
  tenant_id: string;
  key: string;
  command: string;
  request_hash: string;
  response: JsonOrNull;
  created_at: ColumnType<Date, never, never>;
}

/** Reached through `db.withTables<IntegrationsTables>()`. */
export type IntegrationsTables = {
  import_runs: ImportRunsTable;
  import_rows: ImportRowsTable;
  import_external_ids: ImportExternalIdsTable;
  import_command_keys: ImportCommandKeysTable;
};

export type IntegrationsDb = Kysely<DB & IntegrationsTables>;

/** The same connection typed with the platform's tables only, for platform helpers (`appendEvent`). */
export function platformDb(trx: IntegrationsDb): Kysely<DB> {
  return trx as unknown as Kysely<DB>;
}
