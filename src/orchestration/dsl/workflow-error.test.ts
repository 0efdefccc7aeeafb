import { describe, expect, it } from "vitest";
import {
  createWorkflowError,
  errorTypesMatch,
  isSpecNamespaceErrorType,
  standardErrorName,
} from "./workflow-error.ts";

describe("error types", () => {
  it("recognises the standard types in the spec's namespaces", () => {
    expect(standardErrorName("https://serverlessworkflow.io/spec/1.0.0/errors/timeout")).toBe("timeout");
    expect(standardErrorName("https://serverlessworkflow.io/dsl/errors/types/communication")).toBe(
      "communication",
    );
    expect(standardErrorName("https://serverlessworkflow.io/spec/1.0.0/errors/teapot")).toBeUndefined();
    expect(standardErrorName("https://serverlessworkflow.io/errors/types/compliance")).toBeUndefined();
  });

  it("separates the spec namespace from custom types", () => {
    expect(isSpecNamespaceErrorType("https://serverlessworkflow.io/spec/1.0.0/errors/teapot")).toBe(true);
    expect(isSpecNamespaceErrorType("https://serverlessworkflow.io/errors/not-implemented")).toBe(false);
    expect(isSpecNamespaceErrorType("https://prapti.example/errors/overdue")).toBe(false);
  });

  it("matches the namespaces of one standard type interchangeably, custom types exactly", () => {
    expect(
      errorTypesMatch(
        "https://serverlessworkflow.io/dsl/errors/types/communication",
        "https://serverlessworkflow.io/spec/1.0.0/errors/communication",
      ),
    ).toBe(true);
    expect(
      errorTypesMatch(
        "https://serverlessworkflow.io/spec/1.0.0/errors/timeout",
        "https://serverlessworkflow.io/spec/1.0.0/errors/runtime",
      ),
    ).toBe(false);
    expect(errorTypesMatch("https://prapti.example/errors/a", "https://prapti.example/errors/a")).toBe(true);
    expect(errorTypesMatch("https://prapti.example/errors/a", "https://prapti.example/errors/b")).toBe(false);
  });

  it("fills the default status", () => {
    expect(createWorkflowError("timeout", { title: "Timeout", instance: "/do/0/a" })).toEqual({
      type: "https://serverlessworkflow.io/spec/1.0.0/errors/timeout",
      status: 408,
      title: "Timeout",
      instance: "/do/0/a",
    });
  });
});
