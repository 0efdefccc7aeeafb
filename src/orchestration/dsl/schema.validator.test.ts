import { describe, expect, it } from "vitest";
import { defaultSchemaValidator, loadWorkflowSchema } from "./schema.validator.ts";
import { parseWorkflowText } from "./workflow.parser.ts";

const validator = defaultSchemaValidator();

function errorsOf(yaml: string): Array<[string, string]> {
  const parsed = parseWorkflowText(yaml);
  expect(parsed.errors).toEqual([]);
  return validator.validate(parsed.value).map((found) => [found.path, found.message]);
}

const header = "document: { dsl: '1.0.0', namespace: test, name: schema, version: '1.0.0' }\n";

describe("schema validation messages", () => {
  it("names the unexpected property instead of every alternative", () => {
    expect(
      errorsOf(`${header}do:
  - getPet:
      call: http
      with: { method: get, endpoint: https://example.com/pets/1 }
      foo: bar
`),
    ).toEqual([["/do/0/getPet/foo", "unexpected property 'foo'"]]);
  });

  it("picks the alternative the value was meant to be", () => {
    expect(
      errorsOf(`${header}do:
  - getPet:
      call: http
      with:
        method: get
        endpoint:
          uri: https://example.com/pets/1
          authentication:
            bearer: { tokn: abc }
`),
    ).toEqual([
      ["/do/0/getPet/with/endpoint/authentication/bearer/tokn", "unexpected property 'tokn'"],
      ["/do/0/getPet/with/endpoint/authentication/bearer", "missing required property 'token'"],
    ]);
  });

  it("explains unknown task types and bad task list items", () => {
    expect(
      errorsOf(`${header}do:
  - a:
      banana: 1
  - b: { set: { x: 1 } }
    c: { set: { x: 2 } }
`),
    ).toEqual([
      [
        "/do/0/a",
        "unknown task type: a task must define one of call, do, fork, emit, for, listen, raise, run, set, switch, try, wait (found 'banana')",
      ],
      ["/do/1", "a task list item must hold exactly one named task, found 2 ('b', 'c')"],
    ]);
  });

  it("combines alternatives that fail for the same superficial reason", () => {
    expect(
      errorsOf(`${header}do:
  - a:
      wait: soon
  - b:
      call: http
      with: { method: get, endpoint: 5 }
`),
    ).toEqual([
      ["/do/1/b/with/endpoint", "must be a string or an object"],
      ["/do/0/a/wait", "must be a duration expression or a duration literal"],
    ]);
  });

  it("reports missing document fields and types", () => {
    expect(errorsOf("document: { dsl: '1.0.0', name: x, version: 1 }\ndo: []\n")).toEqual([
      ["/document/version", "must be a string, not an integer"],
      ["/document", "missing required property 'namespace'"],
    ]);
  });

  it("loads the schema from its default location", () => {
    expect(loadWorkflowSchema().$id).toBe("https://serverlessworkflow.io/schemas/1.0.3/workflow.yaml");
    expect(() => loadWorkflowSchema("/nonexistent/workflow.yaml")).toThrow(/PRAPTI_WORKFLOW_SCHEMA/);
  });
});
