import { describe, expect, it } from "vitest";
import { validateWorkflowDocument } from "../dsl/workflow.validator.ts";
import type { Workflow } from "../dsl/workflow.types.ts";
import { createLocalHost, type LocalHostOptions } from "./local.host.ts";
import type { TaskEvent } from "./runtime-host.port.ts";
import { VirtualClock } from "./virtual.clock.ts";
import { interpretWorkflow } from "./workflow.interpreter.ts";

const header = "document: { dsl: '1.0.0', namespace: test, name: interpreter, version: '1.0.0' }\n";

function parse(body: string): Workflow {
  const result = validateWorkflowDocument(header + body);
  if (!result.ok || !result.workflow) throw new Error(JSON.stringify(result.errors));
  return result.workflow;
}

async function run(
  body: string,
  input: unknown = {},
  options: LocalHostOptions & { signal?: AbortSignal } = {},
) {
  const events: TaskEvent[] = [];
  const clock = options.clock ?? new VirtualClock(Date.UTC(2026, 3, 1, 9, 0, 0));
  const host = createLocalHost({ ...options, clock, onTaskEvent: (event) => events.push(event) });
  const outcome = await interpretWorkflow({
    workflow: parse(body),
    input,
    host,
    instanceId: "wf-1",
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return {
    ...outcome,
    events,
    host,
    clock,
    started: events.filter((event) => event.phase === "started").map((event) => event.name),
  };
}

describe("data flow", () => {
  it("applies input.from, output.as and export.as with $context, $input and $output", async () => {
    const result = await run(
      `
input:
  from: .invoice
do:
  - computeDue:
      input:
        from: '{ total: .amount, paid: .paid }'
      set:
        due: \${ .total - .paid }
        seen: \${ $input.total }
      output:
        as: '. + { currency: "INR" }'
      export:
        as: '$context + { lastDue: $output.due }'
  - report:
      set:
        due: \${ .due }
        fromContext: \${ $context.lastDue }
        currency: \${ .currency }
output:
  as: '{ report: ., context: $context }'
`,
      { invoice: { amount: 1000, paid: 250 }, ignored: true },
    );
    expect(result.status).toBe("completed");
    expect(result.output).toEqual({
      report: { due: 750, fromContext: 750, currency: "INR" },
      context: { lastDue: 750 },
    });
  });

  it("evaluates object forms of input.from and output.as as templates", async () => {
    const result = await run(
      `
do:
  - shape:
      input:
        from: { who: '\${ .customer.name }', fixed: 1 }
      set: { greeting: '\${ "Dear " + .who }', fixed: '\${ .fixed }' }
      output:
        as: { text: '\${ .greeting }', n: '\${ .fixed }' }
`,
      { customer: { name: "Asha" } },
    );
    expect(result.output).toEqual({ text: "Dear Asha", n: 1 });
  });

  it("describes the task, the workflow and the runtime to expressions", async () => {
    const result = await run(
      `
do:
  - describe:
      set:
        task: \${ $task.name }
        reference: \${ $task.reference }
        rawInput: \${ $task.input }
        definitionKeys: \${ $task.definition | keys }
        startedAt: \${ $task.startedAt.iso8601 }
        workflowId: \${ $workflow.id }
        workflowName: \${ $workflow.definition.document.name }
        workflowInput: \${ $workflow.input }
        runtime: \${ $runtime.name }
      output:
        as: '. + { rawOutputTask: $task.output.task }'
`,
      { a: 1 },
    );
    expect(result.output).toEqual({
      task: "describe",
      reference: "/do/0/describe",
      rawInput: { a: 1 },
      definitionKeys: ["output", "set"],
      startedAt: "2026-04-01T09:00:00.000Z",
      workflowId: "wf-1",
      workflowName: "interpreter",
      workflowInput: { a: 1 },
      runtime: "prapti",
      rawOutputTask: "describe",
    });
  });

  it("serves jq's now from the host clock", async () => {
    const result = await run(`
do:
  - stamp:
      set: { at: '\${ now | todate }' }
`);
    expect(result.output).toEqual({ at: "2026-04-01T09:00:00Z" });
    expect(result.host.effects.map((effect) => effect.kind)).toEqual(["now"]);
  });

  it("validates inputs and outputs against their schemas", async () => {
    const body = `
input:
  schema:
    document: { type: object, required: [amount], properties: { amount: { type: integer, minimum: 1 } } }
do:
  - pass:
      set: { amount: '\${ .amount }' }
      output:
        schema:
          document: { type: object, properties: { amount: { type: integer, maximum: 100 } } }
`;
    const badInput = await run(body, { amount: 0 });
    expect(badInput.status).toBe("faulted");
    expect(badInput.error).toMatchObject({
      type: "https://serverlessworkflow.io/spec/1.0.0/errors/validation",
      status: 400,
      instance: "/input",
    });
    expect(badInput.error?.detail).toMatch(/amount must be >= 1/);
    const badOutput = await run(body, { amount: 500 });
    expect(badOutput.error).toMatchObject({
      type: "https://serverlessworkflow.io/spec/1.0.0/errors/validation",
      instance: "/do/0/pass",
    });
    expect((await run(body, { amount: 50 })).output).toEqual({ amount: 50 });
  });

  it("faults with an expression error that points at the task", async () => {
    const result = await run(
      `
do:
  - ok:
      set: { a: 1 }
  - broken:
      set: { b: '\${ .a.b.c }' }
`,
      {},
    );
    expect(result.status).toBe("faulted");
    expect(result.error).toMatchObject({
      type: "https://serverlessworkflow.io/spec/1.0.0/errors/expression",
      status: 400,
      title: "Runtime expression failed",
      instance: "/do/1/broken",
    });
    expect(result.error?.detail).toMatch(/Cannot index number with string "b"/);
    expect(result.events.filter((event) => event.phase === "faulted").map((event) => event.path)).toEqual([
      "/do/1/broken",
    ]);
  });

  it("provides declared secrets and redacts them from task history and the workflow output", async () => {
    const result = await run(
      `
use:
  secrets: [ bank ]
do:
  - useSecret:
      input:
        from: '{ key: $secrets.bank.apiKey }'
      set: { header: '\${ "Token " + .key }' }
`,
      {},
      { secrets: { bank: { apiKey: "sk-live-123456" }, other: { apiKey: "not-declared" } } },
    );
    expect(result.output).toEqual({ header: "Token [redacted]" });
    const completed = result.events.find((event) => event.phase === "completed");
    expect(completed?.output).toEqual({ header: "Token [redacted]" });
  });
});

describe("flow", () => {
  it("follows then directives and stops at end", async () => {
    const result = await run(`
do:
  - first:
      set: { trail: [first] }
      then: third
  - second:
      set: { trail: '\${ .trail + ["second"] }' }
      then: end
  - third:
      set: { trail: '\${ .trail + ["third"] }' }
      then: second
`);
    expect(result.output).toEqual({ trail: ["first", "third", "second"] });
    expect(result.started).toEqual(["first", "third", "second"]);
  });

  it("exit leaves only the current list, end the whole workflow", async () => {
    const exit = await run(
      `
do:
  - inner:
      do:
        - a: { if: .leave, set: { v: [a] }, then: exit }
        - b: { set: { v: [b] } }
  - after:
      set: { v: '\${ .v + ["after"] }' }
`,
      { leave: true },
    );
    expect(exit.output).toEqual({ v: ["a", "after"] });
    const end = await run(
      `
do:
  - inner:
      do:
        - a: { if: .leave, set: { v: [a] }, then: end }
        - b: { set: { v: [b] } }
  - after:
      set: { v: '\${ .v + ["after"] }' }
`,
      { leave: true },
    );
    expect(end.output).toEqual({ v: ["a"] });
    expect(end.started).toEqual(["inner", "a"]);
  });

  it("skips a task whose if is false, passing its input on", async () => {
    const result = await run(
      `
do:
  - maybe:
      if: .send
      set: { sent: true }
      then: end
  - otherwise:
      set: { sent: false, was: '\${ . }' }
`,
      { send: false },
    );
    expect(result.output).toEqual({ sent: false, was: { send: false } });
    expect(result.events.map((event) => [event.name, event.phase])).toContainEqual(["maybe", "skipped"]);
    expect(result.started).toEqual(["otherwise"]);
  });

  it("switches on the first matching case, the default case, or falls through", async () => {
    const body = `
do:
  - route:
      switch:
        - high: { when: .amount > 1000, then: escalate }
        - low: { when: .amount > 0, then: remind }
        - nothing: { then: close }
  - escalate: { set: { action: escalate }, then: end }
  - remind: { set: { action: remind }, then: end }
  - close: { set: { action: close } }
`;
    expect((await run(body, { amount: 5000 })).output).toEqual({ action: "escalate" });
    expect((await run(body, { amount: 10 })).output).toEqual({ action: "remind" });
    expect((await run(body, { amount: 0 })).output).toEqual({ action: "close" });
    const fallThrough = await run(
      `
do:
  - route:
      switch:
        - high: { when: .amount > 1000, then: escalate }
  - next: { set: { reached: true } }
  - escalate: { set: { escalated: true } }
`,
      { amount: 1 },
    );
    expect(fallThrough.output).toEqual({ escalated: true });
    expect(fallThrough.started).toEqual(["route", "next", "escalate"]);
  });

  it("does not evaluate conditions after the matching case", async () => {
    const result = await run(
      `
do:
  - route:
      switch:
        - first: { when: .ok, then: done }
        - broken: { when: .ok.nested.deeper, then: done }
  - done: { set: { done: true } }
`,
      { ok: true },
    );
    expect(result.status).toBe("completed");
  });
});

describe("for", () => {
  it("iterates with custom names, threads data through iterations and honours while", async () => {
    const result = await run(
      `
do:
  - collect:
      for: { each: invoice, in: .invoices, at: position }
      while: (.total // 0) < 300
      do:
        - add:
            set:
              total: \${ (.total // 0) + $invoice.amount }
              seen: \${ (.seen // []) + [$position] }
`,
      { invoices: [{ amount: 100 }, { amount: 150 }, { amount: 200 }, { amount: 400 }] },
    );
    expect(result.output).toEqual({ total: 450, seen: [0, 1, 2] });
  });

  it("outputs its input for an empty or null collection and refuses non-arrays", async () => {
    expect(
      (
        await run(
          `do:\n  - loop:\n      for: { in: .items }\n      do:\n        - x: { set: { touched: true } }\n`,
          { items: null },
        )
      ).output,
    ).toEqual({ items: null });
    const bad = await run(
      `do:\n  - loop:\n      for: { in: .items }\n      do:\n        - x: { set: { touched: true } }\n`,
      { items: { a: 1 } },
    );
    expect(bad.error).toMatchObject({
      type: "https://serverlessworkflow.io/spec/1.0.0/errors/validation",
      instance: "/do/0/loop",
    });
  });
});

describe("raise", () => {
  it("raises inline and reusable errors with evaluated fields", async () => {
    const result = await run(
      `
use:
  errors:
    overdue:
      type: https://prapti.example/errors/overdue
      status: 409
      title: Invoice overdue
      detail: \${ "Invoice " + .id + " is overdue" }
do:
  - check:
      raise:
        error: overdue
`,
      { id: "INV-7" },
    );
    expect(result.error).toEqual({
      type: "https://prapti.example/errors/overdue",
      status: 409,
      title: "Invoice overdue",
      detail: "Invoice INV-7 is overdue",
      instance: "/do/0/check",
    });
  });
});

describe("time", () => {
  it("waits on the host clock without sleeping for real", async () => {
    const started = Date.now();
    const result = await run(`
do:
  - pause:
      wait: P2DT3H
  - stamp:
      set: { at: '\${ now | todate }' }
`);
    expect(result.output).toEqual({ at: "2026-04-03T12:00:00Z" });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("faults a task that outlives its timeout with the spec's timeout error", async () => {
    const result = await run(`
use:
  timeouts:
    short: { after: PT5M }
do:
  - slow:
      timeout: short
      wait: PT1H
  - never: { set: { reached: true } }
`);
    expect(result.status).toBe("faulted");
    expect(result.error).toMatchObject({
      type: "https://serverlessworkflow.io/spec/1.0.0/errors/timeout",
      status: 408,
      title: "Timeout",
      instance: "/do/0/slow",
    });
    expect(result.clock.now()).toBe(Date.UTC(2026, 3, 1, 9, 5, 0));
    expect(result.started).toEqual(["slow"]);
  });

  it("faults the workflow when it outlives the workflow timeout", async () => {
    const result = await run(`
timeout:
  after: { minutes: 30 }
do:
  - a: { wait: PT20M }
  - b: { wait: PT20M }
`);
    expect(result.error).toMatchObject({
      type: "https://serverlessworkflow.io/spec/1.0.0/errors/timeout",
      instance: "/",
    });
    expect(result.started).toEqual(["a", "b"]);
  });

  it("lets a try catch a task timeout", async () => {
    const result = await run(`
do:
  - guarded:
      try:
        - slow: { wait: PT1H, timeout: { after: PT1M } }
      catch:
        errors: { with: { type: https://serverlessworkflow.io/spec/1.0.0/errors/timeout } }
        do:
          - fallback: { set: { timedOut: '\${ $error.instance }' } }
`);
    expect(result.output).toEqual({ timedOut: "/do/0/guarded/try/0/slow" });
  });
});

describe("cancellation", () => {
  it("ends as cancelled when the signal aborts", async () => {
    const controller = new AbortController();
    const clock = new VirtualClock(0);
    const promise = run(
      `
do:
  - listenForever:
      listen: { to: { one: { with: { type: never.happens } } } }
`,
      {},
      {
        clock: {
          now: () => clock.now(),
          sleep: (ms, signal) => clock.sleep(ms, signal),
          track: (work) => work,
        },
        signal: controller.signal,
      },
    );
    setTimeout(() => controller.abort(), 20);
    const result = await promise;
    expect(result.status).toBe("cancelled");
    expect(result.error).toBeUndefined();
  });

  it("ends as cancelled when the host says so", async () => {
    let cancelled = false;
    const host = createLocalHost({
      functions: {
        "ops.flag": () => {
          cancelled = true;
          return { ok: true };
        },
      },
    });
    const outcome = await interpretWorkflow({
      workflow: parse(`
do:
  - flag: { call: ops.flag }
  - next: { set: { reached: true } }
`),
      host: { ...host, isCancelled: () => cancelled },
      instanceId: "wf-c",
    });
    expect(outcome.status).toBe("cancelled");
  });
});
