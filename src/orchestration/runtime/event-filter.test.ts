import { describe, expect, it } from "vitest";
import { matchesEventProperties } from "./event-filter.ts";
import type { CloudEvent } from "./runtime-host.port.ts";

describe("event filters", () => {
  const event: CloudEvent = {
    specversion: "1.0",
    id: "1",
    source: "https://bank.example/hdfc",
    type: "bank.credit",
    data: { amount: 120, ref: "INV-1" },
  };
  const test = (expression: string, value: unknown): boolean => {
    const amount = (value as { amount?: number }).amount ?? 0;
    return expression === ".amount > 100" ? amount > 100 : false;
  };

  it("matches exact values, full regular expressions, expressions on the attribute and nested objects", () => {
    expect(matchesEventProperties(event, { type: "bank.credit" }, test)).toBe(true);
    expect(matchesEventProperties(event, { source: "https://bank\\.example/.*" }, test)).toBe(true);
    expect(matchesEventProperties(event, { type: "bank" }, test)).toBe(false);
    expect(matchesEventProperties(event, { data: "${ .amount > 100 }" }, test)).toBe(true);
    expect(matchesEventProperties(event, { data: { ref: "INV-.*" } }, test)).toBe(true);
    expect(matchesEventProperties(event, { data: { ref: "INV-2" } }, test)).toBe(false);
    expect(matchesEventProperties(event, { subject: "x" }, test)).toBe(false);
    expect(matchesEventProperties(event, { type: "[unclosed" }, test)).toBe(false);
  });
});
