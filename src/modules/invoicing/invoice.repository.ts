import { sql, type Selectable } from "kysely";
import { keysetPage } from "../../platform/db/keyset-page.ts";
import type { Paise } from "../../kernel/money.ts";
import type { CalendarDate } from "./calendar-date.ts";
import type { InvoiceFingerprint } from "./duplicate-invoice.detector.ts";
import type {
  DocumentAmounts,
  Invoice,
  InvoiceLine,
  InvoiceStatus,
  LineAmounts,
  Note,
} from "./invoice.schemas.ts";
import type {
  AmountsView,
  ExternalReference,
  InvoiceView,
  LineView,
  NoteView,
  SettlementView,
} from "./invoice.views.ts";
import type {
  InvoiceLinesTable,
  InvoiceNotesTable,
  InvoiceSettlementsTable,
  InvoicesTable,
  InvoicingDb,
} from "./invoicing.tables.ts";

/** Persistence of invoices: rows to domain records and back, and the queries the services need. */

export type InvoiceRow = Selectable<InvoicesTable>;
export type InvoiceLineRow = Selectable<InvoiceLinesTable>;
export type InvoiceNoteRow = Selectable<InvoiceNotesTable>;
export type InvoiceSettlementRow = Selectable<InvoiceSettlementsTable>;

/** What the payments module settled: cash, income-tax TDS, GST TDS and small differences written off. */
export interface SettlementParts {
  cashPaise: Paise;
  tdsPaise: Paise;
  gstTdsPaise: Paise;
  writeOffPaise: Paise;
}

export type DueDateBasis = "explicit" | "contract" | "msmed-act";

export interface DueDateSet {
  contractual: CalendarDate | null;
  statutory: CalendarDate | null;
  applicable: CalendarDate | null;
  basis: DueDateBasis | null;
}

/** An invoice as stored: the domain invoice plus what only the database keeps. */
export interface InvoiceRecord {
  /** The domain invoice; its `settlement.paidPaise` is everything settled through payments (all four parts). */
  invoice: Invoice;
  financialYear: string;
  customerId: string | null;
  parts: SettlementParts;
  dueDates: DueDateSet;
  deliveryDate: CalendarDate | null;
  badDebt: { amountPaise: Paise; reason: string; writtenOffAt: string } | null;
  paidAt: string | null;
  external: ExternalReference | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else names no invoice (and must not reach PostgreSQL as a uuid). */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}

export const ZERO_PARTS: SettlementParts = {
  cashPaise: 0n,
  tdsPaise: 0n,
  gstTdsPaise: 0n,
  writeOffPaise: 0n,
};

export function settledOf(parts: SettlementParts): Paise {
  return parts.cashPaise + parts.tdsPaise + parts.gstTdsPaise + parts.writeOffPaise;
}

/** Total + debit notes - credit notes - everything settled. */
export function outstandingOf(record: InvoiceRecord): Paise {
  const { settlement, amounts } = record.invoice;
  return (
    (amounts?.totalPaise ?? 0n) + settlement.debitedPaise - settlement.creditedPaise - settledOf(record.parts)
  );
}

function defined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;
}

function lineOf(row: InvoiceLineRow): { line: InvoiceLine; amounts: LineAmounts } {
  const line = defined({
    description: row.description,
    hsnSac: row.hsn_sac ?? undefined,
    isService: row.is_service ?? undefined,
    quantity: row.quantity,
    unit: row.unit ?? undefined,
    unitPricePaise: row.unit_price_paise,
    discountPaise: row.discount_paise,
    gstRateBasisPoints: row.gst_rate_basis_points,
    cessRateBasisPoints: row.cess_rate_basis_points,
  }) as unknown as InvoiceLine;
  return {
    line,
    amounts: {
      taxableValuePaise: row.taxable_value_paise,
      cgstPaise: row.cgst_paise,
      sgstPaise: row.sgst_paise,
      utgstPaise: row.utgst_paise,
      igstPaise: row.igst_paise,
      cessPaise: row.cess_paise,
      totalPaise: row.total_paise,
    },
  };
}

/** A stored row and its lines as a record; rows were validated when written, so they are not parsed again. */
export function rowToRecord(row: InvoiceRow, lineRows: readonly InvoiceLineRow[]): InvoiceRecord {
  const lines = [...lineRows].sort((a, b) => a.position - b.position).map(lineOf);
  const parts: SettlementParts = {
    cashPaise: row.paid_paise,
    tdsPaise: row.tds_paise,
    gstTdsPaise: row.gst_tds_paise,
    writeOffPaise: row.settled_write_off_paise,
  };
  const buyer = row.buyer as Invoice["buyer"];
  const invoice = defined({
    id: row.id,
    number: row.number,
    issueDate: row.issue_date,
    supplyType: row.supply_type,
    reverseCharge: row.reverse_charge,
    placeOfSupply: row.place_of_supply,
    igstOnIntra: row.igst_on_intra,
    supplier: row.supplier,
    buyer: row.customer_id === null ? buyer : { ...buyer, customerId: row.customer_id },
    shipTo: row.ship_to ?? undefined,
    lines: lines.map((entry) => entry.line),
    nonTaxableChargesPaise: row.non_taxable_charges_paise,
    roundTotal: row.round_total,
    terms:
      row.credit_days === null
        ? undefined
        : { creditDays: row.credit_days, agreedInWriting: row.terms_in_writing === true },
    dueDate: row.due_date ?? undefined,
    einvoice:
      row.irn === null
        ? undefined
        : defined({
            irn: row.irn,
            ackNumber: row.irn_ack_number ?? undefined,
            ackDate: row.irn_ack_date ?? undefined,
            signedQrCode: row.irn_signed_qr_code ?? undefined,
          }),
    export: row.export_details ?? undefined,
    status: row.status,
    amounts: {
      lines: lines.map((entry) => entry.amounts),
      taxableValuePaise: row.taxable_value_paise,
      cgstPaise: row.cgst_paise,
      sgstPaise: row.sgst_paise,
      utgstPaise: row.utgst_paise,
      igstPaise: row.igst_paise,
      cessPaise: row.cess_paise,
      nonTaxableChargesPaise: row.non_taxable_charges_paise,
      roundOffPaise: row.round_off_paise,
      totalPaise: row.total_paise,
    },
    settlement: {
      paidPaise: settledOf(parts),
      creditedPaise: row.credited_paise,
      debitedPaise: row.debited_paise,
      writtenOffPaise: row.written_off_paise,
    },
    dispute:
      row.dispute_reason !== null && row.disputed_at !== null
        ? { reason: row.dispute_reason, raisedAt: row.disputed_at.toISOString() }
        : undefined,
    cancellation:
      row.cancellation_reason !== null && row.cancelled_at !== null
        ? {
            reason: row.cancellation_reason,
            remark: row.cancellation_remark ?? "",
            cancelledAt: row.cancelled_at.toISOString(),
          }
        : undefined,
    issuedAt: row.issued_at?.toISOString(),
    notes: row.notes ?? undefined,
  }) as unknown as Invoice;
  return {
    invoice,
    financialYear: row.financial_year,
    customerId: row.customer_id,
    parts,
    dueDates: {
      contractual: row.contractual_due_date as CalendarDate | null,
      statutory: row.statutory_due_date as CalendarDate | null,
      applicable: row.due_date as CalendarDate | null,
      basis: row.due_date_basis as DueDateBasis | null,
    },
    deliveryDate: row.delivery_date as CalendarDate | null,
    badDebt:
      row.written_off_at !== null
        ? {
            amountPaise: row.written_off_paise,
            reason: row.write_off_reason ?? "",
            writtenOffAt: row.written_off_at.toISOString(),
          }
        : null,
    paidAt: row.paid_at?.toISOString() ?? null,
    external:
      row.external_source !== null && row.external_id !== null
        ? { source: row.external_source, id: row.external_id }
        : null,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    createdBy: row.created_by,
  };
}

const json = (value: unknown) =>
  JSON.stringify(value, (_key, inner: unknown) => (typeof inner === "bigint" ? inner.toString() : inner));

/** Every column of the invoice row but its identity and creation. */
function recordColumns(record: InvoiceRecord) {
  const { invoice } = record;
  const amounts = invoice.amounts;
  if (amounts === undefined) throw new Error(`invoice ${invoice.id} has no amounts to store`);
  const { customerId: _customerId, ...buyer } = invoice.buyer;
  return {
    number: invoice.number,
    financial_year: record.financialYear,
    issue_date: invoice.issueDate,
    supply_type: invoice.supplyType,
    reverse_charge: invoice.reverseCharge,
    place_of_supply: invoice.placeOfSupply,
    igst_on_intra: invoice.igstOnIntra,
    supplier: json(invoice.supplier),
    supplier_gstin: invoice.supplier.gstin,
    buyer: json(buyer),
    buyer_name: invoice.buyer.legalName,
    buyer_gstin: invoice.buyer.gstin ?? null,
    customer_id: record.customerId,
    ship_to: invoice.shipTo === undefined ? null : json(invoice.shipTo),
    export_details: invoice.export === undefined ? null : json(invoice.export),
    credit_days: invoice.terms?.creditDays ?? null,
    terms_in_writing: invoice.terms === undefined ? null : invoice.terms.agreedInWriting,
    delivery_date: record.deliveryDate,
    contractual_due_date: record.dueDates.contractual,
    statutory_due_date: record.dueDates.statutory,
    due_date: record.dueDates.applicable,
    due_date_basis: record.dueDates.basis,
    round_total: invoice.roundTotal,
    taxable_value_paise: amounts.taxableValuePaise,
    cgst_paise: amounts.cgstPaise,
    sgst_paise: amounts.sgstPaise,
    utgst_paise: amounts.utgstPaise,
    igst_paise: amounts.igstPaise,
    cess_paise: amounts.cessPaise,
    non_taxable_charges_paise: amounts.nonTaxableChargesPaise,
    round_off_paise: amounts.roundOffPaise,
    total_paise: amounts.totalPaise,
    status: invoice.status,
    paid_paise: record.parts.cashPaise,
    tds_paise: record.parts.tdsPaise,
    gst_tds_paise: record.parts.gstTdsPaise,
    settled_write_off_paise: record.parts.writeOffPaise,
    credited_paise: invoice.settlement.creditedPaise,
    debited_paise: invoice.settlement.debitedPaise,
    written_off_paise: record.badDebt?.amountPaise ?? 0n,
    write_off_reason: record.badDebt?.reason ?? null,
    written_off_at: record.badDebt === null ? null : new Date(record.badDebt.writtenOffAt),
    dispute_reason: invoice.dispute?.reason ?? null,
    disputed_at: invoice.dispute === undefined ? null : new Date(invoice.dispute.raisedAt),
    cancellation_reason: invoice.cancellation?.reason ?? null,
    cancellation_remark: invoice.cancellation?.remark ?? null,
    cancelled_at: invoice.cancellation === undefined ? null : new Date(invoice.cancellation.cancelledAt),
    irn: invoice.einvoice?.irn ?? null,
    irn_ack_number: invoice.einvoice?.ackNumber ?? null,
    irn_ack_date: invoice.einvoice?.ackDate ?? null,
    irn_signed_qr_code: invoice.einvoice?.signedQrCode ?? null,
    issued_at: invoice.issuedAt === undefined ? null : new Date(invoice.issuedAt),
    paid_at: record.paidAt === null ? null : new Date(record.paidAt),
    notes: invoice.notes ?? null,
    version: record.version,
    updated_at: new Date(record.updatedAt),
  };
}

function lineRows(tenantId: string, record: InvoiceRecord) {
  const { invoice } = record;
  const amounts = invoice.amounts?.lines ?? [];
  return invoice.lines.map((line, position) => {
    const lineAmounts = amounts[position];
    if (lineAmounts === undefined) throw new Error(`line ${position} of ${invoice.id} has no amounts`);
    return {
      tenant_id: tenantId,
      invoice_id: invoice.id,
      position,
      description: line.description,
      hsn_sac: line.hsnSac ?? null,
      is_service: line.isService ?? null,
      quantity: line.quantity,
      unit: line.unit ?? null,
      unit_price_paise: line.unitPricePaise,
      discount_paise: line.discountPaise,
      gst_rate_basis_points: line.gstRateBasisPoints,
      cess_rate_basis_points: line.cessRateBasisPoints,
      taxable_value_paise: lineAmounts.taxableValuePaise,
      cgst_paise: lineAmounts.cgstPaise,
      sgst_paise: lineAmounts.sgstPaise,
      utgst_paise: lineAmounts.utgstPaise,
      igst_paise: lineAmounts.igstPaise,
      cess_paise: lineAmounts.cessPaise,
      total_paise: lineAmounts.totalPaise,
    };
  });
}

export async function insertInvoice(
  trx: InvoicingDb,
  tenantId: string,
  record: InvoiceRecord,
): Promise<void> {
  await trx
    .insertInto("invoices")
    .values({
      id: record.invoice.id,
      tenant_id: tenantId,
      ...recordColumns(record),
      external_source: record.external?.source ?? null,
      external_id: record.external?.id ?? null,
      created_at: new Date(record.createdAt),
      created_by: record.createdBy,
    })
    .execute();
  await trx.insertInto("invoice_lines").values(lineRows(tenantId, record)).execute();
}

/**
 * Writes a changed invoice if the row is still at `previousVersion` (the caller holds its row lock); false when
 * it moved on. `replaceLines` rewrites the lines too (drafts only).
 */
export async function writeInvoice(
  trx: InvoicingDb,
  tenantId: string,
  record: InvoiceRecord,
  previousVersion: number,
  options: { replaceLines?: boolean } = {},
): Promise<boolean> {
  const result = await trx
    .updateTable("invoices")
    .set(recordColumns(record))
    .where("id", "=", record.invoice.id)
    .where("version", "=", previousVersion)
    .executeTakeFirst();
  if (result.numUpdatedRows !== 1n) return false;
  if (options.replaceLines === true) {
    await trx.deleteFrom("invoice_lines").where("invoice_id", "=", record.invoice.id).execute();
    await trx.insertInto("invoice_lines").values(lineRows(tenantId, record)).execute();
  }
  return true;
}

async function linesFor(trx: InvoicingDb, ids: readonly string[]): Promise<Map<string, InvoiceLineRow[]>> {
  const byInvoice = new Map<string, InvoiceLineRow[]>();
  if (ids.length === 0) return byInvoice;
  const rows = await trx
    .selectFrom("invoice_lines")
    .selectAll()
    .where("invoice_id", "in", ids)
    .orderBy("invoice_id")
    .orderBy("position")
    .execute();
  for (const row of rows) {
    const list = byInvoice.get(row.invoice_id) ?? [];
    list.push(row);
    byInvoice.set(row.invoice_id, list);
  }
  return byInvoice;
}

export async function recordsOf(trx: InvoicingDb, rows: readonly InvoiceRow[]): Promise<InvoiceRecord[]> {
  const lines = await linesFor(
    trx,
    rows.map((row) => row.id),
  );
  return rows.map((row) => rowToRecord(row, lines.get(row.id) ?? []));
}

export async function findInvoice(
  trx: InvoicingDb,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<InvoiceRecord | undefined> {
  if (!isUuid(id)) return undefined;
  let query = trx.selectFrom("invoices").selectAll().where("id", "=", id);
  if (options.forUpdate === true) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) return undefined;
  const [record] = await recordsOf(trx, [row]);
  return record;
}

export async function findInvoiceByExternal(
  trx: InvoicingDb,
  external: ExternalReference,
): Promise<InvoiceRecord | undefined> {
  const row = await trx
    .selectFrom("invoices")
    .selectAll()
    .where("external_source", "=", external.source)
    .where("external_id", "=", external.id)
    .executeTakeFirst();
  if (!row) return undefined;
  const [record] = await recordsOf(trx, [row]);
  return record;
}

export async function findInvoiceByNumber(
  trx: InvoicingDb,
  financialYear: string,
  number: string,
): Promise<InvoiceRecord | undefined> {
  const row = await trx
    .selectFrom("invoices")
    .selectAll()
    .where("financial_year", "=", financialYear)
    .where(sql<boolean>`upper(number) = upper(${number})`)
    .executeTakeFirst();
  if (!row) return undefined;
  const [record] = await recordsOf(trx, [row]);
  return record;
}

/** Fingerprints of the buyer's invoices dated within `windowDays` of a date, for duplicate detection. */
export async function loadFingerprints(
  trx: InvoicingDb,
  options: {
    customerId: string | null;
    buyerGstin: string | null;
    buyerName: string;
    around: CalendarDate;
    windowDays: number;
    excludeId?: string;
  },
): Promise<InvoiceFingerprint[]> {
  let query = trx
    .selectFrom("invoices")
    .selectAll()
    .where(
      sql<boolean>`issue_date between ${options.around}::date - ${options.windowDays}::int
                                     and ${options.around}::date + ${options.windowDays}::int`,
    )
    .where((eb) =>
      eb.or([
        ...(options.customerId !== null ? [eb("customer_id", "=", options.customerId)] : []),
        ...(options.buyerGstin !== null ? [eb("buyer_gstin", "=", options.buyerGstin)] : []),
        eb(sql`lower(buyer_name)`, "=", options.buyerName.trim().toLowerCase()),
      ]),
    )
    .limit(500);
  if (options.excludeId !== undefined) query = query.where("id", "<>", options.excludeId);
  const records = await recordsOf(trx, await query.execute());
  return records.map(({ invoice }) => ({
    id: invoice.id,
    number: invoice.number,
    issueDate: invoice.issueDate,
    supplierGstin: invoice.supplier.gstin,
    customerKey:
      invoice.buyer.customerId ?? invoice.buyer.gstin ?? invoice.buyer.legalName.trim().toLowerCase(),
    totalPaise: invoice.amounts?.totalPaise ?? 0n,
    lineSignatures: invoice.lines.map((line) =>
      [
        line.hsnSac ?? "",
        line.description.toLowerCase(),
        line.quantity,
        line.unitPricePaise.toString(),
        line.discountPaise.toString(),
        String(line.gstRateBasisPoints),
      ].join("|"),
    ),
    status: invoice.status,
  }));
}

export const INVOICE_SORT_FIELDS = [
  "issueDate",
  "dueDate",
  "number",
  "totalPaise",
  "outstandingPaise",
  "createdAt",
] as const;
export type InvoiceSortField = (typeof INVOICE_SORT_FIELDS)[number];

/** Sort key expressions (never null, so keyset pagination works) and the cast of a cursor value. */
const SORT_KEYS: Record<InvoiceSortField, { key: ReturnType<typeof sql>; cast: ReturnType<typeof sql> }> = {
  issueDate: { key: sql`issue_date`, cast: sql`::date` },
  dueDate: { key: sql`coalesce(due_date, '9999-12-31'::date)`, cast: sql`::date` },
  number: { key: sql`upper(number)`, cast: sql`::text` },
  totalPaise: { key: sql`total_paise`, cast: sql`::bigint` },
  outstandingPaise: { key: sql`outstanding_paise`, cast: sql`::bigint` },
  createdAt: { key: sql`created_at`, cast: sql`::timestamptz` },
};

export function sortValueOf(row: InvoiceRow, sort: InvoiceSortField): string {
  switch (sort) {
    case "issueDate":
      return row.issue_date;
    case "dueDate":
      return row.due_date ?? "9999-12-31";
    case "number":
      return row.number.toUpperCase();
    case "totalPaise":
      return row.total_paise.toString();
    case "outstandingPaise":
      return row.outstanding_paise.toString();
    case "createdAt":
      return row.created_at.toISOString();
  }
}

export const OPEN_STATUSES: readonly InvoiceStatus[] = ["issued", "partially_paid", "disputed"];

export interface InvoiceListFilter {
  status?: readonly InvoiceStatus[];
  customerId?: string;
  buyerGstin?: string;
  financialYear?: string;
  issuedFrom?: string;
  issuedTo?: string;
  dueAfter?: string;
  dueBefore?: string;
  /** Open invoices with money outstanding whose due date is before this date. */
  overdueAsOf?: string;
  /** Part of the number or of the buyer's name. */
  search?: string;
}

/** Escapes LIKE wildcards so a search for "50%" finds the text "50%". */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

export async function listInvoiceRows(
  trx: InvoicingDb,
  options: {
    filter: InvoiceListFilter;
    sort: InvoiceSortField;
    descending: boolean;
    limit: number;
    after?: { value: string; id: string };
  },
): Promise<InvoiceRow[]> {
  const { filter } = options;
  let query = trx.selectFrom("invoices").selectAll();
  if (filter.status !== undefined && filter.status.length > 0)
    query = query.where("status", "in", filter.status);
  if (filter.customerId !== undefined) {
    query = isUuid(filter.customerId)
      ? query.where("customer_id", "=", filter.customerId)
      : query.where(sql<boolean>`false`);
  }
  if (filter.buyerGstin !== undefined)
    query = query.where("buyer_gstin", "=", filter.buyerGstin.toUpperCase());
  if (filter.financialYear !== undefined) query = query.where("financial_year", "=", filter.financialYear);
  if (filter.issuedFrom !== undefined) query = query.where("issue_date", ">=", filter.issuedFrom);
  if (filter.issuedTo !== undefined) query = query.where("issue_date", "<=", filter.issuedTo);
  if (filter.dueAfter !== undefined) query = query.where("due_date", ">=", filter.dueAfter);
  if (filter.dueBefore !== undefined) query = query.where("due_date", "<=", filter.dueBefore);
  if (filter.overdueAsOf !== undefined) {
    query = query
      .where("status", "in", OPEN_STATUSES)
      .where("due_date", "<", filter.overdueAsOf)
      .where("outstanding_paise", ">", 0n);
  }
  if (filter.search !== undefined && filter.search.trim() !== "") {
    const pattern = likePattern(filter.search.trim());
    query = query.where((eb) => eb.or([eb("number", "ilike", pattern), eb("buyer_name", "ilike", pattern)]));
  }
  const { key, cast } = SORT_KEYS[options.sort];
  return keysetPage(query, {
    key,
    cast,
    after: options.after,
    descending: options.descending,
    limit: options.limit,
  }).execute();
}

// ---------------------------------------------------------------- notes

interface StoredNoteLine {
  line: Record<string, unknown>;
  amounts: Record<string, string>;
}

export interface NoteRecord {
  note: Note;
  financialYear: string;
  reducesOutputTax: boolean;
  createdAt: string;
  createdBy: string;
}

/** Paise stored as text in jsonb (or absent: zero). */
function paiseOf(value: unknown): Paise {
  return typeof value === "string" || typeof value === "number" || typeof value === "bigint"
    ? BigInt(value)
    : 0n;
}

export function rowToNote(row: InvoiceNoteRow): NoteRecord {
  const stored = row.lines as StoredNoteLine[];
  const lines = stored.map((entry) => {
    const line = entry.line;
    return {
      ...line,
      unitPricePaise: paiseOf(line.unitPricePaise),
      discountPaise: paiseOf(line.discountPaise),
    } as unknown as InvoiceLine;
  });
  const lineAmounts = stored.map(
    (entry) =>
      Object.fromEntries(
        Object.entries(entry.amounts).map(([key, value]) => [key, BigInt(value)]),
      ) as unknown as LineAmounts,
  );
  const amounts: DocumentAmounts = {
    lines: lineAmounts,
    taxableValuePaise: row.taxable_value_paise,
    cgstPaise: row.cgst_paise,
    sgstPaise: row.sgst_paise,
    utgstPaise: row.utgst_paise,
    igstPaise: row.igst_paise,
    cessPaise: row.cess_paise,
    nonTaxableChargesPaise: 0n,
    roundOffPaise: row.round_off_paise,
    totalPaise: row.total_paise,
  };
  const note = defined({
    id: row.id,
    kind: row.kind,
    number: row.number,
    issueDate: row.issue_date,
    invoiceId: row.invoice_id,
    reason: row.reason,
    lines,
    roundTotal: row.round_total,
    amounts,
    notes: row.notes ?? undefined,
  }) as unknown as Note;
  return {
    note,
    financialYear: row.financial_year,
    reducesOutputTax: row.reduces_output_tax,
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
  };
}

export async function insertNote(trx: InvoicingDb, tenantId: string, record: NoteRecord): Promise<void> {
  const { note } = record;
  const amounts = note.amounts;
  if (amounts === undefined) throw new Error(`note ${note.id} has no amounts to store`);
  await trx
    .insertInto("invoice_notes")
    .values({
      id: note.id,
      tenant_id: tenantId,
      invoice_id: note.invoiceId,
      kind: note.kind,
      number: note.number,
      financial_year: record.financialYear,
      issue_date: note.issueDate,
      reason: note.reason,
      round_total: note.roundTotal,
      lines: json(
        note.lines.map((line, index) => ({
          line,
          amounts: amounts.lines[index],
        })),
      ),
      taxable_value_paise: amounts.taxableValuePaise,
      cgst_paise: amounts.cgstPaise,
      sgst_paise: amounts.sgstPaise,
      utgst_paise: amounts.utgstPaise,
      igst_paise: amounts.igstPaise,
      cess_paise: amounts.cessPaise,
      round_off_paise: amounts.roundOffPaise,
      total_paise: amounts.totalPaise,
      reduces_output_tax: record.reducesOutputTax,
      irn: note.einvoice?.irn ?? null,
      notes: note.notes ?? null,
      created_at: new Date(record.createdAt),
      created_by: record.createdBy,
    })
    .execute();
}

export async function listNotes(
  trx: InvoicingDb,
  invoiceId: string,
  kind?: "credit" | "debit",
): Promise<NoteRecord[]> {
  let query = trx.selectFrom("invoice_notes").selectAll().where("invoice_id", "=", invoiceId);
  if (kind !== undefined) query = query.where("kind", "=", kind);
  const rows = await query.orderBy("issue_date").orderBy("created_at").orderBy("id").execute();
  return rows.map(rowToNote);
}

// ---------------------------------------------------------------- settlements

export function settlementView(row: InvoiceSettlementRow): SettlementView {
  return {
    id: row.id,
    invoiceId: row.invoice_id,
    reference: row.reference,
    reversesId: row.reverses_id,
    cashPaise: row.cash_paise.toString(),
    tdsPaise: row.tds_paise.toString(),
    gstTdsPaise: row.gst_tds_paise.toString(),
    writeOffPaise: row.write_off_paise.toString(),
    appliedAt: row.applied_at.toISOString(),
    actor: row.actor,
  };
}

export async function findSettlement(
  trx: InvoicingDb,
  invoiceId: string,
  reference: string,
): Promise<InvoiceSettlementRow | undefined> {
  return trx
    .selectFrom("invoice_settlements")
    .selectAll()
    .where("invoice_id", "=", invoiceId)
    .where("reference", "=", reference)
    .executeTakeFirst();
}

export async function listSettlements(trx: InvoicingDb, invoiceId: string): Promise<SettlementView[]> {
  const rows = await trx
    .selectFrom("invoice_settlements")
    .selectAll()
    .where("invoice_id", "=", invoiceId)
    .orderBy("applied_at")
    .orderBy("id")
    .execute();
  return rows.map(settlementView);
}

// ---------------------------------------------------------------- views

const text = (paise: Paise) => paise.toString();

export function amountsView(amounts: DocumentAmounts): AmountsView {
  return {
    taxableValuePaise: text(amounts.taxableValuePaise),
    cgstPaise: text(amounts.cgstPaise),
    sgstPaise: text(amounts.sgstPaise),
    utgstPaise: text(amounts.utgstPaise),
    igstPaise: text(amounts.igstPaise),
    cessPaise: text(amounts.cessPaise),
    taxPaise: text(
      amounts.cgstPaise + amounts.sgstPaise + amounts.utgstPaise + amounts.igstPaise + amounts.cessPaise,
    ),
    nonTaxableChargesPaise: text(amounts.nonTaxableChargesPaise),
    roundOffPaise: text(amounts.roundOffPaise),
    totalPaise: text(amounts.totalPaise),
  };
}

export function linesView(lines: readonly InvoiceLine[], amounts: readonly LineAmounts[]): LineView[] {
  return lines.map((line, index) => {
    const lineAmounts = amounts[index];
    return {
      description: line.description,
      ...(line.hsnSac !== undefined ? { hsnSac: line.hsnSac } : {}),
      ...(line.isService !== undefined ? { isService: line.isService } : {}),
      quantity: line.quantity,
      ...(line.unit !== undefined ? { unit: line.unit } : {}),
      unitPricePaise: text(line.unitPricePaise),
      discountPaise: text(line.discountPaise),
      gstRateBasisPoints: line.gstRateBasisPoints,
      cessRateBasisPoints: line.cessRateBasisPoints,
      amounts: {
        taxableValuePaise: text(lineAmounts?.taxableValuePaise ?? 0n),
        cgstPaise: text(lineAmounts?.cgstPaise ?? 0n),
        sgstPaise: text(lineAmounts?.sgstPaise ?? 0n),
        utgstPaise: text(lineAmounts?.utgstPaise ?? 0n),
        igstPaise: text(lineAmounts?.igstPaise ?? 0n),
        cessPaise: text(lineAmounts?.cessPaise ?? 0n),
        totalPaise: text(lineAmounts?.totalPaise ?? 0n),
      },
    };
  });
}

/** Plain JSON of a party (the stored object has no transforms left; undefined keys dropped). */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export function toInvoiceView(record: InvoiceRecord): InvoiceView {
  const { invoice } = record;
  const amounts = invoice.amounts;
  if (amounts === undefined) throw new Error(`invoice ${invoice.id} has no amounts`);
  return {
    id: invoice.id,
    number: invoice.number,
    financialYear: record.financialYear,
    issueDate: invoice.issueDate,
    supplyType: invoice.supplyType,
    reverseCharge: invoice.reverseCharge,
    placeOfSupply: invoice.placeOfSupply,
    igstOnIntra: invoice.igstOnIntra,
    supplier: plain(invoice.supplier),
    buyer: plain(invoice.buyer),
    customerId: record.customerId,
    shipTo: invoice.shipTo === undefined ? null : plain(invoice.shipTo),
    export: invoice.export === undefined ? null : plain(invoice.export),
    terms: invoice.terms === undefined ? null : { ...invoice.terms },
    deliveryDate: record.deliveryDate,
    dueDates: { ...record.dueDates },
    status: invoice.status,
    lines: linesView(invoice.lines, amounts.lines),
    amounts: amountsView(amounts),
    roundTotal: invoice.roundTotal,
    settlement: {
      paidPaise: text(record.parts.cashPaise),
      tdsPaise: text(record.parts.tdsPaise),
      gstTdsPaise: text(record.parts.gstTdsPaise),
      writeOffPaise: text(record.parts.writeOffPaise),
      creditedPaise: text(invoice.settlement.creditedPaise),
      debitedPaise: text(invoice.settlement.debitedPaise),
      outstandingPaise: text(outstandingOf(record)),
    },
    badDebt:
      record.badDebt === null
        ? null
        : {
            amountPaise: text(record.badDebt.amountPaise),
            reason: record.badDebt.reason,
            writtenOffAt: record.badDebt.writtenOffAt,
          },
    dispute: invoice.dispute === undefined ? null : { ...invoice.dispute },
    cancellation: invoice.cancellation === undefined ? null : { ...invoice.cancellation },
    einvoice: invoice.einvoice === undefined ? null : plain(invoice.einvoice),
    issuedAt: invoice.issuedAt ?? null,
    paidAt: record.paidAt,
    notes: invoice.notes ?? null,
    external: record.external,
    version: record.version,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    createdBy: record.createdBy,
  };
}

export function toNoteView(record: NoteRecord): NoteView {
  const { note } = record;
  const amounts = note.amounts;
  if (amounts === undefined) throw new Error(`note ${note.id} has no amounts`);
  return {
    id: note.id,
    invoiceId: note.invoiceId,
    kind: note.kind,
    number: note.number,
    financialYear: record.financialYear,
    issueDate: note.issueDate,
    reason: note.reason,
    roundTotal: note.roundTotal,
    lines: linesView(note.lines, amounts.lines),
    amounts: amountsView(amounts),
    reducesOutputTax: record.reducesOutputTax,
    notes: note.notes ?? null,
    createdAt: record.createdAt,
    createdBy: record.createdBy,
  };
}
