import type { z } from "zod";
import { AppError } from "../../kernel/app-error.ts";

export type ActionKind = "command" | "query";

/** Who calls and on whose behalf; what every handler receives besides its input. */
export interface ActionContext {
  tenantId: string;
  /** Who is acting, e.g. `user:<id>`, `workflow:<instanceId>` or `system:<job>`. */
  actor: string;
  /** Makes a command safe to repeat: the module applies it once per key. */
  idempotencyKey?: string;
  requestId?: string;
  /** Aborted when the call times out or the caller gives up; long handlers should pass it on. */
  signal: AbortSignal;
}

/** What a caller passes to `gateway.call`: the context without a signal, or with the caller's own. */
export type CallContext = Omit<ActionContext, "signal"> & { signal?: AbortSignal };

export interface RetryOptions {
  /** Attempts in all, the first included; 1 means no retry. */
  maxAttempts: number;
  /** First backoff delay; later ones grow exponentially with decorrelated jitter. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export interface BreakerOptions {
  /** Consecutive infrastructure failures (timeouts, unreachable, 5xx) that open the circuit. */
  consecutiveFailures: number;
  /** How long the circuit stays open before one trial call is let through (half-open). */
  halfOpenAfterMs: number;
}

export interface BulkheadOptions {
  /** Calls of the module running at once in this process. */
  maxConcurrent: number;
  /** Calls waiting for a slot; beyond this a call is refused at once. */
  queue: number;
}

export interface RateLimitOptions {
  /** Sustained calls per second per tenant. */
  perSecond: number;
  /** Calls a tenant may make in a burst; default `perSecond`. */
  burst?: number;
}

export interface ActionPolicy {
  /** Per attempt. */
  timeoutMs: number;
  retry: RetryOptions;
  /** Shared by all actions of a module. */
  breaker: BreakerOptions;
  /** Shared by all actions of a module. */
  bulkhead: BulkheadOptions;
  rateLimitPerTenant?: RateLimitOptions;
}

export const DEFAULT_ACTION_POLICY: ActionPolicy = {
  timeoutMs: 10_000,
  retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 2_000 },
  breaker: { consecutiveFailures: 5, halfOpenAfterMs: 30_000 },
  bulkhead: { maxConcurrent: 32, queue: 128 },
};

/** One command or query a module offers. */
export interface ActionDefinition<Input extends z.ZodType = z.ZodType, Output extends z.ZodType = z.ZodType> {
  module: string;
  name: string;
  kind: ActionKind;
  description?: string;
  input: Input;
  output: Output;
  /** The permission a caller needs, e.g. `invoices.verify`; checked by the gateway's `authorize`. */
  permission: string;
  policy?: Partial<ActionPolicy>;
  handler(input: z.output<Input>, ctx: ActionContext): Promise<z.input<Output>>;
}

/** An action as the catalog holds it: qualified name and the policy in force after defaults. */
export interface RegisteredAction extends ActionDefinition {
  qualifiedName: string;
  policy: ActionPolicy;
  /** Set for actions served by another process (see `registerRemoteModule`). */
  remote?: { baseUrl: string };
}

export interface ModuleRegistration {
  module: string;
  /** Defaults for every action of the module; the breaker and bulkhead settings apply to the module. */
  policy?: Partial<ActionPolicy>;
  remote?: { baseUrl: string };
  actions: Omit<ActionDefinition, "module">[];
}

/** Keeps the handler's types when declaring an action: `defineAction({ ..., handler: async (input) => ... })`. */
export function defineAction<Input extends z.ZodType, Output extends z.ZodType>(
  action: ActionDefinition<Input, Output>,
): ActionDefinition<Input, Output> {
  return action;
}

const MODULE_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const ACTION_NAME = /^[a-z][A-Za-z0-9-]*(\.[a-z][A-Za-z0-9-]*)*$/;

function mergePolicy(base: ActionPolicy, override: Partial<ActionPolicy> | undefined): ActionPolicy {
  if (!override) return base;
  const merged: ActionPolicy = {
    timeoutMs: override.timeoutMs ?? base.timeoutMs,
    retry: { ...base.retry, ...override.retry },
    breaker: { ...base.breaker, ...override.breaker },
    bulkhead: { ...base.bulkhead, ...override.bulkhead },
  };
  const rateLimit = override.rateLimitPerTenant ?? base.rateLimitPerTenant;
  if (rateLimit) merged.rateLimitPerTenant = rateLimit;
  return merged;
}

function checkPolicy(qualifiedName: string, policy: ActionPolicy): void {
  const problems: { field: string; reason: string }[] = [];
  const positive = (field: string, value: number, min = 1) => {
    if (!Number.isFinite(value) || value < min) problems.push({ field, reason: `must be at least ${min}` });
  };
  positive("policy.timeoutMs", policy.timeoutMs);
  positive("policy.retry.maxAttempts", policy.retry.maxAttempts);
  positive("policy.breaker.consecutiveFailures", policy.breaker.consecutiveFailures);
  positive("policy.breaker.halfOpenAfterMs", policy.breaker.halfOpenAfterMs);
  positive("policy.bulkhead.maxConcurrent", policy.bulkhead.maxConcurrent);
  positive("policy.bulkhead.queue", policy.bulkhead.queue, 0);
  if (policy.rateLimitPerTenant) {
    if (!(policy.rateLimitPerTenant.perSecond > 0)) {
      problems.push({ field: "policy.rateLimitPerTenant.perSecond", reason: "must be above 0" });
    }
    if (policy.rateLimitPerTenant.burst !== undefined) {
      positive("policy.rateLimitPerTenant.burst", policy.rateLimitPerTenant.burst);
    }
  }
  if (problems.length > 0)
    throw AppError.invalidInput(problems, `action ${qualifiedName} has an invalid policy`);
}

const sameSettings = (a: object, b: object) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Every action the hub can call, local or remote, by qualified name `<module>.<action>`. Modules register
 * their actions at start-up; the gateway reads the catalog.
 */
export class ActionCatalog {
  private readonly byName = new Map<string, RegisteredAction>();
  private readonly moduleShared = new Map<
    string,
    {
      breaker: BreakerOptions;
      bulkhead: BulkheadOptions;
      defaults: ActionPolicy;
      remote?: { baseUrl: string };
    }
  >();

  /** Registers a module's defaults and actions together. */
  registerModule(registration: ModuleRegistration): void {
    this.defineModule(registration.module, registration.policy, registration.remote);
    for (const action of registration.actions) this.register({ ...action, module: registration.module });
  }

  /**
   * Sets a module's default policy (its breaker and bulkhead included) before its actions are registered.
   * Refused once the module has actions with other breaker or bulkhead settings.
   */
  defineModule(module: string, policy?: Partial<ActionPolicy>, remote?: { baseUrl: string }): void {
    if (!MODULE_NAME.test(module)) {
      throw AppError.invalidInput(
        [
          {
            field: "module",
            reason: "must be lower-case letters, digits and dashes, starting with a letter",
          },
        ],
        `module name "${module}" is invalid`,
      );
    }
    const defaults = mergePolicy(DEFAULT_ACTION_POLICY, policy);
    checkPolicy(`${module}.*`, defaults);
    const existing = this.moduleShared.get(module);
    if (
      existing &&
      (!sameSettings(existing.breaker, defaults.breaker) ||
        !sameSettings(existing.bulkhead, defaults.bulkhead))
    ) {
      throw AppError.conflict(
        `module ${module} is already registered with other breaker or bulkhead settings`,
        {
          module,
        },
      );
    }
    this.moduleShared.set(module, {
      breaker: defaults.breaker,
      bulkhead: defaults.bulkhead,
      defaults,
      ...(remote ? { remote } : {}),
    });
  }

  register(action: ActionDefinition): void {
    if (!this.moduleShared.has(action.module)) {
      // The first action of a module without defaults sets the module's shared settings, nothing else.
      this.defineModule(action.module, {
        ...(action.policy?.breaker ? { breaker: action.policy.breaker } : {}),
        ...(action.policy?.bulkhead ? { bulkhead: action.policy.bulkhead } : {}),
      });
    }
    if (!ACTION_NAME.test(action.name)) {
      throw AppError.invalidInput(
        [
          {
            field: "name",
            reason: "must be letters, digits and dashes in dotted words, starting lower-case",
          },
        ],
        `action name "${action.name}" is invalid`,
      );
    }
    const qualifiedName = `${action.module}.${action.name}`;
    if (this.byName.has(qualifiedName)) {
      throw AppError.conflict(`action ${qualifiedName} is already registered`, { action: qualifiedName });
    }
    const shared = this.moduleShared.get(action.module);
    if (!shared) throw new Error("unreachable: module defined above");
    const policy = mergePolicy(shared.defaults, action.policy);
    checkPolicy(qualifiedName, policy);
    if (!sameSettings(policy.breaker, shared.breaker) || !sameSettings(policy.bulkhead, shared.bulkhead)) {
      throw AppError.conflict(
        `action ${qualifiedName} declares breaker or bulkhead settings other than its module's; ` +
          `they are shared by the module: set them once with registerModule or defineModule`,
        { action: qualifiedName },
      );
    }
    this.byName.set(qualifiedName, {
      ...action,
      qualifiedName,
      policy,
      ...(shared.remote ? { remote: shared.remote } : {}),
    });
  }

  get(qualifiedName: string): RegisteredAction | undefined {
    return this.byName.get(qualifiedName);
  }

  actions(): RegisteredAction[] {
    return [...this.byName.values()].sort((a, b) => a.qualifiedName.localeCompare(b.qualifiedName));
  }

  modules(): string[] {
    return [...this.moduleShared.keys()].sort();
  }

  moduleSettings(module: string): { breaker: BreakerOptions; bulkhead: BulkheadOptions } | undefined {
    const shared = this.moduleShared.get(module);
    return shared ? { breaker: shared.breaker, bulkhead: shared.bulkhead } : undefined;
  }

  moduleRemote(module: string): { baseUrl: string } | undefined {
    return this.moduleShared.get(module)?.remote;
  }
}

function issuesOf(error: z.ZodError, prefix: string) {
  return error.issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter(Boolean).join(".") || prefix || "(root)",
    reason: issue.message,
  }));
}

/** Checks a call's input against the action's schema: INVALID_INPUT naming each offending field. */
export function parseActionInput(action: RegisteredAction, input: unknown): unknown {
  const parsed = action.input.safeParse(input);
  if (!parsed.success) {
    throw AppError.invalidInput(
      issuesOf(parsed.error, ""),
      `invalid input for ${action.qualifiedName}: ${parsed.error.issues
        .map((issue) => `${issue.path.map(String).join(".") || "(root)"}: ${issue.message}`)
        .join("; ")}`,
    );
  }
  return parsed.data;
}

/** Checks what a handler returned: a mismatch is the module's fault (INTERNAL), never the caller's. */
export function parseActionOutput(action: RegisteredAction, output: unknown): unknown {
  const parsed = action.output.safeParse(output);
  if (!parsed.success) {
    throw new AppError({
      code: "INTERNAL",
      message: `${action.qualifiedName} returned output that does not match its schema`,
      issues: issuesOf(parsed.error, "output"),
      details: { action: action.qualifiedName },
    });
  }
  return parsed.data;
}
