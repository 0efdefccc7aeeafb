import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant } from "../../../test/support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { AppError } from "../../kernel/app-error.ts";
import { EventTypeRegistry } from "../../platform/events/event-outbox.ts";
import { INVOICING_EVENT_SCHEMAS } from "./invoice.events.ts";
import { draftInput, TEST_SUPPLIER } from "./invoice-wire.fixtures.testing.ts";
import type { ApplySettlementCommand } from "./invoice-settlement.service.ts";
import { createInvoicingServices, type InvoicingServices } from "./invoicing.services.ts";

let database: TestDatabase;
let services: InvoicingServices;
let tenantId: string;
let sequence = 0;

const meta = (idempotencyKey?: string) => ({
  tenantId,
  actor: "workflow:reconcile-9",
  ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
});

function settlement(
  invoiceId: string,
  reference: string,
  parts: Partial<ApplySettlementCommand> = {},
): ApplySettlementCommand {
  return { invoiceId, reference, cashPaise: 0n, tdsPaise: 0n, gstTdsPaise: 0n, writeOffPaise: 0n, ...parts };
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

/** An issued invoice of Rs 1,18,000 (11800000 paise). */
async function issued(): Promise<string> {
  sequence += 1;
  const created = await services.invoices.createDraft(
    draftInput({ number: `ST/25-26/${String(sequence).padStart(3, "0")}`, allowDuplicate: true }),
    meta(),
  );
  await services.invoices.issue({ invoiceId: created.invoice.id }, meta());
  return created.invoice.id;
}

async function events(subject: string, type?: string) {
  let query = database.owner
    .selectFrom("event_outbox")
    .select(["type", "data"])
    .where("subject", "=", subject)
    .orderBy("sequence");
  if (type !== undefined) query = query.where("type", "=", type);
  return query.execute();
}

beforeAll(async () => {
  database = await createTestDatabase();
  tenantId = await createTenant(database.owner, "Settling Traders");
  const registry = new EventTypeRegistry();
  for (const [type, schema] of Object.entries(INVOICING_EVENT_SCHEMAS)) registry.register(type, schema);
  services = createInvoicingServices({
    db: database.app,
    events: registry,
    now: () => Date.parse("2025-10-20T06:00:00Z"),
  });
  await services.invoices.updateSettings({ changes: { supplier: TEST_SUPPLIER } }, meta());
});

afterAll(async () => {
  await database?.drop();
});

describe("invoicing.apply-settlement", () => {
  it("applies cash and TDS, then settles the rest and reports each step", async () => {
    const invoiceId = await issued();
    const first = await services.settlements.applySettlement(
      settlement(invoiceId, "alloc-1", { cashPaise: 5_000_000n, tdsPaise: 200_000n }),
      meta(),
    );
    expect(first).toMatchObject({
      applied: true,
      settlement: { reference: "alloc-1", cashPaise: "5000000", tdsPaise: "200000", reversesId: null },
      invoice: {
        status: "partially_paid",
        settlement: { paidPaise: "5000000", tdsPaise: "200000", outstandingPaise: "6600000" },
        paidAt: null,
      },
    });
    const partial = await events(invoiceId, "invoice.partially-paid");
    expect(partial[0]?.data).toMatchObject({
      settlementReference: "alloc-1",
      cashPaise: "5000000",
      tdsPaise: "200000",
      outstandingPaise: "6600000",
    });

    const last = await services.settlements.applySettlement(
      settlement(invoiceId, "alloc-2", { cashPaise: 6_590_000n, gstTdsPaise: 0n, writeOffPaise: 10_000n }),
      meta(),
    );
    expect(last.invoice).toMatchObject({
      status: "paid",
      settlement: { paidPaise: "11590000", writeOffPaise: "10000", outstandingPaise: "0" },
    });
    expect(last.invoice.paidAt).not.toBeNull();
    const paid = await events(invoiceId, "invoice.paid");
    expect(paid).toHaveLength(1);
    expect(INVOICING_EVENT_SCHEMAS["invoice.paid"].safeParse(paid[0]?.data).success).toBe(true);
    expect(paid[0]?.data).toMatchObject({
      settledBy: "payment",
      paidPaise: "11800000",
      cashPaise: "6590000",
      writeOffPaise: "10000",
      settlementReference: "alloc-2",
    });
    expect(await services.invoices.settlements(tenantId, invoiceId)).toHaveLength(2);
  });

  it("applies a reference once, and refuses it with other amounts", async () => {
    const invoiceId = await issued();
    const input = settlement(invoiceId, "utr-SBIN0001", { cashPaise: 1_000_000n });
    const first = await services.settlements.applySettlement(input, meta());
    const again = await services.settlements.applySettlement(input, meta());
    expect(again.applied).toBe(false);
    expect(again.settlement).toEqual(first.settlement);
    expect(again.invoice.settlement.outstandingPaise).toBe("10800000");
    expect(await events(invoiceId, "invoice.partially-paid")).toHaveLength(1);
    const other = await errorOf(() =>
      services.settlements.applySettlement({ ...input, cashPaise: 2_000_000n }, meta()),
    );
    expect(other.code).toBe("CONFLICT");
  });

  it("refuses more than is outstanding and bad parts, writing nothing", async () => {
    const invoiceId = await issued();
    const tooMuch = await errorOf(() =>
      services.settlements.applySettlement(settlement(invoiceId, "big", { cashPaise: 11_800_001n }), meta()),
    );
    expect(tooMuch.code).toBe("INVALID_INPUT");
    expect(tooMuch.issues.map((issue) => issue.field)).toEqual(["cashPaise"]);
    const negative = await errorOf(() =>
      services.settlements.applySettlement(
        settlement(invoiceId, "neg", { cashPaise: -5n, tdsPaise: 3n }),
        meta(),
      ),
    );
    expect(negative.issues.map((issue) => issue.field)).toEqual(["cashPaise"]);
    const zero = await errorOf(() =>
      services.settlements.applySettlement(settlement(invoiceId, "zero"), meta()),
    );
    expect(zero.code).toBe("INVALID_INPUT");
    expect(await services.invoices.settlements(tenantId, invoiceId)).toEqual([]);
    expect((await services.invoices.get(tenantId, invoiceId)).settlement.outstandingPaise).toBe("11800000");
    const draft = await services.invoices.createDraft(
      draftInput({ number: "ST/DRAFT/1", allowDuplicate: true }),
      meta(),
    );
    const onDraft = await errorOf(() =>
      services.settlements.applySettlement(settlement(draft.invoice.id, "d", { cashPaise: 1n }), meta()),
    );
    expect(onDraft.code).toBe("CONFLICT");
  });

  it("reverses a settlement with negative parts, once, never beyond the original", async () => {
    const invoiceId = await issued();
    await services.settlements.applySettlement(
      settlement(invoiceId, "chq-4411", { cashPaise: 11_564_000n, tdsPaise: 236_000n }),
      meta(),
    );
    const beyond = await errorOf(() =>
      services.settlements.applySettlement(
        settlement(invoiceId, "chq-4411:reversal", { cashPaise: -11_564_001n }),
        meta(),
      ),
    );
    expect(beyond.issues.map((issue) => issue.field)).toEqual(["cashPaise"]);
    const unknown = await errorOf(() =>
      services.settlements.applySettlement(
        settlement(invoiceId, "chq-9999:reversal", { cashPaise: -1n }),
        meta(),
      ),
    );
    expect(unknown.issues[0]?.field).toBe("reference");

    const reversal = settlement(invoiceId, "chq-4411:reversal", {
      cashPaise: -11_564_000n,
      tdsPaise: -236_000n,
    });
    const reversed = await services.settlements.applySettlement(reversal, meta());
    expect(reversed).toMatchObject({
      applied: true,
      settlement: { cashPaise: "-11564000", tdsPaise: "-236000" },
      invoice: {
        status: "issued",
        paidAt: null,
        settlement: { paidPaise: "0", tdsPaise: "0", outstandingPaise: "11800000" },
      },
    });
    expect(reversed.settlement.reversesId).not.toBeNull();
    expect((await events(invoiceId, "invoice.settlement-reversed"))[0]?.data).toMatchObject({
      settlementReference: "chq-4411:reversal",
      reversedReference: "chq-4411",
      cashPaise: "11564000",
      status: "issued",
    });
    expect((await services.settlements.applySettlement(reversal, meta())).applied).toBe(false);
  });

  it("carries out a retried command once per idempotency key", async () => {
    const invoiceId = await issued();
    const input = settlement(invoiceId, "upi-77", { cashPaise: 100_000n });
    const first = await services.settlements.applySettlement(input, meta("wf-9:apply"));
    const retry = await services.settlements.applySettlement(input, meta("wf-9:apply"));
    expect(retry).toEqual(first);
    expect(retry.applied).toBe(true);
  });

  it("never loses a concurrent settlement and never goes below zero", async () => {
    const invoiceId = await issued();
    const fifth = 2_360_000n; // a fifth of 11800000
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_unused, index) =>
        services.settlements.applySettlement(
          settlement(invoiceId, `parallel-${index}`, { cashPaise: fifth }),
          meta(),
        ),
      ),
    );
    const applied = results.filter((result) => result.status === "fulfilled");
    const refused = results.filter((result) => result.status === "rejected");
    expect(applied).toHaveLength(5);
    expect(refused).toHaveLength(3);
    for (const result of refused) {
      const reason = result.reason as AppError;
      expect(["INVALID_INPUT", "CONFLICT"]).toContain(reason.code);
    }
    const invoice = await services.invoices.get(tenantId, invoiceId);
    expect(invoice).toMatchObject({
      status: "paid",
      settlement: { paidPaise: "11800000", outstandingPaise: "0" },
    });
    expect(await services.invoices.settlements(tenantId, invoiceId)).toHaveLength(5);
    expect(await events(invoiceId, "invoice.partially-paid")).toHaveLength(4);
    expect(await events(invoiceId, "invoice.paid")).toHaveLength(1);
  });
});
