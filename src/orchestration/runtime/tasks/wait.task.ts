import type { WaitTask } from "../../dsl/workflow.types.ts";
import type { Frame, TaskResult, TaskRunner, TaskState } from "../task.runner.ts";

/** `wait`: a durable timer; the output is the task's input. */
export async function executeWait(runner: TaskRunner, frame: Frame, state: TaskState): Promise<TaskResult> {
  const task = state.task as WaitTask;
  const milliseconds = await runner.duration(task.wait, frame, state, state.input);
  await runner.exec.sleep(state, milliseconds, frame.scope, "wait");
  return { output: state.input };
}
