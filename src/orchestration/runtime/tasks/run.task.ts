import { unsupportedFeatureMessage } from "../../dsl/unsupported-feature.finder.ts";
import type { RunTask } from "../../dsl/workflow.types.ts";
import type { Frame, TaskResult, TaskRunner, TaskState } from "../task.runner.ts";
import { fault } from "../workflow-fault.ts";

/**
 * `run: workflow` runs another workflow through the host (with `run.workflow.input` evaluated, or the
 * task's input) and outputs its output; with `await: false` it only starts it and outputs its own input.
 * Containers, shells and scripts are refused.
 */
export async function executeRun(runner: TaskRunner, frame: Frame, state: TaskState): Promise<TaskResult> {
  const task = state.task as RunTask;
  const subflow = task.run.workflow;
  if (!subflow) {
    const process = ["container", "shell", "script"].find((kind) => kind in task.run) ?? "process";
    throw fault("configuration", {
      title: "Unsupported process",
      detail: unsupportedFeatureMessage(`run: ${process}`),
      instance: state.path,
    });
  }
  const input =
    subflow.input === undefined
      ? state.input
      : await runner.template(subflow.input, "taskDefinition", frame, state, state.input);
  const wait = task.run.await !== false;
  const identity = runner.exec.nextIdentity(state);
  const output = await frame.scope.race(
    runner.exec.host.runWorkflow({
      ...identity,
      namespace: subflow.namespace,
      name: subflow.name,
      version: subflow.version ?? "latest",
      input,
      await: wait,
      signal: frame.scope.signal,
    }),
  );
  return { output: wait ? output : state.input };
}
