import { AppError } from "../../kernel/app-error.ts";
import { isPlainObject } from "./json-pointer.util.ts";
import { isRuntimeExpression } from "./runtime-expression.ts";
import type { DurationObject } from "./workflow.types.ts";

/**
 * Durations of the DSL: ISO 8601 (`PT5M`, `P3D`, `P1DT2H`, `PT0.5S`, `P2W`) or the object form
 * `{ days, hours, minutes, seconds, milliseconds }`, to milliseconds.
 *
 * Years and months have no fixed length, so `P1Y` and `P1M` are refused rather than guessed.
 */

const MILLISECONDS = {
  week: 604_800_000,
  day: 86_400_000,
  hour: 3_600_000,
  minute: 60_000,
  second: 1_000,
} as const;
const ISO_DURATION =
  /^P(?!$)(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?=\d)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;
const DURATION_FIELDS = ["days", "hours", "minutes", "seconds", "milliseconds"] as const;

function invalid(message: string, value: unknown): AppError {
  return new AppError({ code: "INVALID_INPUT", message, details: { duration: value } });
}

/** Milliseconds of an ISO 8601 duration. Throws AppError (INVALID_INPUT). */
export function parseIsoDuration(text: string): number {
  const match = ISO_DURATION.exec(text.trim());
  if (!match) throw invalid(`'${text}' is not an ISO 8601 duration (for example PT5M, P3D, P1DT2H)`, text);
  const [, years, months, weeks, days, hours, minutes, seconds] = match;
  if (years !== undefined || months !== undefined) {
    throw invalid(
      `'${text}' uses years or months, which have no fixed length; use weeks, days or smaller units`,
      text,
    );
  }
  const total =
    Number(weeks ?? 0) * MILLISECONDS.week +
    Number(days ?? 0) * MILLISECONDS.day +
    Number(hours ?? 0) * MILLISECONDS.hour +
    Number(minutes ?? 0) * MILLISECONDS.minute +
    Number(seconds ?? 0) * MILLISECONDS.second;
  return checked(Math.round(total), text);
}

/** Milliseconds of the object form. Throws AppError (INVALID_INPUT). */
export function durationObjectToMilliseconds(duration: DurationObject): number {
  const unknownFields = Object.keys(duration).filter(
    (key) => !(DURATION_FIELDS as readonly string[]).includes(key),
  );
  if (unknownFields.length > 0)
    throw invalid(`unknown duration field ${unknownFields.map((key) => `'${key}'`).join(", ")}`, duration);
  let total = 0;
  for (const field of DURATION_FIELDS) {
    const amount = duration[field];
    if (amount === undefined) continue;
    if (typeof amount !== "number" || !Number.isFinite(amount) || amount < 0) {
      throw invalid(`duration field '${field}' must be a non-negative number`, duration);
    }
    const unit =
      field === "milliseconds" ? 1 : MILLISECONDS[field.slice(0, -1) as "day" | "hour" | "minute" | "second"];
    total += amount * unit;
  }
  return checked(Math.round(total), duration);
}

/**
 * Milliseconds of a literal duration (ISO string or object). A runtime expression must be evaluated
 * first: passing one throws.
 */
export function durationToMilliseconds(duration: unknown): number {
  if (typeof duration === "string") {
    if (isRuntimeExpression(duration))
      throw invalid("a duration expression must be evaluated before it is converted", duration);
    return parseIsoDuration(duration);
  }
  if (isPlainObject(duration)) return durationObjectToMilliseconds(duration);
  throw invalid(
    "a duration must be an ISO 8601 string or an object of days, hours, minutes, seconds and milliseconds",
    duration,
  );
}

function checked(total: number, original: unknown): number {
  if (!Number.isSafeInteger(total)) throw invalid("the duration is too long", original);
  return total;
}

/** `PT1H30M` style text for a number of milliseconds (for messages). */
export function formatDuration(milliseconds: number): string {
  if (milliseconds <= 0) return "PT0S";
  let rest = milliseconds;
  const days = Math.floor(rest / MILLISECONDS.day);
  rest -= days * MILLISECONDS.day;
  const hours = Math.floor(rest / MILLISECONDS.hour);
  rest -= hours * MILLISECONDS.hour;
  const minutes = Math.floor(rest / MILLISECONDS.minute);
  rest -= minutes * MILLISECONDS.minute;
  const seconds = rest / MILLISECONDS.second;
  const time = `${hours ? `${hours}H` : ""}${minutes ? `${minutes}M` : ""}${seconds ? `${seconds}S` : ""}`;
  return `P${days ? `${days}D` : ""}${time ? `T${time}` : ""}`;
}
