import { describe, expect, it } from "vitest";
import {
  collectTemplateExpressions,
  evaluateCondition,
  evaluateExpression,
  evaluateTemplate,
  expressionOf,
  isRuntimeExpression,
  parseTemplateString,
} from "./runtime-expression.ts";

describe("template strings", () => {
  it("classifies literals, whole expressions and interpolations", () => {
    expect(parseTemplateString("plain")).toEqual({ kind: "literal", text: "plain" });
    expect(parseTemplateString("  ${ .a }  ")).toEqual({ kind: "expression", expression: ".a" });
    expect(parseTemplateString("Dear ${ .name }, pay ${ .amount }")).toEqual({
      kind: "interpolation",
      parts: ["Dear ", { expression: ".name" }, ", pay ", { expression: ".amount" }],
    });
    expect(parseTemplateString("${ .a } and ${ .b }").kind).toBe("interpolation");
    expect(parseTemplateString("unterminated ${ .a").kind).toBe("literal");
  });

  it("ignores braces inside jq strings and object constructors", () => {
    expect(parseTemplateString('${ { a: "}" } }')).toEqual({ kind: "expression", expression: '{ a: "}" }' });
    expect(parseTemplateString('${ "x\\(.a | "}")y" }')).toEqual({
      kind: "expression",
      expression: '"x\\(.a | "}")y"',
    });
  });

  it("strips the optional wrapper of expression fields", () => {
    expect(expressionOf(".a == 1")).toBe(".a == 1");
    expect(expressionOf("${ .a == 1 }")).toBe(".a == 1");
    expect(isRuntimeExpression("${.a}")).toBe(true);
    expect(isRuntimeExpression(".a")).toBe(false);
  });

  it("collects expressions with their pointers", () => {
    expect(
      collectTemplateExpressions({ a: "${ .x }", b: ["lit", "n=${ .n }"], c: { "d/e": "${ .y }" } }, "/set"),
    ).toEqual([
      { pointer: "/set/a", expression: ".x" },
      { pointer: "/set/b/1", expression: ".n" },
      { pointer: "/set/c/d~1e", expression: ".y" },
    ]);
  });
});

describe("evaluation", () => {
  it("evaluates templates in one pass and keeps literals", () => {
    const template = {
      shape: "circle",
      size: "${ .size }",
      label: "size ${ .size.w }x${ .size.h }",
      list: ["${ $k }", 3],
    };
    expect(evaluateTemplate(template, { size: { w: 6, h: 4 } }, { k: true })).toEqual({
      shape: "circle",
      size: { w: 6, h: 4 },
      label: "size 6x4",
      list: [true, 3],
    });
    expect(template.size).toBe("${ .size }");
  });

  it("returns static templates as they are", () => {
    const template = { a: 1 };
    expect(evaluateTemplate(template, null)).toBe(template);
  });

  it("collapses several outputs into an array and none into null", () => {
    expect(evaluateExpression(".[]", [1, 2])).toEqual([1, 2]);
    expect(evaluateExpression("empty", null)).toBeNull();
  });

  it("uses jq truthiness for conditions", () => {
    expect(evaluateCondition(".a", { a: 0 })).toBe(true);
    expect(evaluateCondition(".a", { a: null })).toBe(false);
    expect(evaluateCondition("${ .a == 1 }", { a: 1 })).toBe(true);
    expect(evaluateCondition("empty", null)).toBe(false);
  });

  it("throws the failing expression of a template", () => {
    expect(() => evaluateTemplate({ a: "${ .x.y }" }, { x: 1 })).toThrow(/Cannot index number/);
  });
});
