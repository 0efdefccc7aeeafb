import { z } from "zod";
import { AppError, type FieldIssue } from "../../kernel/app-error.ts";
import { parseRupees, type Paise } from "../../kernel/money.ts";
import {
  DATE_LAYOUTS,
  readDate,
  tdsQuarterOf,
  type DateLayout,
  type IsoDate,
  type TdsQuarter,
} from "./calendar-date.ts";
import { cellOf, isBlankRow, locateColumns, readCsvRows } from "./csv-table.ts";
import { parseWith, rowField } from "./field-issues.ts";
import { normaliseSectionCode, type TdsNature, type TdsSection } from "./tds-rates.data.ts";

/** TAN: 4 letters, 5 digits, 1 letter (Income-tax Rules, Rule 114A / Form 49B). */
export const TAN_PATTERN = /^[A-Z]{4}\d{5}[A-Z]$/;

/**
 * Booking status printed by TRACES in Form 26AS: F final, O overbooked, P provisional (government book
 * adjustment), U unmatched (deductor's challan not matched: no credit yet).
 */
export const BOOKING_STATUSES = { F: "final", O: "overbooked", P: "provisional", U: "unmatched" } as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[keyof typeof BOOKING_STATUSES];

/** Saved column mapping of a Form 26AS / AIS CSV: our field -> the header text in the file. */
export const ZForm26asMapping = z.object({
  deductorName: z.string().min(1),
  tan: z.string().min(1),
  section: z.string().min(1),
  transactionDate: z.string().min(1),
  amountPaid: z.string().min(1),
  taxDeducted: z.string().min(1),
  bookingStatus: z.string().min(1).optional(),
  taxDeposited: z.string().min(1).optional(),
  dateLayouts: z
    .array(z.enum(DATE_LAYOUTS as [DateLayout, ...DateLayout[]]))
    .min(1)
    .optional(),
  delimiter: z.enum([",", ";", "\t", "^", "|"]).optional(),
});
export type Form26asMapping = z.input<typeof ZForm26asMapping>;

/** Column headers of the TRACES Form 26AS Part-I transaction table. */
export const TRACES_26AS_MAPPING: Form26asMapping = {
  deductorName: "Name of Deductor",
  tan: "TAN of Deductor",
  section: "Section",
  transactionDate: "Transaction Date",
  amountPaid: "Amount Paid / Credited",
  taxDeducted: "Tax Deducted",
  taxDeposited: "TDS Deposited",
  bookingStatus: "Status of Booking",
};

export interface Form26asCredit {
  rowNumber: number;
  deductorName: string;
  tan: string;
  /** Section as printed, upper case ("194JB"). */
  sectionCode: string;
  /** Our section when it is one that applies to receivables; undefined for other sections (e.g. 194A interest). */
  section?: TdsSection;
  nature?: TdsNature;
  transactionDate: IsoDate;
  financialYear: string;
  quarter: TdsQuarter;
  amountPaidPaise: Paise;
  taxDeductedPaise: Paise;
  taxDepositedPaise?: Paise;
  bookingStatus: BookingStatus;
}

const DEFAULT_LAYOUTS: DateLayout[] = [
  "dd-MMM-yyyy",
  "dd/MM/yyyy",
  "dd-MM-yyyy",
  "yyyy-MM-dd",
  "dd MMM yyyy",
];

function readAmount(text: string): Paise | undefined {
  try {
    return parseRupees(text.replace(/^\((.*)\)$/, "-$1"));
  } catch {
    return undefined;
  }
}

function readBookingStatus(text: string): BookingStatus | undefined {
  const value = text.trim().toUpperCase();
  if (value === "") return "final";
  if (value in BOOKING_STATUSES) return BOOKING_STATUSES[value as keyof typeof BOOKING_STATUSES];
  const word = Object.values(BOOKING_STATUSES).find((status) => status.toUpperCase() === value);
  return word;
}

/**
 * Reads a Form 26AS / AIS TDS export with a saved column mapping. The whole file is refused (INVALID_INPUT) when
 * anything is wrong, with one issue per bad cell: `rows.<line>.<field>` and the reason, or `columns.<field>` for a
 * missing column.
 */
export function parseForm26asCsv(options: { text: string; mapping: Form26asMapping }): Form26asCredit[] {
  const mapping = parseWith(ZForm26asMapping, options.mapping, "mapping");
  const rows = readCsvRows({
    text: options.text,
    ...(mapping.delimiter ? { delimiter: mapping.delimiter } : {}),
  });
  const { dateLayouts: _layouts, delimiter: _delimiter, ...columnMapping } = mapping;
  const { headerIndex, columns } = locateColumns<keyof typeof columnMapping>({
    rows,
    mapping: columnMapping,
    required: ["deductorName", "tan", "section", "transactionDate", "amountPaid", "taxDeducted"],
  });
  const layouts = mapping.dateLayouts ?? DEFAULT_LAYOUTS;
  const issues: FieldIssue[] = [];
  const credits: Form26asCredit[] = [];
  for (const row of rows.slice(headerIndex + 1)) {
    const mapped = Object.values(columns).map((index) => cellOf(row, index));
    if (isBlankRow(mapped)) continue;
    const at = (field: string): string => rowField(row.lineNumber, field);
    const rowIssues: FieldIssue[] = [];
    const deductorName = cellOf(row, columns.deductorName);
    if (deductorName === "") rowIssues.push({ field: at("deductorName"), reason: "deductor name is empty" });
    const tan = cellOf(row, columns.tan).toUpperCase();
    if (!TAN_PATTERN.test(tan)) {
      rowIssues.push({
        field: at("tan"),
        reason: `"${tan}" is not a TAN (4 letters, 5 digits, 1 letter: AAAA99999A)`,
      });
    }
    const sectionText = cellOf(row, columns.section);
    const section = normaliseSectionCode(sectionText);
    if (!section.known) rowIssues.push({ field: at("section"), reason: `unknown section "${sectionText}"` });
    const dateText = cellOf(row, columns.transactionDate);
    const transactionDate = layouts
      .map((layout) => readDate(dateText, layout))
      .find((date) => date !== undefined);
    if (!transactionDate)
      rowIssues.push({
        field: at("transactionDate"),
        reason: `"${dateText}" is not a date in ${layouts.join(" or ")}`,
      });
    const amounts: Array<["amountPaid" | "taxDeducted" | "taxDeposited", Paise | undefined]> = [];
    for (const field of ["amountPaid", "taxDeducted", "taxDeposited"] as const) {
      if (columns[field] === undefined) continue;
      const text = cellOf(row, columns[field]);
      if (field === "taxDeposited" && text === "") continue;
      const value = readAmount(text);
      if (value === undefined)
        rowIssues.push({ field: at(field), reason: `"${text}" is not an amount in rupees` });
      else if (value < 0n) rowIssues.push({ field: at(field), reason: "must not be negative" });
      amounts.push([field, value]);
    }
    const status = readBookingStatus(cellOf(row, columns.bookingStatus));
    if (!status) {
      rowIssues.push({
        field: at("bookingStatus"),
        reason: `unknown booking status "${cellOf(row, columns.bookingStatus)}" (F, O, P or U)`,
      });
    }
    const amountPaid = amounts.find(([field]) => field === "amountPaid")?.[1];
    const taxDeducted = amounts.find(([field]) => field === "taxDeducted")?.[1];
    const taxDeposited = amounts.find(([field]) => field === "taxDeposited")?.[1];
    if (
      amountPaid !== undefined &&
      taxDeducted !== undefined &&
      taxDeducted > amountPaid &&
      amountPaid >= 0n
    ) {
      rowIssues.push({ field: at("taxDeducted"), reason: "tax deducted is more than the amount paid" });
    }
    if (
      rowIssues.length > 0 ||
      !transactionDate ||
      amountPaid === undefined ||
      taxDeducted === undefined ||
      !status
    ) {
      issues.push(...rowIssues);
      continue;
    }
    const quarter = tdsQuarterOf(transactionDate);
    credits.push({
      rowNumber: row.lineNumber,
      deductorName,
      tan,
      sectionCode: section.printed,
      ...(section.section ? { section: section.section } : {}),
      ...(section.nature ? { nature: section.nature } : {}),
      transactionDate,
      financialYear: quarter.financialYear,
      quarter: quarter.quarter,
      amountPaidPaise: amountPaid,
      taxDeductedPaise: taxDeducted,
      ...(taxDeposited !== undefined ? { taxDepositedPaise: taxDeposited } : {}),
      bookingStatus: status,
    });
  }
  if (issues.length > 0)
    throw AppError.invalidInput(issues, `Form 26AS file refused: ${issues.length} problem(s)`);
  return credits;
}
