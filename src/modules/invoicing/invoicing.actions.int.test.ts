import { randomUUID } from "node:crypto";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTenant } from "../../../test/support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { AppError } from "../../kernel/app-error.ts";
import {
  ActionCatalog,
  parseActionInput,
  parseActionOutput,
  type CallContext,
} from "../../platform/actions/action-catalog.ts";
import { EventTypeRegistry } from "../../platform/events/event-outbox.ts";
import { addDays, type CalendarDate } from "./calendar-date.ts";
import { draftInput } from "./invoice-wire.fixtures.testing.ts";
import { seedDemoInvoicing } from "./invoicing.demo.ts";
import { invoicingModule } from "./invoicing.module.ts";
import { indianDate } from "./invoicing.unit-of-work.ts";

let database: TestDatabase;
let catalog: ActionCatalog;
let events: EventTypeRegistry;
let tenantId: string;
const NOW = Date.parse("2025-12-15T04:30:00Z");
const TODAY = indianDate(NOW) as CalendarDate;

/** Calls an action the way the gateway does: validated input, the handler, validated output. */
async function call<T = Record<string, unknown>>(
  name: string,
  input: unknown,
  ctx: Partial<CallContext> = {},
) {
  const action = catalog.get(name);
  if (!action) throw new Error(`no action ${name}`);
  const parsed = parseActionInput(action, input);
  const output = await action.handler(parsed, {
    tenantId,
    actor: "workflow:collections-3",
    ...ctx,
    signal: new AbortController().signal,
  });
  return parseActionOutput(action, output) as T;
}

async function outbox(type: string) {
  return database.owner
    .selectFrom("event_outbox")
    .select(["subject", "data"])
    .where("tenant_id", "=", tenantId)
    .where("type", "=", type)
    .execute();
}

beforeAll(async () => {
  database = await createTestDatabase();
  tenantId = await createTenant(database.owner, "Demo Traders");
  events = new EventTypeRegistry();
  for (const [type, schema] of Object.entries(invoicingModule.events)) events.register(type, schema);
  catalog = new ActionCatalog();
  catalog.registerModule(
    invoicingModule.actions({ database, events, logger: pino({ level: "silent" }), now: () => NOW }),
  );
});

afterAll(async () => {
  await database?.drop();
});

describe("invoicing actions", () => {
  let demo: Record<string, string>;

  it("registers the actions workflows call, each with describable JSON schemas", () => {
    const names = catalog.actions().map((action) => action.qualifiedName);
    expect(names).toEqual(
      expect.arrayContaining([
        "invoicing.get",
        "invoicing.verify",
        "invoicing.list-due",
        "invoicing.mark-overdue",
        "invoicing.apply-settlement",
        "invoicing.render-pdf",
        "invoicing.einvoice",
        "invoicing.create-draft",
        "invoicing.issue",
      ]),
    );
    for (const action of catalog.actions()) {
      expect(action.permission).toMatch(/^(invoices|payments):(read|write|issue)$/);
      expect(() => z.toJSONSchema(action.input, { io: "input" })).not.toThrow();
      expect(() => z.toJSONSchema(action.output, { io: "output" })).not.toThrow();
    }
    expect(catalog.get("invoicing.render-pdf")?.policy.timeoutMs).toBe(30_000);
  });

  it("seeds demo invoices idempotently: overdue, due soon, partly and fully paid, disputed, draft", async () => {
    const customerIds = { "sharma-steel": randomUUID(), "bengal-jute": randomUUID() };
    const deps = { db: database.app, events, now: () => NOW, tenantId, customerIds };
    demo = await seedDemoInvoicing(deps);
    const again = await seedDemoInvoicing(deps);
    expect(again).toEqual(demo);
    expect(Object.keys(demo)).toHaveLength(8);
    const statuses = await Promise.all(
      Object.values(demo).map(
        async (invoiceId) => (await call<{ status: string }>("invoicing.get", { invoiceId })).status,
      ),
    );
    expect(statuses.sort()).toEqual(
      ["disputed", "draft", "issued", "issued", "issued", "paid", "partially_paid", "partially_paid"].sort(),
    );
    const sharma = await call<{ customerId: string; status: string }>("invoicing.get", {
      invoiceId: demo["invoice-1"],
    });
    expect(sharma.customerId).toBe(customerIds["sharma-steel"]);
    expect(await outbox("invoice.paid")).toHaveLength(1);
  });

  it("lists what is due and publishes due notices once", async () => {
    const due = await call<{ items: { invoiceId: string; state: string; dueDate: string }[] }>(
      "invoicing.list-due",
      {
        asOf: TODAY,
      },
    );
    const states = Object.fromEntries(due.items.map((item) => [item.invoiceId, item.state]));
    expect(states[demo["invoice-1"] ?? ""]).toBe("overdue");
    expect(states[demo["invoice-2"] ?? ""]).toBe("overdue");
    expect(states[demo["invoice-4"] ?? ""]).toBe("due-soon");
    expect(states[demo["invoice-5"] ?? ""]).toBeUndefined();
    expect(states[demo["invoice-8"] ?? ""]).toBeUndefined();
    expect(due.items.every((item) => item.dueDate <= addDays(TODAY, 3))).toBe(true);

    const first = await call<{ notified: unknown[] }>(
      "invoicing.mark-overdue",
      {},
      { idempotencyKey: "sweep-1" },
    );
    expect(first.notified.length).toBe(due.items.length);
    const replay = await call("invoicing.mark-overdue", {}, { idempotencyKey: "sweep-1" });
    expect(replay).toEqual(first);
    const rerun = await call<{ notified: unknown[]; alreadyNotified: number }>("invoicing.mark-overdue", {});
    expect(rerun.notified).toEqual([]);
    expect(rerun.alreadyNotified).toBe(due.items.length);
    expect((await outbox("invoice.overdue")).length + (await outbox("invoice.due-soon")).length).toBe(
      due.items.length,
    );
  });

  it("settles through the action in parallel without losing or overshooting", async () => {
    const invoiceId = demo["invoice-3"] ?? "";
    const invoice = await call<{ settlement: { outstandingPaise: string } }>("invoicing.get", { invoiceId });
    const outstanding = BigInt(invoice.settlement.outstandingPaise);
    const quarter = outstanding / 4n;
    const rest = outstanding - quarter * 3n;
    const parts = [quarter, quarter, quarter, rest, quarter, 1n];
    const results = await Promise.allSettled(
      parts.map((amount, index) =>
        call("invoicing.apply-settlement", {
          invoiceId,
          reference: `alloc-${index}`,
          cashPaise: amount.toString(),
        }),
      ),
    );
    const applied = results.filter((result) => result.status === "fulfilled");
    const after = await call<{ status: string; settlement: { outstandingPaise: string; paidPaise: string } }>(
      "invoicing.get",
      { invoiceId },
    );
    const received = BigInt(after.settlement.paidPaise);
    expect(received <= outstanding).toBe(true);
    expect(BigInt(after.settlement.outstandingPaise)).toBe(outstanding - received);
    expect(BigInt(after.settlement.outstandingPaise) >= 0n).toBe(true);
    const appliedSum = parts
      .filter((_amount, index) => results[index]?.status === "fulfilled")
      .reduce((sum, amount) => sum + amount, 0n);
    expect(appliedSum).toBe(received);
    expect(applied.length).toBeGreaterThanOrEqual(4);
    for (const result of results) {
      if (result.status === "rejected") expect(result.reason).toBeInstanceOf(AppError);
    }
  });

  it("verifies by id and on a draft payload, and refuses both at once", async () => {
    const byId = await call<{ ok: boolean }>("invoicing.verify", { invoiceId: demo["invoice-8"] });
    expect(byId.ok).toBe(true);
    const payload = await call<{
      ok: boolean;
      findings: { rule: string; field: string }[];
      amounts: { totalPaise: string };
    }>("invoicing.verify", { invoice: draftInput({ totalPaise: "1" }) });
    expect(payload.ok).toBe(false);
    expect(payload.findings).toEqual(
      expect.arrayContaining([expect.objectContaining({ rule: "total-mismatch", field: "totalPaise" })]),
    );
    expect(payload.amounts.totalPaise).toBe("11800000");
    await expect(
      call("invoicing.verify", { invoiceId: demo["invoice-8"], invoice: draftInput() }),
    ).rejects.toThrow(AppError);
  });

  it("renders the PDF as base64 and builds the e-invoice", async () => {
    const pdf = await call<{ base64: string; fileName: string; pageCount: number }>("invoicing.render-pdf", {
      invoiceId: demo["invoice-2"],
      language: "hi",
    });
    expect(Buffer.from(pdf.base64, "base64").subarray(0, 5).toString("latin1")).toBe("%PDF-");
    expect(pdf.fileName).toMatch(/\.hi\.pdf$/);
    expect(pdf.pageCount).toBe(1);
    const einvoice = await call<{ irn: string; valid: boolean; payload: { SellerDtls: { Gstin: string } } }>(
      "invoicing.einvoice",
      { invoiceId: demo["invoice-3"] },
    );
    expect(einvoice.irn).toMatch(/^[0-9a-f]{64}$/);
    expect(einvoice.valid).toBe(true);
    expect(einvoice.payload.SellerDtls.Gstin).toBe("27AAPFU0939F1ZV");
  });

  it("creates and issues through commands, once per idempotency key", async () => {
    const input = draftInput({ number: "WF/25-26/001", issueDate: "2025-12-10", allowDuplicate: true });
    const created = await call<{ created: boolean; invoice: { id: string } }>(
      "invoicing.create-draft",
      input,
      {
        idempotencyKey: "wf-3:draft",
      },
    );
    const retried = await call("invoicing.create-draft", input, { idempotencyKey: "wf-3:draft" });
    expect(retried).toEqual(created);
    const issued = await call<{ status: string }>(
      "invoicing.issue",
      { invoiceId: created.invoice.id },
      { idempotencyKey: "wf-3:issue" },
    );
    const issuedAgain = await call(
      "invoicing.issue",
      { invoiceId: created.invoice.id },
      { idempotencyKey: "wf-3:issue" },
    );
    expect(issuedAgain).toEqual(issued);
    expect(issued.status).toBe("issued");
    const issuedEvents = (await outbox("invoice.issued")).filter(
      (event) => event.subject === created.invoice.id,
    );
    expect(issuedEvents).toHaveLength(1);
  });
});
