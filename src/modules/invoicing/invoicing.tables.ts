import type { ColumnType, Generated, Kysely } from "kysely";
import type { DB } from "../../platform/db/schema.ts";

type Json = ColumnType<unknown, string, string>;
type JsonOrNull = ColumnType<unknown, string | null, string | null>;
type Timestamp = ColumnType<Date, Date, Date>;
/** bigint paise; written as bigint, read back as bigint (see platform/db/database.ts). */
type Paise = ColumnType<bigint, bigint | undefined, bigint>;
/** `date` columns are read as "YYYY-MM-DD" strings. */
type CalendarDateColumn = ColumnType<string, string, string>;

export interface InvoicingSettingsTable {
  tenant_id: string;
  supplier: JsonOrNull;
  supplier_msme: JsonOrNull;
  preceding_year_turnover_paise: bigint | null;
  highest_turnover_since_2017_paise: bigint | null;
  einvoice_exempt: boolean;
  due_soon_days: number;
  version: number;
  updated_at: Timestamp;
}

export interface InvoicesTable {
  id: string;
  tenant_id: string;
  number: string;
  financial_year: string;
  issue_date: CalendarDateColumn;
  supply_type: string;
  reverse_charge: boolean;
  place_of_supply: string;
  igst_on_intra: boolean;
  supplier: Json;
  supplier_gstin: string;
  buyer: Json;
  buyer_name: string;
  buyer_gstin: string | null;
  customer_id: string | null;
  ship_to: JsonOrNull;
  export_details: JsonOrNull;
  credit_days: number | null;
  terms_in_writing: boolean | null;
  delivery_date: string | null;
  contractual_due_date: string | null;
  statutory_due_date: string | null;
  due_date: string | null;
  due_date_basis: string | null;
  round_total: boolean;
  taxable_value_paise: bigint;
  cgst_paise: bigint;
  sgst_paise: bigint;
  utgst_paise: bigint;
  igst_paise: bigint;
  cess_paise: bigint;
  non_taxable_charges_paise: bigint;
  round_off_paise: bigint;
  total_paise: bigint;
  status: string;
  paid_paise: Paise;
  tds_paise: Paise;
  gst_tds_paise: Paise;
  settled_write_off_paise: Paise;
  credited_paise: Paise;
  debited_paise: Paise;
  outstanding_paise: ColumnType<bigint, never, never>;
  written_off_paise: Paise;
  write_off_reason: string | null;
  written_off_at: Date | null;
  dispute_reason: string | null;
  disputed_at: Date | null;
  cancellation_reason: string | null;
  cancellation_remark: string | null;
  cancelled_at: Date | null;
  irn: string | null;
  irn_ack_number: string | null;
  irn_ack_date: string | null;
  irn_signed_qr_code: string | null;
  issued_at: Date | null;
  paid_at: Date | null;
  notes: string | null;
  external_source: string | null;
  external_id: string | null;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
  created_by: string;
}

export interface InvoiceLinesTable {
  tenant_id: string;
  invoice_id: string;
  position: number;
  description: string;
  hsn_sac: string | null;
  is_service: boolean | null;
  quantity: string;
  unit: string | null;
  unit_price_paise: bigint;
  discount_paise: bigint;
  gst_rate_basis_points: number;
  cess_rate_basis_points: number;
  taxable_value_paise: bigint;
  cgst_paise: bigint;
  sgst_paise: bigint;
  utgst_paise: bigint;
  igst_paise: bigint;
  cess_paise: bigint;
  total_paise: bigint;
}

export interface InvoiceNotesTable {
  id: string;
  tenant_id: string;
  invoice_id: string;
  kind: string;
  number: string;
  financial_year: string;
  issue_date: CalendarDateColumn;
  reason: string;
  round_total: boolean;
  lines: Json;
  taxable_value_paise: bigint;
  cgst_paise: bigint;
  sgst_paise: bigint;
  utgst_paise: bigint;
  igst_paise: bigint;
  cess_paise: bigint;
  round_off_paise: bigint;
  total_paise: bigint;
  reduces_output_tax: boolean;
  irn: string | null;
  notes: string | null;
  created_at: Timestamp;
  created_by: string;
}

export interface InvoiceSettlementsTable {
  id: string;
  tenant_id: string;
  invoice_id: string;
  reference: string;
  reverses_id: string | null;
  cash_paise: bigint;
  tds_paise: bigint;
  gst_tds_paise: bigint;
  write_off_paise: bigint;
  applied_at: Timestamp;
  actor: string;
}

export interface InvoiceDueNoticesTable {
  tenant_id: string;
  invoice_id: string;
  state: string;
  due_date: CalendarDateColumn;
  as_of: CalendarDateColumn;
  event_id: string;
  notified_at: Timestamp;
}

export interface InvoicingCommandKeysTable {
  tenant_id: string;
  key: string;
  command: string;
  request_hash: string;
  response: JsonOrNull;
  created_at: Generated<Date>;
}

/** Reached through `db.withTables<InvoicingTables>()`. */
// A type alias, not an interface: withTables needs an index-compatible shape.
export type InvoicingTables = {
  invoicing_settings: InvoicingSettingsTable;
  invoices: InvoicesTable;
  invoice_lines: InvoiceLinesTable;
  invoice_notes: InvoiceNotesTable;
  invoice_settlements: InvoiceSettlementsTable;
  invoice_due_notices: InvoiceDueNoticesTable;
  invoicing_command_keys: InvoicingCommandKeysTable;
};

/** The application's connection or transaction with the invoicing tables in view. */
export type InvoicingDb = Kysely<DB & InvoicingTables>;

/**
 * The same transaction typed with the platform's tables only, for platform helpers (`appendEvent`). Kysely's
 * table map is invariant; a connection that knows more tables is still a connection to the same database.
 */
export function platformDb(trx: InvoicingDb): Kysely<DB> {
  return trx as unknown as Kysely<DB>;
}
