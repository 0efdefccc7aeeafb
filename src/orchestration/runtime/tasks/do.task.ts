import type { DoTask } from "../../dsl/workflow.types.ts";
import type { Frame, TaskResult, TaskRunner, TaskState } from "../task.runner.ts";

/** `do`: runs its tasks in sequence; `exit` inside ends only this list, `end` ends the workflow. */
export async function executeDo(runner: TaskRunner, frame: Frame, state: TaskState): Promise<TaskResult> {
  const task = state.task as DoTask;
  const result = await runner.runList(frame, task.do, `${state.path}/do`, state.input);
  return { output: result.output, ...(result.flow === "end" ? { flow: "end" } : {}) };
}
