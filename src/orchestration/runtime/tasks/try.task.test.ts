import { describe, expect, it } from "vitest";
import { AppError } from "../../../kernel/app-error.ts";
import { validateWorkflowDocument } from "../../dsl/workflow.validator.ts";
import type { Workflow } from "../../dsl/workflow.types.ts";
import { createLocalHost, type LocalFunction, type LocalHostOptions } from "../local.host.ts";
import { VirtualClock } from "../virtual.clock.ts";
import { interpretWorkflow } from "../workflow.interpreter.ts";

const header = "document: { dsl: '1.0.0', namespace: test, name: try, version: '1.0.0' }\n";
const START = Date.UTC(2026, 0, 1);

function parse(body: string): Workflow {
  const result = validateWorkflowDocument(header + body);
  if (!result.ok || !result.workflow) throw new Error(JSON.stringify(result.errors));
  return result.workflow;
}

async function run(body: string, input: unknown, options: LocalHostOptions = {}) {
  const clock = new VirtualClock(START);
  const host = createLocalHost({ clock, ...options });
  const outcome = await interpretWorkflow({ workflow: parse(body), input, host, instanceId: "try-1" });
  return { ...outcome, host, clock };
}

/** A function failing `failures` times with 503, then succeeding; it records when and with which key it ran. */
function flaky(
  failures: number,
  clock: () => number,
  log: Array<{ at: number; key: string; attempt: number }>,
): LocalFunction {
  let calls = 0;
  return (_args, context) => {
    log.push({ at: clock() - START, key: context.key, attempt: context.attempt });
    calls += 1;
    if (calls <= failures) throw new AppError({ code: "UNAVAILABLE", message: "try later" });
    return { ok: true, calls };
  };
}

const retrying = (policy: string) => `
do:
  - guarded:
      try:
        - callIt: { call: bank.fetchStatement }
      catch:
        errors:
          with: { type: https://serverlessworkflow.io/spec/1.0.0/errors/communication, status: 503 }
        retry:
${policy}
`;

describe("try / catch", () => {
  it("catches a matching error, binds it under its name and runs catch.do", async () => {
    const result = await run(
      `
do:
  - guarded:
      try:
        - fail:
            raise: { error: { type: https://prapti.example/errors/declined, status: 402, title: Declined, detail: card declined } }
      catch:
        errors: { with: { status: 402, title: Declined } }
        as: problem
        when: $problem.detail == "card declined"
        do:
          - handle: { set: { handled: '\${ $problem.title }', at: '\${ $problem.instance }', input: '\${ . }' } }
`,
      { order: 7 },
    );
    expect(result.output).toEqual({
      handled: "Declined",
      at: "/do/0/guarded/try/0/fail",
      input: { order: 7 },
    });
  });

  it("lets errors through that the filter, when or exceptWhen exclude", async () => {
    const raise = "raise: { error: { type: https://prapti.example/errors/declined, status: 402 } }";
    for (const filter of [
      "errors: { with: { status: 500 } }",
      "errors: { with: { type: https://prapti.example/errors/other } }",
      "when: $error.status == 500",
      "exceptWhen: $error.status == 402",
    ]) {
      const result = await run(
        `do:\n  - guarded:\n      try:\n        - fail: { ${raise} }\n      catch:\n        ${filter}\n`,
        {},
      );
      expect(result.status, filter).toBe("faulted");
      expect(result.error?.status).toBe(402);
    }
  });

  it("without catch.do, swallows the error and outputs the task's input", async () => {
    const result = await run(
      `do:\n  - guarded:\n      try:\n        - fail: { raise: { error: { type: https://prapti.example/errors/x, status: 400 } } }\n      catch: {}\n  - next: { set: { after: '\${ . }' } }\n`,
      { keep: 1 },
    );
    expect(result.output).toEqual({ after: { keep: 1 } });
  });

  it("retries with a constant delay, reusing the effect key of the first attempt", async () => {
    const log: Array<{ at: number; key: string; attempt: number }> = [];
    const clock = new VirtualClock(START);
    const host = createLocalHost({
      clock,
      functions: { "bank.fetchStatement": flaky(2, () => clock.now(), log) },
    });
    const outcome = await interpretWorkflow({
      workflow: parse(
        retrying("          delay: { seconds: 10 }\n          limit: { attempt: { count: 5 } }"),
      ),
      host,
      instanceId: "try-1",
    });
    expect(outcome.output).toEqual({ ok: true, calls: 3 });
    expect(log).toEqual([
      { at: 0, key: "try-1:/do/0/guarded/try/0/callIt:0", attempt: 0 },
      { at: 10_000, key: "try-1:/do/0/guarded/try/0/callIt:0", attempt: 1 },
      { at: 20_000, key: "try-1:/do/0/guarded/try/0/callIt:0", attempt: 2 },
    ]);
  });

  it.each([
    ["linear", [0, 10_000, 30_000, 60_000]],
    ["exponential", [0, 10_000, 30_000, 70_000]],
  ])("spaces retries with %s backoff", async (backoff, expected) => {
    const log: Array<{ at: number; key: string; attempt: number }> = [];
    const clock = new VirtualClock(START);
    const host = createLocalHost({
      clock,
      functions: { "bank.fetchStatement": flaky(3, () => clock.now(), log) },
    });
    const outcome = await interpretWorkflow({
      workflow: parse(
        retrying(
          `          delay: { seconds: 10 }\n          backoff: { ${backoff}: {} }\n          limit: { attempt: { count: 5 } }`,
        ),
      ),
      host,
      instanceId: "try-1",
    });
    expect(outcome.status).toBe("completed");
    expect(log.map((entry) => entry.at)).toEqual(expected);
  });

  it("adds jitter drawn through the host", async () => {
    const log: Array<{ at: number; key: string; attempt: number }> = [];
    const clock = new VirtualClock(START);
    const host = createLocalHost({
      clock,
      random: () => 0.5,
      functions: { "bank.fetchStatement": flaky(1, () => clock.now(), log) },
    });
    const outcome = await interpretWorkflow({
      workflow: parse(
        retrying(
          "          delay: { seconds: 10 }\n          jitter: { from: { seconds: 2 }, to: { seconds: 4 } }\n          limit: { attempt: { count: 2 } }",
        ),
      ),
      host,
      instanceId: "try-1",
    });
    expect(outcome.status).toBe("completed");
    expect(log.map((entry) => entry.at)).toEqual([0, 13_000]);
    expect(host.effects.map((effect) => effect.kind)).toEqual(["call", "random", "call"]);
  });

  it("faults once the attempt count is exhausted, unless catch.do handles it", async () => {
    const log: Array<{ at: number; key: string; attempt: number }> = [];
    const clock = new VirtualClock(START);
    const functions = { "bank.fetchStatement": flaky(10, () => clock.now(), log) };
    const outcome = await interpretWorkflow({
      workflow: parse(
        retrying("          delay: { seconds: 1 }\n          limit: { attempt: { count: 2 } }"),
      ),
      host: createLocalHost({ clock, functions }),
      instanceId: "try-1",
    });
    expect(outcome.status).toBe("faulted");
    expect(outcome.error).toMatchObject({
      type: "https://serverlessworkflow.io/spec/1.0.0/errors/communication",
      status: 503,
      instance: "/do/0/guarded/try/0/callIt",
    });
    expect(log).toHaveLength(3);

    const handled = await interpretWorkflow({
      workflow: parse(
        retrying("          delay: { seconds: 1 }\n          limit: { attempt: { count: 1 } }") +
          "        do:\n          - giveUp: { set: { gaveUp: true } }\n",
      ),
      host: createLocalHost({
        clock: new VirtualClock(START),
        functions: { "bank.fetchStatement": flaky(10, () => 0, []) },
      }),
      instanceId: "try-2",
    });
    expect(handled.output).toEqual({ gaveUp: true });
  });

  it("stops retrying at the duration limit", async () => {
    const log: Array<{ at: number; key: string; attempt: number }> = [];
    const clock = new VirtualClock(START);
    const outcome = await interpretWorkflow({
      workflow: parse(
        retrying(
          "          delay: { minutes: 1 }\n          limit: { duration: { minutes: 2, seconds: 30 } }",
        ),
      ),
      host: createLocalHost({
        clock,
        functions: { "bank.fetchStatement": flaky(10, () => clock.now(), log) },
      }),
      instanceId: "try-1",
    });
    expect(outcome.status).toBe("faulted");
    expect(log.map((entry) => entry.at)).toEqual([0, 60_000, 120_000]);
  });

  it("bounds each attempt with limit.attempt.duration", async () => {
    const outcome = await run(
      `
do:
  - guarded:
      try:
        - slow: { wait: PT10M }
      catch:
        errors: { with: { type: https://serverlessworkflow.io/spec/1.0.0/errors/timeout } }
        retry:
          limit: { attempt: { count: 1, duration: PT1M } }
        do:
          - report: { set: { gaveUpAt: '\${ now | todate }' } }
`,
      {},
    );
    expect(outcome.output).toEqual({ gaveUpAt: "2026-01-01T00:02:00Z" });
  });

  it("uses reusable retry policies and their when conditions", async () => {
    const log: Array<{ at: number; key: string; attempt: number }> = [];
    const outcome = await run(
      `
use:
  retries:
    onlyServerErrors:
      when: $error.status >= 500
      limit: { attempt: { count: 3 } }
do:
  - guarded:
      try:
        - callIt: { call: bank.fetchStatement }
      catch:
        retry: onlyServerErrors
`,
      {},
      { functions: { "bank.fetchStatement": flaky(2, () => START, log) } },
    );
    expect(outcome.output).toEqual({ ok: true, calls: 3 });
  });
});
