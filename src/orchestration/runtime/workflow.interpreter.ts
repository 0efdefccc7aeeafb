import { durationToMilliseconds } from "../dsl/duration.parser.ts";
import type { WorkflowError } from "../dsl/workflow-error.ts";
import type { Workflow } from "../dsl/workflow.types.ts";
import { CancellationScope } from "./cancellation-scope.ts";
import { Execution } from "./execution.state.ts";
import type { RuntimeDescriptor, RuntimeHost } from "./runtime-host.port.ts";
import { TaskRunner, type Frame } from "./task.runner.ts";
import {
  CancellationError,
  fault,
  isCancellation,
  isWorkflowFault,
  toWorkflowError,
} from "./workflow-fault.ts";

export interface InterpretOptions {
  /** A validated workflow (see validateWorkflowDocument). */
  workflow: Workflow;
  input?: unknown;
  host: RuntimeHost;
  /** Identifies the instance; prefixes every effect key. */
  instanceId: string;
  runtime?: Partial<RuntimeDescriptor>;
  /** Aborting cancels the instance. */
  signal?: AbortSignal;
}

export type WorkflowStatus = "completed" | "faulted" | "cancelled";

export interface WorkflowOutcome {
  status: WorkflowStatus;
  /** The workflow's output, when completed. */
  output?: unknown;
  /** The error that faulted the workflow. */
  error?: WorkflowError;
}

export const RUNTIME_NAME = "prapti";
export const RUNTIME_VERSION = "0.1.0";

/**
 * Runs a workflow to its end: validates and transforms the input (`input.schema`, `input.from`), runs
 * `do` under the workflow's `timeout`, transforms and validates the output. The workflow context starts
 * as an empty object. An uncaught error faults the workflow; cancellation (the signal, or the host's
 * `isCancelled`) ends it as cancelled.
 *
 * The interpreter is deterministic: given the same definition, input and host results it issues the same
 * effects, with the same keys, in the same order (see RuntimeHost).
 */
export async function interpretWorkflow(options: InterpretOptions): Promise<WorkflowOutcome> {
  const runtime: RuntimeDescriptor = {
    name: options.runtime?.name ?? RUNTIME_NAME,
    version: options.runtime?.version ?? RUNTIME_VERSION,
    metadata: options.runtime?.metadata ?? {},
  };
  const exec = new Execution({
    host: options.host,
    instanceId: options.instanceId,
    workflow: options.workflow,
    rawInput: options.input ?? null,
    runtime,
  });
  const root = new CancellationScope();
  const cancel = (): void =>
    root.cancel(new CancellationError("workflow-cancelled", "the workflow was cancelled"));
  if (options.signal?.aborted) cancel();
  options.signal?.addEventListener("abort", cancel, { once: true });
  const runner = new TaskRunner(exec);
  const frame: Frame = {
    scope: root,
    variables: {},
    context: { value: {} },
    activation: exec.rootSite.activation,
  };
  const workflow = exec.workflow;

  try {
    if (exec.mentionsWorkflow) exec.setStartedAt(await exec.now(exec.rootSite, root));
    const declared = workflow.use?.secrets ?? [];
    if (declared.length > 0 && options.host.secrets)
      exec.setSecrets(await root.race(options.host.secrets(declared)));

    const input = options.input ?? null;
    runner.validateSchema(workflow.input?.schema, input, "/input", "workflow input");
    const transformed =
      workflow.input?.from === undefined
        ? input
        : await runner.transform(workflow.input.from, "workflowInputFrom", frame, undefined, input);

    const body = (scope: CancellationScope) =>
      runner.runList({ ...frame, scope }, workflow.do, "/do", transformed);
    const timeoutMs = await workflowTimeout(runner, frame, workflow);
    const result =
      timeoutMs === undefined
        ? await body(root)
        : await runner.withTimeout(exec.rootSite, timeoutMs, root, body, "the workflow");

    const output =
      workflow.output?.as === undefined
        ? result.output
        : await runner.transform(workflow.output.as, "workflowOutputAs", frame, undefined, result.output);
    runner.validateSchema(workflow.output?.schema, output, "/output", "workflow output");
    // What leaves the run (stored, shown by the API, handed to a parent) never carries a secret's value.
    return { status: "completed", output: exec.redact(output) };
  } catch (error) {
    if (isWorkflowFault(error) && !isCancellation(error))
      return { status: "faulted", error: exec.redact(error.error) as typeof error.error };
    if (isCancellation(error) || root.cancelled) return { status: "cancelled" };
    return { status: "faulted", error: exec.redact(toWorkflowError(error, "/")) as WorkflowError };
  } finally {
    options.signal?.removeEventListener("abort", cancel);
    root.cancel(new CancellationError("no-longer-needed"));
  }
}

async function workflowTimeout(
  runner: TaskRunner,
  frame: Frame,
  workflow: Workflow,
): Promise<number | undefined> {
  if (workflow.timeout === undefined) return undefined;
  const definition =
    typeof workflow.timeout === "string" ? workflow.use?.timeouts?.[workflow.timeout] : workflow.timeout;
  if (!definition) {
    throw fault("configuration", {
      title: "Unknown timeout",
      detail: `timeout ${JSON.stringify(workflow.timeout)} is not defined in use.timeouts`,
      instance: "/timeout",
    });
  }
  const after = definition.after;
  const value =
    typeof after === "string" && after.includes("${")
      ? await runner.template(after, "workflowInputFrom", frame, undefined, null)
      : after;
  return durationToMilliseconds(value);
}
