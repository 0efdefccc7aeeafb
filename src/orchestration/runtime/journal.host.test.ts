import { describe, expect, it } from "vitest";
import { AppError } from "../../kernel/app-error.ts";
import { validateWorkflowDocument } from "../dsl/workflow.validator.ts";
import type { Workflow } from "../dsl/workflow.types.ts";
import { createJournalingHost, EffectJournal } from "./journal.host.ts";
import { createLocalHost, type LocalFunction } from "./local.host.ts";
import type { CloudEvent, RuntimeHost } from "./runtime-host.port.ts";
import { VirtualClock } from "./virtual.clock.ts";
import { interpretWorkflow } from "./workflow.interpreter.ts";

const definition = `
document: { dsl: '1.0.0', namespace: test, name: dunning, version: '1.0.0' }
do:
  - load:
      call: invoicing.load
      with: { invoiceId: '\${ .invoiceId }' }
  - eachReminder:
      for: { in: '[1, 2]', each: round }
      do:
        - remind:
            call: followup.remind
            with: { invoiceId: '\${ .invoiceId }', round: '\${ $round }' }
        - pause: { wait: P3D }
  - guarded:
      try:
        - settle: { call: payments.settle, with: { invoiceId: '\${ .invoiceId }' } }
      catch:
        errors: { with: { status: 503 } }
        retry: { delay: { hours: 1 }, jitter: { from: PT1M, to: PT5M }, limit: { attempt: { count: 3 } } }
  - awaitAck:
      listen: { to: { one: { with: { type: payment.acknowledged } } } }
  - stamp:
      emit:
        event:
          with: { source: https://prapti.example, type: dunning.finished, data: { at: '\${ now | todate }' } }
`;

function parse(text: string): Workflow {
  const result = validateWorkflowDocument(text);
  if (!result.ok || !result.workflow) throw new Error(JSON.stringify(result.errors));
  return result.workflow;
}

function functions(calls: string[]): Record<string, LocalFunction> {
  let settleAttempts = 0;
  return {
    "invoicing.load": (args) => {
      calls.push("load");
      return { ...(args as object), amount: 900 };
    },
    "followup.remind": (args) => {
      calls.push(`remind ${(args as { round: number }).round}`);
      return { sent: true };
    },
    "payments.settle": () => {
      calls.push("settle");
      settleAttempts += 1;
      if (settleAttempts === 1) throw new AppError({ code: "UNAVAILABLE", message: "busy" });
      return { settled: true };
    },
  };
}

const ack: CloudEvent = {
  specversion: "1.0",
  id: "ack-1",
  source: "https://bank.example",
  type: "payment.acknowledged",
  data: { ok: true },
};

/** A host whose world-touching methods must never be called. */
function sealed(inner: RuntimeHost): RuntimeHost {
  const refuse = (what: string) => () => {
    throw new Error(`replay touched the world: ${what}`);
  };
  return {
    ...inner,
    effect: refuse("effect"),
    sleep: refuse("sleep"),
    receiveEvent: refuse("receiveEvent"),
    runWorkflow: refuse("runWorkflow"),
  };
}

describe("deterministic replay", () => {
  it("issues the same effect keys in the same order and needs nothing from the world on replay", async () => {
    const calls: string[] = [];
    const journal = new EffectJournal();
    const live = createLocalHost({
      clock: new VirtualClock(Date.UTC(2026, 0, 1)),
      functions: functions(calls),
      events: [ack],
      random: () => 0.25,
    });
    const recording = createJournalingHost(live, journal);
    const first = await interpretWorkflow({
      workflow: parse(definition),
      input: { invoiceId: "INV-1" },
      host: recording,
      instanceId: "dun-1",
    });
    expect(first.status).toBe("completed");
    expect(calls).toEqual(["load", "remind 1", "remind 2", "settle", "settle"]);

    const replayHost = createJournalingHost(sealed(createLocalHost({ clock: new VirtualClock(0) })), journal);
    const second = await interpretWorkflow({
      workflow: parse(definition),
      input: { invoiceId: "INV-1" },
      host: replayHost,
      instanceId: "dun-1",
    });
    expect(second).toEqual(first);
    expect(replayHost.executed).toEqual([]);
    expect(replayHost.replayed).toEqual(recording.executed);
    expect(calls).toHaveLength(5);
    expect(recording.executed).toEqual([
      "dun-1:/do/0/load:0#0",
      "dun-1:/do/1/eachReminder/do/0/remind:0#0",
      "dun-1:/do/1/eachReminder/do/1/pause:0#0",
      "dun-1:/do/1/eachReminder/do/0/remind:1.0#0",
      "dun-1:/do/1/eachReminder/do/1/pause:1.0#0",
      "dun-1:/do/2/guarded/try/0/settle:0#0",
      "dun-1:/do/2/guarded:0#0",
      "dun-1:/do/2/guarded:1#0",
      "dun-1:/do/2/guarded/try/0/settle:0#1",
      "dun-1:/do/3/awaitAck:0#0",
      "dun-1:/do/4/stamp:0#0",
      "dun-1:/do/4/stamp:1#0",
    ]);
  });

  it("continues a parked instance in a new execution from its journal", async () => {
    const calls: string[] = [];
    const journal = new EffectJournal();
    const controller = new AbortController();
    const firstClock = new VirtualClock(Date.UTC(2026, 0, 1));
    const first = createJournalingHost(
      createLocalHost({
        clock: firstClock,
        functions: functions(calls),
        random: () => 0.25,
        whenIdle: "wait",
      }),
      journal,
    );
    const parked = interpretWorkflow({
      workflow: parse(definition),
      input: { invoiceId: "INV-1" },
      host: first,
      instanceId: "dun-2",
      signal: controller.signal,
    });
    // The listener is the first thing that waits for the outside: stop the execution there.
    await new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        if (calls.filter((call) => call === "settle").length === 2) {
          clearInterval(poll);
          resolve();
        } else if (Date.now() - started > 5000) {
          clearInterval(poll);
          reject(new Error(`the first execution did not reach the listener: ${calls.join(", ")}`));
        }
      }, 1);
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    expect((await parked).status).toBe("cancelled");
    const recorded = journal.size;

    const resumed = createJournalingHost(
      createLocalHost({
        clock: new VirtualClock(firstClock.now()),
        functions: functions(calls),
        events: [ack],
      }),
      journal,
    );
    const outcome = await interpretWorkflow({
      workflow: parse(definition),
      input: { invoiceId: "INV-1" },
      host: resumed,
      instanceId: "dun-2",
    });
    expect(outcome.status).toBe("completed");
    expect(calls).toEqual(["load", "remind 1", "remind 2", "settle", "settle"]);
    expect(resumed.replayed).toHaveLength(recorded);
    expect(resumed.executed).toEqual([
      "dun-2:/do/3/awaitAck:0#0",
      "dun-2:/do/4/stamp:0#0",
      "dun-2:/do/4/stamp:1#0",
    ]);
  });

  it("keeps keys stable when a replay skips work that timed out", async () => {
    const looping = `
document: { dsl: '1.0.0', namespace: test, name: looping, version: '1.0.0' }
do:
  - loop:
      for: { in: '[120, 10]', each: seconds }
      do:
        - guarded:
            try:
              - step:
                  timeout: { after: PT1M }
                  do:
                    - ask: { call: test.ask, with: { n: '\${ $seconds }' } }
                    - pause: { wait: '\${ { seconds: $seconds } }' }
                    - confirm: { call: test.confirm, with: { n: '\${ $seconds }' } }
            catch:
              errors: { with: { type: https://serverlessworkflow.io/spec/1.0.0/errors/timeout } }
              do:
                - note: { set: { timedOut: '\${ $seconds }' } }
`;
    const calls: string[] = [];
    const functions: Record<string, LocalFunction> = {
      "test.ask": (args) => {
        calls.push(`ask ${(args as { n: number }).n}`);
        return {};
      },
      "test.confirm": (args) => {
        calls.push(`confirm ${(args as { n: number }).n}`);
        return { confirmed: (args as { n: number }).n };
      },
    };
    const journal = new EffectJournal();
    const recording = createJournalingHost(
      createLocalHost({ clock: new VirtualClock(0), functions }),
      journal,
    );
    const first = await interpretWorkflow({
      workflow: parse(looping),
      host: recording,
      instanceId: "loop-1",
    });
    expect(first.output).toEqual({ confirmed: 10 });
    expect(calls).toEqual(["ask 120", "ask 10", "confirm 10"]);

    const replayHost = createJournalingHost(sealed(createLocalHost({ clock: new VirtualClock(0) })), journal);
    const second = await interpretWorkflow({
      workflow: parse(looping),
      host: replayHost,
      instanceId: "loop-1",
    });
    expect(second).toEqual(first);
    expect(replayHost.executed).toEqual([]);
    expect(calls).toHaveLength(3);
    expect(recording.executed).toContain("loop-1:/do/0/loop/do/0/guarded/try/0/step/do/0/ask:1.0.0.0#0");
  });
});
