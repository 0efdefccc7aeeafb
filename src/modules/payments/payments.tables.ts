import type { ColumnType, Generated, Kysely } from "kysely";
import type { DB } from "../../platform/db/schema.ts";

type Json = ColumnType<unknown, string, string>;
type JsonOrNull = ColumnType<unknown, string | null, string | null>;
type Timestamp = ColumnType<Date, Date, Date>;
/** `date` columns are read as "YYYY-MM-DD" strings (see platform/db/database.ts). */
type CalendarDate = string;

/** `payment_settings` (migrations/0001_payments.sql). */
export interface PaymentSettingsTable {
  tenant_id: string;
  short_payment_max_paise: bigint;
  short_payment_max_basis_points: number;
  short_payment_combine: string;
  /** numeric: read as text by pg. */
  auto_apply_threshold: ColumnType<string, string, string>;
  payee_kind: string;
  upi_vpa: string | null;
  upi_payee_name: string | null;
  tds_grace_days: number;
  updated_at: Timestamp;
  updated_by: string;
}

export interface PaymentGatewayCredentialsTable {
  tenant_id: string;
  provider: string;
  key_id: string;
  key_secret: string;
  webhook_secret: string;
  updated_at: Timestamp;
  updated_by: string;
}

export interface PayerProfilesTable {
  tenant_id: string;
  customer_id: string;
  name: string;
  aliases: string[];
  vpas: string[];
  /** Encrypted (`enc:v1:...`); plaintext in rows written before encryption. */
  account_numbers: string[];
  /** Blind indexes of the account numbers (see account-protection.ts). */
  account_number_index: Generated<string[]>;
  tds_profile: JsonOrNull;
  tan: string | null;
  updated_at: Timestamp;
}

export interface PaymentReceivablesTable {
  tenant_id: string;
  invoice_id: string;
  invoice_number: string;
  customer_id: string;
  customer_name: string | null;
  issue_date: CalendarDate;
  due_date: CalendarDate;
  total_paise: bigint;
  taxable_value_paise: bigint;
  contract_value_paise: bigint | null;
  inter_state: boolean;
  open_paise: bigint;
  /** `cancelled` when invoicing cancelled the invoice: nothing is open on it. */
  status: ColumnType<"open" | "cancelled", "open" | "cancelled" | undefined, "open" | "cancelled">;
  /** Credit notes applied to the invoice (taken off `total_paise`). */
  credited_paise: ColumnType<bigint, bigint | undefined, bigint>;
  /** Debit notes raised on the invoice (added to `total_paise`). */
  debited_paise: ColumnType<bigint, bigint | undefined, bigint>;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PaymentsTable {
  id: string;
  tenant_id: string;
  customer_id: string | null;
  method: string;
  reference: string | null;
  payer: Json;
  cheque: JsonOrNull;
  received_on: CalendarDate;
  received_at: Date | null;
  amount_paise: bigint;
  allocated_cash_paise: bigint;
  status: string;
  reversal_reason: string | null;
  reversed_on: CalendarDate | null;
  reversal_note: string | null;
  source: string;
  external_id: string | null;
  payment_link_id: string | null;
  note: string | null;
  version: number;
  created_at: Timestamp;
  created_by: string;
  updated_at: Timestamp;
}

export interface PaymentAllocationsTable {
  id: string;
  tenant_id: string;
  payment_id: string;
  invoice_id: string;
  customer_id: string;
  batch_id: string;
  kind: string;
  reverses_id: string | null;
  allocated_on: CalendarDate;
  cash_paise: bigint;
  income_tax_tds_paise: bigint;
  gst_tds_paise: bigint;
  write_off_paise: bigint;
  settled_paise: bigint;
  tds_section: string | null;
  write_off_reason: string | null;
  reason: string | null;
  created_at: Timestamp;
  created_by: string;
}

export interface CustomerCreditEntriesTable {
  id: string;
  tenant_id: string;
  customer_id: string;
  payment_id: string;
  kind: string;
  amount_paise: bigint;
  entry_date: CalendarDate;
  created_at: Timestamp;
}

export interface TdsReceivableEntriesTable {
  id: string;
  tenant_id: string;
  kind: string;
  customer_id: string;
  section: string | null;
  tan: string | null;
  deductor_name: string | null;
  entry_date: CalendarDate;
  financial_year: string;
  quarter: string;
  amount_paise: bigint;
  payment_id: string;
  allocation_id: string;
  invoice_id: string;
  reverses_id: string | null;
  status: string;
  created_at: Timestamp;
}

export interface Form26asMappingsTable {
  tenant_id: string;
  name: string;
  mapping: Json;
  updated_at: Timestamp;
}

export interface Form26asImportsTable {
  id: string;
  tenant_id: string;
  file_name: string | null;
  file_sha256: string;
  financial_years: string[];
  credit_count: number;
  imported_at: Timestamp;
  imported_by: string;
}

export interface Form26asCreditsTable {
  id: string;
  tenant_id: string;
  import_id: string;
  row_number: number;
  deductor_name: string;
  tan: string;
  section_code: string;
  section: string | null;
  nature: string | null;
  transaction_date: CalendarDate;
  financial_year: string;
  quarter: string;
  amount_paid_paise: bigint;
  tax_deducted_paise: bigint;
  tax_deposited_paise: bigint | null;
  booking_status: string;
}

export interface TdsMissingNoticesTable {
  tenant_id: string;
  tan: string;
  section: string;
  financial_year: string;
  quarter: string;
  missing_paise: bigint;
  event_id: string;
  detected_on: CalendarDate;
}

export interface BankAccountsTable {
  id: string;
  tenant_id: string;
  name: string;
  /** Encrypted (`enc:v1:...`); plaintext in rows written before encryption. */
  account_identifier: string;
  account_identifier_index: string | null;
  bank_name: string | null;
  ifsc: string | null;
  csv_mapping: JsonOrNull;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface BankStatementsTable {
  id: string;
  tenant_id: string;
  bank_account_id: string;
  format: string;
  file_name: string | null;
  file_sha256: string;
  line_count: number;
  new_line_count: number;
  imported_at: Timestamp;
  imported_by: string;
}

export interface BankStatementLinesTable {
  id: string;
  tenant_id: string;
  statement_id: string;
  bank_account_id: string;
  fingerprint: string;
  booking_date: CalendarDate;
  value_date: CalendarDate | null;
  direction: string;
  amount_paise: bigint;
  currency: string;
  reversal: boolean;
  bank_reference: string | null;
  customer_reference: string | null;
  utr: string | null;
  channel: string | null;
  narration: string;
  counterparty: Json;
  balance_after_paise: bigint | null;
  status: string;
  payment_id: string | null;
}

export interface ReconciliationRunsTable {
  id: string;
  tenant_id: string;
  started_at: Timestamp;
  started_by: string;
  line_count: number;
  invoice_count: number;
  proposed_count: number;
  auto_applied_count: number;
  unmatched_count: number;
  auto_apply_threshold: ColumnType<string, string, string>;
}

export interface ReconciliationProposalsTable {
  id: string;
  tenant_id: string;
  run_id: string;
  line_id: string;
  customer_id: string;
  allocations: Json;
  credit_paise: bigint;
  confidence: ColumnType<string, string, string>;
  reason: string;
  evidence: Json;
  flags: string[];
  auto_applicable: boolean;
  alternatives: Json;
  status: string;
  payment_id: string | null;
  /** A receipt recorded before the line was imported, which the line is proposed to be linked to. */
  existing_payment_id: ColumnType<string | null, string | null | undefined, string | null>;
  batch_id: string | null;
  decided_at: Date | null;
  decided_by: string | null;
  decision_note: string | null;
  created_at: Timestamp;
  version: number;
}

export interface PaymentLinksTable {
  id: string;
  tenant_id: string;
  kind: string;
  reference: string;
  invoice_id: string | null;
  customer_id: string | null;
  amount_paise: bigint;
  amount_paid_paise: bigint;
  status: string;
  url: string;
  qr_svg: string | null;
  provider_link_id: string | null;
  description: string | null;
  expires_at: Date | null;
  idempotency_key: string;
  created_at: Timestamp;
  created_by: string;
  updated_at: Timestamp;
}

export interface PaymentWebhookEventsTable {
  tenant_id: string;
  provider: string;
  event_id: string;
  event_type: string;
  outcome: string;
  payment_id: string | null;
  received_at: Timestamp;
}

export interface PaymentCommandKeysTable {
  tenant_id: string;
  key: string;
  command: string;
  request_hash: string;
  response: JsonOrNull;
  created_at: ColumnType<Date, never, never>;
}

/** Reached through `db.withTables<PaymentsTables>()`. A type alias: withTables needs an index-compatible shape. */
export type PaymentsTables = {
  payment_settings: PaymentSettingsTable;
  payment_gateway_credentials: PaymentGatewayCredentialsTable;
  payer_profiles: PayerProfilesTable;
  payment_receivables: PaymentReceivablesTable;
  payments: PaymentsTable;
  payment_allocations: PaymentAllocationsTable;
  customer_credit_entries: CustomerCreditEntriesTable;
  tds_receivable_entries: TdsReceivableEntriesTable;
  form26as_mappings: Form26asMappingsTable;
  form26as_imports: Form26asImportsTable;
  form26as_credits: Form26asCreditsTable;
  tds_missing_notices: TdsMissingNoticesTable;
  bank_accounts: BankAccountsTable;
  bank_statements: BankStatementsTable;
  bank_statement_lines: BankStatementLinesTable;
  reconciliation_runs: ReconciliationRunsTable;
  reconciliation_proposals: ReconciliationProposalsTable;
  payment_links: PaymentLinksTable;
  payment_webhook_events: PaymentWebhookEventsTable;
  payment_command_keys: PaymentCommandKeysTable;
};

/** The application's connection or transaction with the payments tables in view. */
export type PaymentsDb = Kysely<DB & PaymentsTables>;

/** The same connection typed with the platform's tables only, for platform helpers (`appendEvent`). */
export function platformDb(trx: PaymentsDb): Kysely<DB> {
  return trx as unknown as Kysely<DB>;
}

/** JSON for a jsonb column: bigint as digit strings. */
export function toJsonb(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === "bigint" ? item.toString() : item));
}
