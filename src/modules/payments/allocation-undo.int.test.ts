import { sql } from "kysely";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant } from "../../../test/support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { createHttpServer, type HttpServer } from "../../platform/http/server.ts";
import { testRouteContext } from "../../platform/modules/route-context.testing.ts";
import { createPaymentService, type PaymentService } from "./payment.service.ts";
import { createPaymentsModule } from "./payments.module.ts";
import {
  ZAllocateInput,
  ZRecordPaymentInput,
  ZRegisterPayerInput,
  ZRegisterReceivableInput,
} from "./payments.schemas.ts";
import { newUuid, outboxEvents, paymentsEventRegistry, testPaymentsDeps } from "./payments.testing.ts";

const NOW = Date.parse("2025-08-20T10:00:00+05:30");

let database: TestDatabase;
let service: PaymentService;
let app: HttpServer;
let tenantId: string;
let otherTenantId: string;
let references = 0;

const meta = () => ({ tenantId, actor: "user:asha" });

async function receivable(customerId: string, total: string, taxable = total): Promise<string> {
  const invoiceId = newUuid();
  await service.registerReceivable(
    meta(),
    ZRegisterReceivableInput.parse({
      invoiceId,
      invoiceNumber: `INV/2025-26/${invoiceId.slice(0, 4)}`,
      customerId,
      issueDate: "2025-07-01",
      dueDate: "2025-07-31",
      totalPaise: total,
      taxableValuePaise: taxable,
    }),
  );
  return invoiceId;
}

/** A receipt of `amount` that settles the invoices as given. */
async function receipt(
  customerId: string,
  amount: string,
  allocations: { invoiceId: string; cashPaise: string; incomeTaxTdsPaise?: string; tdsSection?: "194C" }[],
) {
  references += 1;
  const recorded = await service.record(
    meta(),
    ZRecordPaymentInput.parse({
      customerId,
      method: "neft",
      reference: `HDFC${String(900000000000 + references).padStart(12, "0")}`,
      payer: { name: "SHARMA TRADERS" },
      receivedOn: "2025-08-18",
      amountPaise: amount,
      allocations,
    }),
  );
  return recorded.payment;
}

async function openOf(invoiceId: string): Promise<string> {
  return (await service.getReceivable(tenantId, invoiceId)).openPaise;
}

async function creditOf(customerId: string): Promise<string> {
  return (await service.customerCredit(tenantId, customerId)).balancePaise;
}

async function rowCounts() {
  const result = await sql<{
    allocations: string;
    credits: string;
    tds: string;
    events: string;
    audits: string;
  }>`
    select
      (select count(*) from payment_allocations where tenant_id = ${tenantId})::text as allocations,
      (select count(*) from customer_credit_entries where tenant_id = ${tenantId})::text as credits,
      (select count(*) from tds_receivable_entries where tenant_id = ${tenantId})::text as tds,
      (select count(*) from event_outbox where tenant_id = ${tenantId})::text as events,
      (select count(*) from audit_log where tenant_id = ${tenantId})::text as audits`.execute(database.owner);
  return result.rows[0];
}

beforeAll(async () => {
  database = await createTestDatabase();
  tenantId = await createTenant(database.owner, "Undo Traders");
  otherTenantId = await createTenant(database.owner, "Other Undo Traders");
  const deps = testPaymentsDeps(database, { now: () => NOW });
  service = createPaymentService(deps);
  const module = createPaymentsModule({
    ...(deps.cipher ? { cipher: deps.cipher } : {}),
    ...(deps.blindIndex ? { blindIndex: deps.blindIndex } : {}),
  });
  app = await createHttpServer({ logger: pino({ level: "silent" }), readinessChecks: [] });
  module.routes?.(app, testRouteContext({ database, events: paymentsEventRegistry(), now: () => NOW }));
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await database?.drop();
});

describe("undoing one allocation", () => {
  it("reopens that invoice only, returns its cash to credit, cancels its TDS, emits an event and audits", async () => {
    const customerId = newUuid();
    await service.registerPayer(
      meta(),
      ZRegisterPayerInput.parse({
        customerId,
        name: "Sharma Traders",
        tdsProfile: { section: "194C", tan: "MUMS12345A" },
      }),
    );
    const a = await receivable(customerId, "11800000", "10000000");
    const b = await receivable(customerId, "590000");
    const payment = await receipt(customerId, "12500000", [
      { invoiceId: a, cashPaise: "11600000", incomeTaxTdsPaise: "200000", tdsSection: "194C" },
      { invoiceId: b, cashPaise: "590000" },
    ]);
    expect(await creditOf(customerId)).toBe("310000");
    const allocationA = payment.allocations.find((row) => row.invoiceId === a);
    if (!allocationA) throw new Error("no allocation for invoice a");

    const undone = await service.undoAllocation(meta(), {
      paymentId: payment.id,
      allocationId: allocationA.id,
      note: "belongs to another invoice",
    });
    expect(undone.reversal).toMatchObject({
      kind: "reversal",
      reversesId: allocationA.id,
      cashPaise: "-11600000",
      incomeTaxTdsPaise: "-200000",
      settledPaise: "-11800000",
    });
    expect(undone.payment).toMatchObject({ status: "received", allocatedCashPaise: "590000" });
    expect(undone.unallocatedPaise).toBe("11910000");
    expect(undone.tdsEntriesCancelled).toBe(1);
    expect(await openOf(a)).toBe("11800000");
    expect(await openOf(b)).toBe("0");
    expect(await creditOf(customerId)).toBe("11910000");
    expect((await service.tdsPosition(tenantId, { customerId })).totalReceivablePaise).toBe("0");

    const detail = await service.get(tenantId, payment.id);
    expect(detail.allocations.find((row) => row.id === allocationA.id)?.reversed).toBe(true);
    expect(detail.allocations.find((row) => row.invoiceId === b && row.kind === "allocation")?.reversed).toBe(
      false,
    );

    const event = (await outboxEvents(database, tenantId, "payment.allocation-undone")).at(-1);
    expect(event).toMatchObject({
      subject: payment.id,
      data: {
        receiptId: payment.id,
        allocationId: allocationA.id,
        invoiceId: a,
        reopenedPaise: "11800000",
        cashPaise: "11600000",
        incomeTaxTdsPaise: "200000",
        gstTdsPaise: "0",
        writeOffPaise: "0",
        unallocatedPaise: "11910000",
        note: "belongs to another invoice",
      },
    });
    const audit = await sql<{ actor_id: string; metadata: Record<string, unknown> }>`
      select actor_id, metadata from audit_log
      where tenant_id = ${tenantId} and action = 'payment.allocation-undone' and entity_id = ${payment.id}`.execute(
      database.owner,
    );
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]?.metadata).toMatchObject({ allocationId: allocationA.id, tdsEntriesCancelled: 1 });

    // The cash can be allocated again, to the same invoice.
    const again = await service.allocate(
      meta(),
      ZAllocateInput.parse({
        paymentId: payment.id,
        lines: [{ invoiceId: a, cashPaise: "11600000", incomeTaxTdsPaise: "200000", tdsSection: "194C" }],
      }),
    );
    expect(again.creditPaise).toBe("310000");
    expect(await openOf(a)).toBe("0");
    expect((await service.tdsPosition(tenantId, { customerId })).totalReceivablePaise).toBe("200000");
  });

  it("refuses an unknown allocation, one already undone, a reversal row and a reversed receipt, writing nothing", async () => {
    const customerId = newUuid();
    const a = await receivable(customerId, "1000000");
    const payment = await receipt(customerId, "1000000", [{ invoiceId: a, cashPaise: "1000000" }]);
    const allocation = payment.allocations[0];
    if (!allocation) throw new Error("no allocation");

    const before = await rowCounts();
    await expect(
      service.undoAllocation(meta(), { paymentId: payment.id, allocationId: newUuid() }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await rowCounts()).toEqual(before);

    const undone = await service.undoAllocation(meta(), {
      paymentId: payment.id,
      allocationId: allocation.id,
    });
    const afterFirst = await rowCounts();
    await expect(
      service.undoAllocation(meta(), { paymentId: payment.id, allocationId: allocation.id }),
    ).rejects.toMatchObject({
      code: "INVALID_INPUT",
      issues: [{ field: "allocationId", reason: "was already undone or reversed" }],
    });
    await expect(
      service.undoAllocation(meta(), { paymentId: payment.id, allocationId: undone.reversal.id }),
    ).rejects.toMatchObject({
      code: "INVALID_INPUT",
      issues: [expect.objectContaining({ field: "allocationId" })],
    });
    await expect(
      service.undoAllocation(meta(), {
        paymentId: payment.id,
        allocationId: allocation.id,
        date: "2025-08-01",
      }),
    ).rejects.toMatchObject({ code: "INVALID_INPUT" });
    expect(await rowCounts()).toEqual(afterFirst);

    const b = await receivable(customerId, "500000");
    const second = await receipt(customerId, "500000", [{ invoiceId: b, cashPaise: "500000" }]);
    await service.reverse(meta(), { paymentId: second.id, reason: "entered-in-error" });
    const secondAllocation = second.allocations[0];
    if (!secondAllocation) throw new Error("no allocation");
    await expect(
      service.undoAllocation(meta(), { paymentId: second.id, allocationId: secondAllocation.id }),
    ).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(
      service.undoAllocation(meta(), { paymentId: payment.id, allocationId: secondAllocation.id }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("keeps balances right when an undo and allocations of the same receipt run at once", async () => {
    const customerId = newUuid();
    const a = await receivable(customerId, "1000000");
    const b = await receivable(customerId, "1000000");
    const c = await receivable(customerId, "1000000");
    const payment = await receipt(customerId, "2000000", [
      { invoiceId: a, cashPaise: "1000000" },
      { invoiceId: b, cashPaise: "1000000" },
    ]);
    const allocationA = payment.allocations.find((row) => row.invoiceId === a);
    if (!allocationA) throw new Error("no allocation");
    // Nothing is left on the receipt until the undo commits: an allocation that runs first is refused, one that
    // runs after succeeds; never both more cash allocated than received.
    const results = await Promise.allSettled([
      service.undoAllocation(meta(), { paymentId: payment.id, allocationId: allocationA.id }),
      service.allocate(
        meta(),
        ZAllocateInput.parse({ paymentId: payment.id, lines: [{ invoiceId: c, cashPaise: "1000000" }] }),
      ),
      service.undoAllocation(meta(), { paymentId: payment.id, allocationId: allocationA.id }),
    ]);
    expect(results[0]?.status === "fulfilled" || results[2]?.status === "fulfilled").toBe(true);
    expect(results[0]?.status === "fulfilled" && results[2]?.status === "fulfilled").toBe(false);
    const detail = await service.get(tenantId, payment.id);
    const allocated = BigInt(detail.allocatedCashPaise);
    expect(allocated <= 2000000n).toBe(true);
    const opens = [await openOf(a), await openOf(b), await openOf(c)].map((value) => BigInt(value));
    // What the invoices lack is exactly the cash allocated from the receipt.
    expect(3000000n - opens.reduce((sum, value) => sum + value, 0n)).toBe(allocated);
    expect(BigInt(await creditOf(customerId))).toBe(2000000n - allocated);
  });
});

describe("undo over HTTP", () => {
  it("undoes with 200; another tenant, an unknown id and a malformed id are refused", async () => {
    const customerId = newUuid();
    const a = await receivable(customerId, "236000");
    const payment = await receipt(customerId, "236000", [{ invoiceId: a, cashPaise: "236000" }]);
    const allocation = payment.allocations[0];
    if (!allocation) throw new Error("no allocation");
    const headers = (tenant: string) => ({
      "x-test-tenant": tenant,
      "x-test-permissions": "payments:read,payments:write",
      "x-test-actor": "user:ravi",
    });
    const url = `/api/v1/payments/${payment.id}/allocations/${allocation.id}/undo`;

    const foreign = await app.inject({ method: "POST", url, headers: headers(otherTenantId), payload: {} });
    expect(foreign.statusCode).toBe(404);
    const unknown = await app.inject({
      method: "POST",
      url: `/api/v1/payments/${payment.id}/allocations/${newUuid()}/undo`,
      headers: headers(tenantId),
      payload: {},
    });
    expect(unknown.statusCode).toBe(404);
    const malformed = await app.inject({
      method: "POST",
      url: `/api/v1/payments/${payment.id}/allocations/not-an-id/undo`,
      headers: headers(tenantId),
      payload: {},
    });
    expect(malformed.statusCode).toBe(400);
    expect(await openOf(a)).toBe("0");

    const done = await app.inject({
      method: "POST",
      url,
      headers: headers(tenantId),
      payload: { note: "wrong invoice" },
    });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ unallocatedPaise: "236000", receivable: { openPaise: "236000" } });
    const again = await app.inject({ method: "POST", url, headers: headers(tenantId), payload: {} });
    expect(again.statusCode).toBe(400);
    expect(again.json()).toMatchObject({ issues: [{ field: "allocationId" }] });
  });
});
