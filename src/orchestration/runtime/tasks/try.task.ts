import { durationToMilliseconds } from "../../dsl/duration.parser.ts";
import type { RetryPolicy, TryTask } from "../../dsl/workflow.types.ts";
import { matchesErrorFilter, planRetry } from "../retry.policy.ts";
import type { Frame, TaskResult, TaskRunner, TaskState } from "../task.runner.ts";
import { fault, isCancellation, isWorkflowFault } from "../workflow-fault.ts";

/**
 * `try`: runs the `try` tasks; an error that passes `catch.errors.with`, `catch.when` and
 * `catch.exceptWhen` is caught (bound to `$<as>`, default `$error`).
 *
 * A caught error is retried while the retry policy allows (its `when`/`exceptWhen` see the error too).
 * Each retry rewinds the effect counters of the `try` tasks, so their effects keep their keys and only
 * `attempt` grows. When the policy's limits are exhausted the error is handled by `catch.do`, or faults
 * the task when there is no `catch.do`. An error the policy does not retry is handled by `catch.do`, or
 * swallowed: the task then outputs its input.
 */
export async function executeTry(runner: TaskRunner, frame: Frame, state: TaskState): Promise<TaskResult> {
  const task = state.task as TryTask;
  const handler = task.catch;
  const exec = runner.exec;
  const errorVariable = handler.as ?? "error";
  const policy = resolveRetry(runner, handler.retry, state.path);
  const tryPath = `${state.path}/try`;
  const attemptTimeout =
    policy?.limit?.attempt?.duration === undefined
      ? undefined
      : durationToMilliseconds(policy.limit.attempt.duration);
  const firstStartedAt =
    policy?.limit?.duration === undefined ? undefined : await exec.now(state, frame.scope);
  let retries = 0;

  for (;;) {
    try {
      const attempt = (scope: typeof frame.scope) =>
        runner.runList({ ...frame, scope }, task.try, tryPath, state.input);
      const result =
        attemptTimeout === undefined
          ? await attempt(frame.scope)
          : await runner.withTimeout(
              state,
              attemptTimeout,
              frame.scope,
              attempt,
              `an attempt of task '${state.name}'`,
            );
      return { output: result.output, ...(result.flow === "end" ? { flow: "end" } : {}) };
    } catch (thrown) {
      if (frame.scope.cancelled || isCancellation(thrown) || !isWorkflowFault(thrown)) throw thrown;
      const error = thrown.error;
      const bound = { [errorVariable]: error };
      if (!matchesErrorFilter(handler.errors?.with, error)) throw thrown;
      if (
        handler.when !== undefined &&
        !(await runner.condition(handler.when, "taskDefinition", frame, state, state.input, bound))
      )
        throw thrown;
      if (
        handler.exceptWhen !== undefined &&
        (await runner.condition(handler.exceptWhen, "taskDefinition", frame, state, state.input, bound))
      )
        throw thrown;

      if (policy && (await policyApplies(runner, policy, frame, state, bound))) {
        const elapsed =
          firstStartedAt === undefined ? 0 : (await exec.now(state, frame.scope)) - firstStartedAt;
        const fraction = policy.jitter ? await exec.random(state, frame.scope) : 0;
        const plan = planRetry(policy, retries + 1, elapsed, fraction);
        if (plan.retry) {
          if (plan.delayMs > 0) await exec.sleep(state, plan.delayMs, frame.scope, "retry");
          retries += 1;
          exec.rewindActivations(state.activation, tryPath);
          continue;
        }
        if (!handler.do) throw thrown;
      }
      if (handler.do) {
        const recovery: Frame = { ...frame, variables: { ...frame.variables, ...bound } };
        const result = await runner.runList(recovery, handler.do, `${state.path}/catch/do`, state.input);
        return { output: result.output, ...(result.flow === "end" ? { flow: "end" } : {}) };
      }
      return { output: state.input };
    }
  }
}

function resolveRetry(
  runner: TaskRunner,
  retry: RetryPolicy | string | undefined,
  path: string,
): RetryPolicy | undefined {
  if (retry === undefined) return undefined;
  if (typeof retry !== "string") return retry;
  const policy = runner.exec.workflow.use?.retries?.[retry];
  if (!policy)
    throw fault("configuration", {
      title: "Unknown retry policy",
      detail: `retry policy '${retry}' is not defined in use.retries`,
      instance: path,
    });
  return policy;
}

async function policyApplies(
  runner: TaskRunner,
  policy: RetryPolicy,
  frame: Frame,
  state: TaskState,
  bound: Record<string, unknown>,
): Promise<boolean> {
  if (
    policy.when !== undefined &&
    !(await runner.condition(policy.when, "taskDefinition", frame, state, state.input, bound))
  )
    return false;
  if (
    policy.exceptWhen !== undefined &&
    (await runner.condition(policy.exceptWhen, "taskDefinition", frame, state, state.input, bound))
  )
    return false;
  return true;
}
