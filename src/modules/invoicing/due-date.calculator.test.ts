import { describe, expect, it } from "vitest";
import { isAppError } from "../../kernel/app-error.ts";
import type { CalendarDate } from "./calendar-date.ts";
import { calculateDueDates, checkInvoiceDueness, classifyDueness } from "./due-date.calculator.ts";
import { INVOICING_EVENT_SCHEMAS } from "./invoice.events.ts";
import { buildInvoice } from "./invoice.fixtures.testing.ts";
import { applyInvoiceAction } from "./invoice-status.machine.ts";

const date = (text: string): CalendarDate => text as CalendarDate;
const micro = { category: "micro" as const, udyamRegistered: true };

describe("calculateDueDates", () => {
  it("uses only the contract for a supplier the Act does not protect", () => {
    for (const [supplier, reason] of [
      [{ category: "medium", udyamRegistered: true }, "not-micro-or-small"],
      [{ category: null, udyamRegistered: false }, "not-micro-or-small"],
      [{ category: "small", udyamRegistered: false }, "not-registered"],
      [{ category: "micro", udyamRegistered: true, isTrader: true }, "trader"],
    ] as const) {
      const result = calculateDueDates({
        invoiceDate: date("2025-10-01"),
        creditDays: 60,
        agreedInWriting: true,
        supplier,
      });
      expect(result).toEqual({
        contractualDueDate: "2025-11-30",
        statutory: null,
        msmed: { applies: false, reason },
        applicableDueDate: "2025-11-30",
        governedBy: "contract",
      });
    }
  });

  it("caps written terms beyond 45 days at 45 days from acceptance", () => {
    const result = calculateDueDates({
      invoiceDate: date("2025-10-01"),
      deliveryDate: date("2025-10-03"),
      creditDays: 60,
      agreedInWriting: true,
      supplier: micro,
    });
    expect(result.contractualDueDate).toBe("2025-11-30");
    expect(result.statutory).toEqual({
      acceptanceDate: "2025-10-03",
      acceptanceAssumed: false,
      basis: "capped-at-45-days",
      dueDate: "2025-11-17",
      interestFrom: "2025-11-18",
    });
    expect(result.applicableDueDate).toBe("2025-11-17");
    expect(result.governedBy).toBe("msmed-act");
  });

  it("keeps written terms within 45 days as agreed", () => {
    const result = calculateDueDates({
      invoiceDate: date("2025-10-01"),
      creditDays: 30,
      agreedInWriting: true,
      supplier: micro,
    });
    expect(result.statutory).toMatchObject({
      basis: "agreed-in-writing",
      dueDate: "2025-10-31",
      acceptanceAssumed: true,
    });
    expect(result.applicableDueDate).toBe("2025-10-31");
    expect(result.governedBy).toBe("msmed-act");
  });

  it("gives 15 days from acceptance without a written agreement, whatever was said", () => {
    const result = calculateDueDates({
      invoiceDate: date("2025-10-01"),
      creditDays: 30,
      agreedInWriting: false,
      supplier: micro,
    });
    expect(result.statutory).toMatchObject({
      basis: "no-written-agreement",
      dueDate: "2025-10-16",
      interestFrom: "2025-10-17",
    });
    expect(result.applicableDueDate).toBe("2025-10-16");
    const short = calculateDueDates({
      invoiceDate: date("2025-10-01"),
      creditDays: 7,
      agreedInWriting: false,
      supplier: micro,
    });
    expect(short.applicableDueDate).toBe("2025-10-08");
    expect(short.governedBy).toBe("contract");
  });

  it("counts the first day when asked to", () => {
    const result = calculateDueDates({
      invoiceDate: date("2025-10-01"),
      creditDays: 30,
      agreedInWriting: false,
      supplier: micro,
      dayCount: "include-first-day",
    });
    expect(result.statutory?.dueDate).toBe("2025-10-15");
  });

  it("moves acceptance to the removal of a timely written objection", () => {
    const base = {
      invoiceDate: date("2025-10-01"),
      deliveryDate: date("2025-10-02"),
      creditDays: 30,
      agreedInWriting: false,
      supplier: micro,
    };
    const removed = calculateDueDates({
      ...base,
      objection: { raisedOn: date("2025-10-10"), removedOn: date("2025-10-20") },
    });
    expect(removed.statutory).toMatchObject({ acceptanceDate: "2025-10-20", dueDate: "2025-11-04" });
    const pending = calculateDueDates({ ...base, objection: { raisedOn: date("2025-10-10") } });
    expect(pending.msmed).toEqual({ applies: false, reason: "objection-pending" });
    const late = calculateDueDates({ ...base, objection: { raisedOn: date("2025-10-20") } });
    expect(late.statutory?.acceptanceDate).toBe("2025-10-02");
  });

  it("names every bad input", () => {
    try {
      calculateDueDates({
        invoiceDate: date("2025-02-30"),
        deliveryDate: date("2025-10-05"),
        creditDays: -1,
        agreedInWriting: true,
        supplier: micro,
        objection: { raisedOn: date("2025-10-04"), removedOn: date("2025-10-03") },
      });
      expect.unreachable();
    } catch (error) {
      expect(isAppError(error) && error.issues.map((issue) => issue.field)).toEqual([
        "invoiceDate",
        "creditDays",
        "objection.raisedOn",
        "objection.removedOn",
      ]);
    }
  });
});

describe("dueness", () => {
  it("classifies due dates", () => {
    expect(classifyDueness({ dueDate: date("2025-10-10"), today: date("2025-10-01") })).toEqual({
      state: "not-due",
      daysUntilDue: 9,
    });
    expect(classifyDueness({ dueDate: date("2025-10-10"), today: date("2025-10-07") })).toEqual({
      state: "due-soon",
      daysUntilDue: 3,
    });
    expect(classifyDueness({ dueDate: date("2025-10-10"), today: date("2025-10-10") })).toEqual({
      state: "due-soon",
      daysUntilDue: 0,
    });
    expect(classifyDueness({ dueDate: date("2025-10-10"), today: date("2025-10-12") })).toEqual({
      state: "overdue",
      daysOverdue: 2,
    });
  });

  it("emits due-soon and overdue events only for open invoices with money outstanding", () => {
    const issued = applyInvoiceAction({
      invoice: buildInvoice({ terms: { creditDays: 30 } }),
      action: { type: "issue" },
      at: new Date("2025-10-01T10:00:00Z"),
    }).invoice;
    const soon = checkInvoiceDueness({ invoice: issued, today: date("2025-10-28"), dueSoonDays: 5 });
    expect(soon?.type).toBe("invoice.due-soon");
    const overdue = checkInvoiceDueness({ invoice: issued, today: date("2025-11-05") });
    expect(overdue).toEqual({
      type: "invoice.overdue",
      payload: {
        invoiceId: "inv_1",
        invoiceNumber: "INV/2025-26/001",
        customerId: "cus_1",
        dueDate: "2025-10-31",
        outstandingPaise: "11800000",
        asOf: "2025-11-05",
        daysOverdue: 5,
      },
    });
    for (const event of [soon, overdue]) {
      if (event) expect(INVOICING_EVENT_SCHEMAS[event.type].safeParse(event.payload).success).toBe(true);
    }
    expect(checkInvoiceDueness({ invoice: issued, today: date("2025-10-02") })).toBeNull();
    expect(
      checkInvoiceDueness({ invoice: buildInvoice({ dueDate: "2025-10-02" }), today: date("2025-11-05") }),
    ).toBeNull();
  });
});
