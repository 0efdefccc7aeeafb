import type { ColumnType, Generated } from "kysely";

/** Table types for Kysely. Each migration that adds a table adds its interface here. */
export interface TenantsTable {
  id: Generated<string>;
  name: string;
  slug: string;
  gstin: string | null;
  created_at: ColumnType<Date, never, never>;
}

export interface UsersTable {
  id: Generated<string>;
  email: string;
  display_name: string;
  password_hash: string | null;
  is_platform_admin: Generated<boolean>;
  created_at: ColumnType<Date, never, never>;
}

export type TenantRole = "owner" | "admin" | "collector" | "accountant" | "viewer" | "auditor";

export interface MembershipsTable {
  tenant_id: string;
  user_id: string;
  role: TenantRole;
  created_at: ColumnType<Date, never, never>;
}

export interface EngineDemoStepRunsTable {
  workflow_id: string;
  step: string;
  executed_at: ColumnType<Date, never, never>;
  executor_id: string;
}

export interface EventOutboxTable {
  sequence: Generated<bigint>;
  id: string;
  tenant_id: string;
  type: string;
  source: string;
  subject: string | null;
  time: ColumnType<Date, Date | undefined, never>;
  data: ColumnType<unknown, string, never>;
  correlated_at: ColumnType<Date | null, never, Date | null>;
}

export interface IdempotencyKeysTable {
  tenant_id: string;
  principal: string;
  key: string;
  method: string;
  path: string;
  request_hash: string;
  status_code: number | null;
  response_body: string | null;
  response_headers: ColumnType<unknown, string | null, string | null>;
  created_at: ColumnType<Date, never, never>;
  completed_at: Date | null;
}

export interface DB {
  tenants: TenantsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  engine_demo_step_runs: EngineDemoStepRunsTable;
  event_outbox: EventOutboxTable;
  idempotency_keys: IdempotencyKeysTable;
}
