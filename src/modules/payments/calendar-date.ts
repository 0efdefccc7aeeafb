/**
 * Calendar dates as ISO strings ("2025-06-30"), financial years (April to March) and TDS quarters.
 * Pure arithmetic on epoch days; no time zones and no system clock.
 */

export type IsoDate = string;

export type TdsQuarter = "Q1" | "Q2" | "Q3" | "Q4";

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** True when `value` is a real calendar date written as YYYY-MM-DD. */
export function isIsoDate(value: unknown): value is IsoDate {
  if (typeof value !== "string") return false;
  const match = ISO_DATE.exec(value);
  if (!match) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  return (
    year >= 1900 && year <= 2999 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month)
  );
}

/** Builds an ISO date from parts, or undefined when the parts are not a real date. */
export function makeIsoDate(year: number, month: number, day: number): IsoDate | undefined {
  const text = `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
  return isIsoDate(text) ? text : undefined;
}

function parts(date: IsoDate): [number, number, number] {
  const match = ISO_DATE.exec(date);
  if (!match) throw new RangeError(`not an ISO date: ${date}`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/** Days since 1970-01-01 (proleptic Gregorian). */
export function toEpochDay(date: IsoDate): number {
  const [year, month, day] = parts(date);
  return Math.floor(Date.UTC(year, month - 1, day) / 86_400_000);
}

export function fromEpochDay(epochDay: number): IsoDate {
  return new Date(epochDay * 86_400_000).toISOString().slice(0, 10);
}

export function addDays(date: IsoDate, days: number): IsoDate {
  return fromEpochDay(toEpochDay(date) + days);
}

/** Signed number of days from `from` to `to`. */
export function daysBetween(from: IsoDate, to: IsoDate): number {
  return toEpochDay(to) - toEpochDay(from);
}

/** Calendar date of an instant in India Standard Time (UTC+05:30, no daylight saving). */
export function istDateOf(instant: Date): IsoDate {
  return new Date(instant.getTime() + 330 * 60_000).toISOString().slice(0, 10);
}

/** Financial year label of a date, "2025-26" for 1 Apr 2025 .. 31 Mar 2026. */
export function financialYearOf(date: IsoDate): string {
  const [year, month] = parts(date);
  const start = month >= 4 ? year : year - 1;
  return `${start}-${String((start + 1) % 100).padStart(2, "0")}`;
}

/** First calendar year of a financial-year label ("2025-26" -> 2025), or undefined when malformed. */
export function financialYearStart(label: string): number | undefined {
  const match = /^(\d{4})-(\d{2})$/.exec(label);
  if (!match) return undefined;
  const start = Number(match[1]);
  return (start + 1) % 100 === Number(match[2]) ? start : undefined;
}

/** TDS quarter of a date: Q1 Apr-Jun, Q2 Jul-Sep, Q3 Oct-Dec, Q4 Jan-Mar. */
export function tdsQuarterOf(date: IsoDate): { financialYear: string; quarter: TdsQuarter } {
  const [, month] = parts(date);
  const quarter: TdsQuarter =
    month >= 4 && month <= 6 ? "Q1" : month <= 9 && month >= 7 ? "Q2" : month >= 10 ? "Q3" : "Q4";
  return { financialYear: financialYearOf(date), quarter };
}

/**
 * Due date of the quarterly TDS statement (Form 24Q/26Q, Rule 31A(2) of the Income-tax Rules, 1962):
 * 31 July, 31 October, 31 January for Q1-Q3 and 31 May after the financial year for Q4.
 */
export function tdsReturnDueDate(financialYear: string, quarter: TdsQuarter): IsoDate {
  const start = financialYearStart(financialYear);
  if (start === undefined) throw new RangeError(`not a financial year: ${financialYear}`);
  switch (quarter) {
    case "Q1":
      return `${start}-07-31`;
    case "Q2":
      return `${start}-10-31`;
    case "Q3":
      return `${start + 1}-01-31`;
    case "Q4":
      return `${start + 1}-05-31`;
  }
}

/** Ordinal of a quarter across years, so that adjacent quarters differ by one. */
export function quarterOrdinal(financialYear: string, quarter: TdsQuarter): number {
  const start = financialYearStart(financialYear) ?? 0;
  return start * 4 + Number(quarter.slice(1)) - 1;
}

export function compareIsoDates(a: IsoDate, b: IsoDate): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const MONTH_NAMES = [
  "JANUARY",
  "FEBRUARY",
  "MARCH",
  "APRIL",
  "MAY",
  "JUNE",
  "JULY",
  "AUGUST",
  "SEPTEMBER",
  "OCTOBER",
  "NOVEMBER",
  "DECEMBER",
];

function monthFromName(name: string): number {
  const upper = name.toUpperCase();
  const short = MONTHS.indexOf(upper);
  if (short >= 0) return short + 1;
  if (upper === "SEPT") return 9;
  return MONTH_NAMES.indexOf(upper) + 1;
}

/** Date layouts found in Indian bank and tax exports. */
export type DateLayout =
  | "dd/MM/yyyy"
  | "dd/MM/yy"
  | "dd-MM-yyyy"
  | "dd-MM-yy"
  | "dd.MM.yyyy"
  | "dd-MMM-yyyy"
  | "dd-MMM-yy"
  | "dd MMM yyyy"
  | "dd/MMM/yyyy"
  | "yyyy-MM-dd";

export const DATE_LAYOUTS: readonly DateLayout[] = [
  "dd/MM/yyyy",
  "dd/MM/yy",
  "dd-MM-yyyy",
  "dd-MM-yy",
  "dd.MM.yyyy",
  "dd-MMM-yyyy",
  "dd-MMM-yy",
  "dd MMM yyyy",
  "dd/MMM/yyyy",
  "yyyy-MM-dd",
];

function expandYear(text: string): number {
  const value = Number(text);
  return text.length === 2 ? (value < 70 ? 2000 + value : 1900 + value) : value;
}

/** Reads a date in one layout; two-digit years 00-69 are 2000-2069 and 70-99 are 1970-1999. */
export function readDate(text: string, layout: DateLayout): IsoDate | undefined {
  const value = text.trim();
  let match: RegExpExecArray | null;
  switch (layout) {
    case "yyyy-MM-dd":
      match = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(value);
      return match ? makeIsoDate(Number(match[1]), Number(match[2]), Number(match[3])) : undefined;
    case "dd/MM/yyyy":
    case "dd-MM-yyyy":
    case "dd.MM.yyyy": {
      const separator = layout.charAt(2);
      match = new RegExp(`^(\\d{1,2})\\${separator}(\\d{1,2})\\${separator}(\\d{4})$`).exec(value);
      return match ? makeIsoDate(Number(match[3]), Number(match[2]), Number(match[1])) : undefined;
    }
    case "dd/MM/yy":
    case "dd-MM-yy": {
      const separator = layout.charAt(2);
      match = new RegExp(`^(\\d{1,2})\\${separator}(\\d{1,2})\\${separator}(\\d{2})$`).exec(value);
      return match ? makeIsoDate(expandYear(match[3] ?? ""), Number(match[2]), Number(match[1])) : undefined;
    }
    case "dd-MMM-yyyy":
    case "dd-MMM-yy":
    case "dd MMM yyyy":
    case "dd/MMM/yyyy": {
      const separator = layout.charAt(2) === " " ? " " : `\\${layout.charAt(2)}`;
      const yearDigits = layout.endsWith("yyyy") ? 4 : 2;
      match = new RegExp(`^(\\d{1,2})${separator}([A-Za-z]{3,9})${separator}(\\d{${yearDigits}})$`).exec(
        value,
      );
      if (!match) return undefined;
      const month = monthFromName(match[2] ?? "");
      if (month === 0) return undefined;
      return makeIsoDate(expandYear(match[3] ?? ""), month, Number(match[1]));
    }
  }
}
