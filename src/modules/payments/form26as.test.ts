import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "../../kernel/app-error.ts";
import { parseRupees } from "../../kernel/money.ts";
import { parseForm26asCsv, TRACES_26AS_MAPPING, type Form26asMapping } from "./form26as.parser.ts";
import { describeForm26asReport, reconcileForm26as } from "./form26as.reconciler.ts";
import { ZTdsCreditMissingPayload } from "./payment.events.ts";
import { makeTdsReceivableEntry, type TdsReceivableEntry } from "./tds-receivable.ledger.ts";

const rupees = (text: string): bigint => parseRupees(text);

const HEADER =
  "Sr. No.,Name of Deductor,TAN of Deductor,Section,Transaction Date,Status of Booking,Date of Booking,Remarks,Amount Paid / Credited,Tax Deducted,TDS Deposited";

const FILE = [
  "Form 26AS - Annual Tax Statement",
  "PAN,AAKFD7113K,Assessment Year,2026-27",
  "",
  HEADER,
  '1,ACME INFRA PRIVATE LIMITED,MUMA12345B,194C,15-Jul-2025,F,31-Oct-2025,,"1,00,000.00","2,000.00","2,000.00"',
  '2,ACME INFRA PRIVATE LIMITED,MUMA12345B,194C,02-Aug-2025,F,31-Oct-2025,,"50,000.00","1,000.00","1,000.00"',
  '3,STATE PWD DIVISION 4,BLRS54321C,194JB,10-Apr-2025,U,,,"2,00,000.00","20,000.00","20,000.00"',
  '4,HDFC BANK LTD,MUMH03189E,194A,31-Mar-2026,F,31-May-2026,,"12,000.00","1,200.00","1,200.00"',
].join("\n");

function issuesOf(action: () => unknown): Array<{ field: string; reason: string }> {
  try {
    action();
  } catch (error) {
    if (error instanceof AppError) return error.issues;
    throw error;
  }
  throw new Error("expected an AppError");
}

describe("parseForm26asCsv", () => {
  it("reads transactions below a preamble with the TRACES mapping", () => {
    const credits = parseForm26asCsv({ text: FILE, mapping: TRACES_26AS_MAPPING });
    expect(credits).toHaveLength(4);
    expect(credits[0]).toEqual({
      rowNumber: 5,
      deductorName: "ACME INFRA PRIVATE LIMITED",
      tan: "MUMA12345B",
      sectionCode: "194C",
      section: "194C",
      nature: "contract",
      transactionDate: "2025-07-15",
      financialYear: "2025-26",
      quarter: "Q2",
      amountPaidPaise: rupees("1,00,000"),
      taxDeductedPaise: rupees("2,000"),
      taxDepositedPaise: rupees("2,000"),
      bookingStatus: "final",
    });
    expect(credits[2]).toMatchObject({
      section: "194J",
      nature: "professional-services",
      bookingStatus: "unmatched",
      quarter: "Q1",
    });
    expect(credits[3]).toMatchObject({ sectionCode: "194A", quarter: "Q4" });
    expect(credits[3]?.section).toBeUndefined();
  });

  it("refuses the whole file naming every row, field and reason", () => {
    const bad = [
      HEADER,
      '1,,MUMA1234B,194Z,31-Jun-2025,X,,,"-5,000.00",abc,',
      '2,ACME,MUMA12345B,194C,01-Jul-2025,F,,,"1,000.00","2,000.00",',
    ].join("\n");
    expect(issuesOf(() => parseForm26asCsv({ text: bad, mapping: TRACES_26AS_MAPPING }))).toEqual([
      { field: "rows.2.deductorName", reason: "deductor name is empty" },
      { field: "rows.2.tan", reason: '"MUMA1234B" is not a TAN (4 letters, 5 digits, 1 letter: AAAA99999A)' },
      { field: "rows.2.section", reason: 'unknown section "194Z"' },
      {
        field: "rows.2.transactionDate",
        reason:
          '"31-Jun-2025" is not a date in dd-MMM-yyyy or dd/MM/yyyy or dd-MM-yyyy or yyyy-MM-dd or dd MMM yyyy',
      },
      { field: "rows.2.amountPaid", reason: "must not be negative" },
      { field: "rows.2.taxDeducted", reason: '"abc" is not an amount in rupees' },
      { field: "rows.2.bookingStatus", reason: 'unknown booking status "X" (F, O, P or U)' },
      { field: "rows.3.taxDeducted", reason: "tax deducted is more than the amount paid" },
    ]);
  });

  it("reports every missing column at once and an incomplete mapping", () => {
    const text = "Name of Deductor,Section,Transaction Date\nACME,194C,01-Jul-2025";
    expect(
      issuesOf(() => parseForm26asCsv({ text, mapping: TRACES_26AS_MAPPING })).map((issue) => issue.field),
    ).toEqual([
      "columns.tan",
      "columns.amountPaid",
      "columns.taxDeducted",
      "columns.bookingStatus",
      "columns.taxDeposited",
    ]);
    const incomplete: Form26asMapping = { ...TRACES_26AS_MAPPING, tan: "" };
    expect(
      issuesOf(() => parseForm26asCsv({ text, mapping: incomplete })).map((issue) => issue.field),
    ).toEqual(["mapping.tan"]);
  });

  it("reads other delimiters and date layouts from the mapping", () => {
    const text = [
      "Deductor^TAN^Sec^Date^Paid^TDS",
      "ACME^MUMA12345B^194Q^2025-10-01^4,56,789.50^457.00",
    ].join("\n");
    const credits = parseForm26asCsv({
      text,
      mapping: {
        deductorName: "Deductor",
        tan: "TAN",
        section: "Sec",
        transactionDate: "Date",
        amountPaid: "Paid",
        taxDeducted: "TDS",
        delimiter: "^",
        dateLayouts: ["yyyy-MM-dd"],
      },
    });
    expect(credits[0]).toMatchObject({
      section: "194Q",
      quarter: "Q3",
      taxDeductedPaise: rupees("457"),
      bookingStatus: "final",
    });
  });

  it("never throws anything but AppError on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.constantFrom("", HEADER + "\n"), (noise, prefix) => {
        try {
          parseForm26asCsv({ text: prefix + noise, mapping: TRACES_26AS_MAPPING });
        } catch (error) {
          expect(error).toBeInstanceOf(AppError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("reconcileForm26as", () => {
  const claim = (
    id: string,
    fields: Partial<TdsReceivableEntry> & { amount: string; date: string },
  ): TdsReceivableEntry =>
    makeTdsReceivableEntry({
      id,
      kind: "income-tax",
      customerId: "acme",
      section: "194C",
      tan: "MUMA12345B",
      receiptId: `r-${id}`,
      allocationId: `a-${id}`,
      invoiceId: `i-${id}`,
      amountPaise: rupees(fields.amount),
      ...fields,
    });

  it("matches by TAN, section and quarter and reports the rest per quarter", () => {
    const credits = parseForm26asCsv({ text: FILE, mapping: TRACES_26AS_MAPPING });
    const claims = [
      claim("1", { amount: "2,000", date: "2025-07-20" }),
      claim("2", { amount: "1,000.40", date: "2025-08-05" }),
      claim("3", {
        amount: "5,000",
        date: "2025-05-10",
        customerId: "pwd",
        tan: "BLRS54321C",
        section: "194J",
      }),
      claim("4", { amount: "3,000", date: "2025-11-10", customerId: "beta", tan: "DELB11111A" }),
    ];
    const result = reconcileForm26as({ claims, credits, asOf: "2026-02-15" });
    const q1 = result.quarters.find((quarter) => quarter.quarter === "Q1");
    const q2 = result.quarters.find((quarter) => quarter.quarter === "Q2");
    const q3 = result.quarters.find((quarter) => quarter.quarter === "Q3");
    expect(q2?.matched).toHaveLength(1);
    expect(q2?.matched[0]?.differencePaise).toBe(-40n);
    expect(q1?.amountDifferences[0]).toMatchObject({ differencePaise: rupees("-5,000"), overdue: true });
    expect(q1?.amountDifferences[0]?.credit.unmatchedPaise).toBe(rupees("20,000"));
    expect(q3?.claimedNotCredited[0]).toMatchObject({ tan: "DELB11111A", overdue: true });
    expect(
      result.missingCredits.map((payload) => [payload.tan, payload.quarter, payload.missingPaise]),
    ).toEqual([
      ["BLRS54321C", "Q1", rupees("5,000")],
      ["DELB11111A", "Q3", rupees("3,000")],
    ]);
    for (const payload of result.missingCredits)
      expect(() => ZTdsCreditMissingPayload.parse(payload)).not.toThrow();
    expect(describeForm26asReport(q3 ?? result.quarters[0]!)).toEqual([
      "DELB11111A u/s 194C: ₹3,000 deducted but not in Form 26AS (return was due 2026-01-31)",
    ]);
  });

  it("is not overdue before the return due date, and finds a deduction booked one quarter apart", () => {
    const credits = parseForm26asCsv({ text: FILE, mapping: TRACES_26AS_MAPPING }).slice(0, 1);
    const early = reconcileForm26as({
      claims: [claim("1", { amount: "2,000", date: "2025-06-28" })],
      credits,
      asOf: "2025-07-31",
    });
    expect(early.quarters.flatMap((quarter) => quarter.matched)[0]?.note).toBe("credited in Q2 2025-26");
    const pending = reconcileForm26as({
      claims: [claim("9", { amount: "700", date: "2025-10-02" })],
      credits: [],
      asOf: "2026-01-31",
    });
    expect(pending.quarters[0]?.claimedNotCredited[0]?.overdue).toBe(false);
    expect(pending.missingCredits).toEqual([]);
    const graced = reconcileForm26as({
      claims: [claim("9", { amount: "700", date: "2025-10-02" })],
      credits: [],
      asOf: "2026-02-10",
      graceDays: 15,
    });
    expect(graced.missingCredits).toEqual([]);
  });

  it("resolves a claim without TAN through the deductor name, and lists credits nobody claimed", () => {
    const credits = parseForm26asCsv({ text: FILE, mapping: TRACES_26AS_MAPPING });
    const result = reconcileForm26as({
      claims: [claim("1", { amount: "3,000", date: "2025-07-20", tan: undefined })],
      credits,
      deductors: [{ customerId: "acme", name: "Acme Infra Pvt. Ltd." }],
      asOf: "2025-09-01",
    });
    expect(result.quarters.flatMap((quarter) => quarter.matched)).toHaveLength(1);
    expect(result.unresolvedClaims).toEqual([]);
    const q1 = result.quarters.find((quarter) => quarter.quarter === "Q1");
    expect(q1?.creditedNotClaimed.map((credit) => credit.tan)).toEqual(["BLRS54321C"]);
  });
});
