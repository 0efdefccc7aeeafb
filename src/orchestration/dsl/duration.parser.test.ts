import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  durationObjectToMilliseconds,
  durationToMilliseconds,
  formatDuration,
  parseIsoDuration,
} from "./duration.parser.ts";

describe("ISO 8601 durations", () => {
  it.each([
    ["PT5M", 300_000],
    ["P3D", 259_200_000],
    ["P1DT2H", 93_600_000],
    ["PT30S", 30_000],
    ["PT0.5S", 500],
    ["PT1H30M15S", 5_415_000],
    ["P2W", 1_209_600_000],
    ["PT1.5H", 5_400_000],
  ])("%s is %d ms", (text, expected) => {
    expect(parseIsoDuration(text)).toBe(expected);
  });

  it.each(["P", "PT", "5M", "P1DT", "PT-5M", "P1H", "PT5X", ""])("refuses %j", (text) => {
    expect(() => parseIsoDuration(text)).toThrow(/not an ISO 8601 duration/);
  });

  it("refuses years and months, which have no fixed length", () => {
    expect(() => parseIsoDuration("P1Y")).toThrow(/years or months/);
    expect(() => parseIsoDuration("P2M")).toThrow(/years or months/);
    expect(parseIsoDuration("PT2M")).toBe(120_000);
  });
});

describe("object durations", () => {
  it("adds all fields", () => {
    expect(durationObjectToMilliseconds({ days: 1, hours: 2, minutes: 3, seconds: 4, milliseconds: 5 })).toBe(
      93_784_005,
    );
    expect(durationToMilliseconds({ seconds: 30 })).toBe(30_000);
  });

  it("refuses negative amounts and unknown fields", () => {
    expect(() => durationObjectToMilliseconds({ seconds: -1 })).toThrow(/non-negative/);
    expect(() => durationToMilliseconds({ sekonds: 1 })).toThrow(/unknown duration field 'sekonds'/);
  });

  it("refuses unevaluated expressions and other types", () => {
    expect(() => durationToMilliseconds("${ .delay }")).toThrow(/evaluated/);
    expect(() => durationToMilliseconds(5)).toThrow(/ISO 8601 string or an object/);
  });

  it("agrees between the two forms", () => {
    fc.assert(
      fc.property(
        fc.record({ days: fc.nat(400), hours: fc.nat(23), minutes: fc.nat(59), seconds: fc.nat(59) }),
        ({ days, hours, minutes, seconds }) => {
          const iso = `P${days}DT${hours}H${minutes}M${seconds}S`;
          expect(parseIsoDuration(iso)).toBe(durationObjectToMilliseconds({ days, hours, minutes, seconds }));
          expect(parseIsoDuration(formatDuration(parseIsoDuration(iso)))).toBe(parseIsoDuration(iso));
        },
      ),
    );
  });
});
