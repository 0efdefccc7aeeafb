import type { ColumnType, Kysely } from "kysely";
import type { DB } from "../../platform/db/schema.ts";

type Json = ColumnType<unknown, string, string>;
type JsonOrNull = ColumnType<unknown, string | null, string | null>;
type Timestamp = ColumnType<Date, Date, Date>;

/** `customers` (migrations/0001_customers.sql). */
export interface CustomersTable {
  id: string;
  tenant_id: string;
  legal_name: string;
  trade_name: string | null;
  gstin: string | null;
  pan: string | null;
  state_code: string;
  billing_address: JsonOrNull;
  /** Contact persons; their e-mail addresses and numbers encrypted (contact-protection.ts). */
  contacts: Json;
  /** Blind indexes of the contacts' addresses and numbers (migrations/0002_contact_index.sql). */
  contact_index: ColumnType<string[], string[] | undefined, string[]>;
  preferred_language: string;
  credit_days: number | null;
  credit_terms_in_writing: boolean | null;
  tags: string[];
  segment: string | null;
  msme_category: string | null;
  udyam_number: string | null;
  consents: Json;
  notes: string | null;
  tds: JsonOrNull;
  external_source: string | null;
  external_id: string | null;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CustomerConsentHistoryTable {
  id: string;
  tenant_id: string;
  customer_id: string;
  channel: string;
  status: string;
  at: Timestamp;
  source: string;
  evidence: string | null;
  notice_version: string | null;
  recorded_at: Timestamp;
  recorded_by: string;
}

export interface CustomerCommandKeysTable {
  tenant_id: string;
  key: string;
  command: string;
  request_hash: string;
  response: JsonOrNull;
  created_at: ColumnType<Date, never, never>;
}

/** Reached through `db.withTables<CustomersTables>()`. */
// A type alias, not an interface: withTables needs an index-compatible shape.
export type CustomersTables = {
  customers: CustomersTable;
  customer_consent_history: CustomerConsentHistoryTable;
  customer_command_keys: CustomerCommandKeysTable;
};

/** The application's connection or transaction with the customers tables in view. */
export type CustomersDb = Kysely<DB & CustomersTables>;

/**
 * The same transaction typed with the platform's tables only, for platform helpers (`appendEvent`). Kysely's
 * table map is invariant; a connection that knows more tables is still a connection to the same database.
 */
export function platformDb(trx: CustomersDb): Kysely<DB> {
  return trx as unknown as Kysely<DB>;
}
