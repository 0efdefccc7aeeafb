import { describe, expect, it } from "vitest";
import { validateWorkflowDocument } from "../../dsl/workflow.validator.ts";
import type { Workflow } from "../../dsl/workflow.types.ts";
import { createLocalHost, type LocalHostOptions } from "../local.host.ts";
import type { CloudEvent } from "../runtime-host.port.ts";
import { VirtualClock } from "../virtual.clock.ts";
import { interpretWorkflow } from "../workflow.interpreter.ts";

const header = "document: { dsl: '1.0.0', namespace: test, name: listen, version: '1.0.0' }\n";

function parse(body: string): Workflow {
  const result = validateWorkflowDocument(header + body);
  if (!result.ok || !result.workflow) throw new Error(JSON.stringify(result.errors));
  return result.workflow;
}

let sequence = 0;
function event(type: string, data: unknown, extra: Record<string, unknown> = {}): CloudEvent {
  sequence += 1;
  return { specversion: "1.0", id: `e${sequence}`, source: "https://bank.example", type, data, ...extra };
}

async function run(body: string, input: unknown, options: LocalHostOptions = {}) {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const host = createLocalHost({ clock, ...options });
  const outcome = await interpretWorkflow({ workflow: parse(body), input, host, instanceId: "listen-1" });
  return { ...outcome, host, clock };
}

describe("emit", () => {
  it("publishes a CloudEvent with the evaluated properties and outputs it", async () => {
    const result = await run(
      `
do:
  - announce:
      emit:
        event:
          with:
            source: https://prapti.example/invoicing
            type: prapti.invoice.paid.v1
            subject: '\${ .invoice }'
            data: { invoice: '\${ .invoice }', amount: '\${ .amount }' }
`,
      { invoice: "INV-1", amount: 500 },
    );
    expect(result.host.emitted).toHaveLength(1);
    const emitted = result.host.emitted[0]!;
    expect(emitted).toMatchObject({
      specversion: "1.0",
      source: "https://prapti.example/invoicing",
      type: "prapti.invoice.paid.v1",
      subject: "INV-1",
      data: { invoice: "INV-1", amount: 500 },
      datacontenttype: "application/json",
      time: "2026-01-01T00:00:00.000Z",
    });
    expect(emitted.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.output).toEqual(emitted);
  });
});

describe("listen", () => {
  it("waits for one matching event and outputs its data", async () => {
    const result = await run(
      `
do:
  - awaitPayment:
      listen:
        to:
          one:
            with: { type: bank.payment.received, data: '\${ .amount >= 100 }' }
`,
      {},
      {
        events: [
          event("bank.payment.received", { amount: 50 }),
          { afterMs: 60_000, event: event("bank.payment.received", { amount: 150 }) },
        ],
      },
    );
    expect(result.output).toEqual([{ amount: 150 }]);
    expect(result.clock.now()).toBe(Date.UTC(2026, 0, 1, 0, 1));
  });

  it("matches filter strings as regular expressions and reads whole envelopes", async () => {
    const result = await run(
      `
do:
  - awaitAny:
      listen:
        to:
          any:
            - with: { type: 'bank\\.payment\\.(received|reversed)' }
        read: envelope
`,
      {},
      { events: [event("bank.statement.ready", {}), event("bank.payment.reversed", { amount: 5 })] },
    );
    expect(result.output).toEqual([
      expect.objectContaining({ type: "bank.payment.reversed", data: { amount: 5 } }),
    ]);
  });

  it("waits for all filters, in any order", async () => {
    const result = await run(
      `
do:
  - both:
      listen:
        to:
          all:
            - with: { type: a.happened }
            - with: { type: b.happened }
`,
      {},
      {
        events: [
          { afterMs: 10, event: event("b.happened", "b") },
          { afterMs: 20, event: event("c.happened", "c") },
          { afterMs: 30, event: event("a.happened", "a") },
        ],
      },
    );
    expect(result.output).toEqual(["b", "a"]);
  });

  it("with any and an until expression, consumes until it holds", async () => {
    const result = await run(
      `
do:
  - readings:
      listen:
        to:
          any: []
          until: length >= 3
`,
      {},
      { events: [1, 2, 3, 4].map((n) => ({ afterMs: n * 1000, event: event("sensor.reading", n) })) },
    );
    expect(result.output).toEqual([1, 2, 3]);
  });

  it("with an until strategy, stops at its event and leaves it out of the output", async () => {
    const result = await run(
      `
do:
  - collect:
      listen:
        to:
          any:
            - with: { type: order.line }
          until:
            one: { with: { type: order.closed } }
`,
      {},
      {
        events: [
          event("order.line", "l1"),
          event("order.line", "l2"),
          event("order.closed", "done"),
          event("order.line", "late"),
        ],
      },
    );
    expect(result.output).toEqual(["l1", "l2"]);
  });

  it("correlates events on an extracted value", async () => {
    const result = await run(
      `
do:
  - reconcile:
      listen:
        to:
          all:
            - with: { type: bank.credit }
              correlate:
                invoice: { from: .data.reference, expect: '\${ .invoice }' }
            - with: { type: bank.advice }
              correlate:
                invoice: { from: .data.reference }
`,
      { invoice: "INV-9" },
      {
        events: [
          event("bank.credit", { reference: "INV-1" }),
          event("bank.credit", { reference: "INV-9", amount: 10 }),
          event("bank.advice", { reference: "INV-9" }),
        ],
      },
    );
    expect(result.output).toEqual([{ reference: "INV-9", amount: 10 }, { reference: "INV-9" }]);
  });

  it("processes events with foreach as they arrive", async () => {
    const result = await run(
      `
do:
  - tally:
      listen:
        to:
          any: [ { with: { type: payment } } ]
          until: length == 2
      foreach:
        item: payment
        at: position
        do:
          - describe: { set: { line: '\${ "#\\($position): \\($payment.amount)" }' } }
        output:
          as: .line
        export:
          as: '$context + { last: $payment.amount }'
  - after: { set: { lines: '\${ . }', last: '\${ $context.last }' } }
`,
      {},
      { events: [event("payment", { amount: 10 }), event("payment", { amount: 20 })] },
    );
    expect(result.output).toEqual({ lines: ["#0: 10", "#1: 20"], last: 20 });
  });

  it("times out through the task timeout", async () => {
    const result = await run(
      `
do:
  - awaitPayment:
      timeout: { after: P3D }
      listen: { to: { one: { with: { type: bank.payment.received } } } }
`,
      {},
      { events: [{ afterMs: 4 * 86_400_000, event: event("bank.payment.received", {}) }] },
    );
    expect(result.error).toMatchObject({
      type: "https://serverlessworkflow.io/spec/1.0.0/errors/timeout",
      instance: "/do/0/awaitPayment",
    });
    expect(result.clock.now()).toBe(Date.UTC(2026, 0, 4));
  });

  it("faults instead of waiting forever when the local host has nothing left to deliver", async () => {
    const result = await run(`do:\n  - wait: { listen: { to: { one: { with: { type: never } } } } }\n`, {});
    expect(result.error).toMatchObject({
      type: "https://serverlessworkflow.io/spec/1.0.0/errors/runtime",
      title: "No event to receive",
      instance: "/do/0/wait",
    });
  });

  it("receives events published while it waits", async () => {
    const clock = new VirtualClock(0);
    const host = createLocalHost({
      clock: {
        now: () => clock.now(),
        sleep: (ms, signal) => clock.sleep(ms, signal),
        track: (work) => work,
      },
    });
    const outcome = interpretWorkflow({
      workflow: parse(`do:\n  - wait: { listen: { to: { one: { with: { type: ping } } } } }\n`),
      host,
      instanceId: "p",
    });
    setTimeout(() => host.publish(event("ping", "pong")), 10);
    expect((await outcome).output).toEqual(["pong"]);
  });
});
