import { describe, expect, it } from "vitest";
import { isAppError } from "../../kernel/app-error.ts";
import { runLocally } from "./run-locally.ts";

const header = "document: { dsl: '1.0.0', namespace: test, name: local, version: '1.0.0' }\n";

describe("runLocally", () => {
  it("returns status, output, error and the started task names", async () => {
    const result = await runLocally(
      `${header}do:\n  - a: { set: { x: 1 } }\n  - b: { set: { y: '\${ .x + 1 }' } }\n`,
      {},
    );
    expect(result).toEqual({ status: "completed", output: { y: 2 }, error: null, tasks: ["a", "b"] });
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it("reports a fault with the spec error and a null output", async () => {
    const result = await runLocally(
      `${header}do:\n  - a: { raise: { error: { type: https://prapti.example/errors/x, status: 422, title: Nope } } }\n`,
      {},
    );
    expect(result).toEqual({
      status: "faulted",
      output: null,
      error: { type: "https://prapti.example/errors/x", status: 422, title: "Nope", instance: "/do/0/a" },
      tasks: ["a"],
    });
  });

  it("refuses invalid definitions with one issue per finding", async () => {
    const error = await runLocally(`${header}do:\n  - a: { set: { x: 1 }, then: nowhere }\n`, {}).catch(
      (thrown: unknown) => thrown,
    );
    expect(isAppError(error) && error.code).toBe("INVALID_INPUT");
    expect(isAppError(error) && error.issues).toEqual([
      { field: "/do/0/a/then", reason: "'then: nowhere' names no task of this task list" },
    ]);
  });

  it("refuses unsupported features with the exact message", async () => {
    const error = await runLocally(
      `${header}do:\n  - build: { run: { shell: { command: ls } } }\n`,
      {},
    ).catch((thrown: unknown) => thrown);
    expect(isAppError(error) && error.code).toBe("NOT_SUPPORTED");
    expect((error as Error).message).toBe("not supported by this runtime: run: shell");
  });

  it("checks calls against the given functions", async () => {
    const definition = `${header}do:\n  - a: { call: invoicing.verify }\n`;
    const error = await runLocally(definition, {}, { functions: { "invoicing.other": () => null } }).catch(
      (thrown: unknown) => thrown,
    );
    expect(isAppError(error) && error.issues[0]?.field).toBe("/do/0/a/call");
    const result = await runLocally(
      definition,
      {},
      { functions: { "invoicing.verify": () => ({ ok: true }) } },
    );
    expect(result.output).toEqual({ ok: true });
  });

  it("runs subflows from the host's registry and propagates their faults", async () => {
    const child = `document: { dsl: '1.0.0', namespace: finance, name: score, version: '2.0.0' }\ndo:\n  - score: { set: { score: '\${ .amount / 10 }' } }\n`;
    const failing = `document: { dsl: '1.0.0', namespace: finance, name: broken, version: '1.0.0' }\ndo:\n  - boom: { raise: { error: { type: https://prapti.example/errors/boom, status: 500, title: Boom } } }\n`;
    const result = await runLocally(
      `${header}do:\n  - scoreIt:\n      run:\n        workflow: { namespace: finance, name: score, version: '2.0.0', input: { amount: '\${ .total }' } }\n`,
      { total: 500 },
      { workflows: { "finance/score/2.0.0": child } },
    );
    expect(result).toEqual({ status: "completed", output: { score: 50 }, error: null, tasks: ["scoreIt"] });
    const faulted = await runLocally(
      `${header}do:\n  - b:\n      run:\n        workflow: { namespace: finance, name: broken, version: '1.0.0' }\n`,
      {},
      {
        workflows: { "finance/broken/1.0.0": failing },
      },
    );
    expect(faulted.error).toMatchObject({
      type: "https://prapti.example/errors/boom",
      status: 500,
      instance: "/do/0/b",
    });
    expect(faulted.error?.detail).toBe("workflow finance.broken:1.0.0 faulted at /do/0/boom: Boom");
    const missing = await runLocally(
      `${header}do:\n  - b:\n      run:\n        workflow: { namespace: finance, name: absent, version: '1.0.0' }\n`,
      {},
    );
    expect(missing.error).toMatchObject({ title: "Unknown workflow" });
  });

  it("can start a subflow without waiting for it", async () => {
    const child = `document: { dsl: '1.0.0', namespace: finance, name: slow, version: '1.0.0' }\ndo:\n  - pause: { wait: P1D }\n`;
    const result = await runLocally(
      `${header}do:\n  - fire:\n      run:\n        await: false\n        workflow: { namespace: finance, name: slow, version: '1.0.0' }\n`,
      { keep: true },
      {
        workflows: { "finance/slow/1.0.0": child },
      },
    );
    expect(result.output).toEqual({ keep: true });
  });
});
