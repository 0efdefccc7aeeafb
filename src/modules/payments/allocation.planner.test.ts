import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "../../kernel/app-error.ts";
import { parseRupees } from "../../kernel/money.ts";
import {
  applyAllocation,
  planAllocation,
  proposeAllocationLines,
  reverseReceipt,
  unapplyAllocation,
  type AllocationRequestLine,
  type InvoiceBalance,
  type ReceiptBalance,
} from "./allocation.planner.ts";
import { ZPaymentAllocatedPayload, ZPaymentReversedPayload, toJsonSafe } from "./payment.events.ts";
import { summariseTdsReceivable } from "./tds-receivable.ledger.ts";

const rupees = (text: string): bigint => parseRupees(text);

function counter(prefix = "id"): () => string {
  let next = 0;
  return () => `${prefix}-${++next}`;
}

function receipt(amount: string, overrides: Partial<ReceiptBalance> = {}): ReceiptBalance {
  return {
    id: "r1",
    customerId: "c1",
    receivedOn: "2025-07-20",
    amountPaise: rupees(amount),
    allocatedCashPaise: 0n,
    status: "active",
    ...overrides,
  };
}

function invoice(id: string, open: string, customerId = "c1"): InvoiceBalance {
  return { id, customerId, openPaise: rupees(open) };
}

function issuesOf(action: () => unknown): Array<{ field: string; reason: string }> {
  try {
    action();
  } catch (error) {
    if (error instanceof AppError) return error.issues;
    throw error;
  }
  throw new Error("expected an AppError");
}

describe("planAllocation and applyAllocation", () => {
  it("settles ₹1,18,000 with ₹1,16,000 cash and ₹2,000 TDS u/s 194C, and books the TDS receivable for Q2", () => {
    const plan = planAllocation({
      receipt: receipt("1,16,000"),
      invoices: [invoice("inv-42", "1,18,000")],
      lines: [
        {
          invoiceId: "inv-42",
          cashPaise: rupees("1,16,000"),
          incomeTaxTdsPaise: rupees("2000"),
          tdsSection: "194C",
        },
      ],
      date: "2025-07-20",
    });
    expect(plan.lines[0]).toMatchObject({ settledPaise: rupees("1,18,000"), openAfterPaise: 0n });
    expect(plan.unallocatedAfterPaise).toBe(0n);
    const result = applyAllocation({
      plan,
      receipt: receipt("1,16,000"),
      invoices: [invoice("inv-42", "1,18,000")],
      newId: counter(),
      deductor: { tan: "MUMA12345B" },
    });
    expect(result.invoices[0]?.openPaise).toBe(0n);
    expect(result.receipt.allocatedCashPaise).toBe(rupees("1,16,000"));
    expect(result.tdsEntries).toEqual([
      expect.objectContaining({
        kind: "income-tax",
        section: "194C",
        tan: "MUMA12345B",
        financialYear: "2025-26",
        quarter: "Q2",
        amountPaise: rupees("2000"),
      }),
    ]);
    expect(ZPaymentAllocatedPayload.parse(toJsonSafe(result.event))).toEqual(result.event);
  });

  it("government buyer: cash, income-tax TDS and GST TDS as separate entries", () => {
    const plan = planAllocation({
      receipt: receipt("5,70,000"),
      invoices: [invoice("inv-7", "5,90,000")],
      lines: [
        {
          invoiceId: "inv-7",
          cashPaise: rupees("5,70,000"),
          incomeTaxTdsPaise: rupees("10,000"),
          gstTdsPaise: rupees("10,000"),
          tdsSection: "194C",
        },
      ],
      date: "2025-07-20",
    });
    const result = applyAllocation({
      plan,
      receipt: receipt("5,70,000"),
      invoices: [invoice("inv-7", "5,90,000")],
      newId: counter(),
    });
    expect(result.tdsEntries.map((entry) => [entry.kind, entry.amountPaise])).toEqual([
      ["income-tax", rupees("10,000")],
      ["gst", rupees("10,000")],
    ]);
    expect(result.event.gstTdsPaise).toBe(rupees("10,000"));
  });

  it("one payment over several invoices, with the overpayment kept as customer credit", () => {
    const plan = planAllocation({
      receipt: receipt("50,000"),
      invoices: [invoice("a", "20,000"), invoice("b", "25,000")],
      lines: [
        { invoiceId: "a", cashPaise: rupees("20,000") },
        { invoiceId: "b", cashPaise: rupees("25,000") },
      ],
      date: "2025-07-20",
    });
    expect(plan.cashPaise).toBe(rupees("45,000"));
    expect(plan.unallocatedAfterPaise).toBe(rupees("5,000"));
    const applied = applyAllocation({
      plan,
      receipt: receipt("50,000"),
      invoices: [invoice("a", "20,000"), invoice("b", "25,000")],
      newId: counter(),
    });
    expect(applied.event.unallocatedPaise).toBe(rupees("5,000"));
    // the credit is used later on another invoice from the same receipt
    const later = planAllocation({
      receipt: applied.receipt,
      invoices: [invoice("c", "8,000")],
      lines: [{ invoiceId: "c", cashPaise: rupees("5,000") }],
      date: "2025-08-01",
    });
    expect(later.lines[0]?.openAfterPaise).toBe(rupees("3,000"));
    expect(later.unallocatedAfterPaise).toBe(0n);
  });

  it("partial payment leaves the rest open", () => {
    const plan = planAllocation({
      receipt: receipt("40,000"),
      invoices: [invoice("a", "1,00,000")],
      lines: [{ invoiceId: "a", cashPaise: rupees("40,000") }],
      date: "2025-07-20",
    });
    expect(plan.lines[0]?.openAfterPaise).toBe(rupees("60,000"));
  });

  it("refuses over-allocation of the receipt and of the invoice, listing every problem", () => {
    const issues = issuesOf(() =>
      planAllocation({
        receipt: receipt("10,000"),
        invoices: [invoice("a", "5,000"), invoice("b", "8,000", "c2")],
        lines: [
          { invoiceId: "a", cashPaise: rupees("6,000") },
          { invoiceId: "b", cashPaise: rupees("5,000"), incomeTaxTdsPaise: -1n },
          { invoiceId: "zzz", cashPaise: 1n },
          { invoiceId: "a", cashPaise: 1n },
        ],
        date: "2025-13-01",
      }),
    );
    expect(issues.map((issue) => issue.field)).toEqual([
      "date",
      "lines.0.cashPaise",
      "lines.1.invoiceId",
      "lines.1.incomeTaxTdsPaise",
      "lines.2.invoiceId",
      "lines.3.invoiceId",
      "lines",
    ]);
  });

  it("refuses TDS without a section, a write-off without a reason, and one above the tolerance without approval", () => {
    const issues = issuesOf(() =>
      planAllocation({
        receipt: receipt("1,000"),
        invoices: [invoice("a", "1,100")],
        lines: [
          {
            invoiceId: "a",
            cashPaise: rupees("1,000"),
            incomeTaxTdsPaise: rupees("50"),
            writeOffPaise: rupees("50"),
          },
        ],
        date: "2025-07-20",
      }),
    );
    expect(issues.map((issue) => issue.field)).toEqual([
      "lines.0.tdsSection",
      "lines.0.writeOffReason",
      "lines.0.writeOffPaise",
    ]);
    const approved = planAllocation({
      receipt: receipt("1,000"),
      invoices: [invoice("a", "1,100")],
      lines: [
        {
          invoiceId: "a",
          cashPaise: rupees("1,000"),
          writeOffPaise: rupees("100"),
          writeOffReason: "goodwill",
          writeOffApproved: true,
        },
      ],
      date: "2025-07-20",
    });
    expect(approved.writeOffPaise).toBe(rupees("100"));
  });

  it("refuses a reversed receipt and a stale plan", () => {
    expect(
      issuesOf(() =>
        planAllocation({
          receipt: receipt("100", { status: "reversed" }),
          invoices: [invoice("a", "100")],
          lines: [{ invoiceId: "a", cashPaise: rupees("100") }],
          date: "2025-07-20",
        }),
      ).map((issue) => issue.field),
    ).toEqual(["receipt.status"]);
    const plan = planAllocation({
      receipt: receipt("100"),
      invoices: [invoice("a", "100")],
      lines: [{ invoiceId: "a", cashPaise: rupees("100") }],
      date: "2025-07-20",
    });
    expect(() =>
      applyAllocation({ plan, receipt: receipt("100"), invoices: [invoice("a", "90")], newId: counter() }),
    ).toThrow(/changed since/);
    expect(() =>
      applyAllocation({
        plan,
        receipt: receipt("100", { allocatedCashPaise: 10n }),
        invoices: [invoice("a", "100")],
        newId: counter(),
      }),
    ).toThrow(/changed since/);
  });
});

describe("proposeAllocationLines", () => {
  it("pays oldest due first, with expected TDS, writes off a small shortfall and keeps the excess as credit", () => {
    const invoices = [
      { ...invoice("new", "10,000"), dueDate: "2025-08-30" },
      { ...invoice("old", "1,18,000"), dueDate: "2025-06-30" },
    ];
    const deductions = new Map([
      ["old", { incomeTaxTdsPaise: rupees("2,000"), tdsSection: "194C" as const }],
    ]);
    const lines = proposeAllocationLines({ receipt: receipt("1,25,995"), invoices, deductions });
    expect(lines).toEqual([
      {
        invoiceId: "old",
        cashPaise: rupees("1,16,000"),
        incomeTaxTdsPaise: rupees("2,000"),
        tdsSection: "194C",
      },
      {
        invoiceId: "new",
        cashPaise: rupees("9,995"),
        writeOffPaise: rupees("5"),
        writeOffReason: "short payment within tolerance",
      },
    ]);
    const overpaid = proposeAllocationLines({ receipt: receipt("1,30,000"), invoices, deductions });
    const plan = planAllocation({
      receipt: receipt("1,30,000"),
      invoices,
      lines: overpaid,
      date: "2025-07-20",
    });
    expect(plan.unallocatedAfterPaise).toBe(rupees("4,000"));
  });

  it("leaves a shortfall above the tolerance open as a partial payment", () => {
    const lines = proposeAllocationLines({ receipt: receipt("9,000"), invoices: [invoice("a", "10,000")] });
    expect(lines).toEqual([{ invoiceId: "a", cashPaise: rupees("9,000") }]);
  });
});

describe("reversal", () => {
  it("a bounced cheque reopens every invoice by exactly what was settled and cancels the TDS receivable", () => {
    const invoices = [invoice("a", "1,18,000"), invoice("b", "5,000")];
    const start = receipt("1,25,000");
    const plan = planAllocation({
      receipt: start,
      invoices,
      lines: [
        {
          invoiceId: "a",
          cashPaise: rupees("1,16,000"),
          incomeTaxTdsPaise: rupees("2,000"),
          tdsSection: "194C",
        },
        {
          invoiceId: "b",
          cashPaise: rupees("4,995"),
          writeOffPaise: rupees("5"),
          writeOffReason: "rounding",
        },
      ],
      date: "2025-07-20",
    });
    const newId = counter();
    const applied = applyAllocation({ plan, receipt: start, invoices, newId });
    const reversed = reverseReceipt({
      receipt: applied.receipt,
      allocations: applied.allocations,
      invoices: applied.invoices,
      tdsEntries: applied.tdsEntries,
      reason: "cheque-bounced",
      date: "2025-07-25",
      newId,
    });
    expect(reversed.invoices.map((item) => [item.id, item.openPaise])).toEqual([
      ["a", rupees("1,18,000")],
      ["b", rupees("5,000")],
    ]);
    expect(reversed.receipt).toMatchObject({ status: "reversed", allocatedCashPaise: 0n });
    expect(summariseTdsReceivable({ entries: [...applied.tdsEntries, ...reversed.tdsEntries] })).toEqual([]);
    expect(reversed.event.creditRemovedPaise).toBe(rupees("4,005"));
    expect(ZPaymentReversedPayload.parse(toJsonSafe(reversed.event))).toEqual(reversed.event);
    expect(() =>
      reverseReceipt({
        receipt: applied.receipt,
        allocations: applied.allocations.slice(1),
        invoices: applied.invoices,
        reason: "cheque-bounced",
        date: "2025-07-25",
        newId,
      }),
    ).toThrow(/not all the active allocations/);
  });

  it("unapplying one allocation returns its cash to the receipt as credit", () => {
    const start = receipt("1,000");
    const plan = planAllocation({
      receipt: start,
      invoices: [invoice("a", "1,000")],
      lines: [{ invoiceId: "a", cashPaise: rupees("1,000") }],
      date: "2025-07-20",
    });
    const applied = applyAllocation({
      plan,
      receipt: start,
      invoices: [invoice("a", "1,000")],
      newId: counter(),
    });
    const allocation = applied.allocations[0];
    const openInvoice = applied.invoices[0];
    if (!allocation || !openInvoice) throw new Error("missing allocation");
    const undone = unapplyAllocation({ allocation, receipt: applied.receipt, invoice: openInvoice });
    expect(undone.receipt.allocatedCashPaise).toBe(0n);
    expect(undone.invoice.openPaise).toBe(rupees("1,000"));
    expect(() =>
      unapplyAllocation({ allocation: undone.allocation, receipt: undone.receipt, invoice: undone.invoice }),
    ).toThrow(AppError);
  });
});

describe("allocation properties", () => {
  const scenario = fc
    .record({
      receiptPaise: fc.bigInt({ min: 1n, max: 10_000_000_00n }),
      invoices: fc.array(fc.bigInt({ min: 1n, max: 5_000_000_00n }), { minLength: 1, maxLength: 6 }),
      parts: fc.array(
        fc.record({
          invoice: fc.nat(10),
          cash: fc.bigInt({ min: 0n, max: 6_000_000_00n }),
          tds: fc.bigInt({ min: 0n, max: 1_000_000n }),
          gst: fc.bigInt({ min: 0n, max: 1_000_000n }),
          writeOff: fc.bigInt({ min: 0n, max: 1_500n }),
        }),
        { minLength: 1, maxLength: 6 },
      ),
    })
    .map(({ receiptPaise, invoices, parts }) => {
      const balances = invoices.map((open, index) => ({
        id: `i${index}`,
        customerId: "c1",
        openPaise: open,
      }));
      const seen = new Set<number>();
      const lines: AllocationRequestLine[] = [];
      for (const part of parts) {
        const index = part.invoice % balances.length;
        if (seen.has(index)) continue;
        seen.add(index);
        lines.push({
          invoiceId: `i${index}`,
          cashPaise: part.cash,
          incomeTaxTdsPaise: part.tds,
          gstTdsPaise: part.gst,
          writeOffPaise: part.writeOff,
          tdsSection: "194C",
          writeOffReason: "short payment",
          writeOffApproved: true,
        });
      }
      return { receipt: receipt("0", { amountPaise: receiptPaise }), invoices: balances, lines };
    });

  it("either refuses or conserves every paisa and never overdraws a receipt or an invoice", () => {
    let applied = 0;
    let refused = 0;
    fc.assert(
      fc.property(scenario, ({ receipt: start, invoices, lines }) => {
        let plan;
        try {
          plan = planAllocation({ receipt: start, invoices, lines, date: "2025-07-20" });
        } catch (error) {
          expect(error).toBeInstanceOf(AppError);
          expect((error as AppError).code).toBe("INVALID_INPUT");
          refused += 1;
          return;
        }
        applied += 1;
        const result = applyAllocation({ plan, receipt: start, invoices, newId: counter() });
        for (const allocation of result.allocations) {
          expect(
            allocation.cashPaise +
              allocation.incomeTaxTdsPaise +
              allocation.gstTdsPaise +
              allocation.writeOffPaise,
          ).toBe(allocation.settledPaise);
        }
        const openBefore = invoices.reduce((sum, item) => sum + item.openPaise, 0n);
        const touched = new Set(result.invoices.map((item) => item.id));
        const openAfter =
          result.invoices.reduce((sum, item) => sum + item.openPaise, 0n) +
          invoices.filter((item) => !touched.has(item.id)).reduce((sum, item) => sum + item.openPaise, 0n);
        expect(openBefore - openAfter).toBe(plan.settledPaise);
        expect(result.invoices.every((item) => item.openPaise >= 0n)).toBe(true);
        expect(result.receipt.allocatedCashPaise).toBeLessThanOrEqual(result.receipt.amountPaise);
        // cash in = cash allocated + credit left: no paisa created or lost
        expect(plan.cashPaise + result.event.unallocatedPaise).toBe(start.amountPaise);
        const tdsBooked = result.tdsEntries.reduce((sum, entry) => sum + entry.amountPaise, 0n);
        expect(tdsBooked).toBe(plan.incomeTaxTdsPaise + plan.gstTdsPaise);
        // and a reversal restores every balance exactly
        const reversed = reverseReceipt({
          receipt: result.receipt,
          allocations: result.allocations,
          invoices: result.invoices,
          tdsEntries: result.tdsEntries,
          reason: "entered-in-error",
          date: "2025-07-21",
          newId: counter("rev"),
        });
        for (const item of reversed.invoices) {
          expect(item.openPaise).toBe(invoices.find((original) => original.id === item.id)?.openPaise);
        }
        expect(summariseTdsReceivable({ entries: [...result.tdsEntries, ...reversed.tdsEntries] })).toEqual(
          [],
        );
      }),
      { numRuns: 400 },
    );
    expect(applied).toBeGreaterThan(40);
    expect(refused).toBeGreaterThan(40);
  });

  it("a receipt can never settle more than is open, whatever the proposal", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10_000_000_00n }),
        fc.array(fc.bigInt({ min: 1n, max: 2_000_000_00n }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.bigInt({ min: 0n, max: 50_000_00n }), { maxLength: 8 }),
        (amount, opens, tds) => {
          const invoices = opens.map((open, index) => ({
            id: `i${index}`,
            customerId: "c1",
            openPaise: open,
            dueDate: `2025-06-${String((index % 28) + 1).padStart(2, "0")}`,
          }));
          const deductions = new Map(
            tds.map((value, index) => [
              `i${index}`,
              { incomeTaxTdsPaise: value, tdsSection: "194J" as const },
            ]),
          );
          const start = receipt("0", { amountPaise: amount });
          const lines = proposeAllocationLines({ receipt: start, invoices, deductions });
          if (lines.length === 0) return;
          const plan = planAllocation({ receipt: start, invoices, lines, date: "2025-07-20" });
          const open = invoices.reduce((sum, item) => sum + item.openPaise, 0n);
          expect(plan.settledPaise).toBeLessThanOrEqual(open);
          expect(plan.cashPaise).toBeLessThanOrEqual(amount);
          expect(plan.cashPaise + plan.incomeTaxTdsPaise + plan.gstTdsPaise + plan.writeOffPaise).toBe(
            plan.settledPaise,
          );
          expect(plan.unallocatedAfterPaise).toBe(amount - plan.cashPaise);
        },
      ),
      { numRuns: 400 },
    );
  });
});
