import { describe, expect, it } from "vitest";
import { AppError } from "../../kernel/app-error.ts";
import { ExpressionError } from "../dsl/expression.error.ts";
import { CancellationScope } from "./cancellation-scope.ts";
import { CancellationError, fault, toWorkflowError } from "./workflow-fault.ts";

describe("faults and cancellation", () => {
  it("maps thrown values to spec errors and fills the instance", () => {
    expect(
      toWorkflowError(
        new ExpressionError({ expression: ".a", phase: "evaluate", message: "boom" }),
        "/do/0/a",
      ),
    ).toEqual({
      type: "https://serverlessworkflow.io/spec/1.0.0/errors/expression",
      status: 400,
      title: "Runtime expression failed",
      detail: "boom (in: .a)",
      instance: "/do/0/a",
    });
    expect(toWorkflowError(new AppError({ code: "INVALID_INPUT", message: "bad" }), "/x")).toMatchObject({
      type: "https://serverlessworkflow.io/spec/1.0.0/errors/validation",
      status: 400,
    });
    expect(toWorkflowError(new TypeError("oops"), "/x")).toMatchObject({
      type: "https://serverlessworkflow.io/spec/1.0.0/errors/runtime",
      status: 500,
      detail: "oops",
    });
    expect(toWorkflowError(fault("timeout", { instance: "/inner" }), "/outer").instance).toBe("/inner");
  });

  it("cancels children with the parent's reason", async () => {
    const parent = new CancellationScope();
    const child = parent.child();
    const pending = child.race(new Promise(() => undefined));
    parent.cancel(new CancellationError("branch-lost"));
    await expect(pending).rejects.toBeInstanceOf(CancellationError);
    expect(() => child.throwIfCancelled()).toThrow(CancellationError);
    expect(parent.child().cancelled).toBe(true);
  });
});
