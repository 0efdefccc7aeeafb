import { describe, expect, it } from "vitest";
import { validateWorkflowDocument } from "../../dsl/workflow.validator.ts";
import type { Workflow } from "../../dsl/workflow.types.ts";
import { createJournalingHost, EffectJournal } from "../journal.host.ts";
import { createLocalHost, type LocalHostOptions } from "../local.host.ts";
import type { TaskEvent } from "../runtime-host.port.ts";
import { VirtualClock } from "../virtual.clock.ts";
import { interpretWorkflow } from "../workflow.interpreter.ts";

const header = "document: { dsl: '1.0.0', namespace: test, name: fork, version: '1.0.0' }\n";

function parse(body: string): Workflow {
  const result = validateWorkflowDocument(header + body);
  if (!result.ok || !result.workflow) throw new Error(JSON.stringify(result.errors));
  return result.workflow;
}

async function run(body: string, input: unknown, options: LocalHostOptions = {}) {
  const events: TaskEvent[] = [];
  const host = createLocalHost({
    clock: new VirtualClock(0),
    ...options,
    onTaskEvent: (event) => events.push(event),
  });
  const outcome = await interpretWorkflow({ workflow: parse(body), input, host, instanceId: "fork-1" });
  return { ...outcome, host, events };
}

describe("fork", () => {
  it("runs all branches on the task input and outputs their results in declaration order", async () => {
    const result = await run(
      `
do:
  - gather:
      fork:
        branches:
          - slow:
              do:
                - pause: { wait: PT10M }
                - value: { set: { from: slow, n: '\${ .n }' } }
          - fast:
              set: { from: fast, n: '\${ .n + 1 }' }
`,
      { n: 1 },
    );
    expect(result.status).toBe("completed");
    expect(result.output).toEqual([
      { from: "slow", n: 1 },
      { from: "fast", n: 2 },
    ]);
  });

  it("keys each branch's effects by its own path", async () => {
    const result = await run(
      `
do:
  - notify:
      fork:
        branches:
          - email: { call: comms.email, with: { to: a } }
          - sms: { call: comms.sms, with: { to: b } }
`,
      {},
      { functions: { "comms.email": () => "emailed", "comms.sms": () => "texted" } },
    );
    expect(result.output).toEqual(["emailed", "texted"]);
    expect(result.host.effects.map((effect) => effect.key).sort()).toEqual([
      "fork-1:/do/0/notify/fork/branches/0/email:0",
      "fork-1:/do/0/notify/fork/branches/1/sms:0",
    ]);
  });

  it("faults when a branch faults and cancels the others", async () => {
    let slowCompleted = false;
    const result = await run(
      `
do:
  - gather:
      fork:
        branches:
          - slow:
              do:
                - pause: { wait: PT1H }
                - mark: { call: test.mark }
          - failing:
              raise: { error: { type: https://prapti.example/errors/boom, status: 500, title: Boom } }
`,
      {},
      {
        functions: {
          "test.mark": () => {
            slowCompleted = true;
            return true;
          },
        },
      },
    );
    expect(result.status).toBe("faulted");
    expect(result.error).toMatchObject({
      type: "https://prapti.example/errors/boom",
      instance: "/do/0/gather/fork/branches/1/failing",
    });
    expect(slowCompleted).toBe(false);
  });

  it("with compete, outputs the first branch to complete and cancels the rest", async () => {
    const calls: string[] = [];
    const result = await run(
      `
do:
  - race:
      fork:
        compete: true
        branches:
          - tortoise:
              do:
                - crawl: { wait: PT2H }
                - arrive: { call: test.record, with: { who: tortoise } }
          - hare:
              do:
                - sprint: { wait: PT5M }
                - arrive: { call: test.record, with: { who: hare } }
`,
      {},
      {
        functions: {
          "test.record": (args) => {
            const who = (args as { who: string }).who;
            calls.push(who);
            return { winner: who };
          },
        },
      },
    );
    expect(result.output).toEqual({ winner: "hare" });
    expect(calls).toEqual(["hare"]);
    expect(result.host.effects.filter((effect) => effect.kind === "decide")).toHaveLength(1);
  });

  it("with compete, faults only when every branch faults", async () => {
    const oneFails = await run(
      `
do:
  - race:
      fork:
        compete: true
        branches:
          - broken: { raise: { error: { type: https://prapti.example/errors/a, status: 500 } } }
          - fine: { set: { ok: true } }
`,
      {},
    );
    expect(oneFails.output).toEqual({ ok: true });
    const allFail = await run(
      `
do:
  - race:
      fork:
        compete: true
        branches:
          - first: { raise: { error: { type: https://prapti.example/errors/a, status: 500 } } }
          - second: { raise: { error: { type: https://prapti.example/errors/b, status: 500 } } }
`,
      {},
    );
    expect(allFail.status).toBe("faulted");
    expect(allFail.error?.type).toBe("https://prapti.example/errors/a");
  });

  it("replays the recorded winner of a competing fork without running the losers", async () => {
    const body = `
do:
  - race:
      fork:
        compete: true
        branches:
          - slowProvider:
              do:
                - wait: { wait: PT1H }
                - quote: { call: quotes.slow }
          - fastProvider:
              do:
                - wait: { wait: PT1M }
                - quote: { call: quotes.fast }
`;
    const calls: string[] = [];
    const functions = {
      "quotes.slow": () => {
        calls.push("slow");
        return { price: 10 };
      },
      "quotes.fast": () => {
        calls.push("fast");
        return { price: 12 };
      },
    };
    const journal = new EffectJournal();
    const first = await interpretWorkflow({
      workflow: parse(body),
      host: createJournalingHost(createLocalHost({ clock: new VirtualClock(0), functions }), journal),
      instanceId: "race-1",
    });
    expect(first.output).toEqual({ price: 12 });
    expect(calls).toEqual(["fast"]);

    const replayHost = createJournalingHost(
      createLocalHost({ clock: new VirtualClock(0), functions }),
      journal,
    );
    const second = await interpretWorkflow({ workflow: parse(body), host: replayHost, instanceId: "race-1" });
    expect(second.output).toEqual({ price: 12 });
    expect(calls).toEqual(["fast"]);
    expect(replayHost.executed).toEqual([]);
    expect(replayHost.replayed.every((id) => !id.includes("slowProvider"))).toBe(true);
  });

  it("replays the fault that ended a fork without running its branches again", async () => {
    const body = `
do:
  - gather:
      fork:
        branches:
          - slow:
              do:
                - pause: { wait: PT1H }
                - late: { call: test.late }
          - failing:
              do:
                - check: { call: test.check }
                - fail: { raise: { error: { type: https://prapti.example/errors/rejected, status: 422 } } }
`;
    const calls: string[] = [];
    const functions = {
      "test.late": () => calls.push("late"),
      "test.check": () => calls.push("check"),
    };
    const journal = new EffectJournal();
    const first = await interpretWorkflow({
      workflow: parse(body),
      host: createJournalingHost(createLocalHost({ clock: new VirtualClock(0), functions }), journal),
      instanceId: "fault-1",
    });
    expect(first.error).toMatchObject({
      type: "https://prapti.example/errors/rejected",
      instance: "/do/0/gather/fork/branches/1/failing/do/1/fail",
    });
    const replayHost = createJournalingHost(
      createLocalHost({ clock: new VirtualClock(0), functions }),
      journal,
    );
    const second = await interpretWorkflow({
      workflow: parse(body),
      host: replayHost,
      instanceId: "fault-1",
    });
    expect(second).toEqual(first);
    expect(replayHost.executed).toEqual([]);
    expect(calls).toEqual(["check"]);
  });
});
