import { performance } from "node:perf_hooks";
import {
  createImportService,
  generateInvoiceCsv,
  integrationsModule,
  ZImportFileRequest,
} from "../src/modules/integrations/index.ts";
import { createDatabase } from "../src/platform/db/database.ts";
import { EventTypeRegistry } from "../src/platform/events/event-outbox.ts";
import { createBenchDatabase } from "./support.ts";

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

/**
 * Importing 100,000 invoices from CSV into the database (every row typed and checked, a report per row, the
 * external-id map, one event per record; valid-rows mode in batches of 500), then importing the same file again
 * (nothing changes), against planning the same import without writing, measured in the same run.
 */
export async function runImportBenchmark(options: { invoices?: number } = {}): Promise<string[]> {
  const count = options.invoices ?? Number(process.env.BENCH_IMPORT_INVOICES ?? 100_000);
  const bench = await createBenchDatabase();
  const database = createDatabase({ url: bench.url, maxConnections: 4 });
  try {
    const tenant = await database.owner
      .insertInto("tenants")
      .values({ name: "Import Bench Traders", slug: "import-bench-traders", gstin: null })
      .returning("id")
      .executeTakeFirstOrThrow();
    const registry = new EventTypeRegistry();
    for (const [type, schema] of Object.entries(integrationsModule.events)) registry.register(type, schema);
    const imports = createImportService({ db: database.app, events: registry, now: () => Date.now() });
    const content = generateInvoiceCsv(count);
    const request = ZImportFileRequest.parse({
      format: "csv",
      entity: "invoices",
      content,
      mapping: MAPPING,
      mode: "valid-rows-only",
      dateLayouts: ["dd/MM/yyyy"],
      fileName: "invoices.csv",
    });
    const meta = { tenantId: tenant.id, actor: "user:bench" };

    const dryStarted = performance.now();
    await imports.plan(tenant.id, request);
    const dry = performance.now() - dryStarted;
    const started = performance.now();
    const first = await imports.importFile(meta, request);
    const imported = performance.now() - started;
    const againStarted = performance.now();
    await imports.importFile(meta, request);
    const again = performance.now() - againStarted;
    const written = await database.owner
      .selectFrom("event_outbox")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("tenant_id", "=", tenant.id)
      .executeTakeFirstOrThrow();
    return [
      `import of ${count} invoices from CSV (${(content.length / 1_048_576).toFixed(1)} MB), valid-rows mode, batches of 500`,
      `dry run (checked and compared with the map, nothing written): ${(dry / 1000).toFixed(1)} s`,
      `import into the database: ${(imported / 1000).toFixed(1)} s (${Math.round(count / (imported / 1000))} rows/s, ${(imported / dry).toFixed(1)}× the dry run), run ${first.run.status}, ${Number(written.n)} events`,
      `the same file again (every row unchanged): ${(again / 1000).toFixed(1)} s`,
    ];
  } finally {
    await database.close();
    await bench.drop();
  }
}
