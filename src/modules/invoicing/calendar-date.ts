import { AppError } from "../../kernel/app-error.ts";

/**
 * A calendar date without time or zone, "YYYY-MM-DD". Invoice dates, due dates and the MSMED Act's day counts are
 * about Indian calendar days, so they are never derived from instants inside the domain logic.
 */
export type CalendarDate = string & { readonly __brand: "CalendarDate" };

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** True when the text is a real date in YYYY-MM-DD form (so 2025-02-29 is not). */
export function isCalendarDate(text: string): text is CalendarDate {
  const match = DATE_PATTERN.exec(text);
  if (!match) return false;
  const [, year, month, day] = match;
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  return (
    date.getUTCFullYear() === Number(year) &&
    date.getUTCMonth() === Number(month) - 1 &&
    date.getUTCDate() === Number(day)
  );
}

export function parseCalendarDate(text: string, field = "date"): CalendarDate {
  if (!isCalendarDate(text)) {
    throw AppError.invalidInput([{ field, reason: `"${text}" is not a date in YYYY-MM-DD form` }]);
  }
  return text;
}

function toEpochDay(date: CalendarDate): number {
  return Math.round(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}

function fromEpochDay(day: number): CalendarDate {
  return new Date(day * DAY_MS).toISOString().slice(0, 10) as CalendarDate;
}

export function addDays(date: CalendarDate, days: number): CalendarDate {
  return fromEpochDay(toEpochDay(date) + days);
}

/** Whole days from `from` to `to` (positive when `to` is later). */
export function daysBetween(from: CalendarDate, to: CalendarDate): number {
  return toEpochDay(to) - toEpochDay(from);
}

export function compareDates(a: CalendarDate, b: CalendarDate): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function earlierOf(a: CalendarDate, b: CalendarDate): CalendarDate {
  return a <= b ? a : b;
}

/** Indian financial year (April-March) of a date in the "YYYY-YY" form the IRN uses: 2019-05-01 -> "2019-20". */
export function financialYearOf(date: CalendarDate): string {
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  const start = month >= 4 ? year : year - 1;
  return `${start}-${String((start + 1) % 100).padStart(2, "0")}`;
}

/** "16/09/2022" as the e-invoice wants it. */
export function formatDayMonthYear(date: CalendarDate): string {
  return `${date.slice(8, 10)}/${date.slice(5, 7)}/${date.slice(0, 4)}`;
}
