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
} from "./import-file.reader.ts";
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
  startedAt: z.string(),
  startedBy: z.string(),
});
export type ImportRunView = z.infer<typeof ZImportRunView>;

export const ZImportRowView = z.object({
  position: z.number().int(),
  rowNumber: z.number().int().nullable(),
  entity: z.enum(ENTITIES),
  externalId: z.string().nullable(),
  outcome: z.enum(["created", "updated", "unchanged", "rejected", "skipped"]),
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

interface Classified {
  entry: ImportEntry;
  outcome: "create" | "update" | "unchanged" | "rejected" | "skipped";
  record?: Record<string, unknown>;
  hash?: string;
  internalId?: string | null;
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
    startedAt: row.started_at.toISOString(),
    startedBy: row.started_by,
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

  async function classify(
    trx: IntegrationsDb,
    source: string,
    entries: readonly ImportEntry[],
  ): Promise<Classified[]> {
    const keys = entries
      .filter((entry) => entry.kind === "record" && entry.externalId !== undefined)
      .map((entry) => `${entry.entity}\u001f${entry.externalId ?? ""}`);
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
    const seen = new Map<string, number>();
    return entries.map((entry): Classified => {
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
      const { record, hash } = json;
      const previous = known.get(key);
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

  function refusal(classified: readonly Classified[]): AppError {
    const rejected = classified.filter((item) => item.outcome === "rejected");
    return AppError.invalidInput(
      rejected.flatMap((item) => item.entry.issues),
      `import refused: ${rejected.length} of ${classified.length} rows have problems; nothing was written`,
    );
  }

  async function insertBatches<T>(
    items: readonly T[],
    size: number,
    write: (batch: T[]) => Promise<unknown>,
  ) {
    for (let start = 0; start < items.length; start += size) await write(items.slice(start, start + size));
  }

  return {
    /** What importing the file would do, row by row, without writing anything. */
    plan: (tenantId: string, request: ImportFileRequest): Promise<ImportPlanView> =>
      inTenant(tenantId, async (trx) => {
        const file = readImportFile(request);
        const classified = await classify(trx, file.source, file.entries);
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
     * Imports the file in one transaction: all-or-nothing refuses the whole file (INVALID_INPUT naming every
     * row and field) when any row is rejected; valid-rows-only writes the good rows and reports the others.
     */
    importFile(meta: CommandMeta, request: ImportFileRequest): Promise<ImportFileResult> {
      return inTenant(meta.tenantId, (trx) =>
        runOnce(
          trx,
          { tenantId: meta.tenantId, key: meta.idempotencyKey, command: "integrations.import-file", request },
          async () => {
            const file = readImportFile(request);
            const classified = await classify(trx, file.source, file.entries);
            const summary = summarise(classified);
            if (file.mode === "all-or-nothing" && summary.rejected > 0) throw refusal(classified);
            const runId = newId();
            const now = clock();
            const run = await trx
              .insertInto("import_runs")
              .values({
                id: runId,
                tenant_id: meta.tenantId,
                source: file.source,
                format: file.format,
                entity: file.entity,
                mode: file.mode,
                file_name: request.fileName ?? null,
                file_sha256: createHash("sha256").update(request.content).digest("hex"),
                row_count: summary.rows,
                created_count: summary.create,
                updated_count: summary.update,
                unchanged_count: summary.unchanged,
                rejected_count: summary.rejected,
                skipped_count: summary.skipped,
                started_at: now,
                started_by: meta.actor,
              })
              .returningAll()
              .executeTakeFirstOrThrow();
            await insertBatches(classified, 1000, (batch) =>
              trx
                .insertInto("import_rows")
                .values(
                  batch.map((item) => ({
                    tenant_id: meta.tenantId,
                    run_id: runId,
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
            const changed = classified.filter(
              (item) => item.outcome === "create" || item.outcome === "update",
            );
            const touched = classified.filter((item) => item.hash !== undefined);
            await insertBatches(touched, 1000, (batch) =>
              trx
                .insertInto("import_external_ids")
                .values(
                  batch.map((item) => ({
                    tenant_id: meta.tenantId,
                    source: file.source,
                    entity: item.entry.entity,
                    external_id: item.entry.externalId ?? "",
                    internal_id: null,
                    content_sha256: item.hash ?? "",
                    first_run_id: runId,
                    last_run_id: runId,
                    created_at: now,
                    updated_at: now,
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
            for (const item of changed) {
              const entity = item.entry.entity as ImportedEntityName;
              await appendEvent(platformDb(trx), deps.events, {
                tenantId: meta.tenantId,
                type: EVENT_TYPE[entity],
                source: IMPORT_EVENT_SOURCE,
                subject: item.entry.externalId ?? "",
                data: {
                  runId,
                  source: file.source,
                  externalId: item.entry.externalId ?? "",
                  change: item.outcome,
                  internalId: item.internalId ?? null,
                  record: item.record,
                },
              });
            }
            await appendAudit(
              trx,
              {
                tenantId: meta.tenantId,
                actor: auditActorOf(meta.actor),
                action: "import.completed",
                entity: { type: "import-run", id: runId },
                metadata: { format: file.format, ...summary },
                ...(meta.requestId ? { requestId: meta.requestId } : {}),
              },
              { clock },
            );
            return {
              run: toRunView(run),
              changed: changed.slice(0, 1000).map((item) => ({
                entity: item.entry.entity as ImportedEntityName,
                change: item.outcome as "create" | "update",
                externalId: item.entry.externalId ?? "",
                internalId: item.internalId ?? null,
                record: item.record ?? {},
              })),
              changedTruncated: changed.length > 1000,
            };
          },
        ),
      );
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
