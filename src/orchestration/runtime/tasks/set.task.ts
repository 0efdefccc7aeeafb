import type { SetTask } from "../../dsl/workflow.types.ts";
import type { Frame, TaskResult, TaskRunner, TaskState } from "../task.runner.ts";

/** `set`: the task's output is its evaluated `set` value (it replaces, it does not merge). */
export async function executeSet(runner: TaskRunner, frame: Frame, state: TaskState): Promise<TaskResult> {
  const task = state.task as SetTask;
  return { output: await runner.template(task.set, "taskDefinition", frame, state, state.input) };
}
