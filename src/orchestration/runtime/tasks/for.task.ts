import type { ForTask } from "../../dsl/workflow.types.ts";
import type { Frame, TaskResult, TaskRunner, TaskState } from "../task.runner.ts";
import { fault } from "../workflow-fault.ts";

/**
 * `for`: runs `do` once per item of `for.in`, with the item and its index bound to `$<each>` (default
 * `$item`) and `$<at>` (default `$index`). Each iteration receives the previous iteration's output (the
 * first, the task's input); `while` is checked before each iteration against that data. The output is
 * the last iteration's output.
 */
export async function executeFor(runner: TaskRunner, frame: Frame, state: TaskState): Promise<TaskResult> {
  const task = state.task as ForTask;
  const each = task.for.each ?? "item";
  const at = task.for.at ?? "index";
  const collection = await runner.expression(task.for.in, "taskDefinition", frame, state, state.input);
  if (collection !== null && !Array.isArray(collection)) {
    throw fault("validation", {
      title: "Invalid collection",
      detail: `for.in must evaluate to an array, not ${typeof collection}`,
      instance: state.path,
    });
  }
  let data = state.input;
  const items: unknown[] = collection ?? [];
  for (const [index, item] of items.entries()) {
    const iteration: Frame = { ...frame, variables: { ...frame.variables, [each]: item, [at]: index } };
    if (
      task.while !== undefined &&
      !(await runner.condition(task.while, "taskDefinition", iteration, state, data))
    )
      break;
    const result = await runner.runList(iteration, task.do, `${state.path}/do`, data);
    data = result.output;
    if (result.flow === "end") return { output: data, flow: "end" };
  }
  return { output: data };
}
