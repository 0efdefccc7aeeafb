import {
  bulkhead,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  retry,
  timeout,
  TimeoutStrategy,
  wrap,
  type BulkheadPolicy,
  type CircuitBreakerPolicy,
  type IPolicy,
} from "cockatiel";
import type { Logger } from "pino";
import { z } from "zod";
import { AppError } from "../../kernel/app-error.ts";
import {
  BREAKER_STATE_VALUE,
  type BreakerStateName,
  type PraptiMetrics,
} from "../../platform/telemetry/metrics.ts";
import { disabledTracing, type Tracing } from "../../platform/telemetry/tracing.ts";
import {
  parseActionInput,
  parseActionOutput,
  type ActionCatalog,
  type ActionKind,
  type ActionPolicy,
  type CallContext,
  type RegisteredAction,
} from "../../platform/actions/action-catalog.ts";
import {
  isInfrastructureFailure,
  isRetryableFailure,
  outcomeOf,
  safeToRepeat,
  toGatewayError,
} from "./gateway-errors.ts";
import { systemClock, TenantRateLimiter, type Clock } from "./tenant-rate.limiter.ts";

export type { BreakerStateName } from "../../platform/telemetry/metrics.ts";

export interface ActionDescription {
  action: string;
  name: string;
  kind: ActionKind;
  permission: string;
  description?: string;
  input: Record<string, unknown>;
  output: Record<string, unknown>;
  policy: Pick<ActionPolicy, "timeoutMs" | "retry" | "rateLimitPerTenant">;
}

export interface ModuleDescription {
  module: string;
  breaker: BreakerStateName;
  remote?: { baseUrl: string };
  policy: Pick<ActionPolicy, "breaker" | "bulkhead">;
  actions: ActionDescription[];
}

export interface GatewayDescription {
  modules: ModuleDescription[];
}

export interface ModuleGateway {
  /** Calls `<module>.<action>`: look-up, input check, policy (rate limit, retry, bulkhead, breaker, timeout), output check. */
  call<T = unknown>(action: string, input: unknown, ctx: CallContext): Promise<T>;
  /** Circuit breaker state of every module in the catalog. */
  health(): Record<string, BreakerStateName>;
  /** Modules, actions, kinds, permissions, policies and JSON Schemas of inputs and outputs. */
  describe(): GatewayDescription;
  /** Called on every breaker transition; returns a function that removes the listener. */
  onBreakerStateChange(listener: (module: string, state: BreakerStateName) => void): () => void;
}

export interface CreateModuleGatewayOptions {
  catalog: ActionCatalog;
  logger?: Logger;
  metrics?: PraptiMetrics;
  clock?: Clock;
  /** Decides whether the caller may run the action; throw FORBIDDEN (or UNAUTHENTICATED) to refuse. */
  authorize?: (action: RegisteredAction, ctx: CallContext) => void | Promise<void>;
  /** A span per call and one per attempt at the module's handler. */
  tracing?: Tracing;
}

interface ModuleResilience {
  breaker: CircuitBreakerPolicy;
  bulkhead: BulkheadPolicy;
}

function stateName(state: CircuitState): BreakerStateName {
  switch (state) {
    case CircuitState.Closed:
      return "closed";
    case CircuitState.HalfOpen:
      return "half-open";
    case CircuitState.Open:
    case CircuitState.Isolated:
      return "open";
  }
}

function jsonSchemaOf(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  try {
    return z.toJSONSchema(schema, { io, unrepresentable: "any" });
  } catch {
    return {};
  }
}

/**
 * The only way the hub reaches modules. Breakers and bulkheads are per module and live in this process;
 * retries and timeouts per action; rate limits per action and tenant.
 */
export function createModuleGateway(options: CreateModuleGatewayOptions): ModuleGateway {
  const { catalog, logger, metrics } = options;
  const clock = options.clock ?? systemClock;
  const tracing = options.tracing ?? disabledTracing;
  const limiter = new TenantRateLimiter(clock);
  const resilience = new Map<string, ModuleResilience>();
  const listeners = new Set<(module: string, state: BreakerStateName) => void>();
  const perAction = new Map<string, { retryable: IPolicy; once: IPolicy }>();

  function moduleResilience(module: string): ModuleResilience {
    let existing = resilience.get(module);
    if (existing) return existing;
    const settings = catalog.moduleSettings(module);
    if (!settings) throw AppError.notFound("module", module);
    const breaker = circuitBreaker(handleWhen(isInfrastructureFailure), {
      halfOpenAfter: settings.breaker.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(settings.breaker.consecutiveFailures),
    });
    breaker.onStateChange((state) => {
      const name = stateName(state);
      metrics?.gatewayBreakerState.set({ module }, BREAKER_STATE_VALUE[name]);
      logger?.[name === "closed" ? "info" : "warn"](
        { module, breaker: name },
        `circuit breaker of ${module} is ${name}`,
      );
      for (const listener of listeners) listener(module, name);
    });
    metrics?.gatewayBreakerState.set({ module }, 0);
    existing = { breaker, bulkhead: bulkhead(settings.bulkhead.maxConcurrent, settings.bulkhead.queue) };
    resilience.set(module, existing);
    return existing;
  }

  /** retry(bulkhead(breaker(timeout(handler)))): each attempt takes a slot, passes the breaker, has its own timeout. */
  function policyFor(action: RegisteredAction, repeatable: boolean): IPolicy {
    let policies = perAction.get(action.qualifiedName);
    if (!policies) {
      const { breaker, bulkhead: slots } = moduleResilience(action.module);
      const perAttempt = timeout(action.policy.timeoutMs, TimeoutStrategy.Aggressive);
      const build = (canRepeat: boolean) =>
        wrap(
          retry(
            handleWhen((error) => isRetryableFailure(error, canRepeat)),
            {
              maxAttempts: Math.max(0, action.policy.retry.maxAttempts - 1),
              backoff: new ExponentialBackoff({
                initialDelay: action.policy.retry.initialDelayMs ?? 100,
                maxDelay: action.policy.retry.maxDelayMs ?? 2_000,
              }),
            },
          ),
          slots,
          breaker,
          perAttempt,
        );
      policies = { retryable: build(true), once: build(false) };
      perAction.set(action.qualifiedName, policies);
    }
    return repeatable ? policies.retryable : policies.once;
  }

  function record(
    action: RegisteredAction | undefined,
    name: string,
    outcome: string,
    startedAt: number,
  ): void {
    if (!metrics) return;
    const module = action?.module ?? name.split(".")[0] ?? "unknown";
    const actionName = action?.name ?? "unknown";
    metrics.gatewayCalls.inc({ module, action: actionName, outcome });
    metrics.gatewayCallDuration.observe(
      { module, action: actionName },
      Math.max(0, clock.now() - startedAt) / 1000,
    );
  }

  async function callAction<T>(name: string, input: unknown, ctx: CallContext): Promise<T> {
    const startedAt = clock.now();
    const action = catalog.get(name);
    const log = logger?.child({
      action: name,
      tenantId: ctx.tenantId,
      ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
    });
    let attempts = 0;
    try {
      if (!action) {
        throw new AppError({
          code: "NOT_FOUND",
          message: `action ${name} is not in the catalog`,
          details: { what: "action", id: name },
        });
      }
      await options.authorize?.(action, ctx);
      const parsedInput = parseActionInput(action, input);
      const limit = action.policy.rateLimitPerTenant;
      if (limit) {
        const decision = limiter.take(`${action.qualifiedName}|${ctx.tenantId}`, limit);
        if (!decision.allowed) {
          throw new AppError({
            code: "RATE_LIMITED",
            message: `tenant ${ctx.tenantId} called ${name} too often; retry in ${decision.retryAfterMs} ms`,
            details: {
              action: name,
              retryAfterMs: decision.retryAfterMs,
              retryAfterSeconds: decision.retryAfterMs / 1000,
            },
            retryable: true,
          });
        }
      }
      const policy = policyFor(action, safeToRepeat(action.kind, ctx.idempotencyKey));
      const output = await policy.execute(async ({ signal }) => {
        attempts += 1;
        return tracing.inSpan(
          `module ${action.qualifiedName}`,
          { attributes: { "prapti.module": action.module, "prapti.attempt": attempts } },
          () =>
            action.handler(parsedInput, {
              tenantId: ctx.tenantId,
              actor: ctx.actor,
              ...(ctx.idempotencyKey !== undefined ? { idempotencyKey: ctx.idempotencyKey } : {}),
              ...(ctx.requestId !== undefined ? { requestId: ctx.requestId } : {}),
              signal,
            }),
        );
      }, ctx.signal);
      const parsedOutput = parseActionOutput(action, output);
      record(action, name, "ok", startedAt);
      log?.debug({ attempts, durationMs: clock.now() - startedAt }, `${name} ok`);
      return parsedOutput as T;
    } catch (error) {
      const failure = toGatewayError(error, {
        action: name,
        module: action?.module ?? name.split(".")[0] ?? "unknown",
        timeoutMs: action?.policy.timeoutMs ?? 0,
        callerAborted: ctx.signal?.aborted ?? false,
      });
      const outcome = outcomeOf(failure);
      record(action, name, outcome, startedAt);
      const level = failure.code === "INTERNAL" ? "error" : failure.code === "UNAVAILABLE" ? "warn" : "debug";
      log?.[level](
        { attempts, outcome, code: failure.code, durationMs: clock.now() - startedAt, err: failure },
        `${name} failed: ${failure.message}`,
      );
      if (attempts > 0 && failure.details.attempts === undefined) {
        failure.details.attempts = attempts;
      }
      throw failure;
    }
  }

  return {
    call<T>(name: string, input: unknown, ctx: CallContext): Promise<T> {
      return tracing.inSpan(
        "gateway.call",
        { attributes: { "prapti.action": name, "prapti.tenant_id": ctx.tenantId } },
        () => callAction<T>(name, input, ctx),
      );
    },

    health() {
      const states: Record<string, BreakerStateName> = {};
      for (const module of catalog.modules()) {
        const existing = resilience.get(module);
        states[module] = existing ? stateName(existing.breaker.state) : "closed";
      }
      return states;
    },

    describe() {
      const modules = catalog.modules().map((module): ModuleDescription => {
        const settings = catalog.moduleSettings(module);
        const remote = catalog.moduleRemote(module);
        const existing = resilience.get(module);
        return {
          module,
          breaker: existing ? stateName(existing.breaker.state) : "closed",
          ...(remote ? { remote } : {}),
          policy: settings ?? {
            breaker: { consecutiveFailures: 0, halfOpenAfterMs: 0 },
            bulkhead: { maxConcurrent: 0, queue: 0 },
          },
          actions: catalog
            .actions()
            .filter((action) => action.module === module)
            .map((action) => ({
              action: action.qualifiedName,
              name: action.name,
              kind: action.kind,
              permission: action.permission,
              ...(action.description ? { description: action.description } : {}),
              input: jsonSchemaOf(action.input, "input"),
              output: jsonSchemaOf(action.output, "output"),
              policy: {
                timeoutMs: action.policy.timeoutMs,
                retry: action.policy.retry,
                ...(action.policy.rateLimitPerTenant
                  ? { rateLimitPerTenant: action.policy.rateLimitPerTenant }
                  : {}),
              },
            })),
        };
      });
      return { modules };
    },

    onBreakerStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
