import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validateWorkflowDocument } from "../../src/orchestration/dsl/workflow.validator.ts";
import { sharedPath } from "../support/shared-path.ts";

/** The specification's examples all validate; the documents its validation suite rejects are all refused. */

const examples = sharedPath("conformance/serverless-workflow/examples");
const invalid = sharedPath("conformance/serverless-workflow/invalid");
const yamlFiles = (directory: string): string[] =>
  readdirSync(directory)
    .filter((file) => file.endsWith(".yaml"))
    .sort();

describe("specification examples", () => {
  it("finds all 66 of them", () => {
    expect(yamlFiles(examples)).toHaveLength(66);
  });

  it.each(yamlFiles(examples))("%s is valid", (file) => {
    const result = validateWorkflowDocument(readFileSync(join(examples, file), "utf8"));
    expect(result.errors).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.workflow).toBeDefined();
  });
});

describe("invalid documents", () => {
  const expected: Record<string, { path: string; code: string }> = {
    "extra-property-in-call.yaml": { path: "/do/0/getPet/foo", code: "schema.unexpected-property" },
    "listen-any-until-any-until.yaml": { path: "/do", code: "duplicate-key" },
    "two-tasks-in-one-item.yaml": { path: "/do/0", code: "schema.size" },
  };

  it("finds all 3 of them", () => {
    expect(yamlFiles(invalid)).toEqual(Object.keys(expected).sort());
  });

  it.each(yamlFiles(invalid))("%s is refused with a clear error", (file) => {
    const result = validateWorkflowDocument(readFileSync(join(invalid, file), "utf8"));
    expect(result.ok).toBe(false);
    expect(result.workflow).toBeUndefined();
    expect(result.errors[0]).toMatchObject(expected[file]!);
    expect(result.errors.length).toBeLessThanOrEqual(2);
  });
});
