import { evaluateJqBatch, mentionsNow } from "../../dsl/jq.evaluator.ts";
import { expressionOf } from "../../dsl/runtime-expression.ts";
import type { SwitchTask } from "../../dsl/workflow.types.ts";
import type { Frame, TaskResult, TaskRunner, TaskState } from "../task.runner.ts";

/**
 * `switch`: the first case whose `when` holds decides the next directive; the case without `when`
 * applies when none holds; with no match at all the task's own `then` applies. The output is the input.
 * All conditions are evaluated in one jq call, but a failing condition counts only if no earlier
 * case matched, as if they had been evaluated one by one.
 */
export async function executeSwitch(runner: TaskRunner, frame: Frame, state: TaskState): Promise<TaskResult> {
  const task = state.task as SwitchTask;
  const cases = task.switch.flatMap((item) =>
    Object.entries(item).map(([name, definition]) => ({ name, ...definition })),
  );
  const conditional = cases.filter((entry) => entry.when !== undefined);
  const expressions = conditional.map((entry) => expressionOf(entry.when!));
  if (expressions.length > 0) {
    const needsTime = expressions.some(mentionsNow);
    const now = needsTime ? (await runner.exec.now(state, frame.scope)) / 1000 : undefined;
    const results = evaluateJqBatch(
      expressions,
      state.input,
      runner.variables("taskDefinition", frame, state),
      now === undefined ? {} : { now },
    );
    for (const [index, result] of results.entries()) {
      if (!result.ok) throw result.error;
      const value = result.outputs[0];
      if (result.outputs.length > 0 && value !== false && value !== null)
        return { output: state.input, flow: conditional[index]!.then };
    }
  }
  const fallback = cases.find((entry) => entry.when === undefined);
  return fallback ? { output: state.input, flow: fallback.then } : { output: state.input };
}
