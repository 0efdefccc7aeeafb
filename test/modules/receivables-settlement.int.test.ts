import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildEventRegistry, buildModuleConsumers } from "../../src/app/modules.ts";
import {
  createInvoicingServices,
  invoicingModule,
  type InvoicingServices,
} from "../../src/modules/invoicing/index.ts";
import {
  draftInput,
  testBuyer,
  TEST_SUPPLIER,
} from "../../src/modules/invoicing/invoice-wire.fixtures.testing.ts";
import {
  createPaymentsModule,
  createPaymentsServices,
  type PaymentsServices,
} from "../../src/modules/payments/index.ts";
import { ZRecordPaymentInput } from "../../src/modules/payments/payments.schemas.ts";
import type { EventBus } from "../../src/platform/events/event-bus.port.ts";
import { waitFor, waitForDrainedBus } from "../../src/platform/events/event-bus.testing.ts";
import { rowToCloudEvent, type CloudEvent } from "../../src/platform/events/event-outbox.ts";
import { createPostgresEventBus } from "../../src/platform/events/postgres-event.bus.ts";
import type { ModuleContext } from "../../src/platform/modules/module.contract.ts";
import { createTenant } from "../support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";

/**
 * Invoicing and payments wired as the composition root wires them, talking only through the outbox and the
 * PostgreSQL bus: an issued invoice becomes a receivable in payments, and payments' allocations, reversals and
 * undone allocations settle and reopen the invoice in invoicing. Every event is also handed over a second time,
 * as an at-least-once bus may, to show that nothing changes on redelivery.
 */

let database: TestDatabase;
let tenantId: string;
let bus: EventBus;
let invoicing: InvoicingServices;
let payments: PaymentsServices;
let context: ModuleContext;
let sequence = 0;

const NOW = Date.parse("2025-10-20T06:00:00Z");
const meta = { tenantId: "", actor: "user:asha" };

beforeAll(async () => {
  database = await createTestDatabase();
  tenantId = await createTenant(database.owner, "Kulkarni Fasteners");
  meta.tenantId = tenantId;
  const events = buildEventRegistry([invoicingModule, createPaymentsModule()]);
  context = { database, events, logger: pino({ level: "silent" }), now: () => NOW };
  invoicing = createInvoicingServices({ db: database.app, events, now: () => NOW });
  payments = createPaymentsServices({ db: database.app, events, now: () => NOW });
  await invoicing.invoices.updateSettings({ changes: { supplier: TEST_SUPPLIER } }, meta);
  bus = createPostgresEventBus({
    owner: database.owner,
    databaseUrl: database.url,
    pollIntervalMs: 100,
    retryBackoff: { initialMs: 5, maxMs: 50 },
    maxAttempts: 3,
  });
  for (const consumer of buildModuleConsumers(context)) bus.subscribe(consumer);
  await bus.start();
});

afterAll(async () => {
  await bus?.stop();
  await database?.drop();
});

/** Issues an invoice of Rs 1,18,000 (taxable Rs 1,00,000) to the customer. */
async function issueInvoice(customerId: string): Promise<string> {
  sequence += 1;
  const created = await invoicing.invoices.createDraft(
    draftInput({
      number: `KF/25-26/${String(sequence).padStart(3, "0")}`,
      buyer: testBuyer(customerId),
      allowDuplicate: true,
    }),
    meta,
  );
  await invoicing.invoices.issue({ invoiceId: created.invoice.id }, meta);
  return created.invoice.id;
}

async function receivableOf(invoiceId: string) {
  return payments.payments.getReceivable(tenantId, invoiceId).catch(() => undefined);
}

const drained = () => waitForDrainedBus(bus);

async function outboxEvent(type: string, subject: string): Promise<CloudEvent[]> {
  const rows = await database.owner
    .selectFrom("event_outbox")
    .select(["sequence", "id", "tenant_id", "type", "source", "subject", "time", "data"])
    .where("type", "=", type)
    .where("subject", "=", subject)
    .orderBy("sequence")
    .execute();
  return rows.map((row) => rowToCloudEvent(row));
}

/** Hands every event of a subject to every module consumer again, as a redelivery would. */
async function redeliver(subject: string): Promise<void> {
  const rows = await database.owner
    .selectFrom("event_outbox")
    .select(["sequence", "id", "tenant_id", "type", "source", "subject", "time", "data"])
    .where("subject", "=", subject)
    .orderBy("sequence")
    .execute();
  const consumers = buildModuleConsumers(context);
  for (const row of rows) {
    const event = rowToCloudEvent(row);
    for (const consumer of consumers) {
      if (consumer.types === "*" || consumer.types.includes(event.type)) {
        await consumer.handle(event, { attempt: 2, signal: new AbortController().signal });
      }
    }
  }
}

async function auditCount(action: string): Promise<number> {
  const result = await sql<{ count: string }>`
    select count(*)::text as count from audit_log where tenant_id = ${tenantId} and action = ${action}`.execute(
    database.owner,
  );
  return Number(result.rows[0]?.count ?? "0");
}

describe("receivables from invoicing's events", () => {
  it("registers an issued invoice once, and credit and debit notes change it once each", async () => {
    const customerId = randomUUID();
    const invoiceId = await issueInvoice(customerId);
    const registered = await waitFor("the receivable", () => receivableOf(invoiceId));
    expect(registered).toMatchObject({
      invoiceId,
      customerId,
      customerName: "Sharma Steel Traders Private Limited",
      issueDate: "2025-10-01",
      dueDate: "2025-10-31",
      totalPaise: "11800000",
      taxableValuePaise: "10000000",
      openPaise: "11800000",
      status: "open",
    });

    // A credit note for 10 of the 100 bolts (Rs 11,800) and a debit note for freight.
    await invoicing.invoices.issueNote(
      {
        invoiceId,
        kind: "credit",
        note: {
          number: `CN/25-26/${sequence}`,
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
      meta,
    );
    await invoicing.invoices.issueNote(
      {
        invoiceId,
        kind: "debit",
        note: {
          number: `DN/25-26/${sequence}`,
          issueDate: "2025-10-12",
          reason: "correction-in-invoice",
          lines: [
            {
              description: "Freight omitted",
              hsnSac: "996511",
              quantity: "1",
              unit: "OTH",
              unitPricePaise: "100000",
              gstRateBasisPoints: 1800,
            },
          ],
        },
      },
      meta,
    );
    await drained();
    const afterNotes = await payments.payments.getReceivable(tenantId, invoiceId);
    // 1,18,000 - 11,800 + 1,180
    expect(afterNotes).toMatchObject({
      totalPaise: "10738000",
      openPaise: "10738000",
      creditedPaise: "1180000",
      debitedPaise: "118000",
    });
    const invoiceView = await invoicing.invoices.get(tenantId, invoiceId);
    expect(invoiceView.settlement.outstandingPaise).toBe(afterNotes.openPaise);

    // Redelivery of every event of the invoice: nothing changes, no audit entry is added.
    const audits = await auditCount("receivable.credit-note-applied");
    await redeliver(invoiceId);
    expect(await payments.payments.getReceivable(tenantId, invoiceId)).toEqual(afterNotes);
    expect(await auditCount("receivable.credit-note-applied")).toBe(audits);
  });

  it("closes the receivable of a cancelled invoice", async () => {
    const invoiceId = await issueInvoice(randomUUID());
    await waitFor("the receivable", () => receivableOf(invoiceId));
    await invoicing.invoices.cancel({ invoiceId, reason: "data-entry-mistake", remark: "wrong buyer" }, meta);
    await drained();
    expect(await payments.payments.getReceivable(tenantId, invoiceId)).toMatchObject({
      status: "cancelled",
      openPaise: "0",
    });
  });

  it("skips an invoice without a customer and writes nothing for it", async () => {
    const created = await invoicing.invoices.createDraft(
      draftInput({ number: "KF/25-26/B2C", buyer: testBuyer(), allowDuplicate: true }),
      meta,
    );
    await invoicing.invoices.issue({ invoiceId: created.invoice.id }, meta);
    await drained();
    expect(await receivableOf(created.invoice.id)).toBeUndefined();
  });
});

describe("settlement back to invoicing", () => {
  async function neftReceipt(customerId: string, amountPaise: string, reference: string) {
    return payments.payments.record(
      meta,
      ZRecordPaymentInput.parse({
        customerId,
        method: "neft",
        reference,
        payer: { name: "SHARMA STEEL TRADERS" },
        receivedOn: "2025-10-18",
        amountPaise,
      }),
    );
  }

  it("an allocation with TDS pays the invoice; reversing the receipt reopens it", async () => {
    const customerId = randomUUID();
    const invoiceId = await issueInvoice(customerId);
    await waitFor("the receivable", () => receivableOf(invoiceId));
    // Rs 1,16,000 in the bank + Rs 2,000 TDS (2% u/s 194C on Rs 1,00,000) settle Rs 1,18,000.
    const receipt = await neftReceipt(customerId, "11600000", "HDFC000000000101");
    await payments.payments.allocate(meta, {
      paymentId: receipt.payment.id,
      lines: [{ invoiceId, cashPaise: 11600000n, incomeTaxTdsPaise: 200000n, tdsSection: "194C" }],
    });
    await drained();
    const paid = await invoicing.invoices.get(tenantId, invoiceId);
    expect(paid.status).toBe("paid");
    expect(paid.settlement).toMatchObject({
      paidPaise: "11600000",
      tdsPaise: "200000",
      gstTdsPaise: "0",
      writeOffPaise: "0",
      outstandingPaise: "0",
    });

    await redeliver(receipt.payment.id);
    expect(await invoicing.invoices.get(tenantId, invoiceId)).toEqual(paid);

    await payments.payments.reverse(meta, {
      paymentId: receipt.payment.id,
      reason: "entered-in-error",
    });
    await drained();
    const reopened = await invoicing.invoices.get(tenantId, invoiceId);
    expect(reopened.status).toBe("issued");
    expect(reopened.settlement).toMatchObject({
      paidPaise: "0",
      tdsPaise: "0",
      outstandingPaise: "11800000",
    });
    await redeliver(receipt.payment.id);
    expect(await invoicing.invoices.get(tenantId, invoiceId)).toEqual(reopened);
    expect(await payments.payments.getReceivable(tenantId, invoiceId)).toMatchObject({
      openPaise: "11800000",
    });
  });

  it("undoing one allocation of a receipt that paid two invoices reopens only that invoice", async () => {
    const customerId = randomUUID();
    const first = await issueInvoice(customerId);
    const second = await issueInvoice(customerId);
    await waitFor("the receivables", async () =>
      (await receivableOf(first)) && (await receivableOf(second)) ? true : undefined,
    );
    // Rs 2,00,000 received: Rs 1,16,000 + Rs 2,000 TDS settle the first; Rs 50,000 goes to the second, partly.
    const receipt = await neftReceipt(customerId, "20000000", "HDFC000000000202");
    const allocated = await payments.payments.allocate(meta, {
      paymentId: receipt.payment.id,
      lines: [
        { invoiceId: first, cashPaise: 11600000n, incomeTaxTdsPaise: 200000n, tdsSection: "194C" },
        { invoiceId: second, cashPaise: 5000000n },
      ],
    });
    await drained();
    expect((await invoicing.invoices.get(tenantId, first)).status).toBe("paid");
    expect((await invoicing.invoices.get(tenantId, second)).status).toBe("partially_paid");

    const firstAllocation = allocated.allocations.find((row) => row.invoiceId === first);
    if (!firstAllocation) throw new Error("no allocation for the first invoice");
    const undone = await payments.payments.undoAllocation(meta, {
      paymentId: receipt.payment.id,
      allocationId: firstAllocation.id,
      note: "the customer meant another invoice",
    });
    expect(undone.unallocatedPaise).toBe("15000000");
    expect(undone.tdsEntriesCancelled).toBe(1);
    await drained();
    const firstAfter = await invoicing.invoices.get(tenantId, first);
    expect(firstAfter.status).toBe("issued");
    expect(firstAfter.settlement.outstandingPaise).toBe("11800000");
    const secondAfter = await invoicing.invoices.get(tenantId, second);
    expect(secondAfter.status).toBe("partially_paid");
    expect(secondAfter.settlement.outstandingPaise).toBe("6800000");

    await redeliver(receipt.payment.id);
    expect(await invoicing.invoices.get(tenantId, first)).toEqual(firstAfter);
    expect(await invoicing.invoices.get(tenantId, second)).toEqual(secondAfter);
    expect((await outboxEvent("payment.allocation-undone", receipt.payment.id)).length).toBe(1);
  });
});
