import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant } from "../../../test/support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { EventTypeRegistry } from "../../platform/events/event-outbox.ts";
import { createHttpServer, type HttpServer } from "../../platform/http/server.ts";
import { computeIrn } from "./einvoice/irn.ts";
import { draftInput, TEST_SUPPLIER } from "./invoice-wire.fixtures.testing.ts";
import { invoicingModule } from "./invoicing.module.ts";
import { testRouteContext } from "../../platform/modules/route-context.testing.ts";

let database: TestDatabase;
let app: HttpServer;
let tenantId: string;
let otherTenantId: string;

const ALL = "invoices:read,invoices:write,invoices:issue,payments:write,settings:manage";

function headers(options: { tenant?: string; permissions?: string; extra?: Record<string, string> } = {}) {
  return {
    "x-test-tenant": options.tenant ?? tenantId,
    "x-test-permissions": options.permissions ?? ALL,
    "x-test-actor": "user:meena",
    ...options.extra,
  };
}

type Json = Record<string, unknown> & {
  id: string;
  status: string;
  version: number;
  settlement: Record<string, string>;
  amounts: Record<string, string>;
};

beforeAll(async () => {
  database = await createTestDatabase();
  tenantId = await createTenant(database.owner, "HTTP Fasteners");
  otherTenantId = await createTenant(database.owner, "Another Business");
  const events = new EventTypeRegistry();
  for (const [type, schema] of Object.entries(invoicingModule.events)) events.register(type, schema);
  app = await createHttpServer({ logger: pino({ level: "silent" }), readinessChecks: [] });
  invoicingModule.routes?.(
    app,
    testRouteContext({ database, events, now: () => Date.parse("2025-10-02T06:00:00Z") }),
  );
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await database?.drop();
});

describe("invoices over HTTP", () => {
  let id: string;
  let etag: string;

  it("sets the supplier in the settings with If-Match", async () => {
    const read = await app.inject({ method: "GET", url: "/api/v1/invoicing/settings", headers: headers() });
    expect(read.json()).toMatchObject({ supplier: null, version: 0, dueSoonDays: 3 });
    const missing = await app.inject({
      method: "PUT",
      url: "/api/v1/invoicing/settings",
      headers: headers(),
      payload: { supplier: TEST_SUPPLIER },
    });
    expect(missing.statusCode).toBe(428);
    const saved = await app.inject({
      method: "PUT",
      url: "/api/v1/invoicing/settings",
      headers: headers({ extra: { "if-match": String(read.headers.etag) } }),
      payload: { supplier: TEST_SUPPLIER, precedingYearTurnoverPaise: "300000000" },
    });
    expect(saved.statusCode).toBe(200);
    expect(saved.json()).toMatchObject({ version: 1, precedingYearTurnoverPaise: "300000000" });
    const forbidden = await app.inject({
      method: "PUT",
      url: "/api/v1/invoicing/settings",
      headers: headers({ permissions: "invoices:read,invoices:write", extra: { "if-match": "*" } }),
      payload: { dueSoonDays: 5 },
    });
    expect(forbidden.statusCode).toBe(403);
  });

  it("creates a draft with money as strings of paise", async () => {
    const response = await app.inject({
      method: "POST",
      url: "/api/v1/invoices",
      headers: headers(),
      payload: draftInput(),
    });
    expect(response.statusCode).toBe(201);
    const body = response.json<{ created: boolean; invoice: Json }>();
    id = body.invoice.id;
    etag = String(response.headers.etag);
    expect(response.headers.location).toBe(`/api/v1/invoices/${id}`);
    expect(body.invoice.amounts).toMatchObject({ totalPaise: "11800000", cgstPaise: "900000" });

    const duplicate = await app.inject({
      method: "POST",
      url: "/api/v1/invoices",
      headers: headers(),
      payload: draftInput(),
    });
    expect(duplicate.statusCode).toBe(200);
    expect(duplicate.json()).toMatchObject({
      created: false,
      duplicateOf: { invoiceId: id, reasons: ["same-number"] },
    });
  });

  it("names every bad field, including amounts it did not compute", async () => {
    const wrongTotal = await app.inject({
      method: "POST",
      url: "/api/v1/invoices",
      headers: headers(),
      payload: draftInput({ number: "KF/25-26/777", totalPaise: "100" }),
    });
    expect(wrongTotal.statusCode).toBe(400);
    expect(wrongTotal.json<{ issues: { field: string }[] }>().issues.map((issue) => issue.field)).toEqual([
      "totalPaise",
    ]);
    const shape = await app.inject({
      method: "POST",
      url: "/api/v1/invoices",
      headers: headers(),
      payload: {
        ...draftInput({ number: "KF/25-26/778" }),
        amounts: { totalPaise: "1" },
        lines: [{ description: "x", quantity: 1, unitPricePaise: 12.5, gstRateBasisPoints: 1800 }],
      },
    });
    expect(shape.statusCode).toBe(400);
    const fields = shape.json<{ issues: { field: string }[] }>().issues.map((issue) => issue.field);
    expect(fields).toEqual(expect.arrayContaining(["body.lines.0.unitPricePaise", "body"]));
  });

  it("edits a draft only with the current ETag", async () => {
    const missing = await app.inject({
      method: "PATCH",
      url: `/api/v1/invoices/${id}`,
      headers: headers(),
      payload: { notes: "x" },
    });
    expect(missing.statusCode).toBe(428);
    const changed = await app.inject({
      method: "PATCH",
      url: `/api/v1/invoices/${id}`,
      headers: headers({ extra: { "if-match": etag } }),
      payload: { notes: "Deliver to gate 2", terms: { creditDays: 45, agreedInWriting: true } },
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({
      notes: "Deliver to gate 2",
      version: 2,
      dueDates: { applicable: "2025-11-15" },
    });
    const stale = await app.inject({
      method: "PATCH",
      url: `/api/v1/invoices/${id}`,
      headers: headers({ extra: { "if-match": etag } }),
      payload: { notes: "y" },
    });
    expect(stale.statusCode).toBe(412);
    etag = String(changed.headers.etag);
    const read = await app.inject({ method: "GET", url: `/api/v1/invoices/${id}`, headers: headers() });
    expect(read.headers.etag).toBe(etag);
  });

  it("issues, settles, and lists the settlement", async () => {
    const staleIssue = await app.inject({
      method: "POST",
      url: `/api/v1/invoices/${id}/issue`,
      headers: headers({ extra: { "if-match": '"stale"' } }),
      payload: {},
    });
    expect(staleIssue.statusCode).toBe(412);
    const refused = await app.inject({
      method: "POST",
      url: `/api/v1/invoices/${id}/issue`,
      headers: headers({ permissions: "invoices:read,invoices:write" }),
      payload: {},
    });
    expect(refused.statusCode).toBe(403);
    const issued = await app.inject({
      method: "POST",
      url: `/api/v1/invoices/${id}/issue`,
      headers: headers({ extra: { "if-match": etag } }),
    });
    expect(issued.statusCode).toBe(200);
    expect(issued.json()).toMatchObject({ status: "issued" });

    const settled = await app.inject({
      method: "POST",
      url: `/api/v1/invoices/${id}/settlements`,
      headers: headers({ permissions: "payments:write" }),
      payload: { reference: "neft-N123", cashPaise: "5000000", tdsPaise: "200000" },
    });
    expect(settled.statusCode).toBe(200);
    expect(settled.json()).toMatchObject({
      applied: true,
      invoice: { status: "partially_paid", settlement: { outstandingPaise: "6600000" } },
    });
    const ledger = await app.inject({
      method: "GET",
      url: `/api/v1/invoices/${id}/settlements`,
      headers: headers(),
    });
    expect(ledger.json()).toMatchObject({ items: [{ reference: "neft-N123", cashPaise: "5000000" }] });
  });

  it("disputes and resolves with commands that need no body", async () => {
    const disputed = await app.inject({
      method: "POST",
      url: `/api/v1/invoices/${id}/dispute`,
      headers: headers(),
      payload: { reason: "Two cartons short" },
    });
    expect(disputed.json()).toMatchObject({ status: "disputed", dispute: { reason: "Two cartons short" } });
    const resolved = await app.inject({
      method: "POST",
      url: `/api/v1/invoices/${id}/resolve-dispute`,
      headers: headers(),
    });
    expect(resolved.statusCode).toBe(200);
    expect(resolved.json()).toMatchObject({ status: "partially_paid", dispute: null });
  });

  it("issues a credit note under the invoice", async () => {
    const note = await app.inject({
      method: "POST",
      url: `/api/v1/invoices/${id}/credit-notes`,
      headers: headers(),
      payload: {
        number: "CN/25-26/001",
        issueDate: "2025-10-05",
        reason: "post-sale-discount",
        lines: [
          {
            description: "Volume discount",
            hsnSac: "73181500",
            quantity: "1",
            unit: "NOS",
            unitPricePaise: "100000",
            gstRateBasisPoints: 1800,
          },
        ],
      },
    });
    expect(note.statusCode).toBe(201);
    expect(note.json()).toMatchObject({
      note: { number: "CN/25-26/001", amounts: { totalPaise: "118000" } },
      invoice: { settlement: { creditedPaise: "118000", outstandingPaise: "6482000" } },
    });
    const list = await app.inject({
      method: "GET",
      url: `/api/v1/invoices/${id}/credit-notes`,
      headers: headers(),
    });
    expect(list.json<{ items: unknown[] }>().items).toHaveLength(1);
    const debits = await app.inject({
      method: "GET",
      url: `/api/v1/invoices/${id}/debit-notes`,
      headers: headers(),
    });
    expect(debits.json<{ items: unknown[] }>().items).toHaveLength(0);
  });

  it("renders the PDF in English and Hindi, and the e-invoice with its IRN", async () => {
    for (const language of ["en", "hi"]) {
      const pdf = await app.inject({
        method: "GET",
        url: `/api/v1/invoices/${id}/pdf?language=${language}`,
        headers: headers(),
      });
      expect(pdf.statusCode).toBe(200);
      expect(pdf.headers["content-type"]).toBe("application/pdf");
      expect(pdf.headers["content-disposition"]).toContain("KF-25-26-001");
      expect(pdf.rawPayload.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    }
    const einvoice = await app.inject({
      method: "GET",
      url: `/api/v1/invoices/${id}/einvoice`,
      headers: headers(),
    });
    const irn = computeIrn({
      supplierGstin: TEST_SUPPLIER.gstin,
      financialYear: "2025-26",
      documentType: "INV",
      documentNumber: "KF/25-26/001",
    });
    expect(einvoice.json()).toMatchObject({ irn, recordedIrn: null, payload: { Version: "1.1" } });

    const current = await app.inject({ method: "GET", url: `/api/v1/invoices/${id}`, headers: headers() });
    const recorded = await app.inject({
      method: "PUT",
      url: `/api/v1/invoices/${id}/irn`,
      headers: headers({ extra: { "if-match": String(current.headers.etag) } }),
      payload: { irn, ackNumber: "112510012345678" },
    });
    expect(recorded.statusCode).toBe(200);
    expect(recorded.json()).toMatchObject({ einvoice: { irn } });
  });

  it("verifies stored invoices and payloads", async () => {
    const stored = await app.inject({
      method: "GET",
      url: `/api/v1/invoices/${id}/verification`,
      headers: headers(),
    });
    expect(stored.json()).toMatchObject({ ok: true, errors: 0 });
    const payload = await app.inject({
      method: "POST",
      url: "/api/v1/invoices/verify",
      headers: headers(),
      payload: draftInput({
        number: "KF/25-26/001",
        lines: [{ description: "Bolts", quantity: "1", unitPricePaise: "100", gstRateBasisPoints: 1800 }],
      }),
    });
    const report = payload.json<{ ok: boolean; findings: { rule: string }[] }>();
    expect(report.ok).toBe(false);
    expect(report.findings.map((finding) => finding.rule)).toEqual(
      expect.arrayContaining(["hsn-missing", "duplicate-invoice"]),
    );
  });

  it("lists with filters and pages, and the due list", async () => {
    for (const number of ["KF/25-26/002", "KF/25-26/003", "KF/25-26/004"]) {
      await app.inject({
        method: "POST",
        url: "/api/v1/invoices",
        headers: headers(),
        payload: draftInput({
          number,
          allowDuplicate: true,
          issueDate: "2025-09-01",
          terms: { creditDays: 15, agreedInWriting: true },
        }),
      });
    }
    const first = await app.inject({
      method: "GET",
      url: "/api/v1/invoices?limit=2&sort=number&status=draft",
      headers: headers(),
    });
    const page = first.json<{ items: Json[]; nextCursor: string }>();
    expect(page.items.map((item) => item.number)).toEqual(["KF/25-26/002", "KF/25-26/003"]);
    const second = await app.inject({
      method: "GET",
      url: `/api/v1/invoices?limit=2&sort=number&status=draft&cursor=${page.nextCursor}`,
      headers: headers(),
    });
    expect(second.json<{ items: Json[] }>().items.map((item) => item.number)).toEqual(["KF/25-26/004"]);
    const several = await app.inject({
      method: "GET",
      url: "/api/v1/invoices?status=draft,partially_paid",
      headers: headers(),
    });
    expect(several.json<{ items: unknown[] }>().items).toHaveLength(4);
    const badStatus = await app.inject({
      method: "GET",
      url: "/api/v1/invoices?status=unpaid",
      headers: headers(),
    });
    expect(badStatus.statusCode).toBe(400);
    const due = await app.inject({
      method: "GET",
      url: "/api/v1/invoices/due?asOf=2025-11-14",
      headers: headers(),
    });
    expect(due.json()).toMatchObject({
      asOf: "2025-11-14",
      items: [{ invoiceId: id, state: "due-soon", daysUntilDue: 1 }],
    });
    const notices = await app.inject({
      method: "POST",
      url: "/api/v1/invoices/due-notices",
      headers: headers(),
      payload: { asOf: "2025-11-20" },
    });
    expect(notices.json()).toMatchObject({ overdue: 1, notified: [{ invoiceId: id, state: "overdue" }] });
  });

  it("answers 404 for another tenant's invoice on every route", async () => {
    const other = headers({ tenant: otherTenantId });
    for (const url of [
      `/api/v1/invoices/${id}`,
      `/api/v1/invoices/${id}/pdf`,
      `/api/v1/invoices/${id}/einvoice`,
      `/api/v1/invoices/${id}/settlements`,
    ]) {
      expect((await app.inject({ method: "GET", url, headers: other })).statusCode).toBe(404);
    }
    const cancel = await app.inject({
      method: "POST",
      url: `/api/v1/invoices/${id}/cancel`,
      headers: other,
      payload: { reason: "other", remark: "not mine" },
    });
    expect(cancel.statusCode).toBe(404);
    const settle = await app.inject({
      method: "POST",
      url: `/api/v1/invoices/${id}/settlements`,
      headers: other,
      payload: { reference: "x", cashPaise: "1" },
    });
    expect(settle.statusCode).toBe(404);
    expect((await app.inject({ method: "GET", url: "/api/v1/invoices", headers: other })).json()).toEqual({
      items: [],
      nextCursor: null,
    });
  });

  it("documents every route in the OpenAPI document", async () => {
    const response = await app.inject({ method: "GET", url: "/api/openapi.json" });
    expect(response.statusCode).toBe(200);
    const paths = Object.keys(response.json<{ paths: Record<string, unknown> }>().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        "/api/v1/invoices",
        "/api/v1/invoices/{id}",
        "/api/v1/invoices/{id}/issue",
        "/api/v1/invoices/{id}/credit-notes",
        "/api/v1/invoices/{id}/pdf",
        "/api/v1/invoices/{id}/einvoice",
        "/api/v1/invoices/due",
        "/api/v1/invoicing/settings",
      ]),
    );
  });
});
