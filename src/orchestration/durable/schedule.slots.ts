import { CronExpressionParser } from "cron-parser";
import { durationToMilliseconds } from "../dsl/duration.parser.ts";
import type { EventFilter } from "./event.dispatcher.ts";

/**
 * A definition's `schedule`, reduced to what the scheduler needs. Time-based kinds produce slots; `on` starts
 * instances from matching events.
 */
export type ScheduleSpec =
  | { kind: "every"; intervalMs: number }
  | { kind: "cron"; cron: string; timeZone: string }
  | { kind: "after"; delayMs: number }
  | { kind: "on"; mode: "one" | "any" | "all"; filters: EventFilter[]; until?: UntilSpec };

/** `on.any.until` as an event strategy: once it is satisfied the schedule starts nothing more. */
export interface UntilSpec {
  mode: "one" | "any" | "all";
  filters: EventFilter[];
}

/** Cron expressions are read in the business's time zone unless it chose another. */
export const DEFAULT_TIME_ZONE = "Asia/Kolkata";

/** Whether the runtime knows an IANA time zone name. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: name });
    return name.trim() !== "";
  } catch {
    return false;
  }
}

export type ScheduleKind = ScheduleSpec["kind"];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function filterList(value: unknown, what: string): EventFilter[] {
  const list: unknown[] = Array.isArray(value) ? value : [value];
  if (!list.every(isObject)) throw new Error(`schedule.on.${what} must hold event filters`);
  return list;
}

function parseUntil(until: unknown): UntilSpec | undefined {
  if (until === undefined || until === false) return undefined;
  if (typeof until === "string") {
    throw new Error(
      "schedule.on.until must be an event strategy (one, any or all); expressions are not supported",
    );
  }
  if (!isObject(until)) throw new Error("schedule.on.until must be an event strategy");
  if (until.one !== undefined) return { mode: "one", filters: filterList(until.one, "until.one") };
  if (until.any !== undefined) return { mode: "any", filters: filterList(until.any, "until.any") };
  if (until.all !== undefined) return { mode: "all", filters: filterList(until.all, "until.all") };
  throw new Error("schedule.on.until needs one, any or all");
}

/**
 * Reads a document's `schedule`; throws with a readable message when it cannot be scheduled. Cron expressions are
 * read in `timeZone` (the business's; UTC when not given).
 */
export function parseSchedule(schedule: unknown, options: { timeZone?: string } = {}): ScheduleSpec {
  if (!isObject(schedule)) throw new Error("schedule must be an object");
  if (schedule.every !== undefined) {
    const intervalMs = durationToMilliseconds(schedule.every);
    if (intervalMs <= 0) throw new Error("schedule.every must be longer than zero");
    return { kind: "every", intervalMs };
  }
  if (schedule.cron !== undefined) {
    if (typeof schedule.cron !== "string") throw new Error("schedule.cron must be a string");
    const cron = schedule.cron.trim();
    if (cron.split(/\s+/).length !== 5) {
      throw new Error(
        `schedule.cron '${cron}' must have 5 fields (minute hour day-of-month month day-of-week)`,
      );
    }
    const timeZone = options.timeZone ?? "UTC";
    if (!isTimeZone(timeZone)) throw new Error(`time zone '${timeZone}' is unknown`);
    CronExpressionParser.parse(cron, { tz: timeZone, strict: false });
    return { kind: "cron", cron, timeZone };
  }
  if (schedule.after !== undefined) {
    const delayMs = durationToMilliseconds(schedule.after);
    return { kind: "after", delayMs };
  }
  if (isObject(schedule.on)) {
    const on = schedule.on;
    if (on.one !== undefined) return { kind: "on", mode: "one", filters: filterList(on.one, "one") };
    if (on.any !== undefined) {
      const until = parseUntil(on.until);
      return { kind: "on", mode: "any", filters: filterList(on.any, "any"), ...(until ? { until } : {}) };
    }
    if (on.all !== undefined) return { kind: "on", mode: "all", filters: filterList(on.all, "all") };
    throw new Error("schedule.on needs one, any or all");
  }
  throw new Error("schedule needs every, cron, after or on");
}

/** The first slot strictly after `after` (`every` slots are multiples of the period since the Unix epoch). */
export function nextSlot(spec: ScheduleSpec, after: Date): Date | undefined {
  switch (spec.kind) {
    case "every":
      return new Date((Math.floor(after.getTime() / spec.intervalMs) + 1) * spec.intervalMs);
    case "cron":
      return CronExpressionParser.parse(spec.cron, { tz: spec.timeZone ?? "UTC", currentDate: after })
        .next()
        .toDate();
    case "after":
    case "on":
      return undefined;
  }
}

/** The latest slot at or before `at`. */
export function latestSlot(spec: ScheduleSpec, at: Date): Date | undefined {
  switch (spec.kind) {
    case "every":
      return new Date(Math.floor(at.getTime() / spec.intervalMs) * spec.intervalMs);
    case "cron":
      // `prev` looks strictly before its start; a slot exactly at `at` counts as due.
      return CronExpressionParser.parse(spec.cron, {
        tz: spec.timeZone ?? "UTC",
        currentDate: new Date(at.getTime() + 1),
      })
        .prev()
        .toDate();
    case "after":
    case "on":
      return undefined;
  }
}

/** When a schedule that became current at `activatedAt` first runs (null: it waits for events). */
export function firstRun(spec: ScheduleSpec, activatedAt: Date): Date | null {
  if (spec.kind === "after") return new Date(activatedAt.getTime() + spec.delayMs);
  if (spec.kind === "on") return null;
  return nextSlot(spec, activatedAt) ?? null;
}

/**
 * The slot to start now for a schedule due at `nextRunAt`, and when it runs next. However many slots were
 * missed (everything was down), one instance starts: for the latest slot that has come; the rest are skipped.
 * `after` has a single slot, its due time; its next run is set when that instance ends.
 */
export function dueSlot(
  spec: ScheduleSpec,
  nextRunAt: Date,
  now: Date,
): { slot: Date; next: Date | null } | undefined {
  if (nextRunAt.getTime() > now.getTime()) return undefined;
  if (spec.kind === "after") return { slot: nextRunAt, next: null };
  if (spec.kind === "on") return undefined;
  const latest = latestSlot(spec, now);
  const slot = latest && latest.getTime() >= nextRunAt.getTime() ? latest : nextRunAt;
  return { slot, next: nextSlot(spec, slot) ?? null };
}
