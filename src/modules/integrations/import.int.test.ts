import { readFileSync } from "node:fs";
import { sql } from "kysely";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant } from "../../../test/support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { ActionCatalog, parseActionInput, parseActionOutput } from "../../platform/actions/action-catalog.ts";
import { EventTypeRegistry } from "../../platform/events/event-outbox.ts";
import { createHttpServer, type HttpServer } from "../../platform/http/server.ts";
import { ZImportFileRequest } from "./import-file.reader.ts";
import { createImportService, type ImportService } from "./import.service.ts";
import { integrationsModule } from "./integrations.module.ts";
import { testRouteContext } from "../../platform/modules/route-context.testing.ts";

const NOW = Date.parse("2025-08-20T10:00:00+05:30");
const fixture = (name: string): string =>
  readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), "utf8");

let database: TestDatabase;
let imports: ImportService;
let app: HttpServer;
let tenantId: string;
let otherTenantId: string;
let catalog: ActionCatalog;

const meta = () => ({ tenantId, actor: "user:neha" });

const INVOICE_MAPPING = {
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
const GOOD = [
  'T-1,INV/2025-26/0001,Acme Infra,15/07/2025,29/08/2025,"1,00,000.00","9,000.00","9,000.00","1,18,000.00"',
  "T-2,INV/2025-26/0002,Beta Traders,16/07/2025,30/08/2025,50000.00,4500.00,4500.00,59000.00",
];
const BAD = "T-3,INV/2025-26/0003,,31/02/2025,,abc,,,100.00";

const csvRequest = (rows: string[], mode: "all-or-nothing" | "valid-rows-only" = "all-or-nothing") =>
  ZImportFileRequest.parse({
    format: "csv",
    entity: "invoices",
    content: [HEADER, ...rows].join("\n"),
    mapping: INVOICE_MAPPING,
    mode,
    fileName: "invoices.csv",
  });

async function events(type: string) {
  const rows = await sql<{
    data: { externalId: string; change: string; internalId: string | null; record: Record<string, unknown> };
  }>`
    select data from event_outbox where tenant_id = ${tenantId} and type = ${type} order by sequence`.execute(
    database.owner,
  );
  return rows.rows.map((row) => row.data);
}

function headers(tenant = tenantId, permissions = "imports:run") {
  return { "x-test-tenant": tenant, "x-test-permissions": permissions, "x-test-actor": "user:neha" };
}

beforeAll(async () => {
  database = await createTestDatabase();
  tenantId = await createTenant(database.owner, "Importing Traders");
  otherTenantId = await createTenant(database.owner, "Other Importers");
  const registry = new EventTypeRegistry();
  for (const [type, schema] of Object.entries(integrationsModule.events)) registry.register(type, schema);
  imports = createImportService({ db: database.app, events: registry, now: () => NOW });
  catalog = new ActionCatalog();
  catalog.registerModule(
    integrationsModule.actions({
      database,
      events: registry,
      logger: pino({ level: "silent" }),
      now: () => NOW,
    }),
  );
  app = await createHttpServer({ logger: pino({ level: "silent" }), readinessChecks: [] });
  integrationsModule.routes?.(app, testRouteContext({ database, events: registry, now: () => NOW }));
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await database?.drop();
});

describe("CSV imports", () => {
  it("plans without writing, naming every rejected row and field", async () => {
    const plan = await imports.plan(tenantId, csvRequest([...GOOD, BAD]));
    expect(plan).toMatchObject({ accepted: false, summary: { rows: 3, create: 2, rejected: 1 } });
    expect(plan.issues.map((issue) => issue.field)).toEqual(
      expect.arrayContaining(["rows.4.customer", "rows.4.issueDate", "rows.4.taxableValue"]),
    );
    const runs = await imports.listRuns(tenantId, { limit: 10 });
    expect(runs.items).toHaveLength(0);
  });

  it("refuses an all-or-nothing file with a bad row and writes nothing", async () => {
    await expect(imports.importFile(meta(), csvRequest([...GOOD, BAD]))).rejects.toMatchObject({
      code: "INVALID_INPUT",
      issues: expect.arrayContaining([expect.objectContaining({ field: "rows.4.issueDate" })]) as unknown,
    });
    expect((await imports.listRuns(tenantId, { limit: 10 })).items).toHaveLength(0);
    expect(await events("import.invoice-accepted")).toHaveLength(0);
  });

  it("imports, publishes each new record once, and a re-import changes nothing", async () => {
    const first = await imports.importFile(meta(), csvRequest(GOOD));
    expect(first.run).toMatchObject({ rowCount: 2, createdCount: 2, unchangedCount: 0 });
    expect(first.changed.map((item) => [item.externalId, item.change])).toEqual([
      ["csv:invoice:T-1", "create"],
      ["csv:invoice:T-2", "create"],
    ]);
    const published = await events("import.invoice-accepted");
    expect(published).toHaveLength(2);
    expect(published[0]).toMatchObject({
      externalId: "csv:invoice:T-1",
      change: "create",
      internalId: null,
      record: {
        number: "INV/2025-26/0001",
        totalPaise: "11800000",
        issueDate: "2025-07-15",
        cgstPaise: "900000",
      },
    });

    const again = await imports.importFile(meta(), csvRequest(GOOD));
    expect(again.run).toMatchObject({ rowCount: 2, createdCount: 0, updatedCount: 0, unchangedCount: 2 });
    expect(again.changed).toEqual([]);
    expect(await events("import.invoice-accepted")).toHaveLength(2);

    await imports.linkExternalId(meta(), {
      source: "csv",
      entity: "invoice",
      externalId: "csv:invoice:T-1",
      internalId: "7b0d1c9e-1f7a-4a55-9d7e-6b1e2f3a4c5d",
    });
    const changed = await imports.importFile(
      meta(),
      csvRequest([GOOD[0]?.replace("29/08/2025", "30/08/2025") ?? "", GOOD[1] ?? ""]),
    );
    expect(changed.run).toMatchObject({ updatedCount: 1, unchangedCount: 1 });
    expect(changed.changed).toEqual([
      expect.objectContaining({
        externalId: "csv:invoice:T-1",
        change: "update",
        internalId: "7b0d1c9e-1f7a-4a55-9d7e-6b1e2f3a4c5d",
      }),
    ]);
    expect(
      await imports.resolveExternalIds(tenantId, { source: "csv", externalIds: ["csv:invoice:T-1"] }),
    ).toEqual([expect.objectContaining({ internalId: "7b0d1c9e-1f7a-4a55-9d7e-6b1e2f3a4c5d" })]);
  });

  it("imports the valid rows only when asked, keeping a report for every row", async () => {
    const result = await imports.importFile(
      meta(),
      csvRequest([GOOD[1]?.replace("T-2", "T-9").replace("0002", "0009") ?? "", BAD], "valid-rows-only"),
    );
    expect(result.run).toMatchObject({ rowCount: 2, createdCount: 1, rejectedCount: 1 });
    const rejected = await imports.listRows(tenantId, {
      runId: result.run.id,
      limit: 10,
      outcome: "rejected",
    });
    expect(rejected.items).toEqual([
      expect.objectContaining({
        rowNumber: 3,
        outcome: "rejected",
        issues: expect.arrayContaining([expect.objectContaining({ field: "rows.3.issueDate" })]) as unknown,
      }),
    ]);
  });
});

describe("Tally and Zoho imports", () => {
  it("imports a Tally day book through the same path: customers, invoices, receipts, credit notes, skipped vouchers", async () => {
    const request = ZImportFileRequest.parse({ format: "tally-xml", content: fixture("tally-daybook.xml") });
    const result = await imports.importFile(meta(), request);
    expect(result.run.source).toBe("tally");
    expect(result.run.createdCount).toBeGreaterThanOrEqual(8);
    expect(result.run.skippedCount).toBeGreaterThan(0);
    expect(
      (await events("import.customer-accepted")).some((event) => event.externalId.startsWith("tally:")),
    ).toBe(true);
    expect(await events("import.payment-accepted")).not.toHaveLength(0);
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from(fixture("tally-daybook.xml"), "utf16le"),
    ]);
    const again = await imports.importFile(
      meta(),
      ZImportFileRequest.parse({
        format: "tally-xml",
        content: utf16.toString("base64"),
        contentEncoding: "base64",
      }),
    );
    expect(again.run).toMatchObject({ createdCount: 0, updatedCount: 0 });
    expect(again.run.unchangedCount).toBe(result.run.createdCount);
  });

  it("imports Zoho Books contacts and invoices, skipping drafts", async () => {
    const contacts = await imports.importFile(
      meta(),
      ZImportFileRequest.parse({
        format: "zoho-books-json",
        entity: "customers",
        content: fixture("zoho-contacts.json"),
        mode: "valid-rows-only",
      }),
    );
    expect(contacts.run.createdCount).toBeGreaterThan(0);
    const invoices = await imports.plan(
      tenantId,
      ZImportFileRequest.parse({
        format: "zoho-books-json",
        entity: "invoices",
        content: fixture("zoho-invoices.json"),
      }),
    );
    expect(invoices.summary.create).toBeGreaterThan(0);
    await expect(
      imports.importFile(
        meta(),
        ZImportFileRequest.parse({ format: "zoho-books-json", entity: "invoices", content: "{not json" }),
      ),
    ).rejects.toMatchObject({ code: "INVALID_INPUT", issues: [{ field: "content" }] });
  });
});

describe("imports over HTTP", () => {
  it("plans, imports with 201 and Location, pages the row reports, and hides runs from other tenants", async () => {
    const body = {
      format: "csv",
      entity: "customers",
      content: ["Id,Name,GSTIN", "H-1,Http Traders,27AAPFU0939F1ZV", "H-2,Second Traders,"].join("\n"),
      mapping: { externalId: "Id", name: "Name", gstin: "GSTIN" },
    };
    const plan = await app.inject({
      method: "POST",
      url: "/api/v1/imports/plan",
      headers: headers(),
      payload: body,
    });
    expect(plan.statusCode).toBe(200);
    expect(plan.json()).toMatchObject({ accepted: true, summary: { create: 2 } });
    const created = await app.inject({
      method: "POST",
      url: "/api/v1/imports",
      headers: headers(),
      payload: body,
    });
    expect(created.statusCode).toBe(201);
    const runId = created.json<{ run: { id: string } }>().run.id;
    expect(created.headers.location).toBe(`/api/v1/imports/${runId}`);
    const first = await app.inject({
      method: "GET",
      url: `/api/v1/imports/${runId}/rows?limit=1`,
      headers: headers(),
    });
    const page = first.json<{ items: Array<{ position: number }>; nextCursor: string }>();
    expect(page.items[0]?.position).toBe(1);
    const second = await app.inject({
      method: "GET",
      url: `/api/v1/imports/${runId}/rows?limit=1&cursor=${page.nextCursor}`,
      headers: headers(),
    });
    expect(second.json<{ items: Array<{ position: number }>; nextCursor: string | null }>()).toMatchObject({
      items: [{ position: 2 }],
      nextCursor: null,
    });
    expect(
      (await app.inject({ method: "GET", url: `/api/v1/imports/${runId}`, headers: headers(otherTenantId) }))
        .statusCode,
    ).toBe(404);
    expect(
      (
        await app.inject({
          method: "POST",
          url: "/api/v1/imports",
          headers: headers(tenantId, "payments:write"),
          payload: body,
        })
      ).statusCode,
    ).toBe(403);
    const badMapping = await app.inject({
      method: "POST",
      url: "/api/v1/imports",
      headers: headers(),
      payload: { ...body, mapping: { name: "Missing Column", colour: "Name" } },
    });
    expect(badMapping.statusCode).toBe(400);
    expect(
      badMapping.json<{ issues: Array<{ field: string }> }>().issues.map((issue) => issue.field),
    ).toContain("mapping.colour");
  });
});

describe("imports through the gateway's actions", () => {
  it("plans and imports once per idempotency key", async () => {
    const call = async (name: string, input: unknown, idempotencyKey?: string) => {
      const action = catalog.get(name);
      if (!action) throw new Error(`no action ${name}`);
      const output = await action.handler(parseActionInput(action, input), {
        tenantId,
        actor: "workflow:onboarding-1",
        signal: new AbortController().signal,
        ...(idempotencyKey ? { idempotencyKey } : {}),
      });
      return parseActionOutput(action, output) as { run?: { id: string }; summary?: { create: number } };
    };
    expect(catalog.get("integrations.import-file")?.permission).toBe("imports:run");
    const input = {
      format: "csv",
      entity: "payments",
      content: [
        "Date,Amount,Customer,Mode,UTR",
        '18/08/2025,"1,16,000.00",Acme Infra,NEFT,HDFCN52025081800',
      ].join("\n"),
      mapping: { date: "Date", amount: "Amount", customer: "Customer", method: "Mode", reference: "UTR" },
    };
    const plan = await call("integrations.plan-import", input);
    expect(plan.summary?.create).toBe(1);
    const first = await call("integrations.import-file", input, "onboarding-1:import");
    const again = await call("integrations.import-file", input, "onboarding-1:import");
    expect(again.run?.id).toBe(first.run?.id);
    expect(
      (await events("import.payment-accepted")).filter(
        (event) => event.record.reference === "HDFCN52025081800",
      ),
    ).toHaveLength(1);
  });
});
