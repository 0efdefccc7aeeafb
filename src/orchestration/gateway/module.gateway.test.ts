import { describe, expect, it } from "vitest";
import { z } from "zod";
import { AppError, isAppError } from "../../kernel/app-error.ts";
import { createMetrics } from "../../platform/telemetry/metrics.ts";
import { ActionCatalog, defineAction, type ActionPolicy } from "../../platform/actions/action-catalog.ts";
import { createModuleGateway } from "./module.gateway.ts";

const TENANT = "6f1c1f3e-2a7b-4c55-9d0e-1a2b3c4d5e6f";
const OTHER_TENANT = "0b7e8c9d-1111-4222-8333-944455556666";
const ctx = { tenantId: TENANT, actor: "user:asha" };

const FAST: Partial<ActionPolicy> = {
  timeoutMs: 2_000,
  retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 5 },
  breaker: { consecutiveFailures: 3, halfOpenAfterMs: 60_000 },
  bulkhead: { maxConcurrent: 4, queue: 4 },
};

async function failureOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (isAppError(error)) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

function invoicingCatalog(handlers: {
  verify?: (input: { invoiceId: string }) => Promise<unknown>;
  policy?: Partial<ActionPolicy>;
}) {
  const catalog = new ActionCatalog();
  catalog.registerModule({
    module: "invoicing",
    policy: handlers.policy ?? FAST,
    actions: [
      defineAction({
        module: "invoicing",
        name: "verify",
        kind: "command",
        permission: "invoices.verify",
        description: "Checks an invoice before it is sent",
        input: z.object({ invoiceId: z.uuid(), strict: z.boolean().default(false) }),
        output: z.object({ ok: z.boolean() }),
        handler: async (input) => (handlers.verify ?? (async () => ({ ok: true })))(input) as never,
      }),
      defineAction({
        module: "invoicing",
        name: "total",
        kind: "query",
        permission: "invoices.read",
        input: z.object({ invoiceId: z.string() }),
        output: z.object({ paise: z.string() }),
        handler: async () => ({ paise: "118000" }),
      }),
    ],
  });
  return catalog;
}

const INVOICE = "2d1f6a52-3c6b-4b8e-9f7a-0c1d2e3f4a5b";

describe("module gateway", () => {
  it("calls a registered action with validated input and output", async () => {
    const seen: unknown[] = [];
    const gateway = createModuleGateway({
      catalog: invoicingCatalog({
        verify: async (input) => {
          seen.push(input);
          return { ok: true };
        },
      }),
    });
    await expect(gateway.call("invoicing.verify", { invoiceId: INVOICE }, ctx)).resolves.toEqual({
      ok: true,
    });
    expect(seen).toEqual([{ invoiceId: INVOICE, strict: false }]);
  });

  it("refuses an unknown action, naming it", async () => {
    const gateway = createModuleGateway({ catalog: invoicingCatalog({}) });
    const error = await failureOf(gateway.call("invoicing.nope", {}, ctx));
    expect(error.code).toBe("NOT_FOUND");
    expect(error.message).toContain("invoicing.nope");
  });

  it("refuses invalid input with field paths and never runs the handler", async () => {
    let calls = 0;
    const gateway = createModuleGateway({
      catalog: invoicingCatalog({
        verify: async () => {
          calls += 1;
          return { ok: true };
        },
      }),
    });
    const error = await failureOf(gateway.call("invoicing.verify", { invoiceId: "x", strict: "yes" }, ctx));
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.issues.map((issue) => issue.field).sort()).toEqual(["invoiceId", "strict"]);
    expect(calls).toBe(0);
  });

  it("reports output that breaks the schema as the module's fault", async () => {
    const gateway = createModuleGateway({
      catalog: invoicingCatalog({ verify: async () => ({ ok: "yes" }) }),
    });
    const error = await failureOf(gateway.call("invoicing.verify", { invoiceId: INVOICE }, ctx));
    expect(error.code).toBe("INTERNAL");
    expect(error.issues[0]?.field).toBe("output.ok");
  });

  it("retries retryable errors with backoff and then succeeds", async () => {
    let calls = 0;
    const gateway = createModuleGateway({
      catalog: invoicingCatalog({
        verify: async () => {
          calls += 1;
          if (calls < 3)
            throw new AppError({ code: "UNAVAILABLE", message: "GSTN is busy", retryable: true });
          return { ok: true };
        },
      }),
    });
    await expect(gateway.call("invoicing.verify", { invoiceId: INVOICE }, ctx)).resolves.toEqual({
      ok: true,
    });
    expect(calls).toBe(3);
  });

  it("retries network errors but never conflicts or validation errors", async () => {
    for (const [thrown, expectedCalls] of [
      [Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), 3],
      [AppError.conflict("already verified"), 1],
      [AppError.invalidInput([{ field: "gstin", reason: "bad checksum" }]), 1],
      [new AppError({ code: "UNAVAILABLE", message: "down", retryable: false }), 1],
    ] as const) {
      let calls = 0;
      const gateway = createModuleGateway({
        catalog: invoicingCatalog({
          verify: async () => {
            calls += 1;
            throw thrown;
          },
        }),
      });
      await failureOf(gateway.call("invoicing.verify", { invoiceId: INVOICE }, ctx));
      expect(calls, String((thrown as Error).message)).toBe(expectedCalls);
    }
  });

  it("retries a timed-out command only when it carries an idempotency key", async () => {
    let calls = 0;
    const gateway = createModuleGateway({
      catalog: invoicingCatalog({
        policy: { ...FAST, timeoutMs: 20, breaker: { consecutiveFailures: 10, halfOpenAfterMs: 60_000 } },
        verify: (_input) => {
          calls += 1;
          return new Promise(() => undefined);
        },
      }),
    });
    const once = await failureOf(gateway.call("invoicing.verify", { invoiceId: INVOICE }, ctx));
    expect(once.code).toBe("UNAVAILABLE");
    expect(once.details.reason).toBe("timeout");
    expect(calls).toBe(1);

    calls = 0;
    await failureOf(
      gateway.call("invoicing.verify", { invoiceId: INVOICE }, { ...ctx, idempotencyKey: "wf-1:verify" }),
    );
    expect(calls).toBe(3);
  });

  it("aborts the handler's signal on timeout", async () => {
    const aborted = deferred<boolean>();
    const gateway = createModuleGateway({
      catalog: (() => {
        const catalog = new ActionCatalog();
        catalog.register({
          module: "slow",
          name: "wait",
          kind: "query",
          permission: "slow.read",
          input: z.object({}),
          output: z.object({}),
          policy: { ...FAST, timeoutMs: 20, retry: { maxAttempts: 1 } },
          handler: (_input, context) =>
            new Promise(() => {
              context.signal.addEventListener("abort", () => aborted.resolve(true));
            }),
        });
        return catalog;
      })(),
    });
    const error = await failureOf(gateway.call("slow.wait", {}, ctx));
    expect(error.details.reason).toBe("timeout");
    await expect(aborted.promise).resolves.toBe(true);
  });

  it("opens the module's breaker after consecutive failures and then fails fast", async () => {
    let calls = 0;
    const metrics = createMetrics({ processMetrics: false });
    const gateway = createModuleGateway({
      metrics,
      catalog: invoicingCatalog({
        policy: { ...FAST, retry: { maxAttempts: 1 } },
        verify: async () => {
          calls += 1;
          throw new AppError({ code: "UNAVAILABLE", message: "down", retryable: true });
        },
      }),
    });
    const transitions: string[] = [];
    gateway.onBreakerStateChange((module, state) => transitions.push(`${module}:${state}`));
    for (let i = 0; i < 3; i++)
      await failureOf(gateway.call("invoicing.verify", { invoiceId: INVOICE }, ctx));
    expect(gateway.health()).toEqual({ invoicing: "open" });
    expect(transitions).toEqual(["invoicing:open"]);

    const fast = await failureOf(gateway.call("invoicing.verify", { invoiceId: INVOICE }, ctx));
    expect(fast.code).toBe("UNAVAILABLE");
    expect(fast.details.reason).toBe("circuit_open");
    expect(calls).toBe(3);
    // Every action of the module is behind the same breaker.
    const other = await failureOf(gateway.call("invoicing.total", { invoiceId: INVOICE }, ctx));
    expect(other.details.reason).toBe("circuit_open");

    const text = await metrics.registry.metrics();
    expect(text).toContain('prapti_gateway_breaker_state{module="invoicing"} 2');
    expect(text).toContain(
      'prapti_gateway_calls_total{module="invoicing",action="verify",outcome="circuit_open"} 1',
    );
    expect(text).toContain(
      'prapti_gateway_calls_total{module="invoicing",action="verify",outcome="unavailable"} 3',
    );
  });

  it("does not count business errors against the breaker", async () => {
    const gateway = createModuleGateway({
      catalog: invoicingCatalog({
        policy: { ...FAST, retry: { maxAttempts: 1 } },
        verify: async () => {
          throw AppError.conflict("already verified");
        },
      }),
    });
    for (let i = 0; i < 5; i++)
      await failureOf(gateway.call("invoicing.verify", { invoiceId: INVOICE }, ctx));
    expect(gateway.health()).toEqual({ invoicing: "closed" });
  });

  it("refuses calls beyond the bulkhead's slots and queue", async () => {
    const release = deferred();
    const started = deferred();
    const gateway = createModuleGateway({
      catalog: invoicingCatalog({
        policy: { ...FAST, bulkhead: { maxConcurrent: 1, queue: 0 } },
        verify: async () => {
          started.resolve();
          await release.promise;
          return { ok: true };
        },
      }),
    });
    const first = gateway.call("invoicing.verify", { invoiceId: INVOICE }, ctx);
    await started.promise;
    const second = await failureOf(gateway.call("invoicing.verify", { invoiceId: INVOICE }, ctx));
    expect(second.code).toBe("UNAVAILABLE");
    expect(second.details.reason).toBe("bulkhead_full");
    release.resolve();
    await expect(first).resolves.toEqual({ ok: true });
  });

  it("limits calls per tenant, each tenant on its own budget", async () => {
    let now = 1_000_000;
    const gateway = createModuleGateway({
      clock: { now: () => now },
      catalog: invoicingCatalog({ policy: { ...FAST, rateLimitPerTenant: { perSecond: 1, burst: 2 } } }),
    });
    const call = (tenantId: string) =>
      gateway.call("invoicing.verify", { invoiceId: INVOICE }, { ...ctx, tenantId });
    await call(TENANT);
    await call(TENANT);
    const limited = await failureOf(call(TENANT));
    expect(limited.code).toBe("RATE_LIMITED");
    expect(limited.details.retryAfterMs).toBe(1000);
    await expect(call(OTHER_TENANT)).resolves.toEqual({ ok: true });
    now += 1_000;
    await expect(call(TENANT)).resolves.toEqual({ ok: true });
  });

  it("asks authorize before running an action", async () => {
    const gateway = createModuleGateway({
      catalog: invoicingCatalog({}),
      authorize: (action, context) => {
        if (action.permission === "invoices.verify" && context.actor !== "user:owner") {
          throw new AppError({ code: "FORBIDDEN", message: `${context.actor} may not ${action.permission}` });
        }
      },
    });
    expect((await failureOf(gateway.call("invoicing.verify", { invoiceId: INVOICE }, ctx))).code).toBe(
      "FORBIDDEN",
    );
    await expect(
      gateway.call("invoicing.verify", { invoiceId: INVOICE }, { ...ctx, actor: "user:owner" }),
    ).resolves.toEqual({ ok: true });
  });

  it("describes modules, actions, kinds, permissions and JSON Schemas", () => {
    const gateway = createModuleGateway({ catalog: invoicingCatalog({}) });
    const description = gateway.describe();
    expect(description.modules).toHaveLength(1);
    const module = description.modules[0];
    expect(module?.module).toBe("invoicing");
    expect(module?.breaker).toBe("closed");
    const verify = module?.actions.find((action) => action.name === "verify");
    expect(verify).toMatchObject({
      action: "invoicing.verify",
      kind: "command",
      permission: "invoices.verify",
      description: "Checks an invoice before it is sent",
      input: { type: "object", required: ["invoiceId"] },
      output: { type: "object", properties: { ok: { type: "boolean" } } },
    });
    expect((verify?.input.properties as Record<string, { format?: string }>).invoiceId?.format).toBe("uuid");
  });

  it("keeps breaker and bulkhead settings per module", () => {
    const catalog = new ActionCatalog();
    const action = {
      module: "payments",
      kind: "query" as const,
      permission: "payments.read",
      input: z.object({}),
      output: z.object({}),
      handler: async () => ({}),
    };
    catalog.register({
      ...action,
      name: "list",
      policy: { breaker: { consecutiveFailures: 2, halfOpenAfterMs: 5 } },
    });
    catalog.register({ ...action, name: "get", policy: { timeoutMs: 50 } });
    expect(catalog.get("payments.get")?.policy.breaker).toEqual({
      consecutiveFailures: 2,
      halfOpenAfterMs: 5,
    });
    expect(catalog.get("payments.list")?.policy.timeoutMs).toBe(10_000);
    expect(() =>
      catalog.register({
        ...action,
        name: "sum",
        policy: { breaker: { consecutiveFailures: 9, halfOpenAfterMs: 5 } },
      }),
    ).toThrow(/shared by the module/);
    expect(() => catalog.register({ ...action, name: "get" })).toThrow(/already registered/);
    expect(() => catalog.register({ ...action, name: "Bad Name" })).toThrow(/invalid/);
  });
});
