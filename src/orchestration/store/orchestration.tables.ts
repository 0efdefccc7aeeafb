import type { ColumnType, Generated } from "kysely";

type Json<T = unknown> = ColumnType<T, string, string>;
type NullableJson<T = unknown> = ColumnType<T | null, string | null, string | null>;
type CreatedAt = ColumnType<Date, never, never>;

export type InstanceStatus =
  "pending" | "running" | "waiting" | "suspended" | "cancelled" | "faulted" | "completed";

export interface WorkflowDefinitionsTable {
  tenant_id: string;
  namespace: string;
  name: string;
  version: string;
  document: Json;
  source: string;
  checksum: string;
  deprecated_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  published_at: CreatedAt;
  published_by: string;
}

export interface WorkflowDefinitionHeadsTable {
  tenant_id: string;
  namespace: string;
  name: string;
  current_version: string;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  revision: Generated<number>;
}

export interface WorkflowInstancesTable {
  id: string;
  tenant_id: string;
  namespace: string;
  name: string;
  version: string;
  business_key: string | null;
  status: InstanceStatus;
  input: Json;
  output: NullableJson;
  error: NullableJson;
  execution: Generated<number>;
  parent_instance_id: string | null;
  suspend_requested: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  ended_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface WorkflowJournalTable {
  instance_id: string;
  tenant_id: string;
  effect_key: string;
  result: NullableJson;
  recorded_at: CreatedAt;
}

export type TaskHistoryStatus = "started" | "completed" | "faulted" | "skipped" | "cancelled";

export interface WorkflowTaskHistoryTable {
  instance_id: string;
  tenant_id: string;
  sequence: number;
  task_path: string;
  task_name: string;
  status: TaskHistoryStatus;
  at: ColumnType<Date, Date | undefined, never>;
  output: NullableJson;
  error: NullableJson;
  execution: number;
}

export interface WorkflowParkedTable {
  instance_id: string;
  tenant_id: string;
  wake_at: Date | null;
  reason: "timer" | "event" | "suspended";
  parked_at: CreatedAt;
}

export interface WorkflowCorrelationsTable {
  id: string;
  instance_id: string;
  tenant_id: string;
  event_types: string[];
  filters: Json;
  mode: "one" | "any" | "all";
  registered_at: CreatedAt;
  closed_at: Date | null;
}

export interface WorkflowDeliveriesTable {
  correlation_id: string;
  event_id: string;
  tenant_id: string;
  event: Json;
  delivered_at: CreatedAt;
}

export type ScheduleKindColumn = "every" | "cron" | "after" | "on";

export interface WorkflowSchedulesTable {
  tenant_id: string;
  namespace: string;
  name: string;
  version: string;
  kind: ScheduleKindColumn;
  spec: NullableJson;
  problem: string | null;
  next_run_at: Date | null;
  last_slot: Date | null;
  last_instance_id: string | null;
  activated_at: ColumnType<Date, Date | undefined, Date>;
  ended_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  ended_by_event: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface WorkflowSettingsTable {
  tenant_id: string;
  time_zone: ColumnType<string, string | undefined, string>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface WorkflowScheduleTriggersTable {
  tenant_id: string;
  namespace: string;
  name: string;
  version: string;
  event_id: string;
  filter_index: Generated<number>;
  event: Json;
  recorded_at: CreatedAt;
  started_at: Date | null;
  instance_id: string | null;
}

export interface WorkflowSecretsTable {
  tenant_id: string;
  name: string;
  /** `enc:v1:<kid>:...`: the JSON value, encrypted. */
  value: string;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  updated_by: string;
}

/** The hub's own tables; platform code reaches them through `db.withTables<OrchestrationTables>()`. */
export type OrchestrationTables = {
  workflow_definitions: WorkflowDefinitionsTable;
  workflow_definition_heads: WorkflowDefinitionHeadsTable;
  workflow_instances: WorkflowInstancesTable;
  workflow_journal: WorkflowJournalTable;
  workflow_task_history: WorkflowTaskHistoryTable;
  workflow_parked: WorkflowParkedTable;
  workflow_correlations: WorkflowCorrelationsTable;
  workflow_deliveries: WorkflowDeliveriesTable;
  workflow_schedules: WorkflowSchedulesTable;
  workflow_schedule_triggers: WorkflowScheduleTriggersTable;
  workflow_secrets: WorkflowSecretsTable;
  workflow_settings: WorkflowSettingsTable;
};
