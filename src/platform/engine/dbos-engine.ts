import { DBOS, DBOSClient, type WorkflowStatus } from "@dbos-inc/dbos-sdk";
import { DBOSExecutor } from "@dbos-inc/dbos-sdk/internal/dbos-executor";
import type {
  DurableContext,
  EngineWorkflowInfo,
  EngineWorkflowStatus,
  ListFilter,
  StartOptions,
  WorkflowEngine,
  WorkflowRegistration,
} from "./workflow-engine.ts";

/** The queue every worker drains; API-only processes enqueue onto it without running anything. */
export const WORKFLOW_QUEUE = "prapti-workflows";
/** DBOS keeps its state in this schema of Prapti's database. */
export const ENGINE_SCHEMA = "dbos";
/** Fixed, so that workflows recorded by one build are recovered by the next one. */
const APPLICATION_VERSION = "prapti-1";
const APPLICATION_NAME = "prapti";

export type EngineRole = "all" | "api" | "worker";

export interface LaunchEngineOptions {
  databaseUrl: string;
  executorId: string;
  role: EngineRole;
  workflows: WorkflowRegistration<never, unknown>[];
  /** How many workflows this process runs at once from the shared queue. */
  workerConcurrency?: number;
  logLevel?: string;
}

function toStatus(status: string): EngineWorkflowStatus {
  return status.toLowerCase() as EngineWorkflowStatus;
}

function toInfo(status: WorkflowStatus): EngineWorkflowInfo {
  const error = status.error === undefined || status.error === null ? undefined : describeError(status.error);
  return {
    workflowId: status.workflowID,
    name: status.workflowName,
    status: toStatus(status.status),
    executorId: status.executorId,
    createdAt: new Date(status.createdAt),
    updatedAt: status.updatedAt === undefined ? undefined : new Date(status.updatedAt),
    ...(status.output === undefined ? {} : { output: status.output }),
    ...(error === undefined ? {} : { error }),
  };
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "string") return error;
  return JSON.stringify(error);
}

const durableContext = (executorId: string): DurableContext => ({
  get workflowId() {
    return DBOS.workflowID ?? "";
  },
  executorId,
  step: (name, run) => DBOS.runStep(run, { name }),
  sleep: (durationMs) => DBOS.sleep(durationMs),
  receive: (topic, timeoutMs) => DBOS.recv(topic, timeoutMs / 1000),
});

const registered = new Map<string, (input: unknown) => Promise<unknown>>();

/** Registers workflows with DBOS (only once per process: DBOS keeps a global registry). */
function registerWorkflows(workflows: WorkflowRegistration<never, unknown>[], executorId: string): void {
  for (const workflow of workflows) {
    if (registered.has(workflow.name)) continue;
    const context = durableContext(executorId);
    const body = async (input: unknown) => workflow.run(context, input as never);
    registered.set(workflow.name, DBOS.registerWorkflow(body, { name: workflow.name }));
  }
}

async function waitForEndOf(
  getStatus: (id: string) => Promise<EngineWorkflowInfo | undefined>,
  workflowId: string,
  timeoutMs: number,
): Promise<EngineWorkflowInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await getStatus(workflowId);
    if (info && !["pending", "enqueued", "delayed"].includes(info.status)) return info;
    if (Date.now() > deadline) throw new Error(`workflow ${workflowId} did not end within ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

function listInput(filter: ListFilter) {
  return {
    ...(filter.workflowIds ? { workflowIDs: filter.workflowIds } : {}),
    ...(filter.name ? { workflowName: filter.name } : {}),
    ...(filter.status ? { status: filter.status.map((status) => status.toUpperCase()) as never } : {}),
    ...(filter.executorId ? { executorId: filter.executorId } : {}),
    limit: filter.limit ?? 100,
    sortDesc: true,
  };
}

export interface LaunchedEngine extends WorkflowEngine {
  isReady(): Promise<boolean>;
  /**
   * Hands the workflows still pending under another (dead) executor id to the shared queue, where any worker
   * takes each one once; returns their ids. Safe to repeat: a workflow already taken over is no longer pending
   * under that id.
   */
  recoverExecutor(executorId: string): Promise<string[]>;
  shutdown(options: { graceMs: number }): Promise<void>;
}

/**
 * Launches DBOS in this process. Workers (`all`, `worker`) drain the shared queue; an `api` process only
 * enqueues. Every process recovers the pending workflows recorded under its own executor id.
 */
export async function launchDbosEngine(options: LaunchEngineOptions): Promise<LaunchedEngine> {
  DBOS.setConfig({
    name: APPLICATION_NAME,
    systemDatabaseUrl: options.databaseUrl,
    systemDatabaseSchemaName: ENGINE_SCHEMA,
    applicationVersion: APPLICATION_VERSION,
    executorID: options.executorId,
    runAdminServer: false,
    logLevel: options.logLevel === "debug" || options.logLevel === "trace" ? "debug" : "warn",
    listenQueues: options.role === "api" ? [] : [WORKFLOW_QUEUE],
  });
  registerWorkflows(options.workflows, options.executorId);
  await DBOS.launch();
  await DBOS.registerQueue(WORKFLOW_QUEUE, {
    workerConcurrency: options.workerConcurrency ?? 50,
    // Woken instances go through this queue; poll it often enough that a wake-up is not a second late.
    minPollingIntervalMs: 100,
  });

  const getStatus = async (workflowId: string) => {
    const status = await DBOS.getWorkflowStatus(workflowId);
    return status ? toInfo(status) : undefined;
  };

  return {
    executorId: options.executorId,
    async start(name, input, startOptions: StartOptions = {}) {
      const workflow = registered.get(name);
      if (!workflow) throw new Error(`no workflow named ${name} is registered`);
      const runHere = startOptions.here === true && options.role !== "api" && !startOptions.delayMs;
      const handle = await DBOS.startWorkflow(workflow, {
        ...(startOptions.workflowId ? { workflowID: startOptions.workflowId } : {}),
        ...(runHere ? {} : { queueName: WORKFLOW_QUEUE }),
        ...(startOptions.delayMs ? { enqueueOptions: { delaySeconds: startOptions.delayMs / 1000 } } : {}),
      })(input);
      return { workflowId: handle.workflowID, here: runHere };
    },
    send: (workflowId, topic, message, idempotencyKey) =>
      DBOS.send(workflowId, message, topic, idempotencyKey),
    getStatus,
    async cancel(workflowId) {
      await DBOS.cancelWorkflow(workflowId);
    },
    async resume(workflowId) {
      await DBOS.resumeWorkflow(workflowId, { queueName: WORKFLOW_QUEUE });
    },
    async list(filter = {}) {
      return (await DBOS.listWorkflows(listInput(filter))).map(toInfo);
    },
    waitForEnd: (workflowId, timeoutMs) => waitForEndOf(getStatus, workflowId, timeoutMs),
    async recoverExecutor(executorId) {
      if (executorId === options.executorId)
        throw new Error("an executor does not take over its own workflows");
      // DBOS's own recovery (what its admin endpoint for other executors runs): one conditional update that moves
      // PENDING rows of that executor back to ENQUEUED, so the queue's atomic claim admits exactly one runner and
      // clears the old owner's token. Workflows that were not queued go to the shared queue.
      const executor = DBOSExecutor.globalInstance;
      if (!executor) throw new Error("the engine is not launched");
      return executor.systemDatabase.reenqueueWorkflowsForRecovery(
        executorId,
        APPLICATION_VERSION,
        WORKFLOW_QUEUE,
      );
    },
    async isReady() {
      if (!DBOS.isInitialized()) return false;
      await DBOS.listWorkflows({ limit: 1 });
      return true;
    },
    async shutdown({ graceMs }) {
      await DBOS.shutdown({ workflowCompletionTimeoutMS: graceMs });
    },
  };
}

/**
 * An engine for processes that do not run workflows (the CLI): it enqueues by name onto the shared queue and
 * reads state, without launching DBOS, so it never takes over another process's work.
 */
export async function connectEngineClient(options: {
  databaseUrl: string;
}): Promise<WorkflowEngine & { close(): Promise<void> }> {
  const client = await DBOSClient.create({
    systemDatabaseUrl: options.databaseUrl,
    systemDatabaseSchemaName: ENGINE_SCHEMA,
    applicationName: APPLICATION_NAME,
  });
  const getStatus = async (workflowId: string) => {
    const status = await client.getWorkflow(workflowId);
    return status ? toInfo(status) : undefined;
  };
  return {
    executorId: "client",
    async start(name, input, startOptions: StartOptions = {}) {
      const handle = await client.enqueue(
        {
          queueName: WORKFLOW_QUEUE,
          workflowName: name,
          appVersion: APPLICATION_VERSION,
          ...(startOptions.workflowId ? { workflowID: startOptions.workflowId } : {}),
          ...(startOptions.delayMs ? { delaySeconds: startOptions.delayMs / 1000 } : {}),
        },
        input,
      );
      return { workflowId: handle.workflowID, here: false };
    },
    send: (workflowId, topic, message, idempotencyKey) =>
      client.send(workflowId, message, topic, idempotencyKey),
    getStatus,
    cancel: (workflowId) => client.cancelWorkflow(workflowId),
    async resume(workflowId) {
      await client.resumeWorkflow(workflowId, { queueName: WORKFLOW_QUEUE });
    },
    async list(filter = {}) {
      return (await client.listWorkflows(listInput(filter))).map(toInfo);
    },
    waitForEnd: (workflowId, timeoutMs) => waitForEndOf(getStatus, workflowId, timeoutMs),
    close: () => client.destroy(),
  };
}
