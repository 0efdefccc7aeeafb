import { randomUUID } from "node:crypto";
import { AppError } from "../../kernel/app-error.ts";
import { unsupportedFeatureMessage, unsupportedFeatures } from "../dsl/unsupported-feature.finder.ts";
import type { WorkflowError } from "../dsl/workflow-error.ts";
import type { Workflow } from "../dsl/workflow.types.ts";
import {
  validateWorkflowDocument,
  validateWorkflowObject,
  type ValidationResult,
} from "../dsl/workflow.validator.ts";
import { createLocalHost, type LocalHostOptions } from "./local.host.ts";
import type { WorkflowStatus } from "./workflow.interpreter.ts";
import { interpretWorkflow } from "./workflow.interpreter.ts";

export interface RunLocallyOptions extends LocalHostOptions {
  instanceId?: string;
  /** Function catalog for validation; defaults to the names of `functions` when they are given. */
  knownFunctions?: (name: string) => boolean;
  /** Aborting cancels the run. */
  signal?: AbortSignal;
}

/** What `prapti workflow run --json` prints. */
export interface LocalRunResult {
  status: WorkflowStatus;
  output: unknown;
  error: WorkflowError | null;
  /** Names of the tasks of the instance, in the order they started. */
  tasks: string[];
}

/**
 * Validates a definition and runs it in-process on a local host (virtual clock unless one is given).
 * An invalid definition throws AppError INVALID_INPUT (one issue per finding); one that uses a feature the
 * runtime refuses throws AppError NOT_SUPPORTED with the message `not supported by this runtime: <feature>`.
 */
export async function runLocally(
  definition: string | Workflow,
  input: unknown,
  options: RunLocallyOptions = {},
): Promise<LocalRunResult> {
  const knownFunctions =
    options.knownFunctions ??
    (options.functions
      ? (name: string) => Object.prototype.hasOwnProperty.call(options.functions, name)
      : undefined);
  const workflow = prepareWorkflow(definition, knownFunctions ? { knownFunctions } : {});
  const instanceId = options.instanceId ?? randomUUID();
  const tasks: string[] = [];
  const host = createLocalHost({
    ...options,
    onTaskEvent: (event) => {
      if (event.instanceId === instanceId && event.phase === "started") tasks.push(event.name);
      options.onTaskEvent?.(event);
    },
  });
  const outcome = await interpretWorkflow({
    workflow,
    input,
    host,
    instanceId,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.runtime ? { runtime: options.runtime } : {}),
  });
  return { status: outcome.status, output: outcome.output ?? null, error: outcome.error ?? null, tasks };
}

/** Validates a definition and refuses unsupported features; returns the workflow ready to interpret. */
export function prepareWorkflow(
  definition: string | Workflow,
  options: { knownFunctions?: (name: string) => boolean } = {},
): Workflow {
  const validation: ValidationResult =
    typeof definition === "string"
      ? validateWorkflowDocument(definition, options)
      : validateWorkflowObject(definition, options);
  if (!validation.ok || !validation.workflow) {
    throw AppError.invalidInput(
      validation.errors.map((error) => ({ field: error.path || "/", reason: error.message })),
      `invalid workflow definition: ${validation.errors.map((error) => `${error.path || "/"} ${error.message}`).join("; ")}`,
    );
  }
  const features = unsupportedFeatures(validation.workflow);
  if (features.length > 0) {
    throw new AppError({
      code: "NOT_SUPPORTED",
      message: features.map(unsupportedFeatureMessage).join("; "),
      details: { features },
    });
  }
  return validation.workflow;
}
