import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant } from "../../../test/support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { AppError } from "../../kernel/app-error.ts";
import { EventTypeRegistry } from "../../platform/events/event-outbox.ts";
import { CUSTOMER_EVENT_SCHEMAS } from "./customer.events.ts";
import { testContactProtection } from "./contact-protection.testing.ts";
import { createCustomerService, type CustomerService } from "./customer.service.ts";

const protection = testContactProtection();

let database: TestDatabase;
let service: CustomerService;
let tenantId: string;
let otherTenantId: string;
let clock = Date.parse("2025-10-01T06:30:00.000Z");

const meta = (overrides: { idempotencyKey?: string; actor?: string } = {}) => ({
  tenantId,
  actor: overrides.actor ?? "user:anita",
  requestId: "req-1",
  ...(overrides.idempotencyKey !== undefined ? { idempotencyKey: overrides.idempotencyKey } : {}),
});

function sharmaProfile(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    legalName: "Sharma Steel Traders Private Limited",
    gstin: "27AABCS1429B1ZU",
    stateCode: "27",
    billingAddress: { line1: "14 Bhosari MIDC", city: "Pune", pinCode: "411026", stateCode: "27" },
    contacts: [
      { name: "Anil Sharma", email: "accounts@sharmasteel.example", phone: "020 2712 3456", isPrimary: true },
      { name: "Ravi", whatsapp: "98220 12345" },
    ],
    preferredLanguage: "mr",
    creditTerms: { days: 30, agreedInWriting: true },
    tags: ["Key Account"],
    msme: { category: "small", udyamNumber: "UDYAM-MH-26-0012345" },
    tds: { incomeTax: { section: "194C", rateBasisPoints: 200, tan: "PNES12345A" } },
    ...overrides,
  };
}

async function errorOf(run: () => Promise<unknown>): Promise<AppError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected an AppError");
}

async function outbox(type?: string) {
  let query = database.owner
    .selectFrom("event_outbox")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .orderBy("sequence");
  if (type !== undefined) query = query.where("type", "=", type);
  return query.execute();
}

async function auditActions(entityId: string): Promise<string[]> {
  const result = await sql<{ action: string }>`
    select action from audit_log where tenant_id = ${tenantId} and entity_id = ${entityId} order by seq`.execute(
    database.owner,
  );
  return result.rows.map((row) => row.action);
}

beforeAll(async () => {
  database = await createTestDatabase();
  tenantId = await createTenant(database.owner, "Kulkarni Fasteners");
  otherTenantId = await createTenant(database.owner, "Other Business");
  const events = new EventTypeRegistry();
  for (const [type, schema] of Object.entries(CUSTOMER_EVENT_SCHEMAS)) events.register(type, schema);
  service = createCustomerService({ db: database.app, events, now: () => clock, protection });
});

afterAll(async () => {
  await database?.drop();
});

describe("creating customers", () => {
  let sharmaId: string;

  it("stores the profile, publishes customer.created and audits it in one transaction", async () => {
    const result = await service.create({ profile: sharmaProfile() }, meta());
    expect(result.created).toBe(true);
    expect(result.duplicateOf).toBeUndefined();
    sharmaId = result.customer.id;
    expect(result.customer).toMatchObject({
      legalName: "Sharma Steel Traders Private Limited",
      gstin: "27AABCS1429B1ZU",
      pan: "AABCS1429B",
      contacts: [
        { email: "accounts@sharmasteel.example", phone: "+912027123456", isPrimary: true },
        { whatsapp: "+919822012345", isPrimary: false },
      ],
      tags: ["key-account"],
      version: 1,
      external: null,
      createdAt: "2025-10-01T06:30:00.000Z",
    });
    const stored = await service.get(tenantId, sharmaId);
    expect(stored).toEqual(result.customer);
    const events = await outbox("customer.created");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ subject: sharmaId, source: "/customers" });
    expect(await auditActions(sharmaId)).toEqual(["customer.created"]);
  });

  it("returns the existing customer for the same GSTIN, even when asked to allow duplicates", async () => {
    const before = (await outbox()).length;
    const again = await service.create(
      { profile: sharmaProfile({ legalName: "Sharma Steel" }), allowDuplicate: true },
      meta(),
    );
    expect(again.created).toBe(false);
    expect(again.customer.id).toBe(sharmaId);
    expect(again.duplicateOf).toMatchObject({ customerId: sharmaId, certainty: "certain", score: 1 });
    expect(again.duplicateOf?.reasons).toContain("same-gstin");
    expect(await outbox()).toHaveLength(before);
  });

  it("flags a similar name as a likely duplicate unless duplicates are allowed", async () => {
    const profile = {
      legalName: "M/s Sharma Steel Traders Pvt. Ltd.",
      stateCode: "29",
      contacts: [{ email: "purchase@sharma-blr.example" }],
    };
    const flagged = await service.create({ profile }, meta());
    expect(flagged.created).toBe(false);
    expect(flagged.duplicateOf).toMatchObject({ customerId: sharmaId, certainty: "likely" });
    const forced = await service.create({ profile, allowDuplicate: true }, meta());
    expect(forced.created).toBe(true);
    expect(forced.customer.id).not.toBe(sharmaId);
  });

  it("names every bad field and writes nothing", async () => {
    const before = (await outbox()).length;
    const error = await errorOf(() =>
      service.create(
        {
          profile: sharmaProfile({
            gstin: "27AABCS1429B1ZX",
            preferredLanguage: "fr",
            contacts: [{ name: "Nobody" }],
            creditTerms: { days: -3 },
          }),
        },
        meta(),
      ),
    );
    expect(error.code).toBe("INVALID_INPUT");
    const fields = error.issues.map((issue) => issue.field);
    expect(fields).toEqual(
      expect.arrayContaining(["gstin", "preferredLanguage", "contacts.0", "creditTerms.days"]),
    );
    expect(await outbox()).toHaveLength(before);
  });

  it("re-imports the same external record idempotently", async () => {
    const external = { source: "tally", id: "LEDGER-0042" };
    const profile = { legalName: "Gupta Electricals", gstin: "07AAFFG2345L1ZC", stateCode: "07" };
    const first = await service.create({ profile, external }, meta());
    const second = await service.create(
      { profile: { ...profile, legalName: "Gupta Electricals (renamed)" }, external },
      meta(),
    );
    expect(first.created).toBe(true);
    expect(first.customer.external).toEqual(external);
    expect(second).toMatchObject({
      created: false,
      customer: { id: first.customer.id },
      duplicateOf: { reasons: ["same-external-id"] },
    });
  });

  it("carries out a command once per idempotency key", async () => {
    const profile = { legalName: "Patel Polymers LLP", gstin: "24AACCP7788Q1ZH", stateCode: "24" };
    const [a, b] = await Promise.all([
      service.create({ profile }, meta({ idempotencyKey: "wf-1:create-customer" })),
      service.create({ profile }, meta({ idempotencyKey: "wf-1:create-customer" })),
    ]);
    expect(a).toEqual(b);
    expect(a.created).toBe(true);
    const all = await service.list(tenantId, { limit: 100, gstin: "24AACCP7788Q1ZH" });
    expect(all.items).toHaveLength(1);
    const misuse = await errorOf(() =>
      service.create(
        { profile: { ...profile, legalName: "Something Else Entirely" } },
        meta({ idempotencyKey: "wf-1:create-customer" }),
      ),
    );
    expect(misuse.code).toBe("INVALID_INPUT");
    expect(misuse.issues[0]?.field).toBe("idempotencyKey");
  });
});

describe("changing customers", () => {
  let id: string;

  beforeAll(async () => {
    const result = await service.create(
      {
        profile: {
          legalName: "Rao Agro Foods Private Limited",
          gstin: "33AADCR5566M1ZZ",
          stateCode: "33",
          contacts: [
            { name: "K. Rao", email: "rao@raoagro.example", whatsapp: "9840012345", isPrimary: true },
          ],
          preferredLanguage: "ta",
        },
      },
      meta(),
    );
    id = result.customer.id;
  });

  it("updates fields with a version check and audits before and after", async () => {
    clock += 60_000;
    const updated = await service.update(
      {
        customerId: id,
        changes: { creditTerms: { days: 45, agreedInWriting: true }, segment: "FMCG" },
        expectedVersion: 1,
      },
      meta(),
    );
    expect(updated).toMatchObject({ version: 2, segment: "FMCG", creditTerms: { days: 45 } });
    const stale = await errorOf(() =>
      service.update({ customerId: id, changes: { segment: "Retail" }, expectedVersion: 1 }, meta()),
    );
    expect(stale.code).toBe("CONFLICT");
    expect((await service.get(tenantId, id)).segment).toBe("FMCG");
    const events = await outbox("customer.updated");
    expect(events.at(-1)?.data).toMatchObject({ customerId: id, changedFields: ["creditTerms", "segment"] });
    const audit = await sql<{ action: string; before: { version: number }; after: { version: number } }>`
      select action, before, after from audit_log where entity_id = ${id} order by seq desc limit 1`.execute(
      database.owner,
    );
    expect(audit.rows[0]).toMatchObject({
      action: "customer.updated",
      before: { version: 1 },
      after: { version: 2 },
    });
  });

  it("changes nothing when nothing differs", async () => {
    const before = (await outbox()).length;
    const same = await service.update({ customerId: id, changes: { segment: "FMCG" } }, meta());
    expect(same.version).toBe(2);
    expect(await outbox()).toHaveLength(before);
  });

  it("refuses a GSTIN another customer holds", async () => {
    const other = await service.create(
      { profile: { legalName: "Kapoor Handlooms", gstin: "09AAGFK3344N1ZY", stateCode: "09" } },
      meta(),
    );
    const error = await errorOf(() =>
      service.update(
        { customerId: other.customer.id, changes: { gstin: "33AADCR5566M1ZZ", stateCode: "33" } },
        meta(),
      ),
    );
    expect(error.code).toBe("CONFLICT");
  });

  it("records opt-outs with evidence and answers contact permission from them", async () => {
    expect(await service.contactPermission(tenantId, { customerId: id, channel: "whatsapp" })).toMatchObject({
      allowed: true,
      reason: "no-objection-on-file",
      recipients: ["+919840012345"],
      preferredLanguage: "ta",
    });
    clock += 60_000;
    const optedOut = await service.recordConsent(
      {
        customerId: id,
        channel: "whatsapp",
        status: "withdrawn",
        at: "2025-10-01T12:00:00+05:30",
        source: "stop-keyword",
        evidence: "wamid.HBgLOTE5ODQwMDEyMzQ1",
      },
      meta({ actor: "workflow:reminders-7" }),
    );
    expect(optedOut.consents.whatsapp).toMatchObject({ status: "withdrawn", source: "stop-keyword" });
    expect(await service.contactPermission(tenantId, { customerId: id, channel: "whatsapp" })).toMatchObject({
      allowed: false,
      reason: "consent-withdrawn",
      recipients: [],
    });
    const event = (await outbox("customer.opted-out")).at(-1);
    expect(event?.data).toMatchObject({ customerId: id, channel: "whatsapp", source: "stop-keyword" });
    expect(CUSTOMER_EVENT_SCHEMAS["customer.opted-out"].safeParse(event?.data).success).toBe(true);
    const history = await service.consentHistory(tenantId, id);
    expect(history).toEqual([
      expect.objectContaining({
        channel: "whatsapp",
        status: "withdrawn",
        at: "2025-10-01T06:30:00.000Z",
        evidence: "wamid.HBgLOTE5ODQwMDEyMzQ1",
        recordedBy: "workflow:reminders-7",
      }),
    ]);
    expect(await auditActions(id)).toContain("customer.opted-out");
  });

  it("refuses consent records older than the one on file, and consent changes through update", async () => {
    const older = await errorOf(() =>
      service.recordConsent(
        {
          customerId: id,
          channel: "whatsapp",
          status: "granted",
          at: "2025-09-01T10:00:00Z",
          source: "web-form",
        },
        meta(),
      ),
    );
    expect(older.issues[0]?.field).toBe("consent.at");
    const viaUpdate = await errorOf(() =>
      service.update({ customerId: id, changes: { consents: {} } }, meta()),
    );
    expect(viaUpdate.issues[0]?.field).toBe("consents");
    expect(await service.consentHistory(tenantId, id)).toHaveLength(1);
  });

  it("gives the TDS profile and the deductions expected on an invoice", async () => {
    const created = await service.create(
      {
        profile: {
          legalName: "Bengal Jute Mills Limited",
          gstin: "19AAECB9911D1ZQ",
          stateCode: "19",
          tds: {
            incomeTax: { section: "194C", rateBasisPoints: 200, tan: "CALB12345C" },
            gst: { deductorCategory: "public-sector-undertaking" },
          },
        },
      },
      meta(),
    );
    const profile = await service.tdsProfile(tenantId, {
      customerId: created.customer.id,
      invoice: {
        taxableValuePaise: 5_00_000_00n,
        gstPaise: 90_000_00n,
        invoiceTotalPaise: 5_90_000_00n,
        supplierStateCode: "19",
        placeOfSupply: "19",
      },
    });
    expect(profile.expected).toMatchObject({
      incomeTax: { amountPaise: "1000000" },
      gst: { applies: true, cgstPaise: "500000", sgstOrUtgstPaise: "500000" },
      totalPaise: "2000000",
      netReceivablePaise: "57000000",
    });
  });
});

describe("finding and listing", () => {
  it("finds by GSTIN, by name and by contact", async () => {
    const byGstin = await service.find(tenantId, { gstin: "27aabcs1429b1zu" });
    expect(byGstin[0]).toMatchObject({ certainty: "certain", customer: { gstin: "27AABCS1429B1ZU" } });
    const byName = await service.find(tenantId, { name: "Sharma Steel Traders" });
    expect(byName.map((match) => match.customer.legalName)).toContain("Sharma Steel Traders Private Limited");
    const byEmail = await service.find(tenantId, { email: "RAO@raoagro.example" });
    expect(byEmail[0]?.customer.legalName).toBe("Rao Agro Foods Private Limited");
    expect(await service.find(tenantId, { name: "Completely Unrelated Name Works" })).toEqual([]);
  });

  it("pages through a sorted, filtered list with cursors", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await service.list(tenantId, {
        limit: 2,
        sort: "legalName",
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...page.items.map((item) => item.legalName));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    const all = (await service.list(tenantId, { limit: 500 })).items.map((item) => item.legalName);
    expect(seen).toEqual(all);
    expect(seen).toEqual([...seen].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
    const descending = await service.list(tenantId, { limit: 500, sort: "-createdAt" });
    expect(descending.items.map((item) => item.createdAt)).toEqual(
      [...descending.items.map((item) => item.createdAt)].sort().reverse(),
    );
    const searched = await service.list(tenantId, { limit: 10, search: "steel" });
    expect(searched.items.every((item) => /steel/i.test(item.legalName))).toBe(true);
    const tagged = await service.list(tenantId, { limit: 10, tag: "key-account" });
    expect(tagged.items.map((item) => item.gstin)).toEqual(["27AABCS1429B1ZU"]);
  });

  it("shows another tenant nothing", async () => {
    const mine = await service.list(tenantId, { limit: 1 });
    const id = mine.items[0]?.id ?? "";
    const error = await errorOf(() => service.get(otherTenantId, id));
    expect(error.code).toBe("NOT_FOUND");
    expect((await service.list(otherTenantId, { limit: 10 })).items).toEqual([]);
    const update = await errorOf(() =>
      service.update(
        { customerId: id, changes: { segment: "x" } },
        { tenantId: otherTenantId, actor: "user:eve" },
      ),
    );
    expect(update.code).toBe("NOT_FOUND");
    expect((await errorOf(() => service.get(tenantId, "not-a-uuid"))).code).toBe("NOT_FOUND");
  });
});
