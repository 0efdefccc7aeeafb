import type { WorkflowError } from "../dsl/workflow-error.ts";
import type { Workflow } from "../dsl/workflow.types.ts";
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
  private startedAt: number | undefined;
  private workflowDescriptorValue: Record<string, unknown> | undefined;
  private readonly counters = new Map<string, number>();
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

  /** The identity of the next effect issued at `taskPath`. */
  nextIdentity(taskPath: string): EffectIdentity {
    const index = this.counters.get(taskPath) ?? 0;
    this.counters.set(taskPath, index + 1);
    const key = `${this.instanceId}:${taskPath}:${index}`;
    const attempt = this.issued.get(key) ?? 0;
    this.issued.set(key, attempt + 1);
    return { key, attempt, taskPath };
  }

  /** Counters of the paths at or below `prefix`, to rewind them when a `try` block is retried. */
  snapshotCounters(prefix: string): Map<string, number> {
    const snapshot = new Map<string, number>();
    for (const [path, count] of this.counters)
      if (path === prefix || path.startsWith(`${prefix}/`)) snapshot.set(path, count);
    return snapshot;
  }

  rewindCounters(prefix: string, snapshot: Map<string, number>): void {
    for (const path of [...this.counters.keys()])
      if (path === prefix || path.startsWith(`${prefix}/`)) this.counters.delete(path);
    for (const [path, count] of snapshot) this.counters.set(path, count);
  }

  /**
   * Runs `work` as a journaled effect. Failures of the work become part of its recorded result and are
   * rethrown as faults; cancellation is rethrown as it is and never recorded.
   */
  async effect<T>(
    kind: EffectKind,
    taskPath: string,
    scope: CancellationScope,
    label: string,
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    scope.throwIfCancelled();
    return this.effectAt({ ...this.nextIdentity(taskPath), kind, label }, scope, work);
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
  now(taskPath: string, scope: CancellationScope): Promise<number> {
    return this.effect("now", taskPath, scope, "now", () => Promise.resolve(this.host.now()));
  }

  /** A number in [0, 1), through the host (journaled). */
  random(taskPath: string, scope: CancellationScope): Promise<number> {
    return this.effect("random", taskPath, scope, "random", () => Promise.resolve(this.host.random()));
  }

  async sleep(
    taskPath: string,
    durationMs: number,
    scope: CancellationScope,
    reason: "wait" | "retry" | "timeout",
  ): Promise<void> {
    scope.throwIfCancelled();
    const identity = this.nextIdentity(taskPath);
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
        ...(data.error ? { error: data.error } : {}),
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
