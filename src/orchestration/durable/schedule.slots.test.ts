import { describe, expect, it } from "vitest";
import { dueSlot, firstRun, latestSlot, nextSlot, parseSchedule } from "./schedule.slots.ts";

const at = (iso: string) => new Date(iso);

describe("parseSchedule", () => {
  it("reads every, cron, after and on", () => {
    expect(parseSchedule({ every: "PT15M" })).toEqual({ kind: "every", intervalMs: 900_000 });
    expect(parseSchedule({ every: { seconds: 2 } })).toEqual({ kind: "every", intervalMs: 2_000 });
    expect(parseSchedule({ cron: "0 9 * * 1-5" })).toEqual({
      kind: "cron",
      cron: "0 9 * * 1-5",
      timeZone: "UTC",
    });
    expect(parseSchedule({ after: "PT1H" })).toEqual({ kind: "after", delayMs: 3_600_000 });
    expect(parseSchedule({ on: { one: { with: { type: "a" } } } })).toEqual({
      kind: "on",
      mode: "one",
      filters: [{ with: { type: "a" } }],
    });
    expect(parseSchedule({ on: { all: [{ with: { type: "a" } }, { with: { type: "b" } }] } })).toMatchObject({
      mode: "all",
      filters: [{ with: { type: "a" } }, { with: { type: "b" } }],
    });
  });

  it("refuses what cannot be scheduled", () => {
    expect(() => parseSchedule({ cron: "0 0 9 * * 1" })).toThrow(/5 fields/);
    expect(() => parseSchedule({ cron: "61 * * * *" })).toThrow();
    expect(() => parseSchedule({ every: "PT0S" })).toThrow(/longer than zero/);
    expect(() => parseSchedule({})).toThrow(/every, cron, after or on/);
    expect(() => parseSchedule({ on: {} })).toThrow(/one, any or all/);
    expect(() => parseSchedule({ cron: "0 9 * * *" }, { timeZone: "Mars/Olympus" })).toThrow(/unknown/);
    expect(() => parseSchedule({ on: { any: [], until: "${ length > 2 }" } })).toThrow(/event strategy/);
  });
});

describe("every", () => {
  const spec = parseSchedule({ every: "PT15M" });

  it("puts slots on multiples of the period since the epoch", () => {
    expect(nextSlot(spec, at("2024-03-01T10:07:12Z"))).toEqual(at("2024-03-01T10:15:00Z"));
    expect(nextSlot(spec, at("2024-03-01T10:15:00Z"))).toEqual(at("2024-03-01T10:30:00Z"));
    expect(latestSlot(spec, at("2024-03-01T10:15:00Z"))).toEqual(at("2024-03-01T10:15:00Z"));
    expect(firstRun(spec, at("2024-03-01T10:07:12Z"))).toEqual(at("2024-03-01T10:15:00Z"));
  });

  it("is not due before its time and runs the slot that came", () => {
    expect(dueSlot(spec, at("2024-03-01T10:15:00Z"), at("2024-03-01T10:14:59Z"))).toBeUndefined();
    expect(dueSlot(spec, at("2024-03-01T10:15:00Z"), at("2024-03-01T10:15:00.400Z"))).toEqual({
      slot: at("2024-03-01T10:15:00Z"),
      next: at("2024-03-01T10:30:00Z"),
    });
  });

  it("catches up missed slots with one start for the latest", () => {
    expect(dueSlot(spec, at("2024-03-01T10:15:00Z"), at("2024-03-01T13:40:00Z"))).toEqual({
      slot: at("2024-03-01T13:30:00Z"),
      next: at("2024-03-01T13:45:00Z"),
    });
  });
});

describe("cron (UTC)", () => {
  const spec = parseSchedule({ cron: "0 9 * * 1-5" });

  it("finds the next and latest weekday 09:00", () => {
    // 2024-03-01 is a Friday.
    expect(nextSlot(spec, at("2024-03-01T09:00:00Z"))).toEqual(at("2024-03-04T09:00:00Z"));
    expect(nextSlot(spec, at("2024-03-01T08:59:00Z"))).toEqual(at("2024-03-01T09:00:00Z"));
    expect(latestSlot(spec, at("2024-03-01T09:00:00Z"))).toEqual(at("2024-03-01T09:00:00Z"));
    expect(latestSlot(spec, at("2024-03-03T12:00:00Z"))).toEqual(at("2024-03-01T09:00:00Z"));
  });

  it("handles lists, ranges and steps", () => {
    const steps = parseSchedule({ cron: "*/20 8-9 1,15 * *" });
    expect(nextSlot(steps, at("2024-03-01T08:45:00Z"))).toEqual(at("2024-03-01T09:00:00Z"));
    expect(nextSlot(steps, at("2024-03-01T09:40:00Z"))).toEqual(at("2024-03-15T08:00:00Z"));
  });

  it("catches up a week of missed days with one start", () => {
    expect(dueSlot(spec, at("2024-03-01T09:00:00Z"), at("2024-03-08T10:00:00Z"))).toEqual({
      slot: at("2024-03-08T09:00:00Z"),
      next: at("2024-03-11T09:00:00Z"),
    });
  });
});

describe("cron in a time zone", () => {
  const spec = parseSchedule({ cron: "0 9 * * 1-5" }, { timeZone: "Asia/Kolkata" });

  it("reads the expression in the business's zone", () => {
    // 09:00 in Kolkata (UTC+05:30) is 03:30 UTC; 2024-03-01 is a Friday.
    expect(spec).toMatchObject({ timeZone: "Asia/Kolkata" });
    expect(nextSlot(spec, at("2024-03-01T03:00:00Z"))).toEqual(at("2024-03-01T03:30:00Z"));
    expect(nextSlot(spec, at("2024-03-01T03:30:00Z"))).toEqual(at("2024-03-04T03:30:00Z"));
    expect(latestSlot(spec, at("2024-03-02T12:00:00Z"))).toEqual(at("2024-03-01T03:30:00Z"));
  });

  it("follows daylight saving time where the zone has it", () => {
    const london = parseSchedule({ cron: "0 9 * * *" }, { timeZone: "Europe/London" });
    expect(nextSlot(london, at("2024-03-29T12:00:00Z"))).toEqual(at("2024-03-30T09:00:00Z"));
    // Clocks go forward on 2024-03-31: 09:00 BST is 08:00 UTC.
    expect(nextSlot(london, at("2024-03-30T12:00:00Z"))).toEqual(at("2024-03-31T08:00:00Z"));
  });
});

describe("after", () => {
  const spec = parseSchedule({ after: "PT10M" });

  it("first runs one delay after the version became current, then waits for the instance to end", () => {
    expect(firstRun(spec, at("2024-03-01T10:00:00Z"))).toEqual(at("2024-03-01T10:10:00Z"));
    expect(dueSlot(spec, at("2024-03-01T10:10:00Z"), at("2024-03-01T12:00:00Z"))).toEqual({
      slot: at("2024-03-01T10:10:00Z"),
      next: null,
    });
  });
});

describe("on", () => {
  it("reads until as an event strategy on any", () => {
    expect(
      parseSchedule({
        on: { any: [{ with: { type: "a" } }], until: { one: { with: { type: "stop" } } } },
      }),
    ).toEqual({
      kind: "on",
      mode: "any",
      filters: [{ with: { type: "a" } }],
      until: { mode: "one", filters: [{ with: { type: "stop" } }] },
    });
    expect(parseSchedule({ on: { any: [], until: false } })).toEqual({
      kind: "on",
      mode: "any",
      filters: [],
    });
  });

  it("has no time slots", () => {
    const spec = parseSchedule({ on: { any: [] } });
    expect(firstRun(spec, at("2024-03-01T10:00:00Z"))).toBeNull();
    expect(dueSlot(spec, at("2024-03-01T10:00:00Z"), at("2024-03-01T11:00:00Z"))).toBeUndefined();
  });
});
