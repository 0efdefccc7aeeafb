import { validateWorkflowDocument } from "../dsl/workflow.validator.ts";
import type { Workflow } from "../dsl/workflow.types.ts";
import type {
  CloudEvent,
  EffectKind,
  EffectRequest,
  EmitRequest,
  FunctionCallRequest,
  HttpRequest,
  HttpResponse,
  ReceiveEventRequest,
  RuntimeDescriptor,
  RuntimeHost,
  SleepRequest,
  SubflowRequest,
  TaskEvent,
} from "./runtime-host.port.ts";
import { VirtualClock, type Clock } from "./virtual.clock.ts";
import { interpretWorkflow } from "./workflow.interpreter.ts";
import { CancellationError, fault, WorkflowFault } from "./workflow-fault.ts";

/**
 * An in-process RuntimeHost: real HTTP through `fetch`, custom functions from a map, events from a
 * script or `publish`, subflows from a registry, time from a clock (virtual by default). It journals
 * nothing: every effect runs.
 */

export interface LocalFunctionContext {
  /** The effect key, to use as an idempotency key. */
  key: string;
  attempt: number;
  instanceId: string;
  taskPath: string;
  signal: AbortSignal;
}

export type LocalFunction = (args: unknown, context: LocalFunctionContext) => unknown;

/** An event delivered `afterMs` after the host is created (on its clock). */
export interface ScheduledEvent {
  event: CloudEvent;
  afterMs: number;
}

export type WorkflowResolver = (reference: {
  namespace: string;
  name: string;
  version: string;
}) => Workflow | string | undefined;

export interface LocalHostOptions {
  fetch?: typeof fetch;
  /** Custom functions by name (`invoicing.verify`). */
  functions?: Record<string, LocalFunction>;
  /** Defaults to a virtual clock starting now: waits and timers complete without real sleeping. */
  clock?: Clock;
  /** Events available to `listen` tasks: at once, or after a delay on the host's clock. */
  events?: Array<CloudEvent | ScheduledEvent>;
  secrets?: Record<string, unknown>;
  /** Workflows `run: workflow` may start: a map keyed `namespace/name/version`, or a resolver. */
  workflows?: Record<string, Workflow | string> | WorkflowResolver;
  random?: () => number;
  onTaskEvent?: (event: TaskEvent) => void;
  onEmit?: (event: CloudEvent) => void;
  runtime?: Partial<RuntimeDescriptor>;
  /**
   * With a virtual clock: what a listener waiting for an event gets when nothing else can happen (no
   * timer left, nothing in flight, no scheduled event). `fault` (the default) faults it with a runtime
   * error instead of hanging; `wait` keeps it waiting for `publish`.
   */
  whenIdle?: "fault" | "wait";
}

export interface EffectRecord {
  key: string;
  attempt: number;
  kind: EffectKind;
  taskPath: string;
  label?: string;
}

export interface LocalHost extends RuntimeHost {
  readonly clock: Clock;
  /** Events emitted so far, in order. */
  readonly emitted: CloudEvent[];
  /** Effects requested so far, in order. */
  readonly effects: EffectRecord[];
  /** Delivers an event to the instances of this host. */
  publish(event: CloudEvent): void;
}

interface Waiter {
  request: ReceiveEventRequest;
  resolve(event: CloudEvent): void;
  reject(error: Error): void;
}

export function createLocalHost(options: LocalHostOptions = {}): LocalHost {
  const clock = options.clock ?? new VirtualClock(Date.now());
  const fetchImplementation = options.fetch ?? globalThis.fetch.bind(globalThis);
  const functions = options.functions ?? {};
  const buffer: CloudEvent[] = [];
  const waiters: Waiter[] = [];
  const emitted: CloudEvent[] = [];
  const effects: EffectRecord[] = [];

  const takes = (request: ReceiveEventRequest, event: CloudEvent): boolean => {
    try {
      return request.accepts(event);
    } catch {
      return false;
    }
  };
  const removeWaiter = (waiter: Waiter): void => {
    const index = waiters.indexOf(waiter);
    if (index >= 0) waiters.splice(index, 1);
  };

  const host: LocalHost = {
    clock,
    emitted,
    effects,

    async effect<T>(request: EffectRequest, run: () => Promise<T>): Promise<T> {
      effects.push({
        key: request.key,
        attempt: request.attempt,
        kind: request.kind,
        taskPath: request.taskPath,
        ...(request.label ? { label: request.label } : {}),
      });
      return clock.track(run());
    },

    sleep(request: SleepRequest): Promise<void> {
      return clock.sleep(request.durationMs, request.signal);
    },

    receiveEvent(request: ReceiveEventRequest): Promise<CloudEvent> {
      return new Promise<CloudEvent>((resolve, reject) => {
        if (request.signal.aborted) {
          reject(abortReason(request.signal));
          return;
        }
        const index = buffer.findIndex((event) => takes(request, event));
        if (index >= 0) {
          resolve(buffer.splice(index, 1)[0]!);
          return;
        }
        const waiter: Waiter = {
          request,
          resolve: (event) => {
            request.signal.removeEventListener("abort", onAbort);
            resolve(event);
          },
          reject: (error) => {
            request.signal.removeEventListener("abort", onAbort);
            reject(error);
          },
        };
        const onAbort = (): void => {
          removeWaiter(waiter);
          reject(abortReason(request.signal));
        };
        request.signal.addEventListener("abort", onAbort, { once: true });
        waiters.push(waiter);
        if (clock instanceof VirtualClock) clock.poke();
      });
    },

    publish(event: CloudEvent): void {
      const waiter = waiters.find((candidate) => takes(candidate.request, event));
      if (waiter) {
        removeWaiter(waiter);
        waiter.resolve(event);
      } else {
        buffer.push(event);
      }
    },

    async runWorkflow(request: SubflowRequest): Promise<unknown> {
      const workflow = resolveWorkflow(options.workflows, request);
      const run = interpretWorkflow({
        workflow,
        input: request.input,
        host,
        instanceId: request.key,
        signal: request.signal,
        ...(options.runtime ? { runtime: options.runtime } : {}),
      });
      if (!request.await) {
        void run.catch(() => undefined);
        return null;
      }
      const outcome = await run;
      if (outcome.status === "completed") return outcome.output ?? null;
      if (outcome.status === "cancelled")
        throw new CancellationError("workflow-cancelled", `workflow ${describe(request)} was cancelled`);
      const error = outcome.error!;
      throw new WorkflowFault({
        ...error,
        detail: `workflow ${describe(request)} faulted${error.instance ? ` at ${error.instance}` : ""}: ${error.detail ?? error.title ?? error.type}`,
        instance: request.taskPath,
      });
    },

    async fetch(request: HttpRequest): Promise<HttpResponse> {
      const response = await fetchImplementation(request.url, {
        method: request.method,
        headers: request.headers,
        ...(request.body === undefined ? {} : { body: request.body }),
        redirect: "manual",
        signal: request.signal,
      });
      const body = Buffer.from(await response.arrayBuffer());
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        headers[name.toLowerCase()] = value;
      });
      return {
        status: response.status,
        statusText: response.statusText,
        headers,
        bodyBase64: body.toString("base64"),
      };
    },

    async callFunction(request: FunctionCallRequest): Promise<unknown> {
      const implementation = functions[request.name];
      if (!implementation) {
        throw fault("configuration", {
          title: "Unknown function",
          detail: `no function '${request.name}' is registered with this host`,
          instance: request.taskPath,
        });
      }
      return implementation(request.arguments, {
        key: request.key,
        attempt: request.attempt,
        instanceId: request.instanceId,
        taskPath: request.taskPath,
        signal: request.signal,
      });
    },

    emit(request: EmitRequest): Promise<void> {
      emitted.push(request.event);
      options.onEmit?.(request.event);
      return Promise.resolve();
    },

    now: () => clock.now(),
    random: () => (options.random ?? Math.random)(),

    secrets(names: readonly string[]): Promise<Record<string, unknown>> {
      const available = options.secrets ?? {};
      return Promise.resolve(
        Object.fromEntries(names.filter((name) => name in available).map((name) => [name, available[name]])),
      );
    },

    ...(options.onTaskEvent ? { onTaskEvent: options.onTaskEvent } : {}),
  };

  for (const entry of options.events ?? []) {
    if (isScheduled(entry)) void clock.sleep(entry.afterMs).then(() => host.publish(entry.event));
    else buffer.push(entry);
  }
  if (clock instanceof VirtualClock && options.whenIdle !== "wait") {
    clock.onIdle(() => {
      for (const waiter of waiters.splice(0)) {
        waiter.reject(
          fault("runtime", {
            title: "No event to receive",
            detail:
              "the local host has no more events to deliver and no timer left, so this listener would wait forever",
            instance: waiter.request.taskPath,
          }),
        );
      }
    });
  }
  return host;
}

function isScheduled(entry: CloudEvent | ScheduledEvent): entry is ScheduledEvent {
  return (
    typeof (entry as ScheduledEvent).afterMs === "number" &&
    typeof (entry as ScheduledEvent).event === "object"
  );
}

function describe(request: { namespace: string; name: string; version: string }): string {
  return `${request.namespace}.${request.name}:${request.version}`;
}

function resolveWorkflow(workflows: LocalHostOptions["workflows"], request: SubflowRequest): Workflow {
  const reference = { namespace: request.namespace, name: request.name, version: request.version };
  const found =
    typeof workflows === "function"
      ? workflows(reference)
      : (workflows?.[`${request.namespace}/${request.name}/${request.version}`] ??
        (request.version === "latest"
          ? latest(workflows ?? {}, request.namespace, request.name)
          : undefined));
  if (found === undefined) {
    throw fault("configuration", {
      title: "Unknown workflow",
      detail: `workflow ${describe(request)} is not known to this host`,
      instance: request.taskPath,
    });
  }
  if (typeof found !== "string") return found;
  const validation = validateWorkflowDocument(found);
  if (!validation.ok || !validation.workflow) {
    throw fault("configuration", {
      title: "Invalid workflow",
      detail: `workflow ${describe(request)} is invalid: ${validation.errors.map((error) => `${error.path} ${error.message}`).join("; ")}`,
      instance: request.taskPath,
    });
  }
  return validation.workflow;
}

function latest(
  workflows: Record<string, Workflow | string>,
  namespace: string,
  name: string,
): Workflow | string | undefined {
  const prefix = `${namespace}/${name}/`;
  const versions = Object.keys(workflows)
    .filter((key) => key.startsWith(prefix))
    .map((key) => key.slice(prefix.length))
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const version = versions[versions.length - 1];
  return version === undefined ? undefined : workflows[`${prefix}${version}`];
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error("aborted");
}
