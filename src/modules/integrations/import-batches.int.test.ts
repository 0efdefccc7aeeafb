import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant } from "../../../test/support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { AppError } from "../../kernel/app-error.ts";
import { EventTypeRegistry } from "../../platform/events/event-outbox.ts";
import { ZImportFileRequest } from "./import-file.reader.ts";
import { createImportService, type ImportBatchWriter, type ImportService } from "./import.service.ts";
import { integrationsModule } from "./integrations.module.ts";

/**
 * Valid-rows-only imports commit in batches (one transaction each) and keep a complete report per row; a failed
 * batch rolls back whole, the run is left `partial` with its committed rows, and importing the file again finishes
 * it exactly once. All-or-nothing stays one transaction.
 */

const NOW = Date.parse("2025-08-20T10:00:00+05:30");
const ROWS = 3000;
const BATCH = 500;

const MAPPING = {
  externalId: "Ref",
  number: "Invoice No",
  customer: "Customer",
  issueDate: "Invoice Date",
  dueDate: "Due Date",
  taxableValue: "Taxable Value",
  cgst: "CGST",
  sgst: "SGST",
  total: "Invoice Value",
};
const HEADER = "Ref,Invoice No,Customer,Invoice Date,Due Date,Taxable Value,CGST,SGST,Invoice Value";

/** Bad rows by their index among the data rows (1-based), with the field the report must name. */
const BAD: ReadonlyMap<number, string> = new Map([
  [10, "customer"],
  [777, "issueDate"],
  [1234, "taxableValue"],
  [2500, "issueDate"],
  [2999, "externalId"],
]);

function dataRow(prefix: string, index: number): string {
  const ref = `${prefix}-${index}`;
  const good = [ref, `INV/${prefix}/${index}`, `Customer ${index % 50}`, "15/07/2025", "29/08/2025"];
  const money = ["1000.00", "90.00", "90.00", "1180.00"];
  const bad = BAD.get(index);
  if (bad === "customer")
    return [ref, `INV/${prefix}/${index}`, "", "15/07/2025", "29/08/2025", ...money].join(",");
  if (bad === "issueDate")
    return [ref, `INV/${prefix}/${index}`, "Late Traders", "31/02/2025", "", ...money].join(",");
  if (bad === "taxableValue") return [...good, "abc", "90.00", "90.00", "1180.00"].join(",");
  // The same Ref as row 5: a record twice in one file.
  if (bad === "externalId")
    return [
      `${prefix}-5`,
      `INV/${prefix}/${index}`,
      "Twice Traders",
      "15/07/2025",
      "29/08/2025",
      ...money,
    ].join(",");
  return [...good, ...money].join(",");
}

function csv(prefix: string, rows = ROWS, bad = true) {
  const lines = [HEADER];
  for (let index = 1; index <= rows; index += 1) {
    lines.push(bad ? dataRow(prefix, index) : dataRow(prefix, BAD.has(index) ? index + 100_000 : index));
  }
  return lines.join("\n");
}

const request = (
  content: string,
  mode: "all-or-nothing" | "valid-rows-only" = "valid-rows-only",
  batchSize?: number,
) =>
  ZImportFileRequest.parse({
    format: "csv",
    entity: "invoices",
    content,
    mapping: MAPPING,
    mode,
    fileName: "invoices.csv",
    ...(batchSize === undefined ? {} : { batchSize }),
  });

/** Valid data rows (1-based indexes) within [from, to]. */
function validIn(from: number, to: number): number[] {
  const valid: number[] = [];
  for (let index = from; index <= to; index += 1) if (!BAD.has(index)) valid.push(index);
  return valid;
}

let database: TestDatabase;
let registry: EventTypeRegistry;

/** What the writer saw: one entry per batch transaction. */
interface SeenBatch {
  index: number;
  firstPosition: number;
  lastPosition: number;
  items: number;
  transactionId: string;
}

function service(
  options: { failAtBatch?: () => number | undefined; seen?: SeenBatch[] } = {},
): ImportService {
  return createImportService({
    db: database.app,
    events: registry,
    now: () => NOW,
    batchSize: 1000,
    wrapBatchWriter:
      (write: ImportBatchWriter): ImportBatchWriter =>
      async (trx, batch) => {
        await write(trx, batch);
        const transaction = await sql<{ id: string }>`select txid_current()::text as id`.execute(trx);
        options.seen?.push({
          index: batch.index,
          firstPosition: batch.firstPosition,
          lastPosition: batch.lastPosition,
          items: batch.items.length,
          transactionId: transaction.rows[0]?.id ?? "",
        });
        // Fails after the batch's rows, map entries and events are written: the whole batch must roll back.
        if (options.failAtBatch?.() === batch.index) throw new Error("disk full while writing the batch");
      },
  });
}

async function counts(tenantId: string) {
  const result = await sql<{ runs: string; rows: string; ids: string; events: string; audits: string }>`
    select
      (select count(*) from import_runs where tenant_id = ${tenantId})::text as runs,
      (select count(*) from import_rows where tenant_id = ${tenantId})::text as rows,
      (select count(*) from import_external_ids where tenant_id = ${tenantId})::text as ids,
      (select count(*) from event_outbox where tenant_id = ${tenantId} and type = 'import.invoice-accepted')::text
        as events,
      (select count(*) from audit_log where tenant_id = ${tenantId} and action like 'import.%')::text as audits`.execute(
    database.owner,
  );
  const row = result.rows[0];
  return {
    runs: Number(row?.runs),
    rows: Number(row?.rows),
    ids: Number(row?.ids),
    events: Number(row?.events),
    audits: Number(row?.audits),
  };
}

async function reports(tenantId: string, runId: string) {
  const result = await sql<{
    position: number;
    row_number: number;
    outcome: string;
    issues: Array<{ field: string; reason: string }>;
  }>`
    select position, row_number, outcome, issues from import_rows
    where tenant_id = ${tenantId} and run_id = ${runId} order by position`.execute(database.owner);
  return result.rows;
}

/** Event subjects (external ids) of a tenant's accepted invoices, with how often each was published. */
async function publishedTimes(tenantId: string): Promise<Map<string, number>> {
  const result = await sql<{ subject: string; times: string }>`
    select subject, count(*)::text as times from event_outbox
    where tenant_id = ${tenantId} and type = 'import.invoice-accepted' group by subject`.execute(
    database.owner,
  );
  return new Map(result.rows.map((row) => [row.subject, Number(row.times)]));
}

beforeAll(async () => {
  database = await createTestDatabase();
  registry = new EventTypeRegistry();
  for (const [type, schema] of Object.entries(integrationsModule.events)) registry.register(type, schema);
});

afterAll(async () => {
  await database?.drop();
});

describe("valid-rows-only imports in batches", () => {
  it("commits a 3,000-row file in batches of 500, one transaction each, and reports every bad row exactly", async () => {
    const tenantId = await createTenant(database.owner, "Batch Traders");
    const seen: SeenBatch[] = [];
    const imports = service({ seen });
    const result = await imports.importFile(
      { tenantId, actor: "user:neha" },
      request(csv("B"), "valid-rows-only", BATCH),
    );

    expect(seen.map((batch) => [batch.index, batch.firstPosition, batch.lastPosition, batch.items])).toEqual([
      [1, 1, 500, 500],
      [2, 501, 1000, 500],
      [3, 1001, 1500, 500],
      [4, 1501, 2000, 500],
      [5, 2001, 2500, 500],
      [6, 2501, 3000, 500],
    ]);
    expect(new Set(seen.map((batch) => batch.transactionId)).size).toBe(6);

    const valid = ROWS - BAD.size;
    expect(result.run).toMatchObject({
      status: "completed",
      mode: "valid-rows-only",
      batchSize: BATCH,
      rowCount: ROWS,
      committedRows: ROWS,
      createdCount: valid,
      rejectedCount: BAD.size,
      notImportedCount: 0,
      skippedCount: 0,
      failure: null,
    });
    expect(result.run.finishedAt).not.toBeNull();
    expect(result.changed).toHaveLength(1000);
    expect(result.changedTruncated).toBe(true);

    const rows = await reports(tenantId, result.run.id);
    expect(rows).toHaveLength(ROWS);
    expect(rows.map((row) => row.position)).toEqual(Array.from({ length: ROWS }, (_, index) => index + 1));
    const rejected = rows.filter((row) => row.outcome === "rejected");
    expect(rejected.map((row) => row.row_number)).toEqual([...BAD.keys()].map((index) => index + 1));
    for (const [index, field] of BAD) {
      const row = rejected.find((item) => item.row_number === index + 1);
      expect(row?.issues.map((issue) => issue.field)).toContain(`rows.${index + 1}.${field}`);
      for (const issue of row?.issues ?? []) expect(issue.reason.length).toBeGreaterThan(0);
    }
    expect(rejected.find((row) => row.row_number === 3000)?.issues).toEqual([
      { field: "rows.3000.externalId", reason: "same record as line 6" },
    ]);
    expect(rows.filter((row) => row.outcome === "created")).toHaveLength(valid);

    expect(await counts(tenantId)).toEqual({ runs: 1, rows: ROWS, ids: valid, events: valid, audits: 1 });
    const published = await publishedTimes(tenantId);
    expect(published.size).toBe(valid);
    expect([...published.values()].every((times) => times === 1)).toBe(true);
  });

  it("keeps the batches committed before a failed one, reports the rest as not imported, and finishes exactly once when run again", async () => {
    const tenantId = await createTenant(database.owner, "Interrupted Traders");
    const meta = { tenantId, actor: "workflow:onboarding-7", idempotencyKey: "onboarding-7:import" };
    let failAt: number | undefined = 3;
    const imports = service({ failAtBatch: () => failAt });
    const content = csv("F");

    const failure = await imports
      .importFile(meta, request(content, "valid-rows-only", BATCH))
      .then(() => undefined)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AppError);
    const error = failure as AppError;
    expect(error).toMatchObject({ code: "UNAVAILABLE", retryable: true });
    expect(error.message).toContain("disk full");
    expect(error.details).toMatchObject({
      status: "partial",
      committedRows: 1000,
      notImportedCount: validIn(1001, ROWS).length,
    });
    const runId = error.details.runId as string;

    const run = await imports.getRun(tenantId, runId);
    expect(run).toMatchObject({
      status: "partial",
      rowCount: ROWS,
      committedRows: 1000,
      createdCount: validIn(1, 1000).length,
      rejectedCount: BAD.size,
      notImportedCount: validIn(1001, ROWS).length,
    });
    expect(run.failure).toContain("disk full");

    // Earlier batches stay; nothing of batch 3 (which had written everything before it failed) is left.
    const ids = await sql<{ external_id: string }>`
      select external_id from import_external_ids where tenant_id = ${tenantId}`.execute(database.owner);
    expect(ids.rows.map((row) => row.external_id).sort()).toEqual(
      validIn(1, 1000)
        .map((index) => `csv:invoice:F-${index}`)
        .sort(),
    );
    const published = await publishedTimes(tenantId);
    expect([...published.keys()].sort()).toEqual(
      validIn(1, 1000)
        .map((index) => `csv:invoice:F-${index}`)
        .sort(),
    );

    // The report is complete: every row, and the rows not imported say so with the reason.
    const rows = await reports(tenantId, runId);
    expect(rows).toHaveLength(ROWS);
    const outcomeOf = (index: number) => rows[index - 1]?.outcome;
    expect(outcomeOf(1)).toBe("created");
    expect(outcomeOf(1000)).toBe("created");
    expect(outcomeOf(1001)).toBe("not-imported");
    expect(outcomeOf(2999)).toBe("rejected");
    expect(outcomeOf(3000)).toBe("not-imported");
    expect(outcomeOf(1234)).toBe("rejected");
    expect(rows.filter((row) => row.outcome === "not-imported")).toHaveLength(validIn(1001, ROWS).length);
    expect(rows[1500]?.issues).toEqual([
      {
        field: "rows.1502",
        reason: expect.stringContaining("batch 3 (rows at positions 1001-1500) failed") as unknown,
      },
    ]);
    expect(rows[1233]?.issues.map((issue) => issue.field)).toContain("rows.1235.taxableValue");

    // Retried with the same key: a new run imports the rest; what was committed is unchanged and not published again.
    failAt = undefined;
    const again = await imports.importFile(meta, request(content, "valid-rows-only", BATCH));
    expect(again.run).toMatchObject({
      status: "completed",
      committedRows: ROWS,
      unchangedCount: validIn(1, 1000).length,
      createdCount: validIn(1001, ROWS).length,
      rejectedCount: BAD.size,
    });
    expect(again.run.id).not.toBe(runId);
    const afterRetry = await publishedTimes(tenantId);
    expect(afterRetry.size).toBe(ROWS - BAD.size);
    expect([...afterRetry.values()].every((times) => times === 1)).toBe(true);

    // The key now holds the finished answer; a third call changes nothing.
    const third = await imports.importFile(meta, request(content, "valid-rows-only", BATCH));
    expect(third.run.id).toBe(again.run.id);
    expect(await counts(tenantId)).toMatchObject({ runs: 2, ids: ROWS - BAD.size, events: ROWS - BAD.size });

    // Without a key the file imports again as a run whose rows are all unchanged.
    const plain = await imports.importFile(
      { tenantId, actor: "user:neha" },
      request(content, "valid-rows-only"),
    );
    expect(plain.run).toMatchObject({ batchSize: 1000, createdCount: 0, unchangedCount: ROWS - BAD.size });
    expect((await counts(tenantId)).events).toBe(ROWS - BAD.size);
  });
});

describe("all-or-nothing imports", () => {
  it("refuses a 3,000-row file with one bad row and writes nothing", async () => {
    const tenantId = await createTenant(database.owner, "Strict Traders");
    const seen: SeenBatch[] = [];
    const imports = service({ seen });
    const lines = csv("S", ROWS, false).split("\n");
    lines[1501] = lines[1501]?.replace("15/07/2025", "31/02/2025") ?? "";
    await expect(
      imports.importFile(
        { tenantId, actor: "user:neha" },
        request(lines.join("\n"), "all-or-nothing", BATCH),
      ),
    ).rejects.toMatchObject({
      code: "INVALID_INPUT",
      issues: [expect.objectContaining({ field: "rows.1502.issueDate" })] as unknown,
    });
    expect(seen).toEqual([]);
    expect(await counts(tenantId)).toEqual({ runs: 0, rows: 0, ids: 0, events: 0, audits: 0 });
  });

  it("writes a good file in one transaction whatever the batch size, and a failure there leaves nothing", async () => {
    const tenantId = await createTenant(database.owner, "Whole Traders");
    const content = csv("W", 1200, false);
    const failing = service({ failAtBatch: () => 1 });
    await expect(
      failing.importFile({ tenantId, actor: "user:neha" }, request(content, "all-or-nothing", BATCH)),
    ).rejects.toThrow("disk full");
    expect(await counts(tenantId)).toEqual({ runs: 0, rows: 0, ids: 0, events: 0, audits: 0 });

    const seen: SeenBatch[] = [];
    const result = await service({ seen }).importFile(
      { tenantId, actor: "user:neha" },
      request(content, "all-or-nothing", BATCH),
    );
    expect(seen.map((batch) => [batch.index, batch.firstPosition, batch.lastPosition])).toEqual([
      [1, 1, 1200],
    ]);
    expect(result.run).toMatchObject({
      status: "completed",
      batchSize: null,
      committedRows: 1200,
      createdCount: 1200,
    });
    expect(await counts(tenantId)).toEqual({ runs: 1, rows: 1200, ids: 1200, events: 1200, audits: 1 });
  });
});
