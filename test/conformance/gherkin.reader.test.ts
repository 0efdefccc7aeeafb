import { describe, expect, it } from "vitest";
import { parseFeature } from "./gherkin.reader.ts";

const source = [
  "# comment",
  "Feature: Sample",
  "  Some description.",
  "",
  "  Background:",
  "    Given a workflow with definition:",
  '    """yaml',
  "    do:",
  "      - a: { set: { x: 1 } }",
  '    """',
  "",
  "  Scenario: First",
  "    And given the workflow input is:",
  '      """',
  "      x: 1",
  "        nested: true",
  '      """',
  "    When the workflow is executed",
  "    Then the workflow should complete",
  "    And a should run first",
  "    But b should run last",
].join("\n");

describe("parseFeature", () => {
  it("reads scenarios, background steps, keywords and doc strings", () => {
    const feature = parseFeature(source);
    expect(feature.name).toBe("Sample");
    expect(feature.scenarios).toHaveLength(1);
    const steps = feature.scenarios[0]!.steps;
    expect(steps.map((step) => [step.written, step.keyword, step.text])).toEqual([
      ["Given", "Given", "a workflow with definition:"],
      ["And", "Given", "given the workflow input is:"],
      ["When", "When", "the workflow is executed"],
      ["Then", "Then", "the workflow should complete"],
      ["And", "Then", "a should run first"],
      ["But", "Then", "b should run last"],
    ]);
    expect(steps[0]!.docString).toEqual({ mediaType: "yaml", content: "do:\n  - a: { set: { x: 1 } }" });
    expect(steps[1]!.docString).toEqual({ content: "x: 1\n  nested: true" });
  });

  it("refuses constructs it does not support", () => {
    expect(() => parseFeature("Feature: X\n  Scenario Outline: Y\n    Given a <thing>\n")).toThrow(
      /not supported/,
    );
    expect(() => parseFeature("Feature: X\n  Scenario: Y\n    Given a table\n      | a |\n")).toThrow(
      /data tables/,
    );
    expect(() => parseFeature('Feature: X\n  Scenario: Y\n    Given a\n    """\n    never closed\n')).toThrow(
      /unterminated/,
    );
    expect(() => parseFeature("Scenario: Y\n")).toThrow(/belong to a feature/);
  });
});
