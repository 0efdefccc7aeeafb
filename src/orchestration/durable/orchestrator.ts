import { randomUUID } from "node:crypto";
import { sql, type Kysely } from "kysely";
import { LRUCache } from "lru-cache";
import type { Logger } from "pino";
import { AppError } from "../../kernel/app-error.ts";
import { withTenant } from "../../platform/db/database.ts";
import type { DB } from "../../platform/db/schema.ts";
import type { WorkflowEngine, WorkflowRegistration } from "../../platform/engine/workflow-engine.ts";
import type { DefinitionRegistry } from "../definitions/definition.registry.ts";
import type { OrchestrationTables } from "../store/orchestration.tables.ts";
import type {
  EmitRequest,
  FunctionCallRequest,
  HttpRequest,
  HttpResponse,
  RuntimeHost,
} from "../runtime/runtime-host.port.ts";
import { createCorrelationStore } from "./correlation.store.ts";
import { createDurableHost } from "./durable.host.ts";
import { dispatchPendingEvents } from "./event.dispatcher.ts";
import { createInstanceStore, type InstanceRecord } from "./instance.store.ts";
import { createScheduler } from "./schedule.sweeper.ts";
import { disabledTracing, type Tracing } from "../../platform/telemetry/tracing.ts";

export const EXECUTE_WORKFLOW = "orchestration.execute";

/** How an interpreter run ended; `parked` runs never reach this (the execution lets go first). */
export interface InterpreterOutcome {
  status: "completed" | "faulted" | "cancelled";
  output?: unknown;
  error?: unknown;
}

/** The interpreter as the orchestrator uses it: a deterministic run of one instance on a host. */
export type Interpret = (input: {
  workflow: Record<string, unknown>;
  input: unknown;
  instanceId: string;
  host: RuntimeHost;
}) => Promise<InterpreterOutcome>;

export interface OrchestratorDeps {
  db: Kysely<DB>;
  owner: Kysely<DB>;
  engine: () => WorkflowEngine;
  definitions: DefinitionRegistry;
  interpret: Interpret;
  logger: Logger;
  parkThresholdMs: number;
  clock?: () => number;
  fetch?: (request: HttpRequest) => Promise<HttpResponse>;
  callFunction(request: FunctionCallRequest & { tenantId: string }): Promise<unknown>;
  emit(request: EmitRequest & { tenantId: string }): Promise<void>;
  /** Values of a tenant's workflow secrets by name (only those a definition declares are asked for). */
  secrets?: (tenantId: string, names: readonly string[]) => Promise<Record<string, unknown>>;
  /** Spans for starts and executions; a start's trace continues in the execution, wherever it runs. */
  tracing?: Tracing;
}

interface ExecuteInput {
  tenantId: string;
  instanceId: string;
  execution: number;
  /** W3C traceparent of whatever enqueued this execution (an API request, a sweep, an event). */
  traceParent?: string;
}

const executionId = (instanceId: string, execution: number) => `${instanceId}#${execution}`;

async function fetchOverHttp(request: HttpRequest): Promise<HttpResponse> {
  const response = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    ...(request.body === undefined ? {} : { body: request.body }),
    signal: request.signal,
    redirect: "follow",
  });
  const body = Buffer.from(await response.arrayBuffer());
  return {
    status: response.status,
    statusText: response.statusText,
    headers: Object.fromEntries(
      [...response.headers.entries()].map(([name, value]) => [name.toLowerCase(), value]),
    ),
    bodyBase64: body.toString("base64"),
  };
}

/**
 * The hub's runtime: starts instances of published definitions, runs each execution of an instance as a
 * durable engine workflow on the interpreter, parks and wakes instances, and lets people steer them.
 */
export function createOrchestrator(deps: OrchestratorDeps) {
  const store = createInstanceStore({ db: deps.db, owner: deps.owner });
  const correlations = createCorrelationStore({ db: deps.db });
  const now = deps.clock ?? (() => Date.now());
  let loadSecrets = deps.secrets;
  const tracing = deps.tracing ?? disabledTracing;

  const endedListeners = new Set<(ended: { tenantId: string; instanceId: string; status: string }) => void>();

  /**
   * Instances this process has just created as running, handed to their first execution so that it need not
   * read back what was just written. Only a fresh start in this process finds its entry: an execution
   * recovered after a crash, or run by another worker, begins from the database.
   */
  const freshStarts = new Map<string, InstanceRecord>();

  /** Runs an execution: in this process when `here` (a fresh start), otherwise through the shared queue. */
  async function enqueue(
    tenantId: string,
    instanceId: string,
    execution: number,
    here = false,
    fresh?: InstanceRecord,
  ): Promise<void> {
    const traceParent = tracing.currentTraceParent();
    const workflowId = executionId(instanceId, execution);
    if (fresh) freshStarts.set(workflowId, fresh);
    try {
      const started = await deps
        .engine()
        .start<ExecuteInput>(
          EXECUTE_WORKFLOW,
          { tenantId, instanceId, execution, ...(traceParent ? { traceParent } : {}) },
          { workflowId, here },
        );
      // An API process or a client only queues the execution: the worker that takes it reads the instance.
      if (!started.here) freshStarts.delete(workflowId);
    } catch (error) {
      freshStarts.delete(workflowId);
      throw error;
    }
  }

  /** The instance and journal an execution starts from, or undefined when the execution is stale. */
  async function beginExecution(input: ExecuteInput) {
    const workflowId = executionId(input.instanceId, input.execution);
    const fresh = freshStarts.get(workflowId);
    if (fresh) {
      freshStarts.delete(workflowId);
      return { instance: fresh, journal: new Map<string, unknown>() };
    }
    return store.beginExecution(input);
  }

  async function startSubflow(request: {
    tenantId: string;
    parentInstanceId: string;
    namespace: string;
    name: string;
    version: string;
    input: unknown;
    key: string;
  }): Promise<string> {
    const definition = await deps.definitions.get({
      tenantId: request.tenantId,
      namespace: request.namespace,
      name: request.name,
      version: request.version,
    });
    const { instance, created } = await store.create({
      tenantId: request.tenantId,
      namespace: definition.namespace,
      name: definition.name,
      version: definition.version,
      businessKey: `subflow:${request.key}`,
      input: request.input,
      parentInstanceId: request.parentInstanceId,
    });
    if (created) await enqueue(request.tenantId, instance.id, instance.execution);
    return instance.id;
  }

  async function subflowOutcome(tenantId: string, childId: string) {
    const child = await store.get(tenantId, childId);
    if (child.status === "completed") return { ok: true as const, output: child.output };
    if (child.status === "faulted" || child.status === "cancelled") {
      return {
        ok: false as const,
        error: child.error ?? { status: 500, title: `sub-workflow ${child.status}` },
      };
    }
    return undefined;
  }

  // Published versions never change, so each is read once per process.
  const definitionCache = new LRUCache<string, Record<string, unknown>>({ max: 1_000 });
  async function definitionOf(instance: InstanceRecord): Promise<Record<string, unknown>> {
    const key = `${instance.tenantId}/${instance.namespace}/${instance.name}@${instance.version}`;
    const cached = definitionCache.get(key);
    if (cached) return cached;
    const definition = await deps.definitions.get({
      tenantId: instance.tenantId,
      namespace: instance.namespace,
      name: instance.name,
      version: instance.version,
    });
    definitionCache.set(key, definition.document);
    return definition.document;
  }

  async function execute(input: ExecuteInput): Promise<{ outcome: string }> {
    const begun = await beginExecution(input);
    if (!begun) return { outcome: "stale" };
    const { instance, journal } = begun;
    const workflow = await definitionOf(instance);
    const durable = createDurableHost({
      tenantId: input.tenantId,
      instanceId: input.instanceId,
      execution: input.execution,
      journal,
      store,
      correlations,
      parkThresholdMs: deps.parkThresholdMs,
      now,
      random: Math.random,
      fetch: deps.fetch ?? fetchOverHttp,
      callFunction: (request) => deps.callFunction(request),
      emit: (request) => deps.emit(request),
      startSubflow,
      subflowOutcome,
      ...(loadSecrets ? { secrets: (names: readonly string[]) => loadSecrets!(input.tenantId, names) } : {}),
    });
    try {
      const result = await Promise.race([
        deps.interpret({
          workflow,
          input: instance.input,
          instanceId: instance.id,
          host: durable.host,
        }),
        durable.parked.then((decision) => ({ parked: decision })),
      ]);
      if ("parked" in result) {
        if (result.parked.wakeNow) {
          const woken = await store.unpark({
            tenantId: input.tenantId,
            instanceId: input.instanceId,
            reasons: ["event", "timer"],
          });
          if (woken) await enqueue(input.tenantId, input.instanceId, woken.execution);
        }
        return { outcome: `parked:${result.parked.reason}` };
      }
      await store.setStatus({
        tenantId: input.tenantId,
        instanceId: input.instanceId,
        execution: input.execution,
        status: result.status,
        ...(result.output === undefined ? {} : { output: result.output }),
        ...(result.error === undefined ? {} : { error: result.error }),
        history: durable.takeHistory(),
      });
      if (instance.parentInstanceId) await wakeParent(input.tenantId, instance.parentInstanceId);
      for (const listener of endedListeners)
        listener({ tenantId: input.tenantId, instanceId: input.instanceId, status: result.status });
      return { outcome: result.status };
    } finally {
      durable.finish();
    }
  }

  async function wakeParent(tenantId: string, parentId: string): Promise<void> {
    const woken = await store.unpark({ tenantId, instanceId: parentId, reasons: ["event", "timer"] });
    if (woken) await enqueue(tenantId, parentId, woken.execution);
  }

  async function start(input: {
    tenantId: string;
    namespace: string;
    name: string;
    version?: string;
    input: unknown;
    businessKey?: string;
  }): Promise<{ instance: InstanceRecord; created: boolean }> {
    return tracing.inSpan(
      "workflow.start",
      {
        attributes: {
          "prapti.tenant_id": input.tenantId,
          "prapti.workflow.definition": `${input.namespace}/${input.name}`,
        },
      },
      () => startInstance(input),
    );
  }

  async function startInstance(input: Parameters<typeof start>[0]): Promise<{
    instance: InstanceRecord;
    created: boolean;
  }> {
    const definition = await deps.definitions.resolveForStart(input);
    const result = await store.create({
      tenantId: input.tenantId,
      namespace: definition.namespace,
      name: definition.name,
      version: definition.version,
      input: input.input ?? {},
      ...(input.businessKey ? { businessKey: input.businessKey } : {}),
      id: randomUUID(),
      status: "running",
    });
    if (result.created) {
      const { instance } = result;
      await enqueue(input.tenantId, instance.id, instance.execution, true, instance);
    }
    return result;
  }

  /**
   * Claiming a due instance (or waking one for an event) and handing its next execution to the engine are two
   * steps; a process killed between them leaves an instance running with no engine workflow. The sweep finds
   * instances quiet for a while whose current execution the engine does not know, and hands it over again
   * (starting an execution is idempotent by its id, so a race with a late first hand-over runs it once).
   */
  const STALLED_AFTER_MS = 15_000;
  let nextStallCheck = 0;
  async function restartStalledExecutions(limit: number): Promise<number> {
    if (now() < nextStallCheck) return 0;
    nextStallCheck = now() + STALLED_AFTER_MS / 3;
    const quiet = await store.quietRunning({ olderThan: new Date(now() - STALLED_AFTER_MS), limit });
    if (quiet.length === 0) return 0;
    const known = new Set(
      (
        await deps.engine().list({
          workflowIds: quiet.map((entry) => executionId(entry.instanceId, entry.execution)),
          limit: quiet.length,
        })
      ).map((workflow) => workflow.workflowId),
    );
    const stalled = quiet.filter((entry) => !known.has(executionId(entry.instanceId, entry.execution)));
    for (const entry of stalled) {
      deps.logger.warn(
        { instanceId: entry.instanceId, execution: entry.execution },
        "workflow execution was never handed to the engine; handing it over now",
      );
      await enqueue(entry.tenantId, entry.instanceId, entry.execution);
    }
    return stalled.length;
  }

  // Definitions with a `schedule` (current versions only) start their own instances from the sweep.
  const scheduler = createScheduler({ owner: deps.owner, start, now, logger: deps.logger });

  const executeRegistration: WorkflowRegistration<ExecuteInput, { outcome: string }> = {
    name: EXECUTE_WORKFLOW,
    run: (_context, input) =>
      tracing.inSpan(
        "workflow.execute",
        {
          parent: tracing.contextOf({ traceparent: input.traceParent }),
          attributes: {
            "prapti.tenant_id": input.tenantId,
            "prapti.workflow.instance_id": input.instanceId,
            "prapti.workflow.execution": input.execution,
          },
        },
        async (span) => {
          const result = await execute(input);
          span.setAttribute("prapti.workflow.outcome", result.outcome);
          return result;
        },
      ),
  };

  return {
    store,
    executeRegistration,

    /**
     * Starts an instance of the current (or a given) version of a definition. With a business key, starting
     * twice returns the first instance.
     */
    start,

    /** Where executions read `$secrets` from (set by the composition root once the key ring is known). */
    useSecrets(
      loader: (tenantId: string, names: readonly string[]) => Promise<Record<string, unknown>>,
    ): void {
      loadSecrets = loader;
    },

    /** Told when an instance run by this process ends (completed, faulted or cancelled). */
    onEnded(listener: (ended: { tenantId: string; instanceId: string; status: string }) => void): () => void {
      endedListeners.add(listener);
      return () => endedListeners.delete(listener);
    },

    async cancel(tenantId: string, instanceId: string): Promise<InstanceRecord> {
      return store.cancel(tenantId, instanceId);
    },

    async suspend(tenantId: string, instanceId: string): Promise<InstanceRecord> {
      return store.requestSuspend(tenantId, instanceId);
    },

    async resume(tenantId: string, instanceId: string): Promise<InstanceRecord> {
      const instance = await store.get(tenantId, instanceId);
      if (instance.status !== "suspended" && !instance.suspendRequested) {
        throw AppError.conflict(`workflow instance ${instanceId} is not suspended (${instance.status})`);
      }
      const woken = await store.unpark({ tenantId, instanceId, reasons: ["suspended"] });
      if (woken) await enqueue(tenantId, instanceId, woken.execution);
      else {
        await withTenant(deps.db, tenantId, (trx) =>
          trx
            .withTables<OrchestrationTables>()
            .updateTable("workflow_instances")
            .set({ suspend_requested: false, updated_at: new Date() })
            .where("id", "=", instanceId)
            .execute(),
        );
      }
      return store.get(tenantId, instanceId);
    },

    /** Runs a faulted instance again from the task that failed: successful effects replay, failed ones re-run. */
    async retry(tenantId: string, instanceId: string): Promise<InstanceRecord> {
      const execution = await withTenant(deps.db, tenantId, async (trx) => {
        const hub = trx.withTables<OrchestrationTables>();
        const instance = await hub
          .selectFrom("workflow_instances")
          .select(["status", "error"])
          .where("id", "=", instanceId)
          .executeTakeFirst();
        if (!instance) throw AppError.notFound("workflow instance", instanceId);
        if (instance.status !== "faulted")
          throw AppError.conflict(`workflow instance ${instanceId} is not faulted (${instance.status})`);
        // Forget what the failed task recorded (and any failed effect), so it runs again; the rest replays.
        const failedTask = (instance.error as { instance?: unknown } | null)?.instance;
        await hub
          .deleteFrom("workflow_journal")
          .where("instance_id", "=", instanceId)
          .where((eb) =>
            eb.or([
              eb(sql<string>`result -> 'value' ->> 'ok'`, "=", "false"),
              ...(typeof failedTask === "string" && failedTask.startsWith("/")
                ? [eb("effect_key", "like", `%:${instanceId}:${failedTask.replace(/[\\%_]/g, "\\$&")}%`)]
                : []),
            ]),
          )
          .execute();
        return undefined;
      }).then(() => store.nextExecution({ tenantId, instanceId, fromStatus: ["faulted"] }));
      await enqueue(tenantId, instanceId, execution);
      return store.get(tenantId, instanceId);
    },

    /**
     * Wakes parked instances whose time has come, delivers new events to waiting ones, and starts the instances
     * of scheduled definitions that are due (see schedule.sweeper.ts).
     */
    async sweep(limit = 500): Promise<{ woken: number; dispatched: number; scheduled: number }> {
      await scheduler.sync();
      const due = await store.claimDue({ now: new Date(now()), limit });
      for (const claim of due) await enqueue(claim.tenantId, claim.instanceId, claim.execution);
      const dispatch = await dispatchPendingEvents({ owner: deps.owner, limit });
      for (const target of dispatch.woken)
        await enqueue(target.tenantId, target.instanceId, target.execution);
      const { scheduled } = await scheduler.run(limit);
      await restartStalledExecutions(limit);
      return { woken: due.length, dispatched: dispatch.dispatched, scheduled };
    },

    /** Runs the sweep in the background until stopped; several workers may run it at once. */
    startSweeper(intervalMs = 1_000): () => Promise<void> {
      let stopped = false;
      let running: Promise<void> = Promise.resolve();
      const tick = async () => {
        if (stopped) return;
        try {
          let result = await this.sweep();
          while (!stopped && (result.woken >= 500 || result.dispatched >= 500)) result = await this.sweep();
        } catch (error) {
          deps.logger.error({ err: error }, "workflow sweep failed");
        }
      };
      const timer = setInterval(() => {
        running = running.then(tick);
      }, intervalMs);
      return async () => {
        stopped = true;
        clearInterval(timer);
        await running;
      };
    },
  };
}

export type Orchestrator = ReturnType<typeof createOrchestrator>;
