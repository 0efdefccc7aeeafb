import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify as toYaml } from "yaml";
import { createSchemaValidator } from "./schema.validator.ts";
import { validateWorkflowDocument, validateWorkflowObject } from "./workflow.validator.ts";

const valid = `
document: { dsl: '1.0.0', namespace: receivables, name: remind, version: '1.0.0' }
do:
  - computeDue:
      set:
        due: \${ .amount - .paid }
  - decide:
      switch:
        - settled: { when: .due <= 0, then: end }
        - otherwise: { then: remind }
  - remind:
      call: followup.sendReminder
      with: { invoiceId: '\${ .invoiceId }' }
`;

function expectWellFormed(result: ReturnType<typeof validateWorkflowDocument>): void {
  expect(Array.isArray(result.errors)).toBe(true);
  expect(Array.isArray(result.warnings)).toBe(true);
  expect(result.ok).toBe(result.errors.length === 0);
  for (const found of [...result.errors, ...result.warnings]) {
    expect(typeof found.path).toBe("string");
    expect(found.path === "" || found.path.startsWith("/")).toBe(true);
    expect(typeof found.message).toBe("string");
    expect(typeof found.code).toBe("string");
  }
  if (result.ok) expect(result.workflow).toBeDefined();
}

describe("validateWorkflowDocument", () => {
  it("accepts a valid document and returns it", () => {
    const result = validateWorkflowDocument(valid);
    expect(result.errors).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.workflow?.document.name).toBe("remind");
    expect(result.warnings.map((found) => found.code)).toEqual(["unverified-function"]);
  });

  it("reports schema and semantic errors together", () => {
    const result = validateWorkflowDocument(`
document: { dsl: '1.0.0', namespace: receivables, name: remind, version: '1.0.0' }
do:
  - a:
      set: { x: 1 }
      colour: blue
      then: b
`);
    expect(result.ok).toBe(false);
    expect(result.errors.map((found) => [found.path, found.code])).toEqual([
      ["/do/0/a/colour", "schema.unexpected-property"],
      ["/do/0/a/then", "unknown-then-target"],
    ]);
  });

  it("refuses documents that are not mappings", () => {
    expect(validateWorkflowDocument("- a\n- b\n").errors[0]?.code).toBe("document-type");
    expect(validateWorkflowDocument("").errors[0]?.code).toBe("document-type");
  });

  it("says where the schema is when it cannot be read", () => {
    const result = validateWorkflowObject(
      { document: {}, do: [] },
      {
        schemaValidator: {
          validate: () => {
            throw new Error("broken validator");
          },
        },
      },
    );
    expect(result.ok).toBe(false);
    expect(result.errors[0]?.code).toBe("internal");
  });

  it("accepts an injected schema", () => {
    const permissive = createSchemaValidator({ type: "object" });
    expect(validateWorkflowObject({ anything: true }, { schemaValidator: permissive }).ok).toBe(true);
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        expectWellFormed(validateWorkflowDocument(text));
      }),
      { numRuns: 300 },
    );
  });

  it("never throws on arbitrary JSON and YAML values", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        expectWellFormed(validateWorkflowDocument(JSON.stringify(value)));
        expectWellFormed(validateWorkflowDocument(toYaml(value)));
        expectWellFormed(validateWorkflowObject(value));
      }),
      { numRuns: 150 },
    );
  });

  it("never throws on documents that are almost workflows", () => {
    const taskish = fc.dictionary(
      fc.constantFrom(
        "set",
        "do",
        "for",
        "try",
        "catch",
        "call",
        "with",
        "then",
        "if",
        "switch",
        "fork",
        "listen",
        "raise",
        "wait",
        "run",
        "emit",
        "foreach",
      ),
      fc.oneof(
        fc.jsonValue({ maxDepth: 3 }),
        fc.constant("${ .a }"),
        fc.constant("${ .a | }"),
        fc.constant([{ x: { set: { a: 1 } } }]),
      ),
      { maxKeys: 4 },
    );
    const document = fc.record({
      document: fc.oneof(
        fc.constant({ dsl: "1.0.0", namespace: "a", name: "b", version: "1.0.0" }),
        fc.jsonValue({ maxDepth: 2 }),
      ),
      do: fc.array(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), taskish, { minKeys: 0, maxKeys: 2 }),
        { maxLength: 4 },
      ),
      use: fc.option(
        fc.record({ functions: fc.dictionary(fc.string({ maxLength: 5 }), taskish, { maxKeys: 2 }) }),
        { nil: undefined },
      ),
    });
    fc.assert(
      fc.property(document, (value) => {
        const plain = JSON.parse(JSON.stringify(value)) as unknown;
        expectWellFormed(validateWorkflowObject(plain));
        expectWellFormed(validateWorkflowDocument(toYaml(plain)));
      }),
      { numRuns: 200 },
    );
  });

  it("never throws on values of any JavaScript type", () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expectWellFormed(validateWorkflowObject(value));
      }),
      { numRuns: 200 },
    );
    expectWellFormed(validateWorkflowDocument(42 as unknown as string));
  });
});
