import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sharedPath } from "../../../test/support/shared-path.ts";
import { AppError } from "../../kernel/app-error.ts";
import { parseIndianNarration } from "./bank-narration.parser.ts";
import { INDIAN_BANK_CSV_PRESETS, parseBankCsv, type BankCsvMapping } from "./bank-csv.parser.ts";
import { parseCamt } from "./camt.parser.ts";
import { parseMt940 } from "./mt940.parser.ts";
import { camtToStatementLines, findAlreadyImported, mt940ToStatementLines } from "./statement-line.ts";

const statements = (name: string): string => sharedPath("reference/india/bank_statements", name);

function dataLines(path: string): string {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => !line.startsWith("#"))
    .join("\n");
}

const hdfc: BankCsvMapping = {
  ...INDIAN_BANK_CSV_PRESETS.hdfc,
  accountId: "HDFC-50200012345678",
  dateLayouts: ["dd-MM-yyyy", "dd/MM/yy"],
} as BankCsvMapping;

describe("parseBankCsv", () => {
  it("reads the HDFC sample rows with separate withdrawal and deposit columns", () => {
    const lines = parseBankCsv({ text: dataLines(statements("hdfc_sample_rows.csv")), mapping: hdfc });
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatchObject({
      accountId: "HDFC-50200012345678",
      bookingDate: "2024-01-01",
      valueDate: "2024-01-01",
      direction: "debit",
      amountMinor: 1_100_000n,
      bankReference: "N001242809098988",
      utr: "N001242809098988",
      channel: "NEFT",
      counterparty: { name: "JOHN DOE", ifsc: "UTIB0001688" },
      balanceAfterMinor: 101_050_327n,
    });
    expect(lines[1]).toMatchObject({
      channel: "UPI",
      utr: "437276589036",
      counterparty: { vpa: "swiggy@ybl", name: "SWIGGY" },
    });
    expect(lines[2]).toMatchObject({
      direction: "credit",
      amountMinor: 8_500_000n,
      channel: "NEFT",
      utr: "CITIN24401114659",
      counterparty: { name: "EMPLOYER NAME", ifsc: "CITI0000003" },
    });
    expect(lines[3]?.counterparty.vpa).toBe("amazonpayhfc@yapl");
    expect(new Set(lines.map((line) => line.fingerprint)).size).toBe(4);
  });

  it("finds the header below a preamble, skips balance and separator rows, reads Indian digit grouping", () => {
    const text = [
      "HDFC BANK Ltd.,,,,,,",
      "Account No :,50200012345678,,,,,",
      "",
      "Date,Narration,Chq./Ref.No.,Value Dt,Withdrawal Amt.,Deposit Amt.,Closing Balance",
      "********,********,********,********,********,********,********",
      '20/07/25,NEFT CR-CITI0000003-ACME INFRA PVT LTD-INV 2025-26 0042,CITIN25201114659,20/07/25,,"1,16,000.00","11,16,000.00"',
      '20/07/25,UPI-BETA TRADERS-BETA@OKICICI-ICIC0000001-519812345678-INV42,0000519812345678,20/07/25,,"4,999.50","11,20,999.50"',
      '21/07/25,CHQ DEP 000123 PWD DIVISION,000123,21/07/25,,"5,70,000.00","16,90,999.50"',
      "STATEMENT SUMMARY :-,,,,,,",
      "Opening Balance,Dr Count,Cr Count,Debits,Credits,Closing Bal,",
    ].join("\n");
    const lines = parseBankCsv({
      text,
      mapping: { ...INDIAN_BANK_CSV_PRESETS.hdfc, accountId: "HDFC-1" } as BankCsvMapping,
    });
    expect(lines.map((line) => [line.bookingDate, line.direction, line.amountMinor])).toEqual([
      ["2025-07-20", "credit", 11_600_000n],
      ["2025-07-20", "credit", 499_950n],
      ["2025-07-21", "credit", 57_000_000n],
    ]);
    expect(lines[0]).toMatchObject({ utr: "CITIN25201114659", counterparty: { name: "ACME INFRA PVT LTD" } });
    expect(lines[1]).toMatchObject({
      utr: "519812345678",
      channel: "UPI",
      counterparty: { vpa: "beta@okicici", name: "BETA TRADERS" },
    });
  });

  it("reads a single amount column with a Dr/Cr marker column (Kotak layout) and a signed column", () => {
    const kotak = [
      "Sl.No.,Date,Description,Chq / Ref number,Amount,Dr / Cr,Balance,Dr / Cr",
      '1,20-07-2025,IMPS-519812345678-ACME INFRA-HDFC-XXXX1234-INV42,519812345678,"1,16,000.00",CR,"2,16,000.00",CR',
      '2,20-07-2025,BANK CHARGES,,118.00,DR,"2,15,882.00",CR',
    ].join("\n");
    const lines = parseBankCsv({
      text: kotak,
      mapping: { ...INDIAN_BANK_CSV_PRESETS["kotak-single-amount"], accountId: "KKBK-1" } as BankCsvMapping,
    });
    expect(lines.map((line) => [line.direction, line.amountMinor, line.channel])).toEqual([
      ["credit", 11_600_000n, "IMPS"],
      ["debit", 11_800n, undefined],
    ]);
    const signed = [
      "Date,Remarks,Amount (Rs.)",
      "01/08/2025,NEFT-SBIN525213000001-PWD,-250.00",
      '02/08/2025,NEFT-CITIN25213000001-ACME,"1,000.00 Cr"',
    ].join("\n");
    const signedLines = parseBankCsv({
      text: signed,
      mapping: {
        accountId: "UBI-1",
        date: "Date",
        narration: "Remarks",
        amount: { kind: "marker", amount: "Amount (Rs.)" },
        dateLayouts: ["dd/MM/yyyy"],
      },
    });
    expect(signedLines.map((line) => line.direction)).toEqual([expect.any(String), "credit"]);
  });

  it("refuses the whole file naming row and field of every problem", () => {
    const text = [
      "Date,Narration,Chq./Ref.No.,Value Dt,Withdrawal Amt.,Deposit Amt.,Closing Balance",
      "32/07/25,NEFT CR-X,1,20/07/25,,100.00,100.00",
      "20/07/25,BOTH,2,20/07/25,5.00,100.00,100.00",
      "20/07/25,BAD,3,20/07/25,,1.2.3,abc",
    ].join("\n");
    try {
      parseBankCsv({ text, mapping: { ...INDIAN_BANK_CSV_PRESETS.hdfc, accountId: "A" } as BankCsvMapping });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).issues.map((issue) => issue.field)).toEqual([
        "rows.2.date",
        "rows.3.credit",
        "rows.4.credit",
        "rows.4.balance",
      ]);
    }
    expect(() =>
      parseBankCsv({
        text: "Foo,Bar\n1,2",
        mapping: { ...INDIAN_BANK_CSV_PRESETS.hdfc, accountId: "A" } as BankCsvMapping,
      }),
    ).toThrow(/columns\.date/);
  });

  it("never throws anything but AppError", () => {
    const header = "Date,Narration,Chq./Ref.No.,Value Dt,Withdrawal Amt.,Deposit Amt.,Closing Balance\n";
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.string(), fc.constantFrom(",", "\n", '"', "20/07/25", "1,00,000.00", "Cr", "-")),
          { maxLength: 30 },
        ),
        (parts) => {
          try {
            parseBankCsv({
              text: header + parts.join(""),
              mapping: { ...INDIAN_BANK_CSV_PRESETS.hdfc, accountId: "A" } as BankCsvMapping,
            });
          } catch (error) {
            expect(error).toBeInstanceOf(AppError);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe("bank presets match the observed header layouts", () => {
  const layouts = dataLines(statements("indian_bank_statement_headers.csv"))
    .split("\n")
    .slice(1)
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [bank = "", pattern = "", headers = ""] = line.split(",");
      return { bank, pattern, headers: headers.split("|") };
    });

  for (const [name, preset] of Object.entries(INDIAN_BANK_CSV_PRESETS)) {
    it(`${name}: every mapped column exists in one observed ${preset.bank ?? ""} layout`, () => {
      const amount = preset.amount;
      const wanted = [
        preset.date,
        preset.narration,
        preset.valueDate,
        preset.reference,
        preset.balance,
        ...(amount.kind === "debit-credit"
          ? [amount.debit, amount.credit]
          : [amount.amount, amount.kind === "marker" ? amount.marker : undefined]),
      ].filter((column): column is string => column !== undefined);
      const candidates = layouts.filter((layout) => layout.bank === preset.bank);
      expect(candidates.length).toBeGreaterThan(0);
      expect(candidates.some((layout) => wanted.every((column) => layout.headers.includes(column)))).toBe(
        true,
      );
    });
  }
});

describe("parseIndianNarration", () => {
  it.each([
    [
      "NEFT CR-CITI0000003-EMPLOYER NAME-SALARY",
      { channel: "NEFT", direction: "credit", ifsc: "CITI0000003", counterpartyName: "EMPLOYER NAME" },
    ],
    [
      "UPI-SWIGGY-SWIGGY@YBL-YESB0YBLUPI-437276589036",
      { channel: "UPI", utr: "437276589036", vpa: "swiggy@ybl", counterpartyName: "SWIGGY" },
    ],
    [
      "RTGS CR-SBIN0000300-PWD DIVISION 4-SBINR52025072000123456",
      { channel: "RTGS", utr: "SBINR52025072000123456", ifsc: "SBIN0000300" },
    ],
    [
      "NEFT-CITIN25201114659-ACME INFRA PVT LTD-INV 2025-26 0042",
      { channel: "NEFT", utr: "CITIN25201114659", counterpartyName: "ACME INFRA PVT LTD" },
    ],
    [
      "UPI/519812345678/INV 42/acme@okicici/HDFC Bank",
      { channel: "UPI", utr: "519812345678", vpa: "acme@okicici" },
    ],
    [
      "MMT/IMPS/519812345679/INV42/ACME INFRA/HDFC BANK",
      { channel: "IMPS", utr: "519812345679", counterpartyName: "ACME INFRA" },
    ],
    [
      "BY TRANSFER-NEFT*CITI0000003*CITIN25201114659*ACME INFRA--",
      { channel: "NEFT", utr: "CITIN25201114659", counterpartyName: "ACME INFRA" },
    ],
  ])("%s", (narration, expected) => {
    expect(parseIndianNarration(narration)).toMatchObject(expected);
  });

  it("keeps invoice-like remarks", () => {
    expect(parseIndianNarration("NEFT CR-CITI0000003-ACME-INV 2025-26 0042").remarks.join(" ")).toMatch(
      /INV 2025/,
    );
  });
});

describe("statement lines and re-import detection", () => {
  it("fingerprints are stable across re-imports and distinguish identical payments", () => {
    const text = dataLines(statements("hdfc_sample_rows.csv"));
    const first = parseBankCsv({ text, mapping: hdfc });
    const again = parseBankCsv({ text, mapping: hdfc });
    expect(again.map((line) => line.fingerprint)).toEqual(first.map((line) => line.fingerprint));
    const duplicateRow = text.split("\n")[1] ?? "";
    const twice = parseBankCsv({ text: `${text}\n${duplicateRow}`, mapping: hdfc });
    expect(new Set(twice.map((line) => line.fingerprint)).size).toBe(5);
    const { fresh, duplicates } = findAlreadyImported({
      lines: twice,
      knownFingerprints: new Set(first.map((line) => line.fingerprint)),
    });
    expect(duplicates).toHaveLength(4);
    expect(fresh).toHaveLength(1);
  });

  it("turns MT940 and camt into the same line shape", () => {
    const mt940 = mt940ToStatementLines(parseMt940(readFileSync(statements("mt940/wolph_mBank_mt940.sta"))));
    expect(mt940).toHaveLength(3);
    expect(mt940[0]).toMatchObject({
      source: "mt940",
      accountId: "PL29114010810000267002001002",
      direction: "credit",
      amountMinor: 1n,
      bankReference: "MB170119012058",
    });
    expect(new Set(mt940.map((line) => line.fingerprint)).size).toBe(3);
    const camt = camtToStatementLines(parseCamt(readFileSync(statements("camt/genkgo_camt054.v8.xml"))));
    expect(
      camt.map((line) => [line.direction, line.amountMinor, line.currency, line.counterparty.name]),
    ).toEqual([
      ["debit", 310n, "CHF", "Example Creditor 3 - V1"],
      ["debit", 320n, "CHF", "Example Creditor 3 - V2"],
      ["debit", 320n, "CHF", "Example Creditor 3 - V3"],
    ]);
    expect(new Set(camt.map((line) => line.fingerprint)).size).toBe(3);
  });
});
