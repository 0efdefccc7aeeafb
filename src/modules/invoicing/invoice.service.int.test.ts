import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant } from "../../../test/support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { AppError } from "../../kernel/app-error.ts";
import { EventTypeRegistry } from "../../platform/events/event-outbox.ts";
import { computeIrn } from "./einvoice/irn.ts";
import { INVOICING_EVENT_SCHEMAS } from "./invoice.events.ts";
import { draftInput, TEST_SUPPLIER, testBuyer } from "./invoice-wire.fixtures.testing.ts";
import { createInvoicingServices, type InvoicingServices } from "./invoicing.services.ts";

let database: TestDatabase;
let services: InvoicingServices;
let tenantId: string;
let otherTenantId: string;
const customerId = randomUUID();
let clock = Date.parse("2025-10-01T05:00:00.000Z");

const meta = (overrides: { idempotencyKey?: string } = {}) => ({
  tenantId,
  actor: "user:asha",
  requestId: "req-inv",
  ...overrides,
});

async function errorOf(run: () => Promise<unknown>): Promise<AppError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected an AppError");
}

async function events(type?: string, subject?: string) {
  let query = database.owner
    .selectFrom("event_outbox")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .orderBy("sequence");
  if (type !== undefined) query = query.where("type", "=", type);
  if (subject !== undefined) query = query.where("subject", "=", subject);
  return query.execute();
}

async function auditActions(entityId: string): Promise<string[]> {
  const result = await sql<{ action: string }>`
    select action from audit_log where entity_id = ${entityId} order by seq`.execute(database.owner);
  return result.rows.map((row) => row.action);
}

async function issuedInvoice(number: string, overrides: Parameters<typeof draftInput>[0] = {}) {
  const created = await services.invoices.createDraft(
    draftInput({ number, allowDuplicate: true, ...overrides }),
    meta(),
  );
  return services.invoices.issue({ invoiceId: created.invoice.id }, meta());
}

beforeAll(async () => {
  database = await createTestDatabase();
  tenantId = await createTenant(database.owner, "Kulkarni Fasteners");
  otherTenantId = await createTenant(database.owner, "Elsewhere");
  const registry = new EventTypeRegistry();
  for (const [type, schema] of Object.entries(INVOICING_EVENT_SCHEMAS)) registry.register(type, schema);
  services = createInvoicingServices({ db: database.app, events: registry, now: () => clock });
  await services.invoices.updateSettings({ changes: { supplier: TEST_SUPPLIER } }, meta());
});

afterAll(async () => {
  await database?.drop();
});

describe("drafts", () => {
  let draftId: string;

  it("computes the amounts and due date, publishes invoice.created and audits it", async () => {
    const result = await services.invoices.createDraft(
      draftInput({ buyer: testBuyer(customerId), totalPaise: "11800000" }),
      meta(),
    );
    expect(result.created).toBe(true);
    draftId = result.invoice.id;
    expect(result.invoice).toMatchObject({
      status: "draft",
      financialYear: "2025-26",
      customerId,
      supplier: { legalName: TEST_SUPPLIER.legalName },
      amounts: {
        taxableValuePaise: "10000000",
        cgstPaise: "900000",
        sgstPaise: "900000",
        igstPaise: "0",
        taxPaise: "1800000",
        totalPaise: "11800000",
      },
      lines: [{ quantity: "100", unitPricePaise: "100000", amounts: { totalPaise: "11800000" } }],
      dueDates: { contractual: "2025-10-31", statutory: null, applicable: "2025-10-31", basis: "contract" },
      settlement: { outstandingPaise: "11800000", paidPaise: "0" },
      version: 1,
      createdBy: "user:asha",
    });
    expect(await services.invoices.get(tenantId, draftId)).toEqual(result.invoice);
    const created = await events("invoice.created", draftId);
    expect(created[0]?.data).toMatchObject({ invoiceId: draftId, totalPaise: "11800000", customerId });
    expect(await auditActions(draftId)).toEqual(["invoice.created"]);
  });

  it("refuses a total it did not compute, and names every bad field, writing nothing", async () => {
    const before = (await events()).length;
    const total = await errorOf(() =>
      services.invoices.createDraft(draftInput({ number: "KF/25-26/900", totalPaise: "11800001" }), meta()),
    );
    expect(total.issues).toEqual([expect.objectContaining({ field: "totalPaise" })]);
    const bad = await errorOf(() =>
      services.invoices.createDraft(
        draftInput({
          number: "THIS-NUMBER-IS-TOO-LONG",
          placeOfSupply: "99",
          lines: [
            {
              description: "",
              quantity: "1.2345",
              unitPricePaise: "100",
              gstRateBasisPoints: 1800,
              hsnSac: "123",
            },
          ],
        }),
        meta(),
      ),
    );
    expect(bad.code).toBe("INVALID_INPUT");
    expect(bad.issues.map((issue) => issue.field)).toEqual(
      expect.arrayContaining([
        "number",
        "placeOfSupply",
        "lines.0.description",
        "lines.0.quantity",
        "lines.0.hsnSac",
      ]),
    );
    expect(await events()).toHaveLength(before);
  });

  it("returns the existing invoice for the same number, or a likely duplicate", async () => {
    const sameNumber = await services.invoices.createDraft(draftInput({ issueDate: "2026-03-31" }), meta());
    expect(sameNumber).toMatchObject({
      created: false,
      invoice: { id: draftId },
      duplicateOf: { reasons: ["same-number"], score: 1 },
    });
    const likely = await services.invoices.createDraft(
      draftInput({ number: "KF/25-26/002", issueDate: "2025-10-03", buyer: testBuyer(customerId) }),
      meta(),
    );
    expect(likely.created).toBe(false);
    expect(likely.duplicateOf).toMatchObject({ invoiceId: draftId });
    expect(likely.duplicateOf?.reasons).toContain("same-customer-amount-date");
    const allowed = await services.invoices.createDraft(
      draftInput({
        number: "KF/25-26/002",
        issueDate: "2025-10-03",
        buyer: testBuyer(customerId),
        allowDuplicate: true,
      }),
      meta(),
    );
    expect(allowed.created).toBe(true);
  });

  it("re-imports by external reference idempotently", async () => {
    const external = { source: "tally", id: "VCH-7781" };
    const first = await services.invoices.createDraft(
      draftInput({ number: "T/7781", external, allowDuplicate: true }),
      meta(),
    );
    const again = await services.invoices.createDraft(draftInput({ number: "T/7781-B", external }), meta());
    expect(again).toMatchObject({
      created: false,
      invoice: { id: first.invoice.id },
      duplicateOf: { reasons: ["same-external-id"] },
    });
  });

  it("changes a draft and computes it again, with a version check", async () => {
    clock += 60_000;
    const updated = await services.invoices.updateDraft(
      {
        invoiceId: draftId,
        expectedVersion: 1,
        changes: {
          lines: [
            {
              description: "Hex bolts M12 x 50",
              hsnSac: "73181500",
              quantity: "50",
              unit: "NOS",
              unitPricePaise: "100000",
              gstRateBasisPoints: 1800,
            },
            {
              description: "Installation",
              hsnSac: "998719",
              quantity: 1,
              unitPricePaise: "250050",
              gstRateBasisPoints: 1800,
            },
          ],
          dueDate: "2025-10-20",
          notes: "Revised quantities",
        },
      },
      meta(),
    );
    expect(updated).toMatchObject({
      version: 2,
      amounts: {
        taxableValuePaise: "5250050",
        cgstPaise: "472505",
        sgstPaise: "472505",
        roundOffPaise: "40",
        totalPaise: "6195100",
      },
      dueDates: { contractual: "2025-10-20", applicable: "2025-10-20", basis: "explicit" },
      notes: "Revised quantities",
    });
    expect(updated.lines).toHaveLength(2);
    const changed = (await events("invoice.updated", draftId)).at(-1)?.data;
    expect(changed).toMatchObject({ changedFields: ["lines", "dueDate", "notes"], version: 2 });
    const stale = await errorOf(() =>
      services.invoices.updateDraft(
        { invoiceId: draftId, expectedVersion: 1, changes: { notes: null } },
        meta(),
      ),
    );
    expect(stale.code).toBe("CONFLICT");
    const cleared = await services.invoices.updateDraft(
      { invoiceId: draftId, changes: { notes: null, dueDate: null } },
      meta(),
    );
    expect(cleared).toMatchObject({
      notes: null,
      dueDates: { contractual: "2025-10-31", basis: "contract" },
    });
  });

  it("issues after verification and then refuses edits", async () => {
    clock += 60_000;
    const issued = await services.invoices.issue({ invoiceId: draftId }, meta());
    expect(issued).toMatchObject({ status: "issued", issuedAt: new Date(clock).toISOString() });
    const event = (await events("invoice.issued", draftId))[0]?.data;
    expect(INVOICING_EVENT_SCHEMAS["invoice.issued"].safeParse(event).success).toBe(true);
    expect(event).toMatchObject({ totalPaise: issued.amounts.totalPaise, dueDate: "2025-10-31" });
    const edit = await errorOf(() =>
      services.invoices.updateDraft({ invoiceId: draftId, changes: { notes: "x" } }, meta()),
    );
    expect(edit.code).toBe("CONFLICT");
    const again = await errorOf(() => services.invoices.issue({ invoiceId: draftId }, meta()));
    expect(again.code).toBe("CONFLICT");
    expect(await auditActions(draftId)).toEqual([
      "invoice.created",
      "invoice.updated",
      "invoice.updated",
      "invoice.issued",
    ]);
  });

  it("blocks issuing while verification finds errors", async () => {
    const draft = await services.invoices.createDraft(
      draftInput({
        number: "KF/25-26/050",
        allowDuplicate: true,
        buyer: { ...testBuyer(), gstin: "27AABCS1429B1ZX" },
      }),
      meta(),
    );
    const error = await errorOf(() => services.invoices.issue({ invoiceId: draft.invoice.id }, meta()));
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.issues.map((issue) => issue.field)).toContain("buyer.gstin");
    expect((await services.invoices.get(tenantId, draft.invoice.id)).status).toBe("draft");
    const report = await services.documents.verifyInvoiceById(tenantId, draft.invoice.id);
    expect(report.ok).toBe(false);
    expect(report.findings.map((finding) => finding.rule)).toContain("buyer-gstin-invalid");
  });

  it("applies the MSMED Act's 45-day cap for a micro supplier", async () => {
    await services.invoices.updateSettings(
      { changes: { supplierMsme: { category: "micro", udyamRegistered: true } } },
      meta(),
    );
    const draft = await services.invoices.createDraft(
      draftInput({
        number: "KF/25-26/060",
        allowDuplicate: true,
        terms: { creditDays: 60, agreedInWriting: true },
        deliveryDate: "2025-10-03",
      }),
      meta(),
    );
    expect(draft.invoice.dueDates).toEqual({
      contractual: "2025-11-30",
      statutory: "2025-11-17",
      applicable: "2025-11-17",
      basis: "msmed-act",
    });
    await services.invoices.updateSettings({ changes: { supplierMsme: null } }, meta());
  });
});

describe("life cycle", () => {
  it("cancels with an IRP reason, and refuses once something was paid or credited", async () => {
    const invoice = await issuedInvoice("KF/25-26/101");
    const cancelled = await services.invoices.cancel(
      { invoiceId: invoice.id, reason: "data-entry-mistake", remark: "Wrong quantity" },
      meta(),
    );
    expect(cancelled).toMatchObject({
      status: "cancelled",
      cancellation: { reason: "data-entry-mistake", remark: "Wrong quantity" },
    });
    expect(await events("invoice.cancelled", invoice.id)).toHaveLength(1);

    const paid = await issuedInvoice("KF/25-26/102");
    await services.settlements.applySettlement(
      {
        invoiceId: paid.id,
        reference: "pay-1",
        cashPaise: 100n,
        tdsPaise: 0n,
        gstTdsPaise: 0n,
        writeOffPaise: 0n,
      },
      meta(),
    );
    const refused = await errorOf(() =>
      services.invoices.cancel({ invoiceId: paid.id, reason: "other", remark: "Changed mind" }, meta()),
    );
    expect(refused.code).toBe("CONFLICT");
  });

  it("disputes, resolves, and writes off", async () => {
    const invoice = await issuedInvoice("KF/25-26/103");
    const disputed = await services.invoices.dispute(
      { invoiceId: invoice.id, reason: "Short delivery of 5 boxes" },
      meta(),
    );
    expect(disputed).toMatchObject({ status: "disputed", dispute: { reason: "Short delivery of 5 boxes" } });
    const resolved = await services.invoices.resolveDispute({ invoiceId: invoice.id }, meta());
    expect(resolved).toMatchObject({ status: "issued", dispute: null });
    expect((await events("invoice.dispute-resolved", invoice.id))[0]?.data).toMatchObject({
      status: "issued",
    });
    const writtenOff = await services.invoices.writeOff(
      { invoiceId: invoice.id, reason: "Customer insolvent" },
      meta(),
    );
    expect(writtenOff).toMatchObject({
      status: "written_off",
      badDebt: { amountPaise: "11800000", reason: "Customer insolvent" },
      settlement: { outstandingPaise: "11800000" },
    });
    expect((await events("invoice.written-off", invoice.id))[0]?.data).toMatchObject({
      amountPaise: "11800000",
    });
    expect(await auditActions(invoice.id)).toEqual([
      "invoice.created",
      "invoice.issued",
      "invoice.disputed",
      "invoice.dispute-resolved",
      "invoice.written-off",
    ]);
  });

  it("issues credit and debit notes that move the balance, and a credit settling the rest pays the invoice", async () => {
    const invoice = await issuedInvoice("KF/25-26/104");
    const credit = await services.invoices.issueNote(
      {
        invoiceId: invoice.id,
        kind: "credit",
        note: {
          number: "CN/25-26/001",
          issueDate: "2025-10-10",
          reason: "sales-return",
          lines: [
            {
              description: "Hex bolts M12 x 50",
              hsnSac: "73181500",
              quantity: "10",
              unit: "NOS",
              unitPricePaise: "100000",
              gstRateBasisPoints: 1800,
            },
          ],
        },
      },
      meta(),
    );
    expect(credit.note).toMatchObject({
      kind: "credit",
      amounts: { totalPaise: "1180000" },
      reducesOutputTax: true,
    });
    expect(credit.invoice.settlement).toMatchObject({
      creditedPaise: "1180000",
      outstandingPaise: "10620000",
    });
    expect((await events("credit-note.issued", invoice.id))[0]?.data).toMatchObject({
      noteNumber: "CN/25-26/001",
    });

    const debit = await services.invoices.issueNote(
      {
        invoiceId: invoice.id,
        kind: "debit",
        note: {
          number: "DN/25-26/001",
          issueDate: "2025-10-12",
          reason: "correction-in-invoice",
          lines: [
            {
              description: "Freight omitted",
              hsnSac: "996511",
              quantity: "1",
              unitPricePaise: "50000",
              gstRateBasisPoints: 1800,
            },
          ],
        },
      },
      meta(),
    );
    expect(debit.invoice.settlement).toMatchObject({ debitedPaise: "59000", outstandingPaise: "10679000" });
    expect(await events("debit-note.issued", invoice.id)).toHaveLength(1);

    const beyond = await errorOf(() =>
      services.invoices.issueNote(
        {
          invoiceId: invoice.id,
          kind: "credit",
          note: {
            number: "CN/25-26/002",
            issueDate: "2025-10-15",
            reason: "sales-return",
            lines: [
              {
                description: "Hex bolts M12 x 50",
                hsnSac: "73181500",
                quantity: "200",
                unit: "NOS",
                unitPricePaise: "100000",
                gstRateBasisPoints: 1800,
              },
            ],
          },
        },
        meta(),
      ),
    );
    expect(beyond.code).toBe("INVALID_INPUT");

    const rest = await services.invoices.issueNote(
      {
        invoiceId: invoice.id,
        kind: "credit",
        note: {
          number: "CN/25-26/002",
          issueDate: "2025-10-15",
          reason: "sales-return",
          lines: [
            {
              description: "Hex bolts M12 x 50",
              hsnSac: "73181500",
              quantity: "90",
              unit: "NOS",
              unitPricePaise: "100000",
              gstRateBasisPoints: 1800,
            },
            {
              description: "Freight omitted",
              hsnSac: "996511",
              quantity: "1",
              unitPricePaise: "50000",
              gstRateBasisPoints: 1800,
            },
          ],
        },
      },
      meta(),
    );
    expect(rest.invoice).toMatchObject({ status: "paid", settlement: { outstandingPaise: "0" } });
    expect(rest.invoice.paidAt).not.toBeNull();
    expect((await events("invoice.paid", invoice.id))[0]?.data).toMatchObject({ settledBy: "credit-note" });
    const numberTaken = await errorOf(() =>
      services.invoices.issueNote(
        {
          invoiceId: invoice.id,
          kind: "credit",
          note: {
            number: "CN/25-26/001",
            issueDate: "2025-10-16",
            reason: "other",
            lines: [{ description: "x", quantity: "1", unitPricePaise: "1", gstRateBasisPoints: 1800 }],
          },
        },
        meta(),
      ),
    );
    expect(["CONFLICT", "INVALID_INPUT"]).toContain(numberTaken.code);
    expect(await services.invoices.notes(tenantId, invoice.id)).toHaveLength(3);
  });

  it("records the IRN only when it is this invoice's", async () => {
    const invoice = await issuedInvoice("KF/25-26/105");
    const irn = computeIrn({
      supplierGstin: TEST_SUPPLIER.gstin,
      financialYear: "2025-26",
      documentType: "INV",
      documentNumber: "KF/25-26/105",
    });
    const wrong = await errorOf(() =>
      services.invoices.recordIrn({ invoiceId: invoice.id, einvoice: { irn: "0".repeat(64) } }, meta()),
    );
    expect(wrong.issues[0]?.field).toBe("irn");
    const recorded = await services.invoices.recordIrn(
      {
        invoiceId: invoice.id,
        einvoice: { irn, ackNumber: "112010036563310", ackDate: "2025-10-01 10:31:00" },
      },
      meta(),
    );
    expect(recorded.einvoice).toMatchObject({ irn, ackNumber: "112010036563310" });
    const document = await services.documents.einvoice(tenantId, invoice.id);
    expect(document).toMatchObject({
      irn,
      recordedIrn: irn,
      payload: { DocDtls: { No: "KF/25-26/105", Typ: "INV" } },
    });
  });
});

describe("reading", () => {
  it("lists with filters, search, sort and cursor pages", async () => {
    const all = await services.invoices.list(tenantId, { limit: 500 });
    expect(all.items.length).toBeGreaterThan(5);
    const pages: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await services.invoices.list(tenantId, {
        limit: 3,
        sort: "number",
        ...(cursor ? { cursor } : {}),
      });
      pages.push(...page.items.map((item) => item.number));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(pages).toEqual([...pages].sort((a, b) => a.toUpperCase().localeCompare(b.toUpperCase())));
    expect(pages).toHaveLength(all.items.length);

    const byTotal = await services.invoices.list(tenantId, { limit: 500, sort: "-totalPaise" });
    const totals = byTotal.items.map((item) => BigInt(item.amounts.totalPaise));
    expect(totals).toEqual([...totals].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));

    const drafts = await services.invoices.list(tenantId, { limit: 500, status: ["draft"] });
    expect(drafts.items.every((item) => item.status === "draft")).toBe(true);
    const mine = await services.invoices.list(tenantId, { limit: 500, customerId });
    expect(mine.items.every((item) => item.customerId === customerId)).toBe(true);
    expect(mine.items.length).toBeGreaterThan(0);
    const searched = await services.invoices.list(tenantId, { limit: 500, search: "25-26/10" });
    expect(searched.items.every((item) => item.number.includes("25-26/10"))).toBe(true);
    const dueSoon = await services.invoices.list(tenantId, {
      limit: 500,
      dueBefore: "2025-10-31",
      dueAfter: "2025-10-31",
    });
    expect(dueSoon.items.every((item) => item.dueDates.applicable === "2025-10-31")).toBe(true);
    clock = Date.parse("2025-11-05T05:00:00.000Z");
    const overdue = await services.invoices.list(tenantId, { limit: 500, overdue: true });
    expect(overdue.items.length).toBeGreaterThan(0);
    expect(
      overdue.items.every((item) => ["issued", "partially_paid", "disputed"].includes(item.status)),
    ).toBe(true);
  });

  it("shows another tenant nothing", async () => {
    const mine = (await services.invoices.list(tenantId, { limit: 1 })).items[0];
    const id = mine?.id ?? "";
    expect((await errorOf(() => services.invoices.get(otherTenantId, id))).code).toBe("NOT_FOUND");
    expect((await services.invoices.list(otherTenantId, { limit: 10 })).items).toEqual([]);
    const cancel = await errorOf(() =>
      services.invoices.cancel(
        { invoiceId: id, reason: "other", remark: "x" },
        { tenantId: otherTenantId, actor: "user:eve" },
      ),
    );
    expect(cancel.code).toBe("NOT_FOUND");
    expect((await errorOf(() => services.documents.einvoice(otherTenantId, id))).code).toBe("NOT_FOUND");
  });
});
