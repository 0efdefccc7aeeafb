import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant } from "../../../test/support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { AppError } from "../../kernel/app-error.ts";
import { createPaymentService, type PaymentService } from "./payment.service.ts";
import { createPaymentSettingsService } from "./payment-settings.service.ts";
import {
  ZAllocateInput,
  ZRecordPaymentInput,
  ZRegisterPayerInput,
  ZRegisterReceivableInput,
  ZReversePaymentInput,
} from "./payments.schemas.ts";
import { newUuid, outboxEvents, testPaymentsDeps } from "./payments.testing.ts";

let database: TestDatabase;
let service: PaymentService;
let tenantId: string;
let otherTenantId: string;

const meta = (extra: { idempotencyKey?: string } = {}) => ({ tenantId, actor: "user:asha", ...extra });

async function receivable(options: {
  customerId: string;
  total: string;
  taxable?: string;
  number?: string;
  due?: string;
}): Promise<string> {
  const invoiceId = newUuid();
  await service.registerReceivable(
    meta(),
    ZRegisterReceivableInput.parse({
      invoiceId,
      invoiceNumber: options.number ?? `INV/2025-26/${invoiceId.slice(0, 4)}`,
      customerId: options.customerId,
      customerName: "Sharma Traders",
      issueDate: "2025-07-01",
      dueDate: options.due ?? "2025-07-31",
      totalPaise: options.total,
      taxableValuePaise: options.taxable ?? options.total,
    }),
  );
  return invoiceId;
}

async function neft(customerId: string, amount: string, reference: string) {
  return service.record(
    meta(),
    ZRecordPaymentInput.parse({
      customerId,
      method: "neft",
      reference,
      payer: { name: "SHARMA TRADERS" },
      receivedOn: "2025-08-18",
      amountPaise: amount,
    }),
  );
}

async function openOf(invoiceId: string): Promise<string> {
  return (await service.getReceivable(tenantId, invoiceId)).openPaise;
}

async function creditBalance(customerId: string): Promise<string> {
  return (await service.customerCredit(tenantId, customerId)).balancePaise;
}

beforeAll(async () => {
  database = await createTestDatabase();
  tenantId = await createTenant(database.owner, "Payments Traders");
  otherTenantId = await createTenant(database.owner, "Other Traders");
  service = createPaymentService(testPaymentsDeps(database));
});

afterAll(async () => {
  await database?.drop();
});

describe("receivables", () => {
  it("registers an invoice once, updates it when its figures change, and refuses a total below what is settled", async () => {
    const customerId = newUuid();
    const invoiceId = newUuid();
    const input = ZRegisterReceivableInput.parse({
      invoiceId,
      invoiceNumber: "INV/2025-26/0001",
      customerId,
      issueDate: "2025-07-01",
      dueDate: "2025-07-31",
      totalPaise: "11800000",
      taxableValuePaise: "10000000",
    });
    const first = await service.registerReceivable(meta(), input);
    expect(first).toMatchObject({ created: true, receivable: { openPaise: "11800000", status: "open" } });
    const again = await service.registerReceivable(meta(), input);
    expect(again).toMatchObject({ created: false, changed: false });

    const payment = await neft(customerId, "5000000", "HDFC000000000001");
    await service.allocate(
      meta(),
      ZAllocateInput.parse({
        paymentId: payment.payment.id,
        lines: [{ invoiceId, cashPaise: "5000000" }],
      }),
    );
    const lowered = await service.registerReceivable(meta(), { ...input, totalPaise: 11000000n });
    expect(lowered.receivable).toMatchObject({ openPaise: "6000000", settledPaise: "5000000", version: 3 });
    await expect(
      service.registerReceivable(meta(), { ...input, totalPaise: 4000000n, taxableValuePaise: 3000000n }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
    });
  });
});

describe("recording and allocating", () => {
  it("records a receipt with its event and audit entry, and refuses the same UTR twice", async () => {
    const customerId = newUuid();
    const recorded = await neft(customerId, "1000000", "ICIC000000000777");
    expect(recorded.payment).toMatchObject({
      status: "received",
      amountPaise: "1000000",
      unallocatedPaise: "1000000",
      source: "manual",
    });
    const events = await outboxEvents(database, tenantId, "payment.received");
    expect(events.at(-1)?.data).toMatchObject({
      paymentId: recorded.payment.id,
      customerId,
      amountPaise: "1000000",
      utr: "ICIC000000000777",
      method: "neft",
    });
    await expect(neft(customerId, "1000000", "icic000000000777")).rejects.toMatchObject({ code: "CONFLICT" });
    const audit = await sql<{ action: string }>`
      select action from audit_log where tenant_id = ${tenantId} and entity_id = ${recorded.payment.id}`.execute(
      database.owner,
    );
    expect(audit.rows.map((row) => row.action)).toContain("payment.recorded");
  });

  it("names every bad field of a receipt", async () => {
    const error = await service
      .record(
        meta(),
        ZRecordPaymentInput.parse({
          method: "cash",
          payer: { name: "Walk-in" },
          receivedOn: "2025-08-18",
          amountPaise: "25000000",
        }),
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).issues.map((issue) => issue.field)).toContain("amountPaise");
  });

  it("settles with income-tax TDS, books the TDS receivable, keeps the excess as credit and emits the parts", async () => {
    const customerId = newUuid();
    await service.registerPayer(
      meta(),
      ZRegisterPayerInput.parse({
        customerId,
        name: "Sharma Traders",
        tdsProfile: { section: "194C", tan: "MUMS12345A" },
      }),
    );
    const invoiceId = await receivable({ customerId, total: "11800000", taxable: "10000000" });
    const payment = await neft(customerId, "11700000", "HDFC000000000002");
    const result = await service.allocate(
      meta(),
      ZAllocateInput.parse({
        paymentId: payment.payment.id,
        lines: [{ invoiceId, cashPaise: "11600000", incomeTaxTdsPaise: "200000", tdsSection: "194C" }],
        date: "2025-08-18",
      }),
    );
    expect(result.creditPaise).toBe("100000");
    expect(result.receivables[0]).toMatchObject({ openPaise: "0", status: "settled" });
    expect(await creditBalance(customerId)).toBe("100000");
    const event = (await outboxEvents(database, tenantId, "payment.allocated")).at(-1);
    expect(event?.data).toMatchObject({
      receiptId: payment.payment.id,
      cashPaise: "11600000",
      incomeTaxTdsPaise: "200000",
      unallocatedPaise: "100000",
      allocations: [{ invoiceId, cashPaise: "11600000", incomeTaxTdsPaise: "200000", tdsSection: "194C" }],
    });
    const position = await service.tdsPosition(tenantId, { customerId });
    expect(position.rows).toEqual([
      expect.objectContaining({
        kind: "income-tax",
        section: "194C",
        tan: "MUMS12345A",
        financialYear: "2025-26",
        quarter: "Q2",
        receivablePaise: "200000",
        pendingPaise: "200000",
      }),
    ]);
  });

  it("writes off a short payment within the tolerance with its reason and an audit entry, and refuses one above it", async () => {
    const customerId = newUuid();
    const invoiceId = await receivable({ customerId, total: "500000" });
    const payment = await neft(customerId, "499500", "HDFC000000000003");
    await expect(
      service.allocate(
        meta(),
        ZAllocateInput.parse({
          paymentId: payment.payment.id,
          lines: [{ invoiceId, cashPaise: "498500", writeOffPaise: "1500", writeOffReason: "bank charges" }],
        }),
      ),
    ).rejects.toMatchObject({ code: "INVALID_INPUT", issues: [{ field: "lines.0.writeOffPaise" }] });

    const done = await service.allocate(
      meta(),
      ZAllocateInput.parse({
        paymentId: payment.payment.id,
        lines: [{ invoiceId, cashPaise: "499500", writeOffPaise: "500", writeOffReason: "bank charges" }],
      }),
    );
    expect(done.allocations[0]).toMatchObject({ writeOffPaise: "500", writeOffReason: "bank charges" });
    expect(await openOf(invoiceId)).toBe("0");
    const audit = await sql<{ metadata: { reason: string; writeOffPaise: string } }>`
      select metadata from audit_log where tenant_id = ${tenantId} and action = 'payment.short-payment-written-off'
        and entity_id = ${invoiceId}`.execute(database.owner);
    expect(audit.rows[0]?.metadata).toMatchObject({ reason: "bank charges", writeOffPaise: "500" });
  });

  it("allocates oldest due first on request and keeps the rest as credit", async () => {
    const customerId = newUuid();
    const later = await receivable({ customerId, total: "300000", due: "2025-08-30" });
    const earlier = await receivable({ customerId, total: "200000", due: "2025-07-15" });
    const recorded = await service.record(
      meta(),
      ZRecordPaymentInput.parse({
        customerId,
        method: "upi",
        reference: "523412345678",
        payer: { name: "Sharma", vpa: "sharma@okhdfc" },
        receivedOn: "2025-08-18",
        amountPaise: "600000",
        autoAllocate: true,
      }),
    );
    expect(recorded.batchId).not.toBeNull();
    expect(await openOf(earlier)).toBe("0");
    expect(await openOf(later)).toBe("0");
    expect(recorded.payment.unallocatedPaise).toBe("100000");
    expect(await creditBalance(customerId)).toBe("100000");
  });

  it("never over-allocates under concurrency: of two allocations of the same receipt, one fails cleanly", async () => {
    const customerId = newUuid();
    const first = await receivable({ customerId, total: "1000000" });
    const second = await receivable({ customerId, total: "1000000" });
    const payment = await neft(customerId, "1000000", "HDFC000000000004");
    const attempts = await Promise.allSettled(
      [first, second].map((invoiceId) =>
        service.allocate(
          meta(),
          ZAllocateInput.parse({
            paymentId: payment.payment.id,
            lines: [{ invoiceId, cashPaise: "1000000" }],
          }),
        ),
      ),
    );
    expect(attempts.filter((attempt) => attempt.status === "fulfilled")).toHaveLength(1);
    const failure = attempts.find((attempt) => attempt.status === "rejected");
    expect((failure as PromiseRejectedResult).reason).toMatchObject({ code: "INVALID_INPUT" });
    const detail = await service.get(tenantId, payment.payment.id);
    expect(detail.allocatedCashPaise).toBe("1000000");
    expect(detail.allocations).toHaveLength(1);
  });

  it("never over-allocates under concurrency: of two receipts settling the same invoice, one fails cleanly", async () => {
    const customerId = newUuid();
    const invoiceId = await receivable({ customerId, total: "800000" });
    const payments = [
      await neft(customerId, "800000", "HDFC000000000005"),
      await neft(customerId, "800000", "HDFC000000000006"),
    ];
    const attempts = await Promise.allSettled(
      payments.map((payment) =>
        service.allocate(
          meta(),
          ZAllocateInput.parse({
            paymentId: payment.payment.id,
            lines: [{ invoiceId, cashPaise: "800000" }],
          }),
        ),
      ),
    );
    expect(attempts.filter((attempt) => attempt.status === "fulfilled")).toHaveLength(1);
    expect(
      (attempts.find((attempt) => attempt.status === "rejected") as PromiseRejectedResult).reason,
    ).toMatchObject({ code: "INVALID_INPUT" });
    expect(await openOf(invoiceId)).toBe("0");
  });

  it("repeats a command with the same idempotency key once", async () => {
    const customerId = newUuid();
    const invoiceId = await receivable({ customerId, total: "400000" });
    const payment = await neft(customerId, "400000", "HDFC000000000007");
    const input = ZAllocateInput.parse({
      paymentId: payment.payment.id,
      lines: [{ invoiceId, cashPaise: "200000" }],
    });
    const once = await service.allocate(meta({ idempotencyKey: "alloc-1" }), input);
    const twice = await service.allocate(meta({ idempotencyKey: "alloc-1" }), input);
    expect(twice).toEqual(once);
    expect(await openOf(invoiceId)).toBe("200000");
    await expect(
      service.allocate(meta({ idempotencyKey: "alloc-1" }), {
        ...input,
        lines: [{ invoiceId, cashPaise: 1n }],
      }),
    ).rejects.toMatchObject({ code: "INVALID_INPUT", issues: [{ field: "idempotencyKey" }] });
  });
});

describe("reversal", () => {
  it("bounces a cheque: every invoice reopens by exactly what it settled, TDS entries cancel, credit disappears", async () => {
    const customerId = newUuid();
    const a = await receivable({ customerId, total: "1180000", taxable: "1000000" });
    const b = await receivable({ customerId, total: "590000", taxable: "500000" });
    const cheque = await service.record(
      meta(),
      ZRecordPaymentInput.parse({
        customerId,
        method: "cheque",
        reference: "004512",
        cheque: { number: "004512", date: "2025-08-10" },
        payer: { name: "Sharma Traders" },
        receivedOn: "2025-08-18",
        amountPaise: "1800000",
        allocations: [
          { invoiceId: a, cashPaise: "1160000", incomeTaxTdsPaise: "20000", tdsSection: "194C" },
          { invoiceId: b, cashPaise: "589500", writeOffPaise: "500", writeOffReason: "rounding" },
        ],
      }),
    );
    expect(await openOf(a)).toBe("0");
    expect(await creditBalance(customerId)).toBe("50500");

    const reversed = await service.reverse(
      meta(),
      ZReversePaymentInput.parse({
        paymentId: cheque.payment.id,
        reason: "cheque-bounced",
        note: "funds insufficient",
      }),
    );
    expect(reversed.payment).toMatchObject({ status: "bounced", unallocatedPaise: "0" });
    expect(reversed.reversals.map((row) => row.settledPaise).sort()).toEqual(["-1180000", "-590000"]);
    expect(await openOf(a)).toBe("1180000");
    expect(await openOf(b)).toBe("590000");
    expect(await creditBalance(customerId)).toBe("0");
    const position = await service.tdsPosition(tenantId, { customerId });
    expect(position.totalReceivablePaise).toBe("0");
    const event = (await outboxEvents(database, tenantId, "payment.reversed")).at(-1);
    expect(event?.data).toMatchObject({
      reason: "cheque-bounced",
      creditRemovedPaise: "50500",
      reversedAllocations: expect.arrayContaining([
        expect.objectContaining({ invoiceId: a, reopenedPaise: "1180000", incomeTaxTdsPaise: "20000" }),
        expect.objectContaining({ invoiceId: b, reopenedPaise: "590000", writeOffPaise: "500" }),
      ]) as unknown,
    });
    await expect(
      service.reverse(meta(), ZReversePaymentInput.parse({ paymentId: cheque.payment.id, reason: "refund" })),
    ).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });
});

describe("tenancy", () => {
  it("does not show another tenant's payment", async () => {
    const payment = await neft(newUuid(), "100000", "HDFC000000000009");
    await expect(service.get(otherTenantId, payment.payment.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    const settings = createPaymentSettingsService(testPaymentsDeps(database));
    expect((await settings.get(otherTenantId)).autoApplyThreshold).toBe(0.9);
  });
});
