import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "../../kernel/app-error.ts";
import { parseRupees } from "../../kernel/money.ts";
import {
  addDays,
  daysBetween,
  financialYearOf,
  isIsoDate,
  quarterOrdinal,
  readDate,
  tdsQuarterOf,
  tdsReturnDueDate,
} from "./calendar-date.ts";
import { decimalRupeesToPaise, formatBasisPoints, formatInr, paiseToDecimal } from "./amounts.ts";
import { parsePayment, type PaymentInput } from "./payment.schema.ts";
import { parsePaymentEvent, toJsonSafe } from "./payment.events.ts";
import {
  assessShortPayment,
  parseShortPaymentTolerance,
  shortPaymentAllowance,
} from "./short-payment.policy.ts";

function issuesOf(action: () => unknown): Array<{ field: string; reason: string }> {
  try {
    action();
  } catch (error) {
    if (error instanceof AppError) return error.issues;
    throw error;
  }
  throw new Error("expected an AppError");
}

const base: PaymentInput = {
  method: "neft",
  reference: "CITIN25201114659",
  payer: { name: "Acme Infra Pvt Ltd" },
  receivedOn: "2025-07-20",
  amountPaise: parseRupees("1,16,000"),
};

describe("parsePayment", () => {
  it.each([
    ["upi", "519812345678"],
    ["imps", "519812345678"],
    ["neft", "citin25201114659"],
    ["neft", "N001242809098988"],
    ["rtgs", "SBINR52025072000123456"],
    ["rtgs", "HDFCR52025072012"],
    ["card", "pay_Q1w2e3r4t5y6u7"],
  ] as const)("accepts a %s reference %s", (method, reference) => {
    const payment = parsePayment({ ...base, method, reference });
    expect(payment.reference).toBe(method === "card" ? reference : reference.toUpperCase());
    expect(payment.currency).toBe("INR");
  });

  it.each([
    ["upi", "51981234567", "a UPI reference is the 12-digit RRN"],
    ["imps", "ABCDEFGHIJKL", "an IMPS reference is the 12-digit RRN"],
    ["neft", "CITI0000003", "a NEFT UTR has 16 characters starting with the 4-letter bank code"],
    [
      "rtgs",
      "SBINN52025072000123456",
      "an RTGS UTR has 22 characters (or 16 on old records) with 'R' as the fifth character",
    ],
    ["card", "12", "a card reference has 6 to 40 letters, digits, '-' or '_'"],
  ] as const)("refuses a %s reference %s", (method, reference, reason) => {
    expect(issuesOf(() => parsePayment({ ...base, method, reference }))).toEqual([
      { field: "reference", reason },
    ]);
  });

  it("needs a reference except for cash, and bars cash of ₹2,00,000 or more (s.269ST)", () => {
    expect(issuesOf(() => parsePayment({ ...base, reference: null }))).toEqual([
      { field: "reference", reason: "required for neft" },
    ]);
    expect(
      parsePayment({ ...base, method: "cash", reference: null, amountPaise: parseRupees("1,99,999.99") })
        .reference,
    ).toBeNull();
    expect(
      issuesOf(() =>
        parsePayment({ ...base, method: "cash", reference: null, amountPaise: parseRupees("2,00,000") }),
      )[0]?.reason,
    ).toMatch(/s\.269ST/);
  });

  it("checks cheques: number, post-dated and stale (three months)", () => {
    const cheque = { ...base, method: "cheque" as const, reference: "000123" };
    expect(parsePayment({ ...cheque, cheque: { number: "000123", date: "2025-04-21" } }).method).toBe(
      "cheque",
    );
    expect(
      issuesOf(() => parsePayment({ ...cheque, cheque: { number: "000123", date: "2025-04-19" } })),
    ).toEqual([{ field: "cheque.date", reason: "stale cheque: valid for three months from its date" }]);
    expect(
      issuesOf(() => parsePayment({ ...cheque, cheque: { number: "000124", date: "2025-07-21" } })),
    ).toEqual([
      { field: "reference", reason: "must equal the cheque number" },
      { field: "cheque.date", reason: "post-dated cheque: it cannot be received as payment before its date" },
    ]);
    expect(issuesOf(() => parsePayment(cheque))).toEqual([
      { field: "cheque", reason: "cheque number and date are required" },
    ]);
  });

  it("names every bad field at once", () => {
    const issues = issuesOf(() =>
      parsePayment({
        method: "upi",
        reference: "x",
        payer: { name: "", vpa: "nope", ifsc: "HDFC1234567", accountNumber: "12" },
        receivedOn: "2025-02-29",
        amountPaise: 0n,
      }),
    );
    expect(issues.map((issue) => issue.field).sort()).toEqual(
      [
        "amountPaise",
        "payer.accountNumber",
        "payer.ifsc",
        "payer.name",
        "payer.vpa",
        "receivedOn",
        "reference",
      ].sort(),
    );
    expect(issuesOf(() => parsePayment({ ...base, payer: { name: "A", vpa: "acme@okaxis" } }))).toEqual([
      { field: "payer.vpa", reason: "a UPI address belongs to UPI payments" },
    ]);
  });

  it("reads paise from integer strings (JSON) and never throws anything but AppError", () => {
    expect(parsePayment({ ...base, amountPaise: "11600000" as unknown as bigint }).amountPaise).toBe(
      11_600_000n,
    );
    fc.assert(
      fc.property(fc.anything(), (value) => {
        try {
          parsePayment(value);
        } catch (error) {
          expect(error).toBeInstanceOf(AppError);
        }
      }),
    );
  });
});

describe("calendar and TDS quarters", () => {
  it("financial years and quarters run April to March", () => {
    expect(financialYearOf("2025-03-31")).toBe("2024-25");
    expect(financialYearOf("2025-04-01")).toBe("2025-26");
    expect(tdsQuarterOf("2025-06-30")).toEqual({ financialYear: "2025-26", quarter: "Q1" });
    expect(tdsQuarterOf("2025-07-01")).toEqual({ financialYear: "2025-26", quarter: "Q2" });
    expect(tdsQuarterOf("2025-12-31")).toEqual({ financialYear: "2025-26", quarter: "Q3" });
    expect(tdsQuarterOf("2026-01-01")).toEqual({ financialYear: "2025-26", quarter: "Q4" });
    expect(quarterOrdinal("2025-26", "Q1") - quarterOrdinal("2024-25", "Q4")).toBe(1);
  });

  it("Form 26Q is due 31 Jul, 31 Oct, 31 Jan and 31 May", () => {
    expect(["Q1", "Q2", "Q3", "Q4"].map((quarter) => tdsReturnDueDate("2025-26", quarter as "Q1"))).toEqual([
      "2025-07-31",
      "2025-10-31",
      "2026-01-31",
      "2026-05-31",
    ]);
    expect(() => tdsReturnDueDate("2025-27", "Q1")).toThrow(RangeError);
  });

  it("reads Indian date layouts and rejects impossible dates", () => {
    expect(readDate("20/07/25", "dd/MM/yy")).toBe("2025-07-20");
    expect(readDate("15-Jun-2025", "dd-MMM-yyyy")).toBe("2025-06-15");
    expect(readDate("15 June 2025", "dd MMM yyyy")).toBe("2025-06-15");
    expect(readDate("31-Jun-2025", "dd-MMM-yyyy")).toBeUndefined();
    expect(readDate("29/02/2024", "dd/MM/yyyy")).toBe("2024-02-29");
    expect(readDate("29/02/2025", "dd/MM/yyyy")).toBeUndefined();
    expect(isIsoDate("2025-13-01")).toBe(false);
    expect(addDays("2025-12-31", 1)).toBe("2026-01-01");
    expect(daysBetween("2025-01-01", "2025-03-01")).toBe(59);
  });
});

describe("amounts", () => {
  it("formats rupees for people and for APIs", () => {
    expect(formatInr(11_600_000n)).toBe("₹1,16,000");
    expect(formatInr(45_679n)).toBe("₹456.79");
    expect(formatInr(-50n)).toBe("-₹0.50");
    expect(paiseToDecimal(14_950n)).toBe("149.50");
    expect(decimalRupeesToPaise(118000.5)).toBe(11_800_050n);
    expect(decimalRupeesToPaise(0.1 + 0.2)).toBeUndefined();
    expect(decimalRupeesToPaise("1e5")).toBeUndefined();
    expect(formatBasisPoints(10)).toBe("0.1%");
    expect(formatBasisPoints(125)).toBe("1.25%");
  });
});

describe("short-payment tolerance", () => {
  it("is the lower of ₹10 and 1% by default, configurable", () => {
    const tolerance = parseShortPaymentTolerance({});
    expect(shortPaymentAllowance({ tolerance, openPaise: 1_18_000_00n })).toBe(1000n);
    expect(shortPaymentAllowance({ tolerance, openPaise: 500_00n })).toBe(500n);
    const generous = parseShortPaymentTolerance({ maxPaise: "10000", maxBasisPoints: 50, combine: "higher" });
    expect(shortPaymentAllowance({ tolerance: generous, openPaise: 1_18_000_00n })).toBe(59_000n);
    expect(
      issuesOf(() => parseShortPaymentTolerance({ maxPaise: "-1", maxBasisPoints: 20_000 })).map(
        (issue) => issue.field,
      ),
    ).toEqual(["maxPaise", "maxBasisPoints"]);
  });

  it("writes off within the tolerance, leaves the rest open above it, and keeps an excess as credit", () => {
    expect(assessShortPayment({ openPaise: 1_18_000_00n, settledPaise: 1_17_995_00n })).toMatchObject({
      kind: "write-off",
      writeOffPaise: 500n,
    });
    expect(assessShortPayment({ openPaise: 1_18_000_00n, settledPaise: 1_17_000_00n })).toMatchObject({
      kind: "partial",
      remainingOpenPaise: 1_000_00n,
    });
    expect(assessShortPayment({ openPaise: 100n, settledPaise: 150n })).toMatchObject({
      kind: "overpayment",
      excessPaise: 50n,
    });
    expect(assessShortPayment({ openPaise: 100n, settledPaise: 100n }).kind).toBe("exact");
    expect(assessShortPayment({ openPaise: 1_18_000_00n, settledPaise: 1_17_995_00n }).reason).toBe(
      "short by ₹5, within the tolerance of ₹10: written off",
    );
  });
});

describe("payment events", () => {
  it("round-trip through JSON with paise as strings and refuse inconsistent allocation totals", () => {
    const payload = {
      receiptId: "r1",
      customerId: "c1",
      date: "2025-07-20",
      allocations: [
        {
          allocationId: "a1",
          invoiceId: "i1",
          cashPaise: 100n,
          incomeTaxTdsPaise: 2n,
          gstTdsPaise: 0n,
          writeOffPaise: 0n,
          settledPaise: 102n,
          tdsSection: "194C" as const,
        },
      ],
      cashPaise: 100n,
      incomeTaxTdsPaise: 2n,
      gstTdsPaise: 0n,
      writeOffPaise: 0n,
      settledPaise: 102n,
      unallocatedPaise: 0n,
    };
    const json = JSON.parse(JSON.stringify(toJsonSafe({ type: "payment.allocated", payload }))) as unknown;
    expect(parsePaymentEvent(json)).toEqual({ type: "payment.allocated", payload });
    const broken = {
      type: "payment.allocated",
      payload: {
        ...payload,
        settledPaise: 103n,
        allocations: [{ ...payload.allocations[0], settledPaise: 101n }],
      },
    };
    expect(issuesOf(() => parsePaymentEvent(broken)).map((issue) => issue.field)).toEqual([
      "payload.allocations.0.settledPaise",
      "payload.settledPaise",
    ]);
    expect(issuesOf(() => parsePaymentEvent({ type: "payment.lost", payload: {} }))[0]?.field).toBe("type");
  });
});
