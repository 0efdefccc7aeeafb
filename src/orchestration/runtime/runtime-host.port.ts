import type { WorkflowError } from "../dsl/workflow-error.ts";
import type { EventFilter } from "../dsl/workflow.types.ts";

/**
 * The port through which the interpreter touches the world. The interpreter itself does no I/O and reads
 * no clock or random source: everything goes through a RuntimeHost, so that a durable host can journal
 * each result and replay it when an instance continues in a new execution.
 *
 * Effect keys. Every effect carries `key = <instanceId>:<taskPath>:<counter>`. The counter is the
 * dot-separated list of the activation indexes of the tasks from the top down to the issuing task (how
 * many times each ran before inside its parent's run), then the index of the effect within the task's
 * run, with leading zeros left out: `inst:/do/0/notify:0` is the first effect of a task that ran once,
 * `inst:/do/1/loop/do/0/notify:2.0` the first effect of the loop body's third iteration. When a `try`
 * block is retried its tasks run again with the activation indexes of the first attempt, so a retried
 * call keeps the key of its first attempt (remote services see one idempotency key) and `attempt` tells
 * the attempts apart; `(key, attempt)` identifies one execution of an effect.
 *
 * Determinism. Given the same definition, input and recorded results, the interpreter issues the same
 * keys in the same order. Concurrent fork branches have distinct task paths, so their keys do not depend
 * on how the branches interleave; activations are counted inside their parent, so work a replay skips
 * (a branch that lost a race, a body that timed out) cannot shift other keys. Races are decided through
 * journaled `decide` effects that a replay reads back with `recall`.
 */

/** A CloudEvents 1.0 event. */
export interface CloudEvent {
  specversion: string;
  id: string;
  source: string;
  type: string;
  time?: string;
  subject?: string;
  datacontenttype?: string;
  dataschema?: string;
  data?: unknown;
  [extension: string]: unknown;
}

export type EffectKind = "call" | "emit" | "now" | "random" | "decide";

export interface EffectIdentity {
  /** `<instanceId>:<taskPath>:<n>`; sent as `Idempotency-Key` with HTTP calls and given to custom functions. */
  key: string;
  /** 0 on the first execution of this key, 1 on its first retry, ... */
  attempt: number;
  /** JSON pointer of the task issuing the effect (`/do/0/notify`). */
  taskPath: string;
}

export interface EffectRequest extends EffectIdentity {
  kind: EffectKind;
  /** What the effect does, for journals and logs (`GET https://...`, `invoicing.verify`). */
  label?: string;
}

export interface SleepRequest extends EffectIdentity {
  durationMs: number;
  reason: "wait" | "retry" | "timeout";
  /** Aborted when the sleep is no longer needed (the task it guards finished, or was cancelled). */
  signal: AbortSignal;
}

export interface ReceiveEventRequest extends EffectIdentity {
  /** The filters of the listen task, for hosts that subscribe by type or source. */
  filters: EventFilter[];
  /**
   * Whether the listener takes this event. Pure and synchronous; an event it refuses stays available to
   * other listeners of the instance.
   */
  accepts(event: CloudEvent): boolean;
  signal: AbortSignal;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** The request body, already serialised. */
  body?: string;
  signal: AbortSignal;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** The body, base64-encoded (empty string when there is none). */
  bodyBase64: string;
}

export interface FunctionCallRequest extends EffectIdentity {
  instanceId: string;
  /** The function name as written after `call:` (`invoicing.verify`). */
  name: string;
  arguments: unknown;
  signal: AbortSignal;
}

export interface EmitRequest extends EffectIdentity {
  event: CloudEvent;
}

export interface SubflowRequest extends EffectIdentity {
  namespace: string;
  name: string;
  version: string;
  input: unknown;
  /** When false the host starts the workflow and returns at once (its result is ignored). */
  await: boolean;
  signal: AbortSignal;
}

export type TaskPhase = "started" | "completed" | "faulted" | "skipped";

export interface TaskEvent {
  instanceId: string;
  /** JSON pointer of the task (`/do/1/loop/do/0/notify`). */
  path: string;
  name: string;
  phase: TaskPhase;
  /** How many times this path started before in this instance (loops and retries run a path again). */
  occurrence: number;
  /** Secrets are redacted from inputs and outputs. */
  input?: unknown;
  output?: unknown;
  error?: WorkflowError;
}

export interface RuntimeHost {
  /**
   * Runs a world-touching action once per `(key, attempt)`. A durable host checkpoints the result and,
   * on replay, returns the recorded result without calling `run`. `run` never rejects for failures of
   * the action itself (they are part of its result); it rejects only when the action was abandoned
   * (cancellation), and such an outcome must not be recorded.
   */
  effect<T>(request: EffectRequest, run: () => Promise<T>): Promise<T>;
  /**
   * The result recorded for an effect by an earlier execution, without running anything; undefined when
   * there is none (always, for a host that does not journal). The interpreter uses it for its `decide`
   * effects (the winner of a competing fork, the outcome of a timeout race, the fault that ended a fork)
   * so that a replay does not run again the work those decisions cut short.
   */
  recall?(request: EffectRequest): Promise<{ value: unknown } | undefined>;
  /** A durable timer. Resolves after the duration; rejects with the signal's reason when aborted. */
  sleep(request: SleepRequest): Promise<void>;
  /** Waits for, and durably records, the next event the listener accepts. */
  receiveEvent(request: ReceiveEventRequest): Promise<CloudEvent>;
  /** Runs another workflow (durably, for a durable host) and returns its output. */
  runWorkflow(request: SubflowRequest): Promise<unknown>;

  /** Performs an HTTP exchange. Called only inside `effect`. */
  fetch(request: HttpRequest): Promise<HttpResponse>;
  /** Calls a custom function (`call: invoicing.verify`). Called only inside `effect`. */
  callFunction(request: FunctionCallRequest): Promise<unknown>;
  /** Publishes an event. Called only inside `effect`. */
  emit(request: EmitRequest): Promise<void>;
  /** Epoch milliseconds. Called only inside `effect`. */
  now(): number;
  /** A number in [0, 1). Called only inside `effect`. */
  random(): number;

  /** Values of the secrets a workflow declares in `use.secrets`; missing names are left out. */
  secrets?(names: readonly string[]): Promise<Record<string, unknown>>;
  /** Task history. Called synchronously; must not throw. */
  onTaskEvent?(event: TaskEvent): void;
  /** Polled before every task; true cancels the instance. */
  isCancelled?(): boolean;
}

/** Describes the runtime to expressions (`$runtime`). */
export interface RuntimeDescriptor {
  name: string;
  version: string;
  metadata: Record<string, unknown>;
}
