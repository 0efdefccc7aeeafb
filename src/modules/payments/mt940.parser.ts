import { AppError, type FieldIssue } from "../../kernel/app-error.ts";
import { daysBetween, makeIsoDate, type IsoDate } from "./calendar-date.ts";
import { decimalToMinor } from "./currency.ts";

/**
 * SWIFT MT940 customer statements: :20: reference, :21: related reference, :25: account, :28C: statement and
 * sequence number, :60F:/:60M: opening balance, :61: statement lines each optionally followed by :86: information,
 * :62F:/:62M: closing balance, :64: available and :65: forward available balances; "-" ends a message.
 */

export type Mt940Mark = "C" | "D" | "RC" | "RD";

export interface Mt940Balance {
  mark: "C" | "D";
  date: IsoDate;
  currency: string;
  /** Unsigned amount in minor units of the currency. */
  amountMinor: bigint;
  /** Positive for a credit balance, negative for a debit balance. */
  signedAmountMinor: bigint;
}

/** ?-subfields of a structured :86: (German DFÜ layout: "<code>?00posting text?10prima nota?20purpose..."). */
export interface Mt940StructuredDetails {
  transactionCode: string;
  postingText?: string;
  primaNota?: string;
  purpose?: string;
  applicantBankCode?: string;
  applicantAccount?: string;
  applicantName?: string;
  returnDebitNotes?: string;
  recipientName?: string;
  additionalPurpose?: string;
}

export interface Mt940Line {
  /** File line of the :61: tag. */
  lineNumber: number;
  valueDate: IsoDate;
  /** Booking date from the optional MMDD, its year guessed from the value date. */
  entryDate?: IsoDate;
  mark: Mt940Mark;
  fundsCode?: string;
  amountMinor: bigint;
  /** Effect on the balance: C and RD positive, D and RC negative. */
  signedAmountMinor: bigint;
  currency: string;
  transactionType?: string;
  customerReference: string;
  /** Text after "//"; undefined when there is no "//". */
  bankReference?: string;
  supplementaryDetails: string;
  /** The :86: text: each line without trailing blanks, lines joined with "\n". */
  information?: string;
  structured?: Mt940StructuredDetails;
}

export interface Mt940Statement {
  transactionReference: string;
  relatedReference?: string;
  accountIdentification: string;
  statementNumber: string;
  sequenceNumber?: string;
  openingBalance?: Mt940Balance;
  openingIsIntermediate: boolean;
  closingBalance?: Mt940Balance;
  closingIsIntermediate: boolean;
  availableBalance?: Mt940Balance;
  forwardAvailableBalances: Mt940Balance[];
  lines: Mt940Line[];
  /** A :86: not attached to a statement line (information for the whole statement). */
  information?: string;
}

interface Tag {
  name: string;
  value: string;
  lineNumber: number;
}

function toDate(text: string): IsoDate | undefined {
  const yy = Number(text.slice(0, 2));
  return makeIsoDate(yy >= 80 ? 1900 + yy : 2000 + yy, Number(text.slice(2, 4)), Number(text.slice(4, 6)));
}

function decode(input: string | Uint8Array): string {
  if (typeof input === "string") return input;
  return new TextDecoder("utf-8", { fatal: false }).decode(input);
}

/** Splits the text into tags with their file line numbers; SWIFT block headers and control characters removed. */
function readTags(text: string): Tag[][] {
  const cleaned = text
    .replace(/^\uFEFF/, "")
    .replace(/\r\n?/g, "\n")
    .replaceAll(String.fromCharCode(1), "")
    .replaceAll(String.fromCharCode(3), "")
    .replace(/\{[1-3]:(?:[^{}]|\{[^{}]*\})*\}/g, "")
    .replace(/\{4:/g, "")
    .replace(/\{5:(?:[^{}]|\{[^{}]*\})*\}/g, "")
    .replace(/-\}/g, "-");
  const messages: Tag[][] = [];
  let current: Tag[] = [];
  let last: Tag | undefined;
  cleaned.split("\n").forEach((line, index) => {
    const lineNumber = index + 1;
    const tag = /^:(\d{2}[A-Z]?|NS):(.*)$/.exec(line);
    if (tag) {
      if (tag[1] === "20" && current.some((existing) => existing.name === "20")) {
        messages.push(current);
        current = [];
      }
      last = { name: tag[1] ?? "", value: tag[2] ?? "", lineNumber };
      current.push(last);
      return;
    }
    if (/^-\s*$/.test(line)) {
      if (current.length > 0) messages.push(current);
      current = [];
      last = undefined;
      return;
    }
    if (last && line.trim() !== "") last.value += `\n${line}`;
  });
  if (current.length > 0) messages.push(current);
  return messages;
}

function parseBalance(tag: Tag, issues: FieldIssue[]): Mt940Balance | undefined {
  const match = /^([CD])(\d{6})([A-Z]{3})(\d[\d,]{0,16})$/.exec(tag.value.trim());
  const date = match ? toDate(match[2] ?? "") : undefined;
  const amount = match ? decimalToMinor(match[4] ?? "", match[3] ?? "", ",") : undefined;
  if (!match || !date || amount === undefined) {
    issues.push({
      field: `rows.${tag.lineNumber}.${tag.name}`,
      reason: `"${tag.value.trim()}" is not a balance (D/C, YYMMDD, currency, amount)`,
    });
    return undefined;
  }
  const mark = match[1] as "C" | "D";
  return {
    mark,
    date,
    currency: match[3] ?? "",
    amountMinor: amount,
    signedAmountMinor: mark === "C" ? amount : -amount,
  };
}

const LINE_PATTERN =
  /^(\d{6})(\d{4}| {4})?(R?[DC])([A-Z])?[\n ]?(\d[\d,]{0,15})([A-Z][A-Z0-9 ]{3})?((?:(?!\/\/)[^\n])*)(?:\/\/([^\n]*))?(?:\n([\s\S]*))?$/;

function guessEntryDate(valueDate: IsoDate, monthDay: string): IsoDate | undefined {
  const month = Number(monthDay.slice(0, 2));
  const day = Number(monthDay.slice(2, 4));
  const year = Number(valueDate.slice(0, 4));
  const sameYear = makeIsoDate(year, month, day);
  if (sameYear) {
    const gap = daysBetween(valueDate, sameYear);
    if (gap <= -330) return makeIsoDate(year + 1, month, day);
    if (gap >= 330) return makeIsoDate(year - 1, month, day);
    return sameYear;
  }
  return makeIsoDate(year + 1, month, day) ?? makeIsoDate(year - 1, month, day);
}

function parseLine(tag: Tag, currency: string, issues: FieldIssue[]): Mt940Line | undefined {
  const value = tag.value.replace(/\s+$/, "");
  const match = LINE_PATTERN.exec(value);
  const at = `rows.${tag.lineNumber}.61`;
  if (!match) {
    issues.push({
      field: at,
      reason: `"${value.split("\n")[0] ?? ""}" is not a statement line (date, D/C mark, amount, type, references)`,
    });
    return undefined;
  }
  const valueDate = toDate(match[1] ?? "");
  const entryText = match[2];
  const entryDate =
    valueDate && entryText && entryText.trim() !== "" ? guessEntryDate(valueDate, entryText) : undefined;
  const amount = decimalToMinor(match[5] ?? "", currency, ",");
  if (!valueDate) issues.push({ field: at, reason: `"${match[1] ?? ""}" is not a date YYMMDD` });
  if (entryText && entryText.trim() !== "" && !entryDate)
    issues.push({ field: at, reason: `"${entryText}" is not an entry date MMDD` });
  if (amount === undefined)
    issues.push({
      field: at,
      reason: `"${match[5] ?? ""}" is not an amount in ${currency || "the statement currency"}`,
    });
  if (!valueDate || amount === undefined || (entryText && entryText.trim() !== "" && !entryDate))
    return undefined;
  const mark = match[3] as Mt940Mark;
  return {
    lineNumber: tag.lineNumber,
    valueDate,
    ...(entryDate ? { entryDate } : {}),
    mark,
    ...(match[4] ? { fundsCode: match[4] } : {}),
    amountMinor: amount,
    signedAmountMinor: mark === "C" || mark === "RD" ? amount : -amount,
    currency,
    ...(match[6] ? { transactionType: match[6] } : {}),
    customerReference: match[7] ?? "",
    ...(match[8] !== undefined ? { bankReference: match[8] } : {}),
    supplementaryDetails: match[9] ?? "",
  };
}

/** Splits a structured :86: ("020?00text?20purpose...") into its subfields; undefined when it is free text. */
export function parseStructuredDetails(information: string): Mt940StructuredDetails | undefined {
  const joined = information.split("\n").join("");
  if (!/^\d{3}\?\d{2}/.test(joined)) return undefined;
  const fields = new Map<string, string>();
  const parts = joined.split("?");
  const details: Mt940StructuredDetails = { transactionCode: parts[0] ?? "" };
  for (const part of parts.slice(1)) {
    if (part.length < 2) continue;
    const code = part.slice(0, 2);
    const content = part.slice(2);
    fields.set(code, (fields.get(code) ?? "") + content);
  }
  const append = (current: string | undefined, content: string): string => (current ?? "") + content;
  for (const [code, content] of fields) {
    if (code === "00") details.postingText = content;
    else if (code === "10") details.primaNota = content;
    else if (code.startsWith("2")) details.purpose = append(details.purpose, content);
    else if (code === "30") details.applicantBankCode = content;
    else if (code === "31") details.applicantAccount = content;
    else if (code === "32" || code === "33") details.applicantName = append(details.applicantName, content);
    else if (code === "34") details.returnDebitNotes = content;
    else if (code === "35") details.recipientName = content;
    else if (code.startsWith("6")) details.additionalPurpose = append(details.additionalPurpose, content);
  }
  return details;
}

/**
 * Parses MT940 text (one or many statements, with or without SWIFT block headers) into statements. The whole file
 * is refused with INVALID_INPUT naming the file line and tag of every malformed field; unknown tags are ignored.
 */
export function parseMt940(input: string | Uint8Array): Mt940Statement[] {
  const messages = readTags(decode(input));
  const issues: FieldIssue[] = [];
  const statements: Mt940Statement[] = [];
  for (const tags of messages) {
    const reference = tags.find((tag) => tag.name === "20");
    if (!reference) {
      const first = tags[0];
      issues.push({
        field: `rows.${first?.lineNumber ?? 1}.20`,
        reason: "statement without a :20: transaction reference",
      });
      continue;
    }
    const statement: Mt940Statement = {
      transactionReference: reference.value.trim(),
      accountIdentification: "",
      statementNumber: "",
      openingIsIntermediate: false,
      closingIsIntermediate: false,
      forwardAvailableBalances: [],
      lines: [],
    };
    let currency = "";
    let lastWasLine = false;
    for (const tag of tags) {
      const trimmed = tag.value.trim();
      switch (tag.name) {
        case "20":
          break;
        case "21":
          statement.relatedReference = trimmed;
          break;
        case "25":
          statement.accountIdentification = trimmed;
          break;
        case "28":
        case "28C": {
          const match = /^(\d{1,5})(?:\/(\d{1,5}))?$/.exec(trimmed);
          if (!match)
            issues.push({
              field: `rows.${tag.lineNumber}.${tag.name}`,
              reason: `"${trimmed}" is not a statement number 5n[/5n]`,
            });
          else {
            statement.statementNumber = match[1] ?? "";
            if (match[2] !== undefined) statement.sequenceNumber = match[2];
          }
          break;
        }
        case "60F":
        case "60M": {
          const balance = parseBalance(tag, issues);
          if (balance) {
            statement.openingBalance = balance;
            statement.openingIsIntermediate = tag.name === "60M";
            currency = balance.currency;
          }
          break;
        }
        case "61": {
          if (currency === "") {
            issues.push({
              field: `rows.${tag.lineNumber}.61`,
              reason: "statement line before the opening balance (:60F:) that gives the currency",
            });
            break;
          }
          const line = parseLine(tag, currency, issues);
          if (line) statement.lines.push(line);
          lastWasLine = line !== undefined;
          continue;
        }
        case "86": {
          const information = tag.value
            .split("\n")
            .map((part) => part.replace(/\s+$/, ""))
            .join("\n")
            .replace(/^\s+/, "");
          const target = statement.lines.at(-1);
          if (lastWasLine && target) {
            target.information = information;
            const structured = parseStructuredDetails(tag.value.replace(/^\s+/, ""));
            if (structured) target.structured = structured;
          } else {
            statement.information =
              statement.information === undefined ? information : `${statement.information}\n${information}`;
          }
          break;
        }
        case "62F":
        case "62M": {
          const balance = parseBalance(tag, issues);
          if (balance) {
            statement.closingBalance = balance;
            statement.closingIsIntermediate = tag.name === "62M";
          }
          break;
        }
        case "64": {
          const balance = parseBalance(tag, issues);
          if (balance) statement.availableBalance = balance;
          break;
        }
        case "65": {
          const balance = parseBalance(tag, issues);
          if (balance) statement.forwardAvailableBalances.push(balance);
          break;
        }
        default:
          break;
      }
      lastWasLine = false;
    }
    if (statement.accountIdentification === "") {
      issues.push({
        field: `rows.${reference.lineNumber}.25`,
        reason: "statement without a :25: account identification",
      });
    }
    if (!statement.openingBalance)
      issues.push({
        field: `rows.${reference.lineNumber}.60F`,
        reason: "statement without an opening balance",
      });
    statements.push(statement);
  }
  if (statements.length === 0 && issues.length === 0)
    issues.push({ field: "file", reason: "no MT940 statement found (no :20: tag)" });
  if (issues.length > 0)
    throw AppError.invalidInput(issues, `MT940 file refused: ${issues.length} problem(s)`);
  return statements;
}

/** Opening balance + lines - closing balance, per statement; zero when the statement adds up. */
export function mt940BalanceGap(statement: Mt940Statement): bigint | undefined {
  if (!statement.openingBalance || !statement.closingBalance) return undefined;
  const moved = statement.lines.reduce((sum, line) => sum + line.signedAmountMinor, 0n);
  return statement.openingBalance.signedAmountMinor + moved - statement.closingBalance.signedAmountMinor;
}
