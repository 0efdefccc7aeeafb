import type { WorkflowError } from "../dsl/workflow-error.ts";
import type { Workflow } from "../dsl/workflow.types.ts";
import { isPlainObject } from "../dsl/json-pointer.util.ts";
import type { CancellationScope } from "./cancellation-scope.ts";
import type {
  EffectIdentity,
  EffectKind,
  RuntimeDescriptor,
  RuntimeHost,
  TaskPhase,
} from "./runtime-host.port.ts";
import { isCancellation, toWorkflowError, WorkflowFault } from "./workflow-fault.ts";

/** What an effect's journaled result looks like: failures of the action are results too. */
type EffectOutcome<T> = { ok: true; value: T } | { ok: false; error: WorkflowError };

export interface DateTimeDescriptor {
  iso8601: string;
  epoch: { seconds: number; milliseconds: number };
}

export function dateTimeDescriptor(epochMilliseconds: number): DateTimeDescriptor {
  return {
    iso8601: new Date(epochMilliseconds).toISOString(),
    epoch: { seconds: Math.floor(epochMilliseconds / 1000), milliseconds: epochMilliseconds },
  };
}

/** Freezes a value and everything in it; frozen values are serialised for jq only once. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

/** One run of a task (or of the workflow itself, for the root). */
export interface Activation {
  /** Activation indexes of the tasks from the top down to this one. */
  readonly indexes: readonly number[];
  /** How many activations each child task path has had inside this activation. */
  readonly children: Map<string, number>;
  /** Effects issued by this activation so far. */
  effects: number;
}

/** Where an effect is issued: a task path and the activation of that task. */
export interface EffectSite {
  readonly path: string;
  readonly activation: Activation;
}

export function rootActivation(): Activation {
  return { indexes: [], children: new Map(), effects: 0 };
}

export interface ExecutionOptions {
  host: RuntimeHost;
  instanceId: string;
  workflow: Workflow;
  rawInput: unknown;
  runtime: RuntimeDescriptor;
}

/**
 * The state of one interpreter run over one instance: effect counters, secrets, caches and descriptors.
 * Everything here is derived from the definition, the input and the results the host returned, which is
 * what makes a replay issue the same effects in the same order.
 */
export class Execution {
  readonly host: RuntimeHost;
  readonly instanceId: string;
  readonly workflow: Workflow;
  readonly rawInput: unknown;
  readonly runtime: RuntimeDescriptor;
  /** Whether expressions of the definition mention `$workflow` / `$task` (their start times cost an effect). */
  readonly mentionsWorkflow: boolean;
  readonly mentionsTask: boolean;
  secrets: Record<string, unknown> = {};
  /** OAuth2 tokens obtained during this execution, by policy. */
  readonly tokens = new Map<string, { accessToken: string; tokenType: string; expiresAt: number }>();
  /** OpenAPI documents loaded during this execution, by URL. */
  readonly documents = new Map<string, unknown>();
  /** Effects of the workflow itself (its start time, its timeout) are issued at `/`. */
  readonly rootSite: EffectSite = { path: "/", activation: rootActivation() };
  private startedAt: number | undefined;
  private workflowDescriptorValue: Record<string, unknown> | undefined;
  private readonly issued = new Map<string, number>();
  private readonly occurrences = new Map<string, number>();
  private secretStrings: string[] = [];

  constructor(options: ExecutionOptions) {
    this.host = options.host;
    this.instanceId = options.instanceId;
    this.workflow = deepFreeze(structuredClone(options.workflow));
    this.rawInput = options.rawInput;
    this.runtime = deepFreeze({ ...options.runtime });
    const text = JSON.stringify(options.workflow);
    this.mentionsWorkflow = text.includes("$workflow");
    this.mentionsTask = text.includes("$task");
  }

  setSecrets(secrets: Record<string, unknown>): void {
    this.secrets = deepFreeze(structuredClone(secrets));
    const strings: string[] = [];
    const collect = (value: unknown): void => {
      if (typeof value === "string" && value.length >= 4) strings.push(value);
      else if (Array.isArray(value)) value.forEach(collect);
      else if (typeof value === "object" && value !== null) Object.values(value).forEach(collect);
    };
    collect(secrets);
    this.secretStrings = strings.sort((a, b) => b.length - a.length);
  }

  setStartedAt(epochMilliseconds: number | undefined): void {
    this.startedAt = epochMilliseconds;
    this.workflowDescriptorValue = undefined;
  }

  /** `$workflow`. */
  workflowDescriptor(): Record<string, unknown> {
    this.workflowDescriptorValue ??= deepFreeze({
      id: this.instanceId,
      definition: this.workflow,
      input: structuredClone(this.rawInput ?? null),
      ...(this.startedAt === undefined ? {} : { startedAt: dateTimeDescriptor(this.startedAt) }),
    });
    return this.workflowDescriptorValue;
  }

  /** Starts an activation of the task at `path` inside `parent` (the task that runs it, or the workflow). */
  activate(parent: Activation, path: string): Activation {
    const index = parent.children.get(path) ?? 0;
    parent.children.set(path, index + 1);
    return { indexes: [...parent.indexes, index], children: new Map(), effects: 0 };
  }

  /**
   * The identity of the next effect of an activation: `<instanceId>:<path>:<counter>`. The counter lists
   * the activation index of every task from the top down to this one, then the effect's index within the
   * activation, dot-separated, with leading zeros left out: `:2` is the third effect of a task that ran
   * once, `:1.0` the first effect of its second run inside the same parent. Because activations are
   * counted within their parent, an activation that a replay skips (a branch that lost a race, a task that
   * timed out) cannot shift the keys of anything else.
   */
  nextIdentity(site: EffectSite): EffectIdentity {
    const components = [...site.activation.indexes, site.activation.effects];
    site.activation.effects += 1;
    let first = 0;
    while (first < components.length - 1 && components[first] === 0) first += 1;
    const key = `${this.instanceId}:${site.path}:${components.slice(first).join(".")}`;
    const attempt = this.issued.get(key) ?? 0;
    this.issued.set(key, attempt + 1);
    return { key, attempt, taskPath: site.path };
  }

  /**
   * Forgets the activations of the tasks at or below `prefix` inside `activation`, so that a retried
   * `try` block runs its tasks with the activation indexes, hence the effect keys, of the first attempt.
   */
  rewindActivations(activation: Activation, prefix: string): void {
    for (const path of [...activation.children.keys()]) {
      if (path === prefix || path.startsWith(`${prefix}/`)) activation.children.delete(path);
    }
  }

  /**
   * Runs `work` as a journaled effect. Failures of the work become part of its recorded result and are
   * rethrown as faults; cancellation is rethrown as it is and never recorded.
   */
  async effect<T>(
    kind: EffectKind,
    site: EffectSite,
    scope: CancellationScope,
    label: string,
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    scope.throwIfCancelled();
    return this.effectAt({ ...this.nextIdentity(site), kind, label }, scope, work);
  }

  async effectAt<T>(
    request: EffectIdentity & { kind: EffectKind; label?: string },
    scope: CancellationScope,
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const outcome = await scope.race(
      this.host.effect<EffectOutcome<T>>(request, async () => {
        try {
          return { ok: true, value: await work(scope.signal) };
        } catch (error) {
          if (scope.cancelled || isCancellation(error)) throw error;
          return { ok: false, error: toWorkflowError(error, request.taskPath) };
        }
      }),
    );
    if (!outcome.ok) throw new WorkflowFault(outcome.error);
    return outcome.value;
  }

  /** The time, through the host (journaled). */
  now(site: EffectSite, scope: CancellationScope): Promise<number> {
    return this.effect("now", site, scope, "now", () => Promise.resolve(this.host.now()));
  }

  /** A number in [0, 1), through the host (journaled). */
  random(site: EffectSite, scope: CancellationScope): Promise<number> {
    return this.effect("random", site, scope, "random", () => Promise.resolve(this.host.random()));
  }

  async sleep(
    site: EffectSite,
    durationMs: number,
    scope: CancellationScope,
    reason: "wait" | "retry" | "timeout",
  ): Promise<void> {
    scope.throwIfCancelled();
    const identity = this.nextIdentity(site);
    await scope.race(this.host.sleep({ ...identity, durationMs, reason, signal: scope.signal }));
  }

  /** Reports task history; secrets are redacted and a failing listener never breaks the run. */
  taskEvent(
    path: string,
    name: string,
    phase: TaskPhase,
    data: { input?: unknown; output?: unknown; error?: WorkflowError } = {},
  ): number {
    let occurrence = this.occurrences.get(path) ?? 0;
    if (phase === "started") this.occurrences.set(path, occurrence + 1);
    else occurrence = Math.max(0, occurrence - 1);
    if (!this.host.onTaskEvent) return occurrence;
    try {
      this.host.onTaskEvent({
        instanceId: this.instanceId,
        path,
        name,
        phase,
        occurrence,
        ...("input" in data ? { input: this.redact(data.input) } : {}),
        ...("output" in data ? { output: this.redact(data.output) } : {}),
        ...(data.error ? { error: this.redact(data.error) as WorkflowError } : {}),
      });
    } catch {
      // History is best effort from the interpreter's point of view.
    }
    return occurrence;
  }

  /** Replaces secret values (strings of four characters or more) wherever they appear. */
  redact(value: unknown): unknown {
    if (this.secretStrings.length === 0) return value;
    const visit = (item: unknown, depth: number): unknown => {
      if (depth > 64) return item;
      if (typeof item === "string") {
        return this.secretStrings.reduce((text, secret) => text.split(secret).join("[redacted]"), item);
      }
      if (Array.isArray(item)) return item.map((entry) => visit(entry, depth + 1));
      if (typeof item === "object" && item !== null) {
        return Object.fromEntries(Object.entries(item).map(([key, entry]) => [key, visit(entry, depth + 1)]));
      }
      return item;
    };
    return visit(value, 0);
  }
}

/** The value of a recalled effect outcome (`{ ok: true, value }`), if any. */
export function recalledValue(recalled: { value: unknown } | undefined): unknown {
  if (!recalled) return undefined;
  const outcome = recalled.value;
  return isPlainObject(outcome) && outcome.ok === true ? outcome.value : undefined;
}
