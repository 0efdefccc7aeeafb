import type {
  CloudEvent,
  EffectRequest,
  FunctionCallRequest,
  EmitRequest,
  HttpRequest,
  HttpResponse,
  ReceiveEventRequest,
  RuntimeHost,
  SleepRequest,
  SubflowRequest,
  TaskEvent,
} from "../runtime/runtime-host.port.ts";
import type { InstanceStore, TaskHistoryEntry } from "./instance.store.ts";
import type { CorrelationStore } from "./correlation.store.ts";

/** Why an execution stopped holding the instance in memory. */
export interface ParkDecision {
  wakeAt: Date | null;
  reason: "timer" | "event" | "suspended";
  /**
   * What the instance waited for arrived while it was parking (an event delivered, a sub-workflow ended, after
   * the last poll but before the parked row was visible to whoever would have woken it): the caller wakes it.
   */
  wakeNow?: boolean;
}

export interface DurableHostOptions {
  tenantId: string;
  instanceId: string;
  execution: number;
  /** Effect results recorded by earlier executions (and this one, before a crash). */
  journal: Map<string, unknown>;
  store: InstanceStore;
  correlations: CorrelationStore;
  /** Waits longer than this park the instance in the database instead of memory. */
  parkThresholdMs: number;
  now(): number;
  random(): number;
  fetch(request: HttpRequest): Promise<HttpResponse>;
  callFunction(request: FunctionCallRequest & { tenantId: string }): Promise<unknown>;
  emit(request: EmitRequest & { tenantId: string }): Promise<void>;
  /** Starts (idempotently, by key) a child instance and returns its id. */
  startSubflow(request: SubflowRequest & { tenantId: string; parentInstanceId: string }): Promise<string>;
  /** The child's end, or undefined while it runs. */
  subflowOutcome(
    tenantId: string,
    childInstanceId: string,
  ): Promise<{ ok: true; output: unknown } | { ok: false; error: unknown } | undefined>;
  secrets?(names: readonly string[]): Promise<Record<string, unknown>>;
  /** How often a live execution re-reads its control flags (cancel, suspend) and its event deliveries. */
  pollIntervalMs?: number;
}

type Wait =
  | { kind: "sleep"; wakeAt: number; wake: () => void }
  | { kind: "receive"; check: () => Promise<boolean> }
  | { kind: "subflow"; check: () => Promise<boolean> }
  | { kind: "suspended" };

const journalKey = (prefix: string, request: { key: string; attempt: number }) =>
  `${prefix}:${request.key}#${request.attempt}`;

/**
 * The host an instance runs on inside the durable engine. Every effect result is journaled by its effect key
 * (with the task history gathered so far, in the same transaction); a replay returns journaled results without
 * touching the world. When every branch of the instance is waiting and the earliest wake-up is further away
 * than the park threshold, the instance is parked in the database and this execution lets go of it.
 */
export function createDurableHost(options: DurableHostOptions) {
  const history: TaskHistoryEntry[] = [];
  let sequence = 0;
  let inFlight = 0;
  let cancelled = false;
  let suspendRequested = false;
  let finished = false;
  const waits = new Set<Wait>();
  const openCorrelations = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  let resolvePark: (decision: ParkDecision) => void = () => undefined;
  const parked = new Promise<ParkDecision>((resolve) => (resolvePark = resolve));
  let parkDecided = false;
  let considerScheduled = false;
  const pollIntervalMs = options.pollIntervalMs ?? 500;

  const takeHistory = () => history.splice(0, history.length);

  async function tracked<T>(work: () => Promise<T>): Promise<T> {
    inFlight += 1;
    try {
      return await work();
    } finally {
      inFlight -= 1;
      if (inFlight === 0 && waits.size > 0) scheduleParkCheck();
    }
  }

  async function record(key: string, value: unknown): Promise<void> {
    options.journal.set(key, value);
    await options.store.recordEffect({
      tenantId: options.tenantId,
      instanceId: options.instanceId,
      execution: options.execution,
      key,
      result: value,
      history: takeHistory(),
    });
  }

  function scheduleParkCheck(): void {
    if (considerScheduled || parkDecided) return;
    considerScheduled = true;
    // After a macrotask every branch has either reached a wait or an effect in flight.
    setImmediate(() => {
      considerScheduled = false;
      void considerParking();
    });
  }

  async function considerParking(): Promise<void> {
    if (parkDecided || finished || inFlight > 0 || waits.size === 0) return;
    let wakeAt = Number.POSITIVE_INFINITY;
    let waitsForSomethingElse = false;
    let suspended = false;
    for (const wait of waits) {
      if (wait.kind === "sleep") wakeAt = Math.min(wakeAt, wait.wakeAt);
      else if (wait.kind === "suspended") suspended = true;
      else waitsForSomethingElse = true;
    }
    const now = options.now();
    if (!suspended && wakeAt - now < options.parkThresholdMs) return;
    parkDecided = true;
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    const decision: ParkDecision = suspended
      ? { wakeAt: null, reason: "suspended" }
      : {
          wakeAt: Number.isFinite(wakeAt) ? new Date(wakeAt) : null,
          reason: waitsForSomethingElse ? "event" : "timer",
        };
    await options.store.park({
      tenantId: options.tenantId,
      instanceId: options.instanceId,
      execution: options.execution,
      wakeAt: decision.wakeAt,
      reason: decision.reason,
      history: takeHistory(),
    });
    // Whoever delivers an event or ends a sub-workflow wakes the instance only if it finds the parked row. One
    // that committed before the row was written found none; its result is visible now, so look once more.
    if (decision.reason === "event") {
      for (const wait of waits) {
        if ((wait.kind === "receive" || wait.kind === "subflow") && (await wait.check().catch(() => false))) {
          decision.wakeNow = true;
          break;
        }
      }
    }
    resolvePark(decision);
  }

  /** Registers a wait; resolves when `ready` says so, polling the database while the instance stays in memory. */
  function waitUntil(
    wait: Exclude<Wait, { kind: "sleep" } | { kind: "suspended" }>,
    signal: AbortSignal,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      waits.add(wait);
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        waits.delete(wait);
        if (timer) clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
      };
      const onAbort = () => {
        done();
        reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      const poll = async () => {
        if (parkDecided) return;
        try {
          // While it reads the database the branch is working, not waiting: no park decision meanwhile.
          if (await tracked(() => wait.check())) {
            done();
            resolve();
            return;
          }
        } catch (error) {
          done();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        timer = setTimeout(() => void poll(), pollIntervalMs);
      };
      void poll();
      scheduleParkCheck();
    });
  }

  /** Blocks the calling branch for good while a suspension is requested; the instance parks as suspended. */
  async function holdIfSuspended(): Promise<void> {
    if (!suspendRequested) return;
    waits.add({ kind: "suspended" });
    scheduleParkCheck();
    await new Promise<never>(() => undefined);
  }

  const controlPoll = setInterval(
    () => {
      void options.store.get(options.tenantId, options.instanceId).then(
        (instance) => {
          if (instance.status === "cancelled") cancelled = true;
          if (instance.suspendRequested) {
            suspendRequested = true;
            if (inFlight === 0 && waits.size > 0) {
              waits.add({ kind: "suspended" });
              scheduleParkCheck();
            }
          }
        },
        () => undefined,
      );
    },
    Math.max(pollIntervalMs, 250),
  );
  controlPoll.unref();

  const host: RuntimeHost = {
    async effect<T>(request: EffectRequest, run: () => Promise<T>): Promise<T> {
      const key = journalKey("e", request);
      if (options.journal.has(key)) return (options.journal.get(key) as { value: T }).value;
      await holdIfSuspended();
      return tracked(async () => {
        const value = await run();
        await record(key, { value });
        return value;
      });
    },

    async recall(request: EffectRequest) {
      const key = journalKey("e", request);
      return options.journal.has(key)
        ? { value: (options.journal.get(key) as { value: unknown }).value }
        : undefined;
    },

    async sleep(request: SleepRequest): Promise<void> {
      const key = journalKey("s", request);
      let wakeAt = options.journal.get(key) as number | undefined;
      if (wakeAt === undefined) {
        wakeAt = options.now() + request.durationMs;
        await tracked(() => record(key, wakeAt));
      }
      const remaining = wakeAt - options.now();
      if (remaining <= 0) return;
      await new Promise<void>((resolve, reject) => {
        const wait: Wait = { kind: "sleep", wakeAt: wakeAt, wake: resolve };
        waits.add(wait);
        let timer: NodeJS.Timeout | undefined;
        const finish = () => {
          if (timer) timers.delete(timer);
          waits.delete(wait);
          request.signal.removeEventListener("abort", onAbort);
        };
        // Re-armed at most every park threshold, so a long wait holds no timer once the instance is parked.
        const arm = () => {
          if (timer) timers.delete(timer);
          const left = wakeAt - options.now();
          if (left <= 0) {
            finish();
            resolve();
            return;
          }
          if (parkDecided) return;
          timer = setTimeout(arm, Math.min(left, Math.max(options.parkThresholdMs, 1)));
          timers.add(timer);
        };
        const onAbort = () => {
          if (timer) clearTimeout(timer);
          finish();
          reject(request.signal.reason instanceof Error ? request.signal.reason : new Error("aborted"));
        };
        request.signal.addEventListener("abort", onAbort, { once: true });
        arm();
        scheduleParkCheck();
      });
    },

    async receiveEvent(request: ReceiveEventRequest): Promise<CloudEvent> {
      const key = journalKey("r", request);
      if (options.journal.has(key)) return options.journal.get(key) as CloudEvent;
      const correlationId = `${options.instanceId}:${request.taskPath}`;
      openCorrelations.add(correlationId);
      await tracked(() =>
        options.correlations.register({
          id: correlationId,
          tenantId: options.tenantId,
          instanceId: options.instanceId,
          filters: request.filters,
        }),
      );
      const consumed = () =>
        new Set(
          [...options.journal.entries()]
            .filter(([entryKey]) => entryKey.startsWith("r:"))
            .map(([, value]) => (value as CloudEvent).id),
        );
      let received: CloudEvent | undefined;
      await waitUntil(
        {
          kind: "receive",
          check: async () => {
            const taken = consumed();
            const deliveries = await options.correlations.deliveries(options.tenantId, correlationId);
            received = deliveries.find((event) => !taken.has(event.id) && request.accepts(event));
            return received !== undefined;
          },
        },
        request.signal,
      );
      const event = received as CloudEvent;
      await tracked(() => record(key, event));
      return event;
    },

    async runWorkflow(request: SubflowRequest): Promise<unknown> {
      const startKey = journalKey("w", request);
      let childId = options.journal.get(startKey) as string | undefined;
      if (childId === undefined) {
        await holdIfSuspended();
        childId = await tracked(async () => {
          const id = await options.startSubflow({
            ...request,
            tenantId: options.tenantId,
            parentInstanceId: options.instanceId,
          });
          await record(startKey, id);
          return id;
        });
      }
      if (!request.await) return {};
      const endKey = journalKey("wr", request);
      if (!options.journal.has(endKey)) {
        let outcome: Awaited<ReturnType<DurableHostOptions["subflowOutcome"]>>;
        const child = childId;
        await waitUntil(
          {
            kind: "subflow",
            check: async () => {
              outcome = await options.subflowOutcome(options.tenantId, child);
              return outcome !== undefined;
            },
          },
          request.signal,
        );
        await tracked(() => record(endKey, outcome));
      }
      const outcome = options.journal.get(endKey) as
        { ok: true; output: unknown } | { ok: false; error: unknown };
      if (outcome.ok) return outcome.output;
      throw Object.assign(new Error("the sub-workflow faulted"), { workflowError: outcome.error });
    },

    fetch: (request) => options.fetch(request),
    callFunction: (request) => options.callFunction({ ...request, tenantId: options.tenantId }),
    emit: (request) => options.emit({ ...request, tenantId: options.tenantId }),
    now: () => options.now(),
    random: () => options.random(),
    ...(options.secrets ? { secrets: (names: readonly string[]) => options.secrets!(names) } : {}),

    onTaskEvent(event: TaskEvent) {
      sequence += 1;
      history.push({
        sequence,
        taskPath: event.path,
        taskName: event.name,
        status: event.phase,
        at: new Date(options.now()),
        ...(event.output === undefined ? {} : { output: event.output }),
        ...(event.error === undefined ? {} : { error: event.error }),
      });
      const correlationId = `${options.instanceId}:${event.path}`;
      if (event.phase !== "started" && openCorrelations.delete(correlationId)) {
        void options.correlations.closeForTask(options.tenantId, correlationId).catch(() => undefined);
      }
    },

    isCancelled: () => cancelled,
  };

  return {
    host,
    /** Resolves when the instance has been parked and this execution should end. */
    parked,
    /** History gathered since the last write, for the final status update. */
    takeHistory,
    finish() {
      finished = true;
      clearInterval(controlPoll);
    },
  };
}

export type DurableHost = ReturnType<typeof createDurableHost>;
