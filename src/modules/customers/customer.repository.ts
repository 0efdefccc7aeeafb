import { sql, type Selectable } from "kysely";
import { keysetPage } from "../../platform/db/keyset-page.ts";
import { contactIndexOf, openContacts, sealContacts, type ContactProtection } from "./contact-protection.ts";
import type { Customer } from "./customer.schemas.ts";
import type { ConsentHistoryEntry, CustomerView, ExternalReference } from "./customer.views.ts";
import type { CustomerConsentHistoryTable, CustomersDb, CustomersTable } from "./customers.tables.ts";

/** Persistence of customers: rows to domain records and back, and the queries the service needs. */

export type CustomerRow = Selectable<CustomersTable>;

export interface StoredCustomer {
  customer: Customer;
  external: ExternalReference | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else cannot name a customer (and must not reach PostgreSQL as a uuid). */
export function isCustomerId(id: string): boolean {
  return UUID.test(id);
}

function defined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;
}

/**
 * A stored row as the domain record, contacts decrypted; stored rows were validated when written, so they are
 * not parsed again.
 */
export function rowToCustomer(row: CustomerRow, protection: ContactProtection): StoredCustomer {
  const customer = defined({
    id: row.id,
    legalName: row.legal_name,
    tradeName: row.trade_name ?? undefined,
    gstin: row.gstin ?? undefined,
    pan: row.pan ?? undefined,
    stateCode: row.state_code,
    billingAddress: row.billing_address ?? undefined,
    contacts: openContacts(protection, row.id, row.contacts),
    preferredLanguage: row.preferred_language,
    creditTerms:
      row.credit_days === null
        ? undefined
        : { days: row.credit_days, agreedInWriting: row.credit_terms_in_writing === true },
    tags: row.tags,
    segment: row.segment ?? undefined,
    msme:
      row.msme_category === null && row.udyam_number === null
        ? undefined
        : defined({ category: row.msme_category, udyamNumber: row.udyam_number ?? undefined }),
    consents: row.consents,
    notes: row.notes ?? undefined,
    tds: row.tds ?? undefined,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    version: row.version,
  }) as unknown as Customer;
  const external =
    row.external_source !== null && row.external_id !== null
      ? { source: row.external_source, id: row.external_id }
      : null;
  return { customer, external };
}

const json = (value: unknown) => JSON.stringify(value);

function columnsOf(customer: Customer, tenantId: string, protection: ContactProtection) {
  return {
    legal_name: customer.legalName,
    trade_name: customer.tradeName ?? null,
    gstin: customer.gstin ?? null,
    pan: customer.pan ?? null,
    state_code: customer.stateCode,
    billing_address: customer.billingAddress === undefined ? null : json(customer.billingAddress),
    contacts: json(sealContacts(protection, customer.id, customer.contacts)),
    contact_index: contactIndexOf(protection, tenantId, customer.contacts),
    preferred_language: customer.preferredLanguage,
    credit_days: customer.creditTerms?.days ?? null,
    credit_terms_in_writing: customer.creditTerms === undefined ? null : customer.creditTerms.agreedInWriting,
    tags: customer.tags,
    segment: customer.segment ?? null,
    msme_category: customer.msme?.category ?? null,
    udyam_number: customer.msme?.udyamNumber ?? null,
    consents: json(customer.consents),
    notes: customer.notes ?? null,
    tds: customer.tds === undefined ? null : json(customer.tds),
    version: customer.version,
    updated_at: new Date(customer.updatedAt),
  };
}

export async function insertCustomer(
  trx: CustomersDb,
  tenantId: string,
  customer: Customer,
  external: ExternalReference | null,
  protection: ContactProtection,
): Promise<void> {
  await trx
    .insertInto("customers")
    .values({
      id: customer.id,
      tenant_id: tenantId,
      ...columnsOf(customer, tenantId, protection),
      external_source: external?.source ?? null,
      external_id: external?.id ?? null,
      created_at: new Date(customer.createdAt),
    })
    .execute();
}

/** Writes a changed customer if the stored row is still at `previousVersion`; false when it moved on. */
export async function updateCustomerRow(
  trx: CustomersDb,
  options: { tenantId: string; customer: Customer; previousVersion: number; protection: ContactProtection },
): Promise<boolean> {
  const { customer, previousVersion } = options;
  const result = await trx
    .updateTable("customers")
    .set(columnsOf(customer, options.tenantId, options.protection))
    .where("id", "=", customer.id)
    .where("version", "=", previousVersion)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export async function findCustomer(
  trx: CustomersDb,
  id: string,
  options: { forUpdate?: boolean; protection: ContactProtection },
): Promise<StoredCustomer | undefined> {
  if (!isCustomerId(id)) return undefined;
  let query = trx.selectFrom("customers").selectAll().where("id", "=", id);
  if (options.forUpdate === true) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row ? rowToCustomer(row, options.protection) : undefined;
}

export async function findCustomerByExternal(
  trx: CustomersDb,
  external: ExternalReference,
  protection: ContactProtection,
): Promise<StoredCustomer | undefined> {
  const row = await trx
    .selectFrom("customers")
    .selectAll()
    .where("external_source", "=", external.source)
    .where("external_id", "=", external.id)
    .executeTakeFirst();
  return row ? rowToCustomer(row, protection) : undefined;
}

/**
 * What duplicate detection compares, for every customer of the tenant: names, identifiers and the blind
 * indexes of the contacts (never the decrypted contacts).
 */
export async function loadDuplicateCandidates(trx: CustomersDb) {
  const rows = await trx
    .selectFrom("customers")
    .select(["id", "legal_name", "trade_name", "gstin", "pan", "contact_index"])
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  return rows.map((row) => ({
    id: row.id,
    legalName: row.legal_name,
    ...(row.trade_name !== null ? { tradeName: row.trade_name } : {}),
    ...(row.gstin !== null ? { gstin: row.gstin } : {}),
    ...(row.pan !== null ? { pan: row.pan } : {}),
    contactKeys: row.contact_index,
  }));
}

export async function findCustomersByIds(
  trx: CustomersDb,
  ids: readonly string[],
  protection: ContactProtection,
): Promise<StoredCustomer[]> {
  const valid = ids.filter(isCustomerId);
  if (valid.length === 0) return [];
  const rows = await trx.selectFrom("customers").selectAll().where("id", "in", valid).execute();
  return rows.map((row) => rowToCustomer(row, protection));
}

/** Customers with a contact whose e-mail address or number has one of these blind indexes. */
export async function findCustomersByContact(
  trx: CustomersDb,
  indexes: readonly string[],
  protection: ContactProtection,
): Promise<StoredCustomer[]> {
  if (indexes.length === 0) return [];
  const rows = await trx
    .selectFrom("customers")
    .selectAll()
    .where(sql<boolean>`contact_index && ${[...indexes]}::text[]`)
    .limit(50)
    .execute();
  return rows.map((row) => rowToCustomer(row, protection));
}

export const CUSTOMER_SORT_FIELDS = ["legalName", "createdAt", "updatedAt"] as const;
export type CustomerSortField = (typeof CUSTOMER_SORT_FIELDS)[number];

export interface CustomerListFilter {
  search?: string;
  gstin?: string;
  pan?: string;
  tag?: string;
  segment?: string;
  preferredLanguage?: string;
  msmeCategory?: string;
  externalSource?: string;
}

/** Escapes LIKE wildcards so a search for "50%" finds the text "50%". */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

export async function listCustomerRows(
  trx: CustomersDb,
  options: {
    filter: CustomerListFilter;
    sort: CustomerSortField;
    descending: boolean;
    limit: number;
    after?: { value: string; id: string };
  },
): Promise<CustomerRow[]> {
  const { filter } = options;
  let query = trx.selectFrom("customers").selectAll();
  if (filter.search !== undefined && filter.search.trim() !== "") {
    const pattern = likePattern(filter.search.trim());
    query = query.where((eb) =>
      eb.or([
        eb("legal_name", "ilike", pattern),
        eb("trade_name", "ilike", pattern),
        eb("gstin", "ilike", pattern),
      ]),
    );
  }
  if (filter.gstin !== undefined) query = query.where("gstin", "=", filter.gstin.trim().toUpperCase());
  if (filter.pan !== undefined) query = query.where("pan", "=", filter.pan.trim().toUpperCase());
  if (filter.tag !== undefined) query = query.where(sql<boolean>`tags @> array[${filter.tag}]::text[]`);
  if (filter.segment !== undefined) query = query.where("segment", "=", filter.segment);
  if (filter.preferredLanguage !== undefined)
    query = query.where("preferred_language", "=", filter.preferredLanguage);
  if (filter.msmeCategory !== undefined) query = query.where("msme_category", "=", filter.msmeCategory);
  if (filter.externalSource !== undefined) query = query.where("external_source", "=", filter.externalSource);

  const key =
    options.sort === "legalName"
      ? sql`lower(legal_name)`
      : options.sort === "createdAt"
        ? sql`created_at`
        : sql`updated_at`;
  const cast = options.sort === "legalName" ? sql`` : sql`::timestamptz`;
  return keysetPage(query, {
    key,
    cast,
    after: options.after,
    descending: options.descending,
    limit: options.limit,
  }).execute();
}

/** The value a list is sorted on, for the cursor after this row. */
export function sortValueOf(row: CustomerRow, sort: CustomerSortField): string {
  if (sort === "legalName") return row.legal_name.toLowerCase();
  return (sort === "createdAt" ? row.created_at : row.updated_at).toISOString();
}

export interface ConsentHistoryInsert {
  id: string;
  tenantId: string;
  customerId: string;
  channel: string;
  status: string;
  at: string;
  source: string;
  evidence?: string | undefined;
  noticeVersion?: string | undefined;
  recordedAt: Date;
  recordedBy: string;
}

export async function insertConsentHistory(
  trx: CustomersDb,
  entries: readonly ConsentHistoryInsert[],
): Promise<void> {
  if (entries.length === 0) return;
  await trx
    .insertInto("customer_consent_history")
    .values(
      entries.map((entry) => ({
        id: entry.id,
        tenant_id: entry.tenantId,
        customer_id: entry.customerId,
        channel: entry.channel,
        status: entry.status,
        at: new Date(entry.at),
        source: entry.source,
        evidence: entry.evidence ?? null,
        notice_version: entry.noticeVersion ?? null,
        recorded_at: entry.recordedAt,
        recorded_by: entry.recordedBy,
      })),
    )
    .execute();
}

function historyEntryOf(row: Selectable<CustomerConsentHistoryTable>): ConsentHistoryEntry {
  return {
    id: row.id,
    channel: row.channel as ConsentHistoryEntry["channel"],
    status: row.status as ConsentHistoryEntry["status"],
    at: row.at.toISOString(),
    source: row.source as ConsentHistoryEntry["source"],
    ...(row.evidence !== null ? { evidence: row.evidence } : {}),
    ...(row.notice_version !== null ? { noticeVersion: row.notice_version } : {}),
    recordedAt: row.recorded_at.toISOString(),
    recordedBy: row.recorded_by,
  };
}

/** The consent history of one customer, oldest first. */
export async function listConsentHistory(
  trx: CustomersDb,
  customerId: string,
): Promise<ConsentHistoryEntry[]> {
  const rows = await trx
    .selectFrom("customer_consent_history")
    .selectAll()
    .where("customer_id", "=", customerId)
    .orderBy("recorded_at")
    .orderBy("at")
    .orderBy("id")
    .execute();
  return rows.map(historyEntryOf);
}

/** The customer as the API returns it. */
export function toCustomerView(stored: StoredCustomer): CustomerView {
  const { customer } = stored;
  return {
    ...(JSON.parse(JSON.stringify(customer)) as Omit<CustomerView, "external">),
    external: stored.external,
  };
}
