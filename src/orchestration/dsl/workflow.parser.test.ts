import { describe, expect, it } from "vitest";
import { checkJsonCompatible, parseWorkflowText } from "./workflow.parser.ts";

describe("parseWorkflowText", () => {
  it("reads YAML and JSON alike", () => {
    expect(parseWorkflowText("a: 1\nb: [x, y]\n").value).toEqual({ a: 1, b: ["x", "y"] });
    expect(parseWorkflowText('{"a": 1, "b": ["x", "y"]}').value).toEqual({ a: 1, b: ["x", "y"] });
  });

  it("treats yes/no and dates as strings (YAML 1.2 core schema)", () => {
    expect(parseWorkflowText("a: yes\nb: 2024-01-01\n").value).toEqual({ a: "yes", b: "2024-01-01" });
  });

  it("refuses duplicate keys with the pointer of the duplicate and its line", () => {
    const result = parseWorkflowText(
      "document:\n  name: a\ndo:\n  - x:\n      set: { a: 1 }\n      set: { a: 2 }\n",
    );
    expect(result.value).toBeUndefined();
    expect(result.errors).toEqual([
      { path: "/do/0/x/set", code: "duplicate-key", message: "Map keys must be unique", line: 6, column: 7 },
    ]);
  });

  it("reports syntax errors with a position", () => {
    const result = parseWorkflowText("a: [1, 2\nb: 3\n");
    expect(result.errors.length).toBeGreaterThan(0);
    expect(result.errors[0]).toMatchObject({ code: "yaml-syntax" });
    expect(result.errors[0]?.line).toBeTypeOf("number");
  });

  it("refuses several documents in one text", () => {
    expect(parseWorkflowText("a: 1\n---\nb: 2\n").errors[0]?.code).toBe("yaml-syntax");
  });

  it("refuses values JSON cannot hold", () => {
    const result = parseWorkflowText("a: .nan\nb: .inf\n");
    expect(result.errors.map((found) => [found.path, found.code])).toEqual(
      expect.arrayContaining([
        ["/a", "not-json"],
        ["/b", "not-json"],
      ]),
    );
    expect(parseWorkflowText("a: !!binary aGVsbG8=\n").errors[0]).toMatchObject({
      path: "/a",
      code: "not-json",
    });
  });

  it("bounds alias expansion", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let level = 1; level < 10; level += 1) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      bomb.push(
        `${name}: &${name} [*${previous}, *${previous}, *${previous}, *${previous}, *${previous}, *${previous}, *${previous}, *${previous}, *${previous}, *${previous}]`,
      );
    }
    const result = parseWorkflowText(bomb.join("\n"));
    expect(result.errors.length).toBeGreaterThan(0);
  });

  it("refuses documents nested beyond the limit", () => {
    const deep = "[".repeat(200) + "]".repeat(200);
    const result = parseWorkflowText(deep);
    expect(result.errors.length).toBeGreaterThan(0);
    expect(checkJsonCompatible(JSON.parse(deep))[0]?.message).toMatch(/nests deeper/);
  });

  it("keeps unknown tags as warnings", () => {
    const result = parseWorkflowText("a: !custom value\n");
    expect(result.errors).toEqual([]);
    expect(result.warnings[0]).toMatchObject({ path: "/a", code: "yaml-warning" });
  });
});
