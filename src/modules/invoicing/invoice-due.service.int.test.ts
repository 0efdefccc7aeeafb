import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant } from "../../../test/support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { EventTypeRegistry } from "../../platform/events/event-outbox.ts";
import { INVOICING_EVENT_SCHEMAS } from "./invoice.events.ts";
import { draftInput, TEST_SUPPLIER } from "./invoice-wire.fixtures.testing.ts";
import { createInvoicingServices, type InvoicingServices } from "./invoicing.services.ts";

let database: TestDatabase;
let services: InvoicingServices;
let tenantId: string;
const ids: Record<string, string> = {};

const meta = (idempotencyKey?: string) => ({
  tenantId,
  actor: "system:due-sweep",
  ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
});

async function issued(number: string, dueDate: string): Promise<string> {
  const created = await services.invoices.createDraft(
    draftInput({ number, dueDate, allowDuplicate: true, terms: undefined }),
    meta(),
  );
  await services.invoices.issue({ invoiceId: created.invoice.id }, meta());
  return created.invoice.id;
}

async function notices(type: string) {
  return database.owner
    .selectFrom("event_outbox")
    .select(["subject", "data"])
    .where("tenant_id", "=", tenantId)
    .where("type", "=", type)
    .orderBy("sequence")
    .execute();
}

beforeAll(async () => {
  database = await createTestDatabase();
  tenantId = await createTenant(database.owner, "Due Traders");
  const registry = new EventTypeRegistry();
  for (const [type, schema] of Object.entries(INVOICING_EVENT_SCHEMAS)) registry.register(type, schema);
  services = createInvoicingServices({
    db: database.app,
    events: registry,
    now: () => Date.parse("2025-10-01T06:00:00Z"),
  });
  await services.invoices.updateSettings({ changes: { supplier: TEST_SUPPLIER } }, meta());
  ids.overdue = await issued("DUE/001", "2025-10-25");
  ids.dueToday = await issued("DUE/002", "2025-11-01");
  ids.dueSoon = await issued("DUE/003", "2025-11-03");
  ids.later = await issued("DUE/004", "2025-11-20");
  ids.paid = await issued("DUE/005", "2025-10-20");
  await services.settlements.applySettlement(
    {
      invoiceId: ids.paid,
      reference: "full",
      cashPaise: 11_800_000n,
      tdsPaise: 0n,
      gstTdsPaise: 0n,
      writeOffPaise: 0n,
    },
    meta(),
  );
  const draft = await services.invoices.createDraft(
    draftInput({ number: "DUE/006", dueDate: "2025-10-15", allowDuplicate: true }),
    meta(),
  );
  ids.draft = draft.invoice.id;
});

afterAll(async () => {
  await database?.drop();
});

describe("due-date sweep", () => {
  it("lists open invoices due soon and overdue as of a date", async () => {
    const due = await services.due.listDue(tenantId, { asOf: "2025-11-01", limit: 50 });
    expect(due.asOf).toBe("2025-11-01");
    expect(
      due.items.map((item) => [item.invoiceNumber, item.state, item.daysUntilDue, item.daysOverdue]),
    ).toEqual([
      ["DUE/001", "overdue", null, 7],
      ["DUE/002", "due-soon", 0, null],
      ["DUE/003", "due-soon", 2, null],
    ]);
    const overdueOnly = await services.due.listDue(tenantId, {
      asOf: "2025-11-01",
      state: "overdue",
      limit: 50,
    });
    expect(overdueOnly.items.map((item) => item.invoiceNumber)).toEqual(["DUE/001"]);
    const soonOnly = await services.due.listDue(tenantId, {
      asOf: "2025-11-01",
      state: "due-soon",
      limit: 1,
    });
    expect(soonOnly.items.map((item) => item.invoiceNumber)).toEqual(["DUE/002"]);
    const next = await services.due.listDue(tenantId, {
      asOf: "2025-11-01",
      state: "due-soon",
      limit: 1,
      cursor: soonOnly.nextCursor ?? "",
    });
    expect(next.items.map((item) => item.invoiceNumber)).toEqual(["DUE/003"]);
  });

  it("publishes each notice once per invoice and state, however often it runs", async () => {
    const first = await services.due.markOverdue({ asOf: "2025-11-01" }, meta());
    expect(first).toMatchObject({ dueSoon: 2, overdue: 1, alreadyNotified: 0 });
    expect(first.notified.map((entry) => entry.invoiceNumber)).toEqual(["DUE/001", "DUE/002", "DUE/003"]);
    const again = await services.due.markOverdue({ asOf: "2025-11-01" }, meta());
    expect(again).toMatchObject({ notified: [], alreadyNotified: 3 });
    const parallel = await Promise.all([
      services.due.markOverdue({ asOf: "2025-11-02" }, meta()),
      services.due.markOverdue({ asOf: "2025-11-02" }, meta()),
    ]);
    expect(parallel.flatMap((result) => result.notified.map((entry) => entry.invoiceNumber))).toEqual([
      "DUE/002",
    ]);

    const overdue = await notices("invoice.overdue");
    expect(overdue.map((event) => event.subject)).toEqual([ids.overdue, ids.dueToday]);
    expect(overdue[1]?.data).toMatchObject({
      daysOverdue: 1,
      asOf: "2025-11-02",
      outstandingPaise: "11800000",
    });
    const dueSoon = await notices("invoice.due-soon");
    expect(dueSoon.map((event) => event.subject)).toEqual([ids.dueToday, ids.dueSoon]);
    for (const event of [...overdue, ...dueSoon]) {
      const type = "daysOverdue" in (event.data as object) ? "invoice.overdue" : "invoice.due-soon";
      expect(INVOICING_EVENT_SCHEMAS[type].safeParse(event.data).success).toBe(true);
    }
    const subjects = [...overdue, ...dueSoon].map((event) => event.subject);
    expect(subjects).not.toContain(ids.paid);
    expect(subjects).not.toContain(ids.draft);
    expect(subjects).not.toContain(ids.later);
  });

  it("answers a retried sweep from its idempotency key", async () => {
    const first = await services.due.markOverdue({ asOf: "2025-11-18" }, meta("sweep-2025-11-18"));
    const retry = await services.due.markOverdue({ asOf: "2025-11-18" }, meta("sweep-2025-11-18"));
    expect(first.notified.map((entry) => entry.invoiceNumber)).toEqual(["DUE/003", "DUE/004"]);
    expect(retry).toEqual(first);
  });
});
