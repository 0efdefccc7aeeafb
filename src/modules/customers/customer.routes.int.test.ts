import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant } from "../../../test/support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { EventTypeRegistry } from "../../platform/events/event-outbox.ts";
import { createHttpServer, type HttpServer } from "../../platform/http/server.ts";
import { testContactProtection } from "./contact-protection.testing.ts";
import { createCustomersModule } from "./customers.module.ts";

const customersModule = createCustomersModule({ protection: testContactProtection() });
import { testRouteContext } from "../../platform/modules/route-context.testing.ts";

let database: TestDatabase;
let app: HttpServer;
let tenantId: string;
let otherTenantId: string;

const READ_WRITE = "customers:read,customers:write";

function headers(options: { tenant?: string; permissions?: string; extra?: Record<string, string> } = {}) {
  return {
    "x-test-tenant": options.tenant ?? tenantId,
    "x-test-permissions": options.permissions ?? READ_WRITE,
    "x-test-actor": "user:priya",
    ...options.extra,
  };
}

const profile = {
  legalName: "Joshi Packaging Private Limited",
  gstin: "27AAKPJ4321H1ZU",
  stateCode: "27",
  billingAddress: { line1: "9 Wagle Estate", city: "Thane", pinCode: "400604", stateCode: "27" },
  contacts: [
    { name: "Meera Joshi", email: "meera@joshipack.example", whatsapp: "9867012345", isPrimary: true },
  ],
  preferredLanguage: "hi",
};

beforeAll(async () => {
  database = await createTestDatabase();
  tenantId = await createTenant(database.owner, "Route Traders");
  otherTenantId = await createTenant(database.owner, "Someone Else");
  const events = new EventTypeRegistry();
  for (const [type, schema] of Object.entries(customersModule.events)) events.register(type, schema);
  app = await createHttpServer({ logger: pino({ level: "silent" }), readinessChecks: [] });
  customersModule.routes?.(app, testRouteContext({ database, events, now: () => Date.now() }));
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await database?.drop();
});

describe("customers over HTTP", () => {
  let id: string;
  let etag: string;

  it("creates with 201, Location and ETag; a duplicate answers 200 with duplicateOf", async () => {
    const created = await app.inject({
      method: "POST",
      url: "/api/v1/customers",
      headers: headers(),
      payload: profile,
    });
    expect(created.statusCode).toBe(201);
    const body = created.json<{ created: boolean; customer: { id: string; pan: string; version: number } }>();
    expect(body.created).toBe(true);
    expect(body.customer.pan).toBe("AAKPJ4321H");
    id = body.customer.id;
    expect(created.headers.location).toBe(`/api/v1/customers/${id}`);
    expect(created.headers.etag).toMatch(/^".+"$/);

    const again = await app.inject({
      method: "POST",
      url: "/api/v1/customers",
      headers: headers(),
      payload: { ...profile, legalName: "Joshi Packaging", allowDuplicate: true },
    });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ created: false, customer: { id }, duplicateOf: { customerId: id } });
  });

  it("names every bad field in a problem+json answer", async () => {
    const response = await app.inject({
      method: "POST",
      url: "/api/v1/customers",
      headers: headers(),
      payload: { ...profile, gstin: "27AAKPJ4321H1ZX", preferredLanguage: "xx", stateCode: "99" },
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers["content-type"]).toContain("application/problem+json");
    const fields = response.json<{ issues: { field: string }[] }>().issues.map((issue) => issue.field);
    expect(fields).toEqual(
      expect.arrayContaining(["body.gstin", "body.preferredLanguage", "body.stateCode"]),
    );
  });

  it("serves an ETag and requires If-Match to change", async () => {
    const read = await app.inject({ method: "GET", url: `/api/v1/customers/${id}`, headers: headers() });
    expect(read.statusCode).toBe(200);
    etag = String(read.headers.etag);

    const missing = await app.inject({
      method: "PATCH",
      url: `/api/v1/customers/${id}`,
      headers: headers(),
      payload: { segment: "Packaging" },
    });
    expect(missing.statusCode).toBe(428);

    const changed = await app.inject({
      method: "PATCH",
      url: `/api/v1/customers/${id}`,
      headers: headers({ extra: { "if-match": etag } }),
      payload: { segment: "Packaging", creditTerms: { days: 30, agreedInWriting: true } },
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ segment: "Packaging", version: 2 });
    expect(changed.headers.etag).not.toBe(etag);

    const stale = await app.inject({
      method: "PATCH",
      url: `/api/v1/customers/${id}`,
      headers: headers({ extra: { "if-match": etag } }),
      payload: { segment: "Other" },
    });
    expect(stale.statusCode).toBe(412);

    const badField = await app.inject({
      method: "PATCH",
      url: `/api/v1/customers/${id}`,
      headers: headers({ extra: { "if-match": String(changed.headers.etag) } }),
      payload: { version: 9, creditTerms: { days: 900 } },
    });
    expect(badField.statusCode).toBe(400);
    expect(badField.json<{ issues: { field: string }[] }>().issues.map((issue) => issue.field)).toEqual([
      "version",
    ]);
  });

  it("records an opt-out and answers contact permission and history", async () => {
    const optOut = await app.inject({
      method: "POST",
      url: `/api/v1/customers/${id}/consents`,
      headers: headers(),
      payload: { channel: "email", status: "withdrawn", source: "unsubscribe-link", evidence: "link-7781" },
    });
    expect(optOut.statusCode).toBe(200);
    const permission = await app.inject({
      method: "GET",
      url: `/api/v1/customers/${id}/contact-permission?channel=email`,
      headers: headers(),
    });
    expect(permission.json()).toMatchObject({ allowed: false, reason: "consent-withdrawn" });
    const whatsapp = await app.inject({
      method: "GET",
      url: `/api/v1/customers/${id}/contact-permission?channel=whatsapp&requireGrantedConsent=true`,
      headers: headers(),
    });
    expect(whatsapp.json()).toMatchObject({ allowed: false, reason: "consent-required" });
    const history = await app.inject({
      method: "GET",
      url: `/api/v1/customers/${id}/consents`,
      headers: headers(),
    });
    expect(history.json()).toMatchObject({
      items: [
        { channel: "email", status: "withdrawn", source: "unsubscribe-link", recordedBy: "user:priya" },
      ],
    });
  });

  it("lists with cursor pages and filters", async () => {
    for (const name of ["Aggarwal Textiles", "Banerjee Tea Traders", "Chopra Motors"]) {
      await app.inject({
        method: "POST",
        url: "/api/v1/customers",
        headers: headers(),
        payload: { legalName: name, stateCode: "07", allowDuplicate: true },
      });
    }
    const first = await app.inject({
      method: "GET",
      url: "/api/v1/customers?limit=2&sort=legalName",
      headers: headers(),
    });
    const page1 = first.json<{ items: { legalName: string }[]; nextCursor: string }>();
    expect(page1.items.map((item) => item.legalName)).toEqual(["Aggarwal Textiles", "Banerjee Tea Traders"]);
    const second = await app.inject({
      method: "GET",
      url: `/api/v1/customers?limit=2&sort=legalName&cursor=${page1.nextCursor}`,
      headers: headers(),
    });
    const page2 = second.json<{ items: { legalName: string }[]; nextCursor: string | null }>();
    expect(page2.items.map((item) => item.legalName)).toEqual([
      "Chopra Motors",
      "Joshi Packaging Private Limited",
    ]);
    expect(page2.nextCursor).toBeNull();
    const filtered = await app.inject({
      method: "GET",
      url: "/api/v1/customers?search=tea",
      headers: headers(),
    });
    expect(filtered.json<{ items: unknown[] }>().items).toHaveLength(1);
    const badSort = await app.inject({
      method: "GET",
      url: "/api/v1/customers?sort=password",
      headers: headers(),
    });
    expect(badSort.statusCode).toBe(400);
    const matches = await app.inject({
      method: "POST",
      url: "/api/v1/customers/matches",
      headers: headers(),
      payload: { name: "Chopra Motor" },
    });
    expect(
      matches.json<{ items: { customer: { legalName: string } }[] }>().items[0]?.customer.legalName,
    ).toBe("Chopra Motors");
  });

  it("guards every route by permission", async () => {
    const readOnly = headers({ permissions: "customers:read" });
    expect(
      (await app.inject({ method: "GET", url: `/api/v1/customers/${id}`, headers: readOnly })).statusCode,
    ).toBe(200);
    const refused = await app.inject({
      method: "POST",
      url: "/api/v1/customers",
      headers: readOnly,
      payload: profile,
    });
    expect(refused.statusCode).toBe(403);
    const none = await app.inject({
      method: "GET",
      url: "/api/v1/customers",
      headers: headers({ permissions: "" }),
    });
    expect(none.statusCode).toBe(403);
  });

  it("answers 404 for another tenant's customer", async () => {
    const other = headers({ tenant: otherTenantId });
    expect(
      (await app.inject({ method: "GET", url: `/api/v1/customers/${id}`, headers: other })).statusCode,
    ).toBe(404);
    const patch = await app.inject({
      method: "PATCH",
      url: `/api/v1/customers/${id}`,
      headers: { ...other, "if-match": "*" },
      payload: { segment: "Stolen" },
    });
    expect(patch.statusCode).toBe(404);
    expect(
      (await app.inject({ method: "GET", url: "/api/v1/customers/nope", headers: other })).statusCode,
    ).toBe(404);
  });

  it("documents its routes in the OpenAPI document", async () => {
    const response = await app.inject({ method: "GET", url: "/api/openapi.json" });
    expect(response.statusCode).toBe(200);
    const paths = Object.keys(response.json<{ paths: Record<string, unknown> }>().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        "/api/v1/customers",
        "/api/v1/customers/{id}",
        "/api/v1/customers/{id}/consents",
      ]),
    );
  });
});
