import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { sharedPath } from "../../../test/support/shared-path.ts";
import { AppError } from "../../kernel/app-error.ts";
import { decimalToMinor } from "./currency.ts";
import { mt940BalanceGap, parseMt940, type Mt940Balance, type Mt940Statement } from "./mt940.parser.ts";

const folder = (name: string): string => sharedPath("reference/india/bank_statements/mt940", name);

type Yaml = Record<string, unknown>;

/** Loads a python-mt940 expected YAML: python tags ignored, plain scalars kept as strings, "null" as null. */
function loadExpected(name: string): { data: Yaml; transactions: Yaml[] } {
  const document = parseDocument(readFileSync(folder(name), "utf8"), {
    schema: "failsafe",
    logLevel: "silent",
    uniqueKeys: false,
  });
  const value = document.toJS({ maxAliasCount: -1 }) as { data: Yaml; transactions: Array<{ data: Yaml }> };
  return { data: value.data, transactions: value.transactions.map((transaction) => transaction.data) };
}

const orNull = (value: unknown): unknown => (value === "null" ? undefined : value);

/** A python date pickled as 4 bytes: year (2 bytes, big endian), month, day. */
function pickledDate(value: unknown): string {
  const cell = Array.isArray(value) ? (value[0] as unknown) : value;
  const bytes = cell instanceof Uint8Array ? cell : Buffer.from(String(cell).replace(/\s/g, ""), "base64");
  const year = ((bytes[0] ?? 0) << 8) + (bytes[1] ?? 0);
  return `${year}-${String(bytes[2]).padStart(2, "0")}-${String(bytes[3]).padStart(2, "0")}`;
}

/** A python Decimal amount ("-620.3") in minor units. */
function decimalAmount(amount: Yaml): { minor: bigint; currency: string } {
  const currency = String(amount.currency);
  const raw = String((amount.amount as unknown[])[0]);
  const negative = raw.startsWith("-");
  const minor = decimalToMinor(raw.replace(/^-/, ""), currency, ".");
  if (minor === undefined) throw new Error(`bad expected amount ${raw}`);
  return { minor: negative ? -minor : minor, currency };
}

function expectBalance(actual: Mt940Balance | undefined, expected: Yaml): void {
  const amount = decimalAmount(expected.amount as Yaml);
  expect(actual?.signedAmountMinor).toBe(expected.status === "D" ? -amount.minor : amount.minor);
  expect(actual?.currency).toBe(amount.currency);
  expect(actual?.mark).toBe(expected.status);
  expect(actual?.date).toBe(pickledDate(expected.date));
}

/** python-mt940 keeps one `data` dict updated statement after statement: the last value of each field wins. */
function mergedStatementData(statements: Mt940Statement[]): Partial<Mt940Statement> {
  const merged: Partial<Mt940Statement> = {};
  for (const statement of statements) {
    for (const [key, value] of Object.entries(statement)) {
      if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
    }
  }
  return merged;
}

function compareWithExpected(file: string, expectedFile: string): Mt940Statement[] {
  const statements = parseMt940(readFileSync(folder(file)));
  const expected = loadExpected(expectedFile);
  const lines = statements.flatMap((statement) => statement.lines.map((line) => ({ statement, line })));
  expect(lines).toHaveLength(expected.transactions.length);
  expected.transactions.forEach((transaction, index) => {
    const { statement, line } = lines[index] ?? {};
    if (!line || !statement) throw new Error(`missing line ${index}`);
    const amount = decimalAmount(transaction.amount as Yaml);
    expect(line.signedAmountMinor, `amount of transaction ${index}`).toBe(amount.minor);
    expect(line.currency).toBe(transaction.currency);
    expect(line.valueDate).toBe(pickledDate(transaction.date));
    if ("entry_date" in transaction) expect(line.entryDate).toBe(pickledDate(transaction.guessed_entry_date));
    else expect(line.entryDate).toBeUndefined();
    expect(line.mark).toBe(transaction.status);
    expect(line.fundsCode).toBe(orNull(transaction.funds_code));
    expect(line.transactionType).toBe(transaction.id);
    expect(line.customerReference).toBe(transaction.customer_reference);
    expect(line.bankReference).toBe(orNull(transaction.bank_reference));
    expect(line.supplementaryDetails).toBe(transaction.extra_details);
    expect(statement.transactionReference).toBe(transaction.transaction_reference);
    if ("transaction_details" in transaction) {
      expect(line.information, `details of transaction ${index}`).toBe(transaction.transaction_details);
      expect(line.structured).toBeUndefined();
    } else {
      expect(line.structured).toEqual({
        transactionCode: transaction.transaction_code,
        postingText: orNull(transaction.posting_text),
        primaNota: orNull(transaction.prima_nota),
        purpose: orNull(transaction.purpose),
        applicantBankCode: orNull(transaction.applicant_bin),
        applicantAccount: orNull(transaction.applicant_iban),
        applicantName: orNull(transaction.applicant_name),
        returnDebitNotes: orNull(transaction.return_debit_notes),
        recipientName: orNull(transaction.recipient_name),
        additionalPurpose: orNull(transaction.additional_purpose),
      });
    }
  });
  const merged = mergedStatementData(statements);
  const data = expected.data;
  expect(merged.accountIdentification).toBe(data.account_identification);
  expect(merged.transactionReference).toBe(data.transaction_reference);
  expect(merged.statementNumber).toBe(data.statement_number);
  expect(merged.sequenceNumber).toBe(orNull(data.sequence_number));
  if ("related_reference" in data) expect(merged.relatedReference).toBe(data.related_reference);
  expectBalance(merged.openingBalance, data.final_opening_balance as Yaml);
  expectBalance(merged.closingBalance, data.final_closing_balance as Yaml);
  if ("available_balance" in data) expectBalance(merged.availableBalance, data.available_balance as Yaml);
  return statements;
}

describe("parseMt940 against the wolph/mt940 expected parses", () => {
  it("jejik generic: two statements EUR 100 -> 90 -> 80", () => {
    const statements = compareWithExpected("wolph_jejik_generic.sta", "wolph_jejik_generic.expected.yml");
    expect(statements).toHaveLength(2);
    expect(statements.map(mt940BalanceGap)).toEqual([0n, 0n]);
  });

  it("cmxl: three statements incl. ?-subfield :86: and multi-line purpose", () => {
    const statements = compareWithExpected("wolph_cmxl_mt940.sta", "wolph_cmxl_mt940.expected.yml");
    expect(statements.map((statement) => statement.lines.length)).toEqual([11, 2, 3]);
    expect(statements.map(mt940BalanceGap)).toEqual([0n, 0n, 0n]);
  });

  it("mBank: SOH/ETX markers, trailing blanks and multi-line :86:", () => {
    const statements = compareWithExpected("wolph_mBank_mt940.sta", "wolph_mBank_mt940.expected.yml");
    expect(statements[0]?.availableBalance?.signedAmountMinor).toBe(43n);
    expect(mt940BalanceGap(statements[0] as Mt940Statement)).toBe(0n);
  });

  it("Citi: blank entry date, lines without :86:, :64:", () => {
    const [statement] = parseMt940(readFileSync(folder("wolph_citi_mt940.txt"), "utf8"));
    expect(statement?.lines).toHaveLength(5);
    expect(statement?.lines[0]).toMatchObject({
      valueDate: "2024-03-12",
      mark: "D",
      fundsCode: "D",
      amountMinor: 21239n,
      transactionType: "NMSC",
      customerReference: "NONREF",
      bankReference: "",
      supplementaryDetails: "/ABC/DEF/MISCELLANEOUS",
      information: "/PT/FT/PY/SOMETHING FOO BAR          112233\n   123456789",
    });
    expect(statement?.lines[0]?.entryDate).toBeUndefined();
    expect(statement?.lines[2]?.information).toBeUndefined();
    expect(mt940BalanceGap(statement as Mt940Statement)).toBe(0n);
  });
});

describe("parseMt940 on Indian-style and broken input", () => {
  const indian = [
    "{1:F01HDFCINBBAXXX0000000000}{2:O9401200250720HDFCINBBAXXX00000000002507201200N}{4:",
    ":20:STMT250720",
    ":25:50200012345678",
    ":28C:142/1",
    ":60F:C250719INR1000000,00",
    ":61:2507200720CR116000,00NTRFCITIN25201114659//HDFCN52025072012",
    ":86:NEFT CR-CITI0000003-ACME INFRA PVT LTD-INV 2025-26 42",
    ":61:250720D5000,NCHG NONREF",
    ":86:CHARGES",
    ":62F:C250720INR1111000,00",
    "-}",
  ].join("\r\n");

  it("reads an Indian bank's NEFT credit inside SWIFT blocks", () => {
    const [statement] = parseMt940(indian);
    expect(statement?.accountIdentification).toBe("50200012345678");
    expect(statement?.lines[0]).toMatchObject({
      entryDate: "2025-07-20",
      mark: "C",
      fundsCode: "R",
      amountMinor: 11_600_000n,
      signedAmountMinor: 11_600_000n,
      currency: "INR",
      customerReference: "CITIN25201114659",
      bankReference: "HDFCN52025072012",
      information: "NEFT CR-CITI0000003-ACME INFRA PVT LTD-INV 2025-26 42",
    });
    expect(mt940BalanceGap(statement as Mt940Statement)).toBe(0n);
  });

  it("guesses the entry year across a year end", () => {
    const text = [
      ":20:X",
      ":25:1",
      ":28C:1",
      ":60F:C241231INR0,",
      ":61:2412310101C1,00NTRFNONREF",
      ":62F:C250101INR1,00",
      "-",
    ].join("\n");
    expect(parseMt940(text)[0]?.lines[0]).toMatchObject({ valueDate: "2024-12-31", entryDate: "2025-01-01" });
  });

  it("refuses malformed tags naming line and tag, all at once", () => {
    const text = [
      ":20:X",
      ":28C:ABC",
      ":60F:C251399INR10,00",
      ":61:251301C10,00NTRFNONREF",
      ":62F:C250101INR",
      "-",
    ].join("\n");
    try {
      parseMt940(text);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).issues.map((issue) => issue.field)).toEqual([
        "rows.2.28C",
        "rows.3.60F",
        "rows.4.61",
        "rows.5.62F",
        "rows.1.25",
        "rows.1.60F",
      ]);
    }
    try {
      parseMt940("hello");
      expect.unreachable();
    } catch (error) {
      expect((error as AppError).issues).toEqual([
        { field: "file", reason: "no MT940 statement found (no :20: tag)" },
      ]);
    }
  });

  it("never throws anything but AppError, whatever the bytes", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom(
              ":20:",
              ":25:",
              ":28C:",
              ":60F:",
              ":61:",
              ":86:",
              ":62F:",
              "-",
              "\n",
              "C",
              "D",
              "250720",
              "INR",
              "100,00",
              "NTRF",
              "//",
              "?20",
            ),
            fc.string(),
          ),
          {
            maxLength: 40,
          },
        ),
        (parts) => {
          try {
            parseMt940(parts.join(""));
          } catch (error) {
            expect(error).toBeInstanceOf(AppError);
          }
        },
      ),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          parseMt940(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(AppError);
        }
      }),
    );
  });
});
