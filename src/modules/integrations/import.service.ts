import { createHash, randomUUID } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import { sql } from "kysely";
import { z } from "zod";
import { AppError, type FieldIssue } from "../../kernel/app-error.ts";
import { appendAudit } from "../../platform/audit/audit.log.ts";
import { withTenant } from "../../platform/db/database.ts";
import type { DB } from "../../platform/db/schema.ts";
import { appendEvent, type EventTypeRegistry } from "../../platform/events/event-outbox.ts";
import { toPage, type Page } from "../../platform/http/pagination.ts";
import { auditActorOf, type CommandMeta } from "../../platform/audit/command-actor.ts";
import { runOnce } from "./command-keys.ts";
import {
  ZImportedCreditNoteRecord,
  ZImportedCustomerRecord,
  ZImportedInvoiceRecord,
  ZImportedPaymentRecord,
} from "./import.events.ts";
import {
  readImportFile,
  type ImportEntry,
  type ImportFileRequest,
  type ImportedEntityName,
  type ImportedRecord,
  type ReadImportFile,
} from "./import-file.reader.ts";
import type { ImportSource } from "./imported-records.ts";
import {
  platformDb,
  type ImportRowsTable,
  type ImportRunsTable,
  type IntegrationsDb,
  type IntegrationsTables,
} from "./integrations.tables.ts";

export const IMPORTS_PERMISSION = "imports:run";
export const IMPORT_EVENT_SOURCE = "/integrations";

const ZIssue = z.object({ field: z.string(), reason: z.string() });
const ENTITIES = ["customer", "invoice", "payment", "credit-note", "other"] as const;
export const IMPORT_ROW_OUTCOMES = [
  "created",
  "updated",
  "unchanged",
  "rejected",
  "skipped",
  "not-imported",
] as const;
/** Rows per transaction of a valid-rows-only import unless the request or the service says otherwise. */
export const DEFAULT_IMPORT_BATCH_SIZE = 500;

export const ZPlanRowView = z.object({
  position: z.number().int(),
  rowNumber: z.number().int().nullable(),
  entity: z.enum(ENTITIES),
  externalId: z.string().nullable(),
  outcome: z.enum(["create", "update", "unchanged", "rejected", "skipped"]),
  issues: z.array(ZIssue),
  findings: z.array(ZIssue),
});

export const ZImportPlanView = z.object({
  source: z.enum(["csv", "tally", "zoho-books"]),
  format: z.enum(["csv", "tally-xml", "zoho-books-json"]),
  entity: z.enum(["customers", "invoices", "payments", "mixed"]),
  mode: z.enum(["all-or-nothing", "valid-rows-only"]),
  /** False when the mode is all-or-nothing and any row is rejected: importing would write nothing. */
  accepted: z.boolean(),
  summary: z.object({
    rows: z.number().int(),
    create: z.number().int(),
    update: z.number().int(),
    unchanged: z.number().int(),
    rejected: z.number().int(),
    skipped: z.number().int(),
  }),
  /** Rows with issues or findings, first 1000. */
  rows: z.array(ZPlanRowView),
  issues: z.array(ZIssue),
});
export type ImportPlanView = z.infer<typeof ZImportPlanView>;

export const ZImportRunView = z.object({
  id: z.string(),
  source: z.string(),
  format: z.string(),
  entity: z.string(),
  mode: z.string(),
  fileName: z.string().nullable(),
  rowCount: z.number().int(),
  createdCount: z.number().int(),
  updatedCount: z.number().int(),
  unchangedCount: z.number().int(),
  rejectedCount: z.number().int(),
  skippedCount: z.number().int(),
  /** Valid rows left out because the run stopped on a failed batch (status `partial`). */
  notImportedCount: z.number().int(),
  /** `running` until the last batch is committed; `partial` when a batch failed and the run stopped. */
  status: z.enum(["running", "completed", "partial"]),
  /** Rows per transaction for a run in batches; null for an all-or-nothing run (one transaction). */
  batchSize: z.number().int().nullable(),
  /** Rows 1..committedRows (by position) are committed with their reports. */
  committedRows: z.number().int(),
  startedAt: z.string(),
  startedBy: z.string(),
  finishedAt: z.string().nullable(),
  /** Why a partial run stopped. */
  failure: z.string().nullable(),
});
export type ImportRunView = z.infer<typeof ZImportRunView>;

export const ZImportRowView = z.object({
  position: z.number().int(),
  rowNumber: z.number().int().nullable(),
  entity: z.enum(ENTITIES),
  externalId: z.string().nullable(),
  outcome: z.enum(IMPORT_ROW_OUTCOMES),
  issues: z.array(ZIssue),
  findings: z.array(ZIssue),
});
export type ImportRowView = z.infer<typeof ZImportRowView>;

const ZChangedRecord = z.object({
  entity: z.enum(["customer", "invoice", "payment", "credit-note"]),
  change: z.enum(["create", "update"]),
  externalId: z.string(),
  internalId: z.string().nullable(),
  record: z.record(z.string(), z.unknown()),
});

export const ZImportFileResult = z.object({
  run: ZImportRunView,
  /** The records new or changed since the last import (also published as import.*-accepted events), first 1000. */
  changed: z.array(ZChangedRecord),
  changedTruncated: z.boolean(),
});
export type ImportFileResult = z.infer<typeof ZImportFileResult>;

export const ZExternalIdView = z.object({
  source: z.string(),
  entity: z.string(),
  externalId: z.string(),
  internalId: z.string().nullable(),
});
export type ExternalIdView = z.infer<typeof ZExternalIdView>;

const RECORD_SCHEMAS: Record<ImportedEntityName, z.ZodType<Record<string, unknown>>> = {
  customer: ZImportedCustomerRecord,
  invoice: ZImportedInvoiceRecord,
  payment: ZImportedPaymentRecord,
  "credit-note": ZImportedCreditNoteRecord,
};

const EVENT_TYPE: Record<ImportedEntityName, string> = {
  customer: "import.customer-accepted",
  invoice: "import.invoice-accepted",
  payment: "import.payment-accepted",
  "credit-note": "import.credit-note-accepted",
};

/** The record as JSON (money as digit strings), and a hash of its content without the findings. */
function jsonRecord(
  imported: ImportedRecord,
  position: number,
): { record: Record<string, unknown>; hash: string } | { issues: FieldIssue[] } {
  const parsed = RECORD_SCHEMAS[imported.entity].safeParse(imported.record);
  if (!parsed.success) {
    return {
      issues: parsed.error.issues.map((issue) => ({
        field: ["records", position, ...issue.path.map(String)].join("."),
        reason: issue.message,
      })),
    };
  }
  const { findings: _findings, ...content } = parsed.data;
  return { record: parsed.data, hash: createHash("sha256").update(JSON.stringify(content)).digest("hex") };
}

/** A row after reading and after the checks that need the whole file (a record twice), before the map is asked. */
interface Prepared {
  entry: ImportEntry;
  outcome: "record" | "rejected" | "skipped";
  record?: Record<string, unknown>;
  hash?: string;
}

/** A row compared with the external-id map: what importing it does. */
export interface ImportBatchItem {
  entry: ImportEntry;
  outcome: "create" | "update" | "unchanged" | "rejected" | "skipped";
  record?: Record<string, unknown>;
  hash?: string;
  internalId?: string | null;
}
type Classified = ImportBatchItem;

/** The rows one transaction writes: all of an all-or-nothing import, or one batch of a valid-rows-only import. */
export interface ImportBatch {
  tenantId: string;
  runId: string;
  source: ImportSource;
  /** 1 for the first batch of a run. */
  index: number;
  /** Positions (1-based) of the first and last row of the batch in the file. */
  firstPosition: number;
  lastPosition: number;
  items: readonly ImportBatchItem[];
  now: Date;
}

/** Writes a batch's row reports, external ids and events inside the batch's transaction. */
export type ImportBatchWriter = (trx: IntegrationsDb, batch: ImportBatch) => Promise<void>;

type ChangedRecord = z.infer<typeof ZChangedRecord>;

/** Thrown inside a transaction that only asks whether an idempotency key has an answer, to roll the claim back. */
class NotAnsweredYet extends Error {}

/** Class of the per-tenant advisory lock ("IMPT") that orders the writing transactions of imports. */
const IMPORT_LOCK_CLASS = 0x494d5054;

/** Where a row's report points: `rows.<line>` for CSV, `records.<position>` otherwise. */
function rowField(entry: ImportEntry): string {
  return entry.rowNumber !== undefined ? `rows.${entry.rowNumber}` : `records.${entry.position}`;
}

/** Reads the file's rows into records with their content hash, marking a record repeated in the file. Pure. */
function prepare(entries: readonly ImportEntry[]): Prepared[] {
  const seen = new Map<string, number>();
  return entries.map((entry): Prepared => {
    if (entry.kind !== "record" || !entry.imported)
      return { entry, outcome: entry.kind === "rejected" ? "rejected" : "skipped" };
    const key = `${entry.entity}\u001f${entry.externalId ?? ""}`;
    const first = seen.get(key);
    if (first !== undefined) {
      return {
        entry: {
          ...entry,
          kind: "skipped",
          issues: [{ field: "externalId", reason: `same record as row ${first} of this file` }],
        },
        outcome: "skipped",
      };
    }
    seen.set(key, entry.position);
    const json = jsonRecord(entry.imported, entry.position);
    if ("issues" in json)
      return { entry: { ...entry, kind: "rejected", issues: json.issues }, outcome: "rejected" };
    return { entry, outcome: "record", record: json.record, hash: json.hash };
  });
}

function changedView(item: Classified): ChangedRecord {
  return {
    entity: item.entry.entity as ImportedEntityName,
    change: item.outcome as "create" | "update",
    externalId: item.entry.externalId ?? "",
    internalId: item.internalId ?? null,
    record: item.record ?? {},
  };
}

const isChange = (item: Classified): boolean => item.outcome === "create" || item.outcome === "update";

async function insertBatches<T>(items: readonly T[], size: number, write: (batch: T[]) => Promise<unknown>) {
  for (let start = 0; start < items.length; start += size) await write(items.slice(start, start + size));
}

type RunRow = Selectable<ImportRunsTable>;
type RowRow = Selectable<ImportRowsTable>;

function toRunView(row: RunRow): ImportRunView {
  return {
    id: row.id,
    source: row.source,
    format: row.format,
    entity: row.entity,
    mode: row.mode,
    fileName: row.file_name,
    rowCount: row.row_count,
    createdCount: row.created_count,
    updatedCount: row.updated_count,
    unchangedCount: row.unchanged_count,
    rejectedCount: row.rejected_count,
    skippedCount: row.skipped_count,
    notImportedCount: row.not_imported_count,
    status: row.status as ImportRunView["status"],
    batchSize: row.batch_size,
    committedRows: row.committed_rows,
    startedAt: row.started_at.toISOString(),
    startedBy: row.started_by,
    finishedAt: row.finished_at ? row.finished_at.toISOString() : null,
    failure: row.failure,
  };
}

function toRowView(row: RowRow): ImportRowView {
  return {
    position: row.position,
    rowNumber: row.row_number,
    entity: row.entity as ImportRowView["entity"],
    externalId: row.external_id,
    outcome: row.outcome as ImportRowView["outcome"],
    issues: row.issues as ImportRowView["issues"],
    findings: row.findings as ImportRowView["findings"],
  };
}

const PAST: Record<Classified["outcome"], ImportRowView["outcome"]> = {
  create: "created",
  update: "updated",
  unchanged: "unchanged",
  rejected: "rejected",
  skipped: "skipped",
};

export interface ImportDeps {
  /** The application pool: row-level security applies. */
  db: Kysely<DB>;
  events: EventTypeRegistry;
  /** Epoch milliseconds. */
  now(): number;
  newId?: () => string;
  /** Rows per transaction of a valid-rows-only import when the request does not say (default 500). */
  batchSize?: number;
  /** Wraps the writer of each batch (to observe or fail a batch on purpose); the default writes it. */
  wrapBatchWriter?: (write: ImportBatchWriter) => ImportBatchWriter;
}

export type ImportService = ReturnType<typeof createImportService>;

/**
 * Imports: a file is read into records (pure), each record is compared with what the external-id map says was
 * imported before, and in one transaction the run, a report per row, the map and one event per new or changed
 * record are written. Importing the same file again writes a run whose rows are all unchanged and publishes
 * nothing. Integrations never writes another module's tables: workflows act on the events.
 */
export function createImportService(deps: ImportDeps) {
  const clock = (): Date => new Date(deps.now());
  const newId = deps.newId ?? (() => randomUUID());
  const inTenant = <T>(tenantId: string, work: (trx: IntegrationsDb) => Promise<T>): Promise<T> =>
    withTenant(deps.db, tenantId, (trx) => work(trx.withTables<IntegrationsTables>()));

  /** Compares records with the external-id map: new ones are `create`, changed ones `update`, the rest `unchanged`. */
  async function compare(
    trx: IntegrationsDb,
    source: string,
    prepared: readonly Prepared[],
  ): Promise<Classified[]> {
    const keys = prepared
      .filter((item) => item.outcome === "record")
      .map((item) => `${item.entry.entity}\u001f${item.entry.externalId ?? ""}`);
    const known = new Map<string, { hash: string; internalId: string | null }>();
    const unique = [...new Set(keys)];
    for (let start = 0; start < unique.length; start += 1000) {
      const batch = unique.slice(start, start + 1000);
      const rows = await trx
        .selectFrom("import_external_ids")
        .select(["entity", "external_id", "content_sha256", "internal_id"])
        .where("source", "=", source)
        .where(
          "external_id",
          "in",
          batch.map((key) => key.split("\u001f")[1] ?? ""),
        )
        .execute();
      for (const row of rows) {
        known.set(`${row.entity}\u001f${row.external_id}`, {
          hash: row.content_sha256,
          internalId: row.internal_id,
        });
      }
    }
    return prepared.map((item): Classified => {
      if (item.outcome !== "record") return { entry: item.entry, outcome: item.outcome };
      const { entry, record, hash } = item;
      const previous = known.get(`${entry.entity}\u001f${entry.externalId ?? ""}`);
      if (!previous) return { entry, outcome: "create", record, hash, internalId: null };
      return {
        entry,
        outcome: previous.hash === hash ? "unchanged" : "update",
        record,
        hash,
        internalId: previous.internalId,
      };
    });
  }

  function summarise(classified: readonly Classified[]) {
    const count = (outcome: Classified["outcome"]) =>
      classified.filter((item) => item.outcome === outcome).length;
    return {
      rows: classified.length,
      create: count("create"),
      update: count("update"),
      unchanged: count("unchanged"),
      rejected: count("rejected"),
      skipped: count("skipped"),
    };
  }

  function refusal(items: readonly { entry: ImportEntry; outcome: string }[]): AppError {
    const rejected = items.filter((item) => item.outcome === "rejected");
    return AppError.invalidInput(
      rejected.flatMap((item) => item.entry.issues),
      `import refused: ${rejected.length} of ${items.length} rows have problems; nothing was written`,
    );
  }

  /**
   * Imports of one tenant and source write one transaction at a time, so a record is compared with the map as
   * the last committed import left it: two imports of the same records cannot both find them new.
   */
  async function lockSource(trx: IntegrationsDb, tenantId: string, source: string): Promise<void> {
    await sql`select pg_advisory_xact_lock(${IMPORT_LOCK_CLASS}::int4, hashtext(${`${tenantId}:${source}`}))`.execute(
      trx,
    );
  }

  /** The row reports, the external-id map and one event per new or changed record of a batch. */
  const writeBatch: ImportBatchWriter = async (trx, batch) => {
    await insertBatches(batch.items, 1000, (rows) =>
      trx
        .insertInto("import_rows")
        .values(
          rows.map((item) => ({
            tenant_id: batch.tenantId,
            run_id: batch.runId,
            position: item.entry.position,
            row_number: item.entry.rowNumber ?? null,
            entity: item.entry.entity,
            external_id: item.entry.externalId ?? null,
            outcome: PAST[item.outcome],
            issues: JSON.stringify(item.entry.issues),
            findings: JSON.stringify(item.entry.findings),
          })),
        )
        .execute(),
    );
    const touched = batch.items.filter((item) => item.hash !== undefined);
    await insertBatches(touched, 1000, (rows) =>
      trx
        .insertInto("import_external_ids")
        .values(
          rows.map((item) => ({
            tenant_id: batch.tenantId,
            source: batch.source,
            entity: item.entry.entity,
            external_id: item.entry.externalId ?? "",
            internal_id: null,
            content_sha256: item.hash ?? "",
            first_run_id: batch.runId,
            last_run_id: batch.runId,
            created_at: batch.now,
            updated_at: batch.now,
          })),
        )
        .onConflict((conflict) =>
          conflict.columns(["tenant_id", "source", "entity", "external_id"]).doUpdateSet({
            content_sha256: sql`excluded.content_sha256`,
            last_run_id: sql`excluded.last_run_id`,
            updated_at: sql`excluded.updated_at`,
          }),
        )
        .execute(),
    );
    for (const item of batch.items.filter(isChange)) {
      const entity = item.entry.entity as ImportedEntityName;
      await appendEvent(platformDb(trx), deps.events, {
        tenantId: batch.tenantId,
        type: EVENT_TYPE[entity],
        source: IMPORT_EVENT_SOURCE,
        subject: item.entry.externalId ?? "",
        data: {
          runId: batch.runId,
          source: batch.source,
          externalId: item.entry.externalId ?? "",
          change: item.outcome,
          internalId: item.internalId ?? null,
          record: item.record,
        },
      });
    }
  };
  const writer = deps.wrapBatchWriter ? deps.wrapBatchWriter(writeBatch) : writeBatch;

  function runValues(
    meta: CommandMeta,
    request: ImportFileRequest,
    file: ReadImportFile,
    values: {
      id: string;
      status: ImportRunView["status"];
      batchSize: number | null;
      rows: number;
      counts: { create: number; update: number; unchanged: number; rejected: number; skipped: number };
      committedRows: number;
      startedAt: Date;
      finishedAt: Date | null;
    },
  ) {
    return {
      id: values.id,
      tenant_id: meta.tenantId,
      source: file.source,
      format: file.format,
      entity: file.entity,
      mode: file.mode,
      file_name: request.fileName ?? null,
      file_sha256: createHash("sha256").update(request.content).digest("hex"),
      row_count: values.rows,
      created_count: values.counts.create,
      updated_count: values.counts.update,
      unchanged_count: values.counts.unchanged,
      rejected_count: values.counts.rejected,
      skipped_count: values.counts.skipped,
      not_imported_count: 0,
      status: values.status,
      batch_size: values.batchSize,
      committed_rows: values.committedRows,
      started_at: values.startedAt,
      started_by: meta.actor,
      finished_at: values.finishedAt,
      failure: null,
    };
  }

  async function auditRun(
    trx: IntegrationsDb,
    meta: CommandMeta,
    action: "import.completed" | "import.partial",
    run: RunRow,
  ): Promise<void> {
    await appendAudit(
      trx,
      {
        tenantId: meta.tenantId,
        actor: auditActorOf(meta.actor),
        action,
        entity: { type: "import-run", id: run.id },
        metadata: {
          format: run.format,
          mode: run.mode,
          rows: run.row_count,
          create: run.created_count,
          update: run.updated_count,
          unchanged: run.unchanged_count,
          rejected: run.rejected_count,
          skipped: run.skipped_count,
          notImported: run.not_imported_count,
          committedRows: run.committed_rows,
          ...(run.failure ? { failure: run.failure } : {}),
        },
        ...(meta.requestId ? { requestId: meta.requestId } : {}),
      },
      { clock },
    );
  }

  type CommandOptions = { tenantId: string; key: string | undefined; command: string; request: unknown };

  /** The stored answer of an idempotency key, if a command with it has finished (the claim is rolled back). */
  async function answeredBefore(command: CommandOptions): Promise<ImportFileResult | undefined> {
    try {
      return await inTenant(command.tenantId, (trx) =>
        runOnce<ImportFileResult>(trx, command, () => Promise.reject(new NotAnsweredYet())),
      );
    } catch (error) {
      if (error instanceof NotAnsweredYet) return undefined;
      throw error;
    }
  }

  /** All-or-nothing: the whole file in one transaction, or nothing when any row is rejected. */
  function importWhole(
    meta: CommandMeta,
    request: ImportFileRequest,
    file: ReadImportFile,
    prepared: readonly Prepared[],
    command: CommandOptions,
  ): Promise<ImportFileResult> {
    return inTenant(meta.tenantId, (trx) =>
      runOnce(trx, command, async () => {
        if (prepared.some((item) => item.outcome === "rejected")) throw refusal(prepared);
        await lockSource(trx, meta.tenantId, file.source);
        const classified = await compare(trx, file.source, prepared);
        const summary = summarise(classified);
        const runId = newId();
        const now = clock();
        const run = await trx
          .insertInto("import_runs")
          .values(
            runValues(meta, request, file, {
              id: runId,
              status: "completed",
              batchSize: null,
              rows: summary.rows,
              counts: summary,
              committedRows: summary.rows,
              startedAt: now,
              finishedAt: now,
            }),
          )
          .returningAll()
          .executeTakeFirstOrThrow();
        await writer(trx, {
          tenantId: meta.tenantId,
          runId,
          source: file.source,
          index: 1,
          firstPosition: 1,
          lastPosition: classified.length,
          items: classified,
          now,
        });
        await auditRun(trx, meta, "import.completed", run);
        const changed = classified.filter(isChange);
        return {
          run: toRunView(run),
          changed: changed.slice(0, 1000).map(changedView),
          changedTruncated: changed.length > 1000,
        };
      }),
    );
  }

  /**
   * After a failed batch: reports for the rows after the last committed batch (rejected and skipped rows keep
   * their outcome, valid rows are `not-imported` with the reason), then the run becomes `partial`. Each chunk of
   * reports is its own transaction, as the batches were.
   */
  async function stopPartially(
    meta: CommandMeta,
    run: { id: string; prepared: readonly Prepared[]; committed: number; batch: number; batchSize: number },
    failure: string,
  ): Promise<number> {
    const rest = run.prepared.slice(run.committed);
    const last = run.committed + Math.min(run.batchSize, rest.length);
    const reason =
      `not imported: the import stopped when batch ${run.batch} (rows at positions ${run.committed + 1}-${last}) ` +
      `failed (${failure}); importing the file again imports it`;
    const outcomeOf = (item: Prepared): ImportRowView["outcome"] =>
      item.outcome === "record" ? "not-imported" : item.outcome;
    await insertBatches(rest, 1000, (rows) =>
      inTenant(meta.tenantId, (trx) =>
        trx
          .insertInto("import_rows")
          .values(
            rows.map((item) => ({
              tenant_id: meta.tenantId,
              run_id: run.id,
              position: item.entry.position,
              row_number: item.entry.rowNumber ?? null,
              entity: item.entry.entity,
              external_id: item.entry.externalId ?? null,
              outcome: outcomeOf(item),
              issues: JSON.stringify(
                item.outcome === "record" ? [{ field: rowField(item.entry), reason }] : item.entry.issues,
              ),
              findings: JSON.stringify(item.entry.findings),
            })),
          )
          .execute(),
      ),
    );
    const count = (outcome: Prepared["outcome"]) => rest.filter((item) => item.outcome === outcome).length;
    const notImported = count("record");
    await inTenant(meta.tenantId, async (trx) => {
      const stopped = await trx
        .updateTable("import_runs")
        .set((eb) => ({
          status: "partial",
          rejected_count: eb("rejected_count", "+", count("rejected")),
          skipped_count: eb("skipped_count", "+", count("skipped")),
          not_imported_count: notImported,
          finished_at: clock(),
          failure: failure.slice(0, 1000),
        }))
        .where("id", "=", run.id)
        .where("status", "=", "running")
        .returningAll()
        .executeTakeFirstOrThrow();
      await auditRun(trx, meta, "import.partial", stopped);
    });
    return notImported;
  }

  /**
   * Valid-rows-only: the run is recorded first (`running`), then each batch of rows is compared with the map and
   * written in its own transaction together with the run's progress. A failed batch rolls back whole; the run
   * then becomes `partial` and the command fails (UNAVAILABLE, retryable) naming the run. Importing the file
   * again finishes it: what earlier batches committed is unchanged by external id and publishes nothing.
   */
  async function importInBatches(
    meta: CommandMeta,
    request: ImportFileRequest,
    file: ReadImportFile,
    prepared: readonly Prepared[],
    command: CommandOptions,
  ): Promise<ImportFileResult> {
    if (command.key) {
      const earlier = await answeredBefore(command);
      if (earlier) return earlier;
    }
    const batchSize = request.batchSize ?? deps.batchSize ?? DEFAULT_IMPORT_BATCH_SIZE;
    const runId = newId();
    const zero = { create: 0, update: 0, unchanged: 0, rejected: 0, skipped: 0 };
    await inTenant(meta.tenantId, (trx) =>
      trx
        .insertInto("import_runs")
        .values(
          runValues(meta, request, file, {
            id: runId,
            status: "running",
            batchSize,
            rows: prepared.length,
            counts: zero,
            committedRows: 0,
            startedAt: clock(),
            finishedAt: null,
          }),
        )
        .execute(),
    );
    const changed: ChangedRecord[] = [];
    let changedCount = 0;
    let committed = 0;
    let batch = 0;
    try {
      while (committed < prepared.length) {
        batch += 1;
        const slice = prepared.slice(committed, committed + batchSize);
        const from = committed;
        const written = await inTenant(meta.tenantId, async (trx) => {
          await lockSource(trx, meta.tenantId, file.source);
          const items = await compare(trx, file.source, slice);
          await writer(trx, {
            tenantId: meta.tenantId,
            runId,
            source: file.source,
            index: batch,
            firstPosition: from + 1,
            lastPosition: from + slice.length,
            items,
            now: clock(),
          });
          const counts = summarise(items);
          const progressed = await trx
            .updateTable("import_runs")
            .set((eb) => ({
              created_count: eb("created_count", "+", counts.create),
              updated_count: eb("updated_count", "+", counts.update),
              unchanged_count: eb("unchanged_count", "+", counts.unchanged),
              rejected_count: eb("rejected_count", "+", counts.rejected),
              skipped_count: eb("skipped_count", "+", counts.skipped),
              committed_rows: from + slice.length,
            }))
            .where("id", "=", runId)
            .where("status", "=", "running")
            .where("committed_rows", "=", from)
            .executeTakeFirst();
          if (progressed.numUpdatedRows !== 1n) {
            throw AppError.conflict(`import run ${runId} is no longer at row ${from}`);
          }
          return items;
        });
        committed += slice.length;
        for (const item of written.filter(isChange)) {
          changedCount += 1;
          if (changed.length < 1000) changed.push(changedView(item));
        }
      }
    } catch (error) {
      const failure = error instanceof Error ? error.message : String(error);
      let notImported: number | undefined;
      try {
        notImported = await stopPartially(
          meta,
          { id: runId, prepared, committed, batch, batchSize },
          failure,
        );
      } catch {
        // The run stays `running` with the rows committed so far; the caller is told below.
      }
      throw new AppError({
        code: "UNAVAILABLE",
        message:
          `import ${runId} stopped at batch ${batch}: rows at positions 1-${committed} are imported, the rest ` +
          `are not (${failure}); importing the file again finishes it without importing anything twice`,
        details: {
          runId,
          status: notImported === undefined ? "running" : "partial",
          committedRows: committed,
          ...(notImported === undefined ? {} : { notImportedCount: notImported }),
        },
        retryable: true,
        cause: error,
      });
    }
    return inTenant(meta.tenantId, async (trx) => {
      const run = await trx
        .updateTable("import_runs")
        .set({ status: "completed", finished_at: clock() })
        .where("id", "=", runId)
        .returningAll()
        .executeTakeFirstOrThrow();
      await auditRun(trx, meta, "import.completed", run);
      const result: ImportFileResult = {
        run: toRunView(run),
        changed,
        changedTruncated: changedCount > 1000,
      };
      // A concurrent call with the same key that finished first keeps its answer.
      return runOnce(trx, command, () => Promise.resolve(result));
    });
  }

  return {
    /** What importing the file would do, row by row, without writing anything. */
    plan: (tenantId: string, request: ImportFileRequest): Promise<ImportPlanView> =>
      inTenant(tenantId, async (trx) => {
        const file = readImportFile(request);
        const classified = await compare(trx, file.source, prepare(file.entries));
        const summary = summarise(classified);
        const notable = classified.filter(
          (item) => item.entry.issues.length > 0 || item.entry.findings.length > 0,
        );
        return {
          source: file.source,
          format: file.format,
          entity: file.entity,
          mode: file.mode,
          accepted: file.mode === "valid-rows-only" || summary.rejected === 0,
          summary,
          rows: notable.slice(0, 1000).map((item) => ({
            position: item.entry.position,
            rowNumber: item.entry.rowNumber ?? null,
            entity: item.entry.entity,
            externalId: item.entry.externalId ?? null,
            outcome: item.outcome,
            issues: item.entry.issues,
            findings: item.entry.findings,
          })),
          issues: notable.flatMap((item) => item.entry.issues).slice(0, 1000),
        };
      }),

    /**
     * Imports the file. All-or-nothing is one transaction and refuses the whole file (INVALID_INPUT naming every
     * row and field) when any row is rejected. Valid-rows-only writes the good rows in batches (one transaction
     * each, `batchSize` rows, 500 by default) and reports the others; see importInBatches.
     */
    async importFile(meta: CommandMeta, request: ImportFileRequest): Promise<ImportFileResult> {
      const command = {
        tenantId: meta.tenantId,
        key: meta.idempotencyKey,
        command: "integrations.import-file",
        request,
      };
      const file = readImportFile(request);
      const prepared = prepare(file.entries);
      return file.mode === "all-or-nothing"
        ? importWhole(meta, request, file, prepared, command)
        : importInBatches(meta, request, file, prepared, command);
    },

    /** Records which Prapti record an imported one became, so later imports of it name it. */
    linkExternalId(
      meta: CommandMeta,
      input: { source: string; entity: string; externalId: string; internalId: string },
    ): Promise<ExternalIdView> {
      return inTenant(meta.tenantId, (trx) =>
        runOnce(
          trx,
          {
            tenantId: meta.tenantId,
            key: meta.idempotencyKey,
            command: "integrations.link-external-id",
            request: input,
          },
          async () => {
            const row = await trx
              .selectFrom("import_external_ids")
              .selectAll()
              .where("source", "=", input.source)
              .where("entity", "=", input.entity)
              .where("external_id", "=", input.externalId)
              .forUpdate()
              .executeTakeFirst();
            if (!row) throw AppError.notFound("imported record", input.externalId);
            if (row.internal_id !== null && row.internal_id !== input.internalId) {
              throw AppError.conflict(`${input.externalId} is already linked to another record`, {
                internalId: row.internal_id,
              });
            }
            await trx
              .updateTable("import_external_ids")
              .set({ internal_id: input.internalId, updated_at: clock() })
              .where("source", "=", input.source)
              .where("entity", "=", input.entity)
              .where("external_id", "=", input.externalId)
              .execute();
            return {
              source: row.source,
              entity: row.entity,
              externalId: row.external_id,
              internalId: input.internalId,
            };
          },
        ),
      );
    },

    /** Prapti's records for imported ones, by external id (unknown ids are left out). */
    resolveExternalIds: (
      tenantId: string,
      input: { source: string; externalIds: string[] },
    ): Promise<ExternalIdView[]> =>
      inTenant(tenantId, async (trx) => {
        if (input.externalIds.length === 0) return [];
        const rows = await trx
          .selectFrom("import_external_ids")
          .select(["source", "entity", "external_id", "internal_id"])
          .where("source", "=", input.source)
          .where("external_id", "in", input.externalIds)
          .orderBy("external_id")
          .execute();
        return rows.map((row) => ({
          source: row.source,
          entity: row.entity,
          externalId: row.external_id,
          internalId: row.internal_id,
        }));
      }),

    getRun: (tenantId: string, runId: string): Promise<ImportRunView> =>
      inTenant(tenantId, async (trx) => {
        const row = await trx
          .selectFrom("import_runs")
          .selectAll()
          .where("id", "=", runId)
          .executeTakeFirst();
        if (!row) throw AppError.notFound("import run", runId);
        return toRunView(row);
      }),

    listRuns(
      tenantId: string,
      query: { limit: number; cursor?: string | undefined },
    ): Promise<Page<ImportRunView>> {
      const cursor = readRunCursor(query.cursor);
      return inTenant(tenantId, async (trx) => {
        let select = trx.selectFrom("import_runs").selectAll();
        if (cursor) {
          select = select.where(
            sql<boolean>`(started_at, id) < (${new Date(cursor.after)}, ${cursor.id}::uuid)`,
          );
        }
        const rows = await select
          .orderBy("started_at", "desc")
          .orderBy("id", "desc")
          .limit(query.limit + 1)
          .execute();
        const page = toPage(rows, query.limit, (row) => ({
          after: row.started_at.toISOString(),
          id: row.id,
        }));
        return { items: page.items.map(toRunView), nextCursor: page.nextCursor };
      });
    },

    listRows(
      tenantId: string,
      query: { runId: string; limit: number; cursor?: string | undefined; outcome?: string | undefined },
    ): Promise<Page<ImportRowView>> {
      const cursor = readPositionCursor(query.cursor);
      return inTenant(tenantId, async (trx) => {
        const run = await trx
          .selectFrom("import_runs")
          .select("id")
          .where("id", "=", query.runId)
          .executeTakeFirst();
        if (!run) throw AppError.notFound("import run", query.runId);
        let select = trx.selectFrom("import_rows").selectAll().where("run_id", "=", query.runId);
        if (query.outcome) select = select.where("outcome", "=", query.outcome);
        if (cursor !== undefined) select = select.where("position", ">", cursor);
        const rows = await select
          .orderBy("position")
          .limit(query.limit + 1)
          .execute();
        const page = toPage(rows, query.limit, (row) => ({ after: row.position, id: query.runId }));
        return { items: page.items.map(toRowView), nextCursor: page.nextCursor };
      });
    },
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function invalidCursor(): AppError {
  return AppError.invalidInput([{ field: "query.cursor", reason: "is not a cursor returned by this API" }]);
}

function decodeCursorText(text: string): unknown {
  try {
    return JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as unknown;
  } catch {
    throw invalidCursor();
  }
}

function readRunCursor(text: string | undefined): { after: string; id: string } | undefined {
  if (text === undefined) return undefined;
  const value = decodeCursorText(text);
  if (
    Array.isArray(value) &&
    typeof value[0] === "string" &&
    !Number.isNaN(Date.parse(value[0])) &&
    typeof value[1] === "string" &&
    UUID.test(value[1])
  ) {
    return { after: value[0], id: value[1] };
  }
  throw invalidCursor();
}

function readPositionCursor(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = decodeCursorText(text);
  if (Array.isArray(value) && Number.isInteger(value[0])) return value[0] as number;
  throw invalidCursor();
}
