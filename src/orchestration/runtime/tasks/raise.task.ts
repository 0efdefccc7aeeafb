import { isPlainObject } from "../../dsl/json-pointer.util.ts";
import type { WorkflowError } from "../../dsl/workflow-error.ts";
import type { RaiseTask } from "../../dsl/workflow.types.ts";
import type { Frame, TaskResult, TaskRunner, TaskState } from "../task.runner.ts";
import { fault, WorkflowFault } from "../workflow-fault.ts";

/** `raise`: faults with the error it defines (inline or from `use.errors`); `instance` defaults to the task. */
export async function executeRaise(runner: TaskRunner, frame: Frame, state: TaskState): Promise<TaskResult> {
  const task = state.task as RaiseTask;
  const reference = task.raise.error;
  const definition =
    typeof reference === "string" ? runner.exec.workflow.use?.errors?.[reference] : reference;
  if (!definition) {
    throw fault("configuration", {
      title: "Unknown error",
      detail: `error ${JSON.stringify(reference)} is not defined in use.errors`,
      instance: state.path,
    });
  }
  const evaluated = await runner.template(definition, "taskDefinition", frame, state, state.input);
  throw new WorkflowFault(toRaisedError(evaluated, state.path));
}

function toRaisedError(value: unknown, path: string): WorkflowError {
  if (!isPlainObject(value))
    throw fault("validation", {
      title: "Invalid error",
      detail: "the raised error must be an object",
      instance: path,
    });
  const status =
    typeof value.status === "string" && /^\d+$/.test(value.status) ? Number(value.status) : value.status;
  if (typeof value.type !== "string" || value.type === "") {
    throw fault("validation", {
      title: "Invalid error",
      detail: "the raised error has no type",
      instance: path,
    });
  }
  if (typeof status !== "number" || !Number.isInteger(status)) {
    throw fault("validation", {
      title: "Invalid error",
      detail: "the raised error's status must be an integer",
      instance: path,
    });
  }
  const text = (field: unknown): string | undefined =>
    field === undefined || field === null
      ? undefined
      : typeof field === "string"
        ? field
        : JSON.stringify(field);
  const title = text(value.title);
  const detail = text(value.detail);
  const instance = text(value.instance) ?? path;
  return {
    type: value.type,
    status,
    ...(title === undefined ? {} : { title }),
    ...(detail === undefined ? {} : { detail }),
    instance,
  };
}
