import { describe, expect, it } from "vitest";
import { expandUriTemplate } from "./uri-template.ts";
import { WorkflowFault } from "./workflow-fault.ts";

describe("URI templates", () => {
  it("replaces top-level properties, percent-encoded", () => {
    expect(
      expandUriTemplate(
        "https://x/pets/{petId}?q={query}&none={missing}",
        { petId: 7, query: "a b/c!" },
        "/t",
      ),
    ).toBe("https://x/pets/7?q=a%20b%2Fc%21&none=");
    expect(expandUriTemplate("https://x/{pet.id}", { "pet.id": "literal-key" }, "/t")).toBe(
      "https://x/literal-key",
    );
  });

  it("refuses objects and arrays with an expression error", () => {
    expect(() => expandUriTemplate("https://x/{a}", { a: [1] }, "/do/0/t")).toThrow(WorkflowFault);
    try {
      expandUriTemplate("https://x/{a}", { a: { b: 1 } }, "/do/0/t");
    } catch (error) {
      expect((error as WorkflowFault).error).toMatchObject({
        type: "https://serverlessworkflow.io/spec/1.0.0/errors/expression",
        status: 400,
        instance: "/do/0/t",
      });
    }
  });
});
