import { z } from "zod";
import { AppError, type FieldIssue } from "../../kernel/app-error.ts";
import { planCsvImport } from "./csv-import.ts";
import type {
  ImportedCreditNote,
  ImportedCustomer,
  ImportedInvoice,
  ImportedPayment,
  ImportSource,
} from "./imported-records.ts";
import { IMPORT_DATE_LAYOUTS, type ImportDateLayout } from "./import-values.ts";
import { parseTallyXml } from "./tally-xml.parser.ts";
import { mapZohoContacts, mapZohoInvoices } from "./zoho-books.mapper.ts";

const ZMode = z.enum(["all-or-nothing", "valid-rows-only"]).default("all-or-nothing");
const ZContent = z.string().min(1, "the file is empty").max(50_000_000);
const ZFileName = z.string().trim().min(1).max(200).optional();
/** Rows per transaction in valid-rows-only mode (all-or-nothing is always one transaction). */
const ZBatchSize = z.number().int().min(1).max(10_000).optional();

/** One import request: a file of another system's export and how to read it. */
export const ZImportFileRequest = z.discriminatedUnion("format", [
  z.object({
    format: z.literal("csv"),
    entity: z.enum(["customers", "invoices", "payments"]),
    content: ZContent,
    /** Our field -> the column header in the file. */
    mapping: z.record(z.string(), z.string().min(1)),
    mode: ZMode,
    batchSize: ZBatchSize,
    dateLayouts: z
      .array(z.enum(IMPORT_DATE_LAYOUTS as [ImportDateLayout, ...ImportDateLayout[]]))
      .min(1)
      .optional(),
    delimiter: z.enum([",", ";", "\t", "|"]).optional(),
    fileName: ZFileName,
  }),
  z.object({
    format: z.literal("tally-xml"),
    content: ZContent,
    /** Tally exports are often UTF-16: send the bytes as base64 to keep them exact. */
    contentEncoding: z.enum(["text", "base64"]).default("text"),
    mode: ZMode,
    batchSize: ZBatchSize,
    customerGroups: z.array(z.string().min(1)).max(50).optional(),
    voucherTypes: z
      .object({
        sales: z.array(z.string().min(1)).optional(),
        receipt: z.array(z.string().min(1)).optional(),
        creditNote: z.array(z.string().min(1)).optional(),
      })
      .optional(),
    fileName: ZFileName,
  }),
  z.object({
    format: z.literal("zoho-books-json"),
    entity: z.enum(["customers", "invoices"]),
    content: ZContent,
    mode: ZMode,
    batchSize: ZBatchSize,
    fileName: ZFileName,
  }),
]);
export type ImportFileRequest = z.output<typeof ZImportFileRequest>;

export type ImportedEntityName = "customer" | "invoice" | "payment" | "credit-note";

export type ImportedRecord =
  | { entity: "customer"; record: ImportedCustomer }
  | { entity: "invoice"; record: ImportedInvoice }
  | { entity: "payment"; record: ImportedPayment }
  | { entity: "credit-note"; record: ImportedCreditNote };

/** One row of a file (a CSV line, a Tally voucher or ledger, a JSON record) and what reading it gave. */
export interface ImportEntry {
  position: number;
  /** The file line for CSV. */
  rowNumber?: number;
  entity: ImportedEntityName | "other";
  externalId?: string;
  kind: "record" | "rejected" | "skipped";
  imported?: ImportedRecord;
  issues: FieldIssue[];
  findings: FieldIssue[];
}

export interface ReadImportFile {
  source: ImportSource;
  format: ImportFileRequest["format"];
  entity: "customers" | "invoices" | "payments" | "mixed";
  mode: "all-or-nothing" | "valid-rows-only";
  entries: ImportEntry[];
}

const SINGULAR = { customers: "customer", invoices: "invoice", payments: "payment" } as const;

function readJson(content: string): unknown {
  try {
    return JSON.parse(content) as unknown;
  } catch (error) {
    throw AppError.invalidInput([
      { field: "content", reason: `not JSON: ${error instanceof Error ? error.message : "unreadable"}` },
    ]);
  }
}

/**
 * Reads an import file into entries, one per row, without writing anything: records with their external ids and
 * findings, rejected rows with every issue (CSV: `rows.<line>.<field>`; Zoho: `invoices.<index>.<field>`), and
 * skipped rows with the reason. A file that cannot be read at all, or a mapping that does not fit it, is refused
 * outright (INVALID_INPUT).
 */
export function readImportFile(request: ImportFileRequest): ReadImportFile {
  const entries: ImportEntry[] = [];
  const push = (entry: Omit<ImportEntry, "position">) =>
    entries.push({ position: entries.length + 1, ...entry });
  if (request.format === "csv") {
    // Valid rows are read in valid-rows-only mode even when the caller asked for all-or-nothing: whether the
    // file may be written is decided by the caller from the rejected rows.
    const plan = planCsvImport({
      entity: request.entity,
      text: request.content,
      mapping: request.mapping,
      mode: "valid-rows-only",
      ...(request.dateLayouts ? { dateLayouts: request.dateLayouts } : {}),
      ...(request.delimiter ? { delimiter: request.delimiter } : {}),
    });
    const entity = SINGULAR[request.entity];
    let next = 0;
    for (const row of plan.rows) {
      if (!row.valid) {
        push({
          rowNumber: row.rowNumber,
          entity,
          ...(row.externalId ? { externalId: row.externalId } : {}),
          kind: "rejected",
          issues: row.issues,
          findings: [],
        });
        continue;
      }
      const record = plan.records[next];
      next += 1;
      if (!record) continue;
      push({
        rowNumber: row.rowNumber,
        entity,
        externalId: record.externalId,
        kind: "record",
        imported: { entity, record } as ImportedRecord,
        issues: [],
        findings: record.findings,
      });
    }
    return { source: "csv", format: "csv", entity: request.entity, mode: request.mode, entries };
  }
  if (request.format === "tally-xml") {
    const bytes =
      request.contentEncoding === "base64" ? Buffer.from(request.content, "base64") : request.content;
    const tally = parseTallyXml(bytes, {
      ...(request.customerGroups ? { customerGroups: request.customerGroups } : {}),
      ...(request.voucherTypes ? { voucherTypes: request.voucherTypes } : {}),
    });
    const records: ImportedRecord[] = [
      ...tally.customers.map((record) => ({ entity: "customer" as const, record })),
      ...tally.invoices.map((record) => ({ entity: "invoice" as const, record })),
      ...tally.payments.map((record) => ({ entity: "payment" as const, record })),
      ...tally.creditNotes.map((record) => ({ entity: "credit-note" as const, record })),
    ];
    for (const imported of records) {
      push({
        entity: imported.entity,
        externalId: imported.record.externalId,
        kind: "record",
        imported,
        issues: [],
        findings: imported.record.findings,
      });
    }
    for (const skipped of tally.skipped) {
      push({
        entity: "other",
        ...(skipped.externalId ? { externalId: skipped.externalId } : {}),
        kind: "skipped",
        issues: [
          {
            field: [skipped.voucherType, skipped.number, skipped.date].filter(Boolean).join(" ") || "voucher",
            reason: skipped.reason,
          },
        ],
        findings: [],
      });
    }
    return { source: "tally", format: "tally-xml", entity: "mixed", mode: request.mode, entries };
  }
  const payload = readJson(request.content);
  const entity = SINGULAR[request.entity];
  const mapped =
    request.entity === "invoices"
      ? (() => {
          const result = mapZohoInvoices(payload);
          return {
            records: result.invoices.map((record) => ({ entity: "invoice" as const, record })),
            skipped: result.skipped,
            rejected: result.rejected,
          };
        })()
      : (() => {
          const result = mapZohoContacts(payload);
          return {
            records: result.customers.map((record) => ({ entity: "customer" as const, record })),
            skipped: result.skipped,
            rejected: result.rejected,
          };
        })();
  for (const imported of mapped.records) {
    push({
      entity,
      externalId: imported.record.externalId,
      kind: "record",
      imported,
      issues: [],
      findings: imported.record.findings,
    });
  }
  for (const rejected of mapped.rejected) {
    push({
      entity,
      ...(rejected.externalId ? { externalId: rejected.externalId } : {}),
      kind: "rejected",
      issues: rejected.issues,
      findings: [],
    });
  }
  for (const skipped of mapped.skipped) {
    push({
      entity,
      externalId: skipped.externalId,
      kind: "skipped",
      issues: [{ field: "record", reason: skipped.reason }],
      findings: [],
    });
  }
  return {
    source: "zoho-books",
    format: "zoho-books-json",
    entity: request.entity,
    mode: request.mode,
    entries,
  };
}
