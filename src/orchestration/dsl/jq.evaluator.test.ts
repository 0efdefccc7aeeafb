import { describe, expect, it } from "vitest";
import { ExpressionError } from "./expression.error.ts";
import {
  checkJqFilter,
  checkJqFilters,
  evaluateJq,
  evaluateJqBatch,
  mentionsNow,
  referencedVariables,
} from "./jq.evaluator.ts";

describe("evaluateJq", () => {
  it("returns every output of a filter", () => {
    expect(evaluateJq(".items[] | .id", { items: [{ id: 1 }, { id: 2 }] })).toEqual([1, 2]);
    expect(evaluateJq("empty", null)).toEqual([]);
  });

  it("binds variables as JSON", () => {
    expect(evaluateJq("$context.limit - .used", { used: 3 }, { context: { limit: 10 } })).toEqual([7]);
    expect(
      evaluateJq('"\\($input.name) owes \\(.amount)"', { amount: 5 }, { input: { name: "Asha" } }),
    ).toEqual(["Asha owes 5"]);
  });

  it("keeps a trailing comment from swallowing the wrapper", () => {
    expect(evaluateJq(".a # the a field", { a: 1 })).toEqual([1]);
  });

  it("raises runtime errors as ExpressionError with the raised value", () => {
    let caught: unknown;
    try {
      evaluateJq('error({code: "E1"})', null);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ExpressionError);
    expect((caught as ExpressionError).phase).toBe("evaluate");
    expect((caught as ExpressionError).raised).toEqual({ code: "E1" });
    expect(() => evaluateJq(".a.b", { a: 5 })).toThrow(/Cannot index number with string "b"/);
  });

  it("raises compile errors as ExpressionError and leaves process.exitCode alone", () => {
    const before = process.exitCode;
    let caught: unknown;
    try {
      evaluateJq(".a |||", null);
    } catch (error) {
      caught = error;
    }
    expect((caught as ExpressionError).phase).toBe("compile");
    expect((caught as ExpressionError).message).toMatch(/syntax error/);
    expect(process.exitCode).toBe(before);
    expect(() => evaluateJq('"stop" | halt_error', null)).toThrow(ExpressionError);
    expect(process.exitCode).toBe(before);
  });

  it("hides the process environment", () => {
    expect(evaluateJq("[$ENV, env]", null)).toEqual([[{}, {}]]);
  });

  it("makes now deterministic when a time is given", () => {
    expect(evaluateJq("now | todate", null, {}, { now: 1_700_000_000 })).toEqual(["2023-11-14T22:13:20Z"]);
    expect(evaluateJq(".now", { now: 1 }, {}, { now: 5 })).toEqual([1]);
  });

  it("reads simple paths without jq and with jq's semantics", () => {
    expect(evaluateJq(".a.b", { a: { b: [1] } })).toEqual([[1]]);
    expect(evaluateJq(".a.b", { a: null })).toEqual([null]);
    expect(evaluateJq(".missing", {})).toEqual([null]);
    expect(evaluateJq("$x.y", null, { x: { y: 2 } })).toEqual([2]);
    expect(() => evaluateJq("$undefinedVariable", null)).toThrow(/not defined/);
    expect(() => evaluateJq(".a", "text")).toThrow(/Cannot index string/);
  });
});

describe("evaluateJqBatch", () => {
  it("evaluates several filters in one call, each succeeding or failing on its own", () => {
    const results = evaluateJqBatch([".a + 1", 'error("no")', "[.a, .a]"], { a: 1 });
    expect(results[0]).toEqual({ ok: true, outputs: [2] });
    expect(results[1]?.ok).toBe(false);
    expect(results[2]).toEqual({ ok: true, outputs: [[1, 1]] });
  });

  it("isolates the filter that does not compile", () => {
    const results = evaluateJqBatch([".a", ".b |||", ".c + 1"], { a: 1, b: 2, c: 3 });
    expect(results[0]).toEqual({ ok: true, outputs: [1] });
    expect(results[1]?.ok === false && results[1].error.phase).toBe("compile");
    expect(results[2]).toEqual({ ok: true, outputs: [4] });
  });
});

describe("compile checks", () => {
  it("reports syntax errors and undefined variables without running anything", () => {
    expect(checkJqFilter(".a | map(.b)")).toBeUndefined();
    expect(checkJqFilter('error("would fail at run time")')).toBeUndefined();
    expect(checkJqFilter(".a ||")).toMatch(/syntax error/);
    expect(checkJqFilter("$input.a")).toBe("$input is not defined");
    expect(checkJqFilter("$input.a", ["input"])).toBeUndefined();
  });

  it("checks batches filter by filter when one fails", () => {
    expect(
      checkJqFilters([
        { filter: ".a", variables: [] },
        { filter: "$item", variables: ["item"] },
        { filter: "if . then 1", variables: [] },
        { filter: "$item", variables: [] },
      ]),
    ).toEqual([undefined, undefined, expect.stringMatching(/syntax error/), "$item is not defined"]);
  });
});

describe("scanning helpers", () => {
  it("finds referenced variables and now", () => {
    expect([...referencedVariables('$input.a + $context["b"] + $ENV.x')]).toEqual(["input", "context"]);
    expect(mentionsNow("now | todate")).toBe(true);
    expect(mentionsNow(".now + $now + .a.nowhere")).toBe(false);
  });
});
