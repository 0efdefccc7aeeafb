import { z } from "zod";
import { AppError, type FieldIssue } from "../../kernel/app-error.ts";
import { DATE_LAYOUTS, readDate, type DateLayout } from "./calendar-date.ts";
import { cellOf, locateColumns, readCsvRows, type CsvRow } from "./csv-table.ts";
import { decimalToMinor } from "./currency.ts";
import { parseWith, rowField } from "./field-issues.ts";
import {
  fingerprintStatementLines,
  type BankStatementLine,
  type UnfingerprintedLine,
} from "./statement-line.ts";
import { parseIndianNarration } from "./bank-narration.parser.ts";

const ZDateLayout = z.enum(DATE_LAYOUTS as [DateLayout, ...DateLayout[]]);

/** How the amount is laid out: separate debit and credit columns, one signed column, or amount plus Dr/Cr marker. */
export const ZBankCsvAmount = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("debit-credit"), debit: z.string().min(1), credit: z.string().min(1) }),
  z.object({
    kind: z.literal("signed"),
    amount: z.string().min(1),
    negativeIsCredit: z.boolean().default(false),
  }),
  z.object({
    kind: z.literal("marker"),
    amount: z.string().min(1),
    /** Column holding Cr/Dr; without it the marker is read from the amount cell ("1,000.00 Cr", "1,000.00(Dr)"). */
    marker: z.string().min(1).optional(),
    creditMarkers: z.array(z.string()).default(["CR", "C", "CREDIT", "DEPOSIT"]),
    debitMarkers: z.array(z.string()).default(["DR", "D", "DEBIT", "WITHDRAWAL"]),
  }),
]);

/** A saved column mapping for one bank account's CSV export. Column names are matched ignoring case and spacing. */
export const ZBankCsvMapping = z.object({
  accountId: z.string().trim().min(1),
  bank: z.string().optional(),
  date: z.string().min(1),
  valueDate: z.string().min(1).optional(),
  narration: z.string().min(1),
  reference: z.string().min(1).optional(),
  balance: z.string().min(1).optional(),
  amount: ZBankCsvAmount,
  dateLayouts: z
    .array(ZDateLayout)
    .min(1)
    .default([
      "dd/MM/yy",
      "dd/MM/yyyy",
      "dd-MM-yyyy",
      "dd-MM-yy",
      "dd-MMM-yyyy",
      "dd-MMM-yy",
      "dd MMM yyyy",
      "yyyy-MM-dd",
    ]),
  delimiter: z.enum([",", ";", "\t", "|"]).default(","),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .default("INR"),
});
export type BankCsvMapping = z.input<typeof ZBankCsvMapping>;

/**
 * Column layouts of Indian banks' statement exports as observed by open-source parsers (banks change layouts
 * without notice: a preset is a starting point for the account's saved mapping).
 */
export const INDIAN_BANK_CSV_PRESETS: Record<string, Omit<BankCsvMapping, "accountId">> = {
  hdfc: {
    bank: "HDFC BANK",
    date: "Date",
    narration: "Narration",
    reference: "Chq./Ref.No.",
    valueDate: "Value Dt",
    amount: { kind: "debit-credit", debit: "Withdrawal Amt.", credit: "Deposit Amt." },
    balance: "Closing Balance",
    dateLayouts: ["dd/MM/yy", "dd/MM/yyyy", "dd-MM-yyyy"],
  },
  icici: {
    bank: "ICICI BANK",
    date: "Transaction Date",
    valueDate: "Value Date",
    reference: "Cheque Number",
    narration: "Transaction Remarks",
    amount: { kind: "debit-credit", debit: "Debit Amount", credit: "Credit Amount" },
    balance: "Balance(INR)",
    dateLayouts: ["dd-MM-yyyy", "dd/MM/yyyy"],
  },
  sbi: {
    bank: "STATE BANK OF INDIA",
    date: "Txn Date",
    valueDate: "Value Date",
    narration: "Description",
    reference: "Ref No./Cheque No.",
    amount: { kind: "debit-credit", debit: "Debit", credit: "Credit" },
    balance: "Balance",
    dateLayouts: ["dd MMM yyyy", "dd-MMM-yy", "dd-MMM-yyyy", "dd/MM/yyyy"],
  },
  axis: {
    bank: "AXIS BANK",
    date: "Tran Date",
    reference: "Chq No",
    narration: "Particulars",
    amount: { kind: "debit-credit", debit: "Debit", credit: "Credit" },
    balance: "Balance",
    dateLayouts: ["dd-MM-yyyy", "dd/MM/yyyy"],
  },
  kotak: {
    bank: "KOTAK MAHINDRA BANK",
    date: "Date",
    narration: "Narration",
    reference: "Chq/Ref No.",
    amount: { kind: "debit-credit", debit: "Withdrawal (Dr)", credit: "Deposit (Cr)" },
    balance: "Balance",
    dateLayouts: ["dd-MM-yyyy", "dd/MM/yyyy", "dd MMM yyyy"],
  },
  "kotak-single-amount": {
    bank: "KOTAK MAHINDRA BANK",
    date: "Date",
    narration: "Description",
    reference: "Chq / Ref number",
    amount: { kind: "marker", amount: "Amount", marker: "Dr / Cr" },
    balance: "Balance",
    dateLayouts: ["dd-MM-yyyy", "dd/MM/yyyy"],
  },
  "bank-of-baroda": {
    bank: "BANK OF BARODA",
    date: "Transaction Date",
    valueDate: "Value Date",
    narration: "Description",
    reference: "Cheque Number",
    amount: { kind: "debit-credit", debit: "Debit", credit: "Credit" },
    balance: "Balance",
    dateLayouts: ["dd/MM/yyyy", "dd-MM-yyyy"],
  },
  "punjab-national-bank": {
    bank: "PUNJAB NATIONAL BANK",
    date: "Transaction Date",
    reference: "Cheque Number",
    amount: { kind: "debit-credit", debit: "Withdrawal", credit: "Deposit" },
    balance: "Balance",
    narration: "Narration",
    dateLayouts: ["dd/MM/yyyy", "dd-MM-yyyy"],
  },
  canara: {
    bank: "CANARA BANK",
    date: "TRANS DATE",
    valueDate: "VALUE DATE",
    reference: "REF/CHQ.NO",
    narration: "DESCRIPTION",
    amount: { kind: "debit-credit", debit: "WITHDRAWS", credit: "DEPOSIT" },
    balance: "BALANCE",
    dateLayouts: ["dd-MM-yyyy", "dd/MM/yyyy", "dd-MMM-yyyy"],
  },
  indusind: {
    bank: "INDUSIND BANK",
    date: "Date",
    narration: "Particulars",
    reference: "Chq./Ref.No.",
    amount: { kind: "debit-credit", debit: "Withdrawl", credit: "Deposit" },
    balance: "Balance",
    dateLayouts: ["dd/MM/yyyy", "dd-MMM-yyyy", "dd-MM-yyyy"],
  },
};

type Field =
  "date" | "valueDate" | "narration" | "reference" | "balance" | "debit" | "credit" | "amount" | "marker";

/** Reads "1,00,000.00", "11000", "(1,000.00)", "-500", "1,000.00 Cr"; an empty, "-" or "0.00" cell is no amount. */
function readMoney(
  text: string,
  currency: string,
): { minor: bigint; negative: boolean; marker?: string } | "empty" | undefined {
  let value = text.replace(/[₹\s]/g, "").replace(/^(INR|Rs\.?)/i, "");
  if (value === "" || value === "-" || value === "--") return "empty";
  let marker: string | undefined;
  const letters = value.replace(/[^A-Za-z]/g, "").toUpperCase();
  if (letters !== "") {
    if (!["CR", "DR", "C", "D"].includes(letters)) return undefined;
    marker = letters.length === 1 ? `${letters}R` : letters;
    value = value.replace(/\(?\.?(CR|DR|C|D)\.?\)?/i, "");
  }
  let negative = false;
  if (/^\(.*\)$/.test(value)) {
    negative = true;
    value = value.slice(1, -1);
  }
  if (value.startsWith("-")) {
    negative = true;
    value = value.slice(1);
  } else if (value.startsWith("+")) value = value.slice(1);
  if (!/^\d{1,3}(,\d{2,3})*(\.\d+)?$|^\d+(\.\d+)?$/.test(value)) return undefined;
  const minor = decimalToMinor(value.replace(/,/g, ""), currency, ".");
  if (minor === undefined) return undefined;
  if (minor === 0n) return "empty";
  return { minor, negative, ...(marker ? { marker } : {}) };
}

/**
 * Reads a bank's CSV statement export with a saved mapping: the header row is found below any preamble, rows
 * without any amount (opening balance lines, separators, totals) are skipped, and every other row must have a valid
 * date and exactly one amount. The whole file is refused with INVALID_INPUT listing `rows.<line>.<field>` issues.
 */
export function parseBankCsv(options: { text: string; mapping: BankCsvMapping }): BankStatementLine[] {
  const mapping = parseWith(ZBankCsvMapping, options.mapping, "mapping");
  const rows: CsvRow[] = readCsvRows({ text: options.text, delimiter: mapping.delimiter });
  const columnsWanted: Partial<Record<Field, string>> = {
    date: mapping.date,
    narration: mapping.narration,
    ...(mapping.valueDate ? { valueDate: mapping.valueDate } : {}),
    ...(mapping.reference ? { reference: mapping.reference } : {}),
    ...(mapping.balance ? { balance: mapping.balance } : {}),
    ...(mapping.amount.kind === "debit-credit"
      ? { debit: mapping.amount.debit, credit: mapping.amount.credit }
      : {
          amount: mapping.amount.amount,
          ...(mapping.amount.kind === "marker" && mapping.amount.marker
            ? { marker: mapping.amount.marker }
            : {}),
        }),
  };
  const { headerIndex, columns } = locateColumns<Field>({
    rows,
    mapping: columnsWanted,
    required: ["date", "narration"],
  });
  const issues: FieldIssue[] = [];
  const lines: UnfingerprintedLine[] = [];
  const currency = mapping.currency;
  const readDateCell = (text: string): string | undefined =>
    mapping.dateLayouts.map((layout) => readDate(text, layout)).find((date) => date !== undefined);
  for (const row of rows.slice(headerIndex + 1)) {
    const at = (field: string): string => rowField(row.lineNumber, field);
    const amountCells = (
      mapping.amount.kind === "debit-credit" ? [columns.debit, columns.credit] : [columns.amount]
    ).map((index) => cellOf(row, index));
    if (!amountCells.some((cell) => /\d/.test(cell))) continue;
    const rowIssues: FieldIssue[] = [];
    let direction: "credit" | "debit" | undefined;
    let amountMinor: bigint | undefined;
    if (mapping.amount.kind === "debit-credit") {
      const debit = readMoney(cellOf(row, columns.debit), currency);
      const credit = readMoney(cellOf(row, columns.credit), currency);
      if (debit === undefined)
        rowIssues.push({ field: at("debit"), reason: `"${cellOf(row, columns.debit)}" is not an amount` });
      if (credit === undefined)
        rowIssues.push({ field: at("credit"), reason: `"${cellOf(row, columns.credit)}" is not an amount` });
      if (debit !== undefined && credit !== undefined) {
        if (debit !== "empty" && credit !== "empty")
          rowIssues.push({ field: at("credit"), reason: "both a debit and a credit amount on one row" });
        else if (debit !== "empty") {
          direction = debit.negative ? "credit" : "debit";
          amountMinor = debit.minor;
        } else if (credit !== "empty") {
          direction = credit.negative ? "debit" : "credit";
          amountMinor = credit.minor;
        } else continue;
      }
    } else {
      const money = readMoney(cellOf(row, columns.amount), currency);
      if (money === undefined)
        rowIssues.push({ field: at("amount"), reason: `"${cellOf(row, columns.amount)}" is not an amount` });
      else if (money === "empty") continue;
      else if (mapping.amount.kind === "signed") {
        const positiveIsCredit = !mapping.amount.negativeIsCredit;
        direction = money.negative === positiveIsCredit ? "debit" : "credit";
        amountMinor = money.minor;
      } else {
        const markerText = (columns.marker !== undefined ? cellOf(row, columns.marker) : (money.marker ?? ""))
          .toUpperCase()
          .replace(/[^A-Z]/g, "");
        if (mapping.amount.creditMarkers.map((marker) => marker.toUpperCase()).includes(markerText))
          direction = "credit";
        else if (mapping.amount.debitMarkers.map((marker) => marker.toUpperCase()).includes(markerText))
          direction = "debit";
        else if (markerText === "" && money.negative) direction = "debit";
        else
          rowIssues.push({
            field: at("marker"),
            reason: `"${markerText}" is neither a credit nor a debit marker`,
          });
        amountMinor = money.minor;
      }
    }
    const dateText = cellOf(row, columns.date);
    const bookingDate = readDateCell(dateText);
    if (!bookingDate)
      rowIssues.push({
        field: at("date"),
        reason: `"${dateText}" is not a date in ${mapping.dateLayouts.join(" or ")}`,
      });
    let valueDate: string | undefined;
    if (columns.valueDate !== undefined && cellOf(row, columns.valueDate) !== "") {
      valueDate = readDateCell(cellOf(row, columns.valueDate));
      if (!valueDate)
        rowIssues.push({
          field: at("valueDate"),
          reason: `"${cellOf(row, columns.valueDate)}" is not a date`,
        });
    }
    let balanceAfter: bigint | undefined;
    if (columns.balance !== undefined && cellOf(row, columns.balance) !== "") {
      const balance = readMoney(cellOf(row, columns.balance), currency);
      if (balance === undefined)
        rowIssues.push({
          field: at("balance"),
          reason: `"${cellOf(row, columns.balance)}" is not an amount`,
        });
      else
        balanceAfter =
          balance === "empty"
            ? 0n
            : balance.negative || balance.marker === "DR"
              ? -balance.minor
              : balance.minor;
    }
    if (rowIssues.length > 0 || !bookingDate || !direction || amountMinor === undefined) {
      issues.push(...rowIssues);
      continue;
    }
    const narration = cellOf(row, columns.narration).replace(/\s+/g, " ");
    const reference = cellOf(row, columns.reference);
    const facts = parseIndianNarration(narration);
    const utr =
      facts.utr ??
      (/^\d{12}$|^[A-Z]{4}[A-Z0-9]{12}$|^N\d{15}$|^[A-Z]{4}R[A-Z0-9]{17}$/.test(reference.toUpperCase())
        ? reference.toUpperCase()
        : undefined);
    lines.push({
      source: "csv",
      accountId: mapping.accountId,
      bookingDate,
      ...(valueDate ? { valueDate } : {}),
      direction,
      amountMinor,
      currency,
      reversal: false,
      ...(reference !== "" && !/^0+$/.test(reference) ? { bankReference: reference } : {}),
      ...(utr ? { utr } : {}),
      ...(facts.channel ? { channel: facts.channel } : {}),
      narration,
      counterparty: {
        ...(facts.counterpartyName ? { name: facts.counterpartyName } : {}),
        ...(facts.ifsc ? { ifsc: facts.ifsc } : {}),
        ...(facts.vpa ? { vpa: facts.vpa } : {}),
      },
      ...(balanceAfter !== undefined ? { balanceAfterMinor: balanceAfter } : {}),
    });
  }
  if (issues.length > 0)
    throw AppError.invalidInput(issues, `bank statement refused: ${issues.length} problem(s)`);
  return fingerprintStatementLines(lines);
}
