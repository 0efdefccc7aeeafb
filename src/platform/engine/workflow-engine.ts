/** The durable engine as the rest of Prapti sees it; DBOS Transact is one implementation. */

export type EngineWorkflowStatus =
  "pending" | "enqueued" | "delayed" | "success" | "error" | "cancelled" | "max_recovery_attempts_exceeded";

export interface EngineWorkflowInfo {
  workflowId: string;
  name: string;
  status: EngineWorkflowStatus;
  executorId: string | undefined;
  createdAt: Date;
  updatedAt: Date | undefined;
  output?: unknown;
  error?: string;
}

/** What a workflow body may do. Everything that touches the world goes through `step`. */
export interface DurableContext {
  workflowId: string;
  executorId: string;
  /** Runs `run` once; after a crash the recorded result is returned instead of running it again. */
  step<T>(name: string, run: () => Promise<T>): Promise<T>;
  /** A durable timer: the deadline is stored, so a restarted process sleeps only what is left. */
  sleep(durationMs: number): Promise<void>;
  /** Waits for a message sent to this workflow; keep timeouts short (seconds), long waits are parked. */
  receive<T>(topic: string, timeoutMs: number): Promise<T | null>;
}

export interface WorkflowRegistration<Input, Output> {
  name: string;
  run(context: DurableContext, input: Input): Promise<Output>;
}

export interface StartOptions {
  /** Idempotent start: starting twice with the same id returns the existing workflow. */
  workflowId?: string;
  /** Run it after a delay (queued, costs no worker memory while it waits). */
  delayMs?: number;
  /**
   * Run it in this process right away instead of through the shared queue (only where this process runs
   * workflows; elsewhere it is queued as usual). Saves the queue's polling delay on a start a person waits for.
   */
  here?: boolean;
}

export interface ListFilter {
  /** Only these workflows (those of them that exist). */
  workflowIds?: string[];
  name?: string;
  status?: EngineWorkflowStatus[];
  executorId?: string;
  limit?: number;
}

export interface WorkflowEngine {
  readonly executorId: string;
  /** `here` says whether this process runs the workflow itself (see `StartOptions.here`). */
  start<Input>(
    name: string,
    input: Input,
    options?: StartOptions,
  ): Promise<{ workflowId: string; here: boolean }>;
  send(workflowId: string, topic: string, message: unknown, idempotencyKey?: string): Promise<void>;
  getStatus(workflowId: string): Promise<EngineWorkflowInfo | undefined>;
  cancel(workflowId: string): Promise<void>;
  resume(workflowId: string): Promise<void>;
  list(filter?: ListFilter): Promise<EngineWorkflowInfo[]>;
  /** Waits in this process until the workflow ends; for tests and the CLI, not for request handlers. */
  waitForEnd(workflowId: string, timeoutMs: number): Promise<EngineWorkflowInfo>;
}
