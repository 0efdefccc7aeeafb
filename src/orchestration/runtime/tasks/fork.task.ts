import { escapePointerSegment } from "../../dsl/json-pointer.util.ts";
import type { ForkTask, Task } from "../../dsl/workflow.types.ts";
import type { CancellationScope } from "../cancellation-scope.ts";
import { recalledValue } from "../execution.state.ts";
import type { Frame, FlowDirective, TaskResult, TaskRunner, TaskState } from "../task.runner.ts";
import { isWorkflowError, type WorkflowError } from "../../dsl/workflow-error.ts";
import { CancellationError, isWorkflowFault, WorkflowFault } from "../workflow-fault.ts";

interface Branch {
  index: number;
  name: string;
  task: Task;
  path: string;
}

type BranchResult = { output: unknown; flow: FlowDirective };

/**
 * `fork`: runs its branches concurrently, each on the task's input and on its own copy of the context
 * (a branch's `export` stays inside the branch; the fork's own `export` updates the workflow's context).
 *
 * Without `compete` the output is the array of branch outputs in declaration order; the first branch to
 * fault cancels the others and the fork faults (with the fault of the lowest-index branch that faulted).
 *
 * With `compete` the first branch to complete wins and the others are cancelled; the output is the
 * winner's. Deterministic replay: the winner is decided through a journaled `decide` effect keyed by the
 * fork's path, taken by whichever branch completes first in the original run, so the host records the
 * completion order. On replay the interpreter first asks the host to `recall` that decision and then runs
 * only the winning branch (whose effects are all recorded), never the branches that lost. A host without
 * `recall` replays all branches and the recorded decision still names the same winner. If every branch
 * faults, the fork faults with the lowest-index branch's error.
 */
export async function executeFork(runner: TaskRunner, frame: Frame, state: TaskState): Promise<TaskResult> {
  const task = state.task as ForkTask;
  const branches: Branch[] = task.fork.branches.map((item, index) => {
    const name = Object.keys(item)[0]!;
    return {
      index,
      name,
      task: item[name]!,
      path: `${state.path}/fork/branches/${index}/${escapePointerSegment(name)}`,
    };
  });
  const run = (branch: Branch, scope: CancellationScope): Promise<BranchResult> =>
    runner.runTask(
      { ...frame, scope, context: { value: frame.context.value } },
      branch.name,
      branch.task,
      branch.path,
      state.input,
    );
  return task.fork.compete === true
    ? compete(runner, frame, state, branches, run)
    : all(runner, frame, state, branches, run);
}

async function all(
  runner: TaskRunner,
  frame: Frame,
  state: TaskState,
  branches: Branch[],
  run: (branch: Branch, scope: CancellationScope) => Promise<BranchResult>,
): Promise<TaskResult> {
  const exec = runner.exec;
  const decision = { ...exec.nextIdentity(state), kind: "decide" as const, label: "fork fault" };
  const recorded = recalledValue(await exec.host.recall?.(decision));
  if (isWorkflowError(recorded)) throw new WorkflowFault(recorded);

  const scopes = branches.map(() => frame.scope.child());
  let decided: Promise<WorkflowError> | undefined;
  const settled = await Promise.allSettled(
    branches.map((branch, index) =>
      run(branch, scopes[index]!).catch(async (error: unknown) => {
        if (!isWorkflowFault(error) || decided) throw error;
        decided = exec.effectAt(decision, frame.scope, () => Promise.resolve(error.error));
        const first = await decided;
        scopes.forEach(
          (scope, other) =>
            other !== index &&
            scope.cancel(new CancellationError("sibling-faulted", "a sibling branch faulted")),
        );
        throw new WorkflowFault(first);
      }),
    ),
  );
  frame.scope.throwIfCancelled();
  if (decided) throw new WorkflowFault(await decided);
  const rejected = settled.find((result) => result.status === "rejected");
  if (rejected && rejected.status === "rejected") throw rejected.reason;
  const results = settled.map((result) => (result as PromiseFulfilledResult<BranchResult>).value);
  return {
    output: results.map((result) => result.output),
    ...(results.some((result) => result.flow === "end") ? { flow: "end" } : {}),
  };
}

async function compete(
  runner: TaskRunner,
  frame: Frame,
  state: TaskState,
  branches: Branch[],
  run: (branch: Branch, scope: CancellationScope) => Promise<BranchResult>,
): Promise<TaskResult> {
  const exec = runner.exec;
  const decision = { ...exec.nextIdentity(state), kind: "decide" as const, label: "fork winner" };
  const recorded = recalledWinner(recalledValue(await exec.host.recall?.(decision)), branches.length);
  if (recorded !== undefined) {
    const result = await run(branches[recorded]!, frame.scope.child());
    return { output: result.output, ...(result.flow === "end" ? { flow: "end" } : {}) };
  }

  const scopes = branches.map(() => frame.scope.child());
  let decided: Promise<number> | undefined;
  const decide = (index: number): Promise<number> =>
    (decided ??= exec.effectAt(decision, frame.scope, () => Promise.resolve(index)));
  const runs = branches.map((branch, index) =>
    run(branch, scopes[index]!).then((result) => {
      void decide(index).catch(() => undefined);
      return result;
    }),
  );
  for (const promise of runs) promise.catch(() => undefined);

  await new Promise<void>((resolve, reject) => {
    const failures: unknown[] = [];
    let failed = 0;
    runs.forEach((promise, index) => {
      promise.then(
        () => resolve(),
        (error: unknown) => {
          failures[index] = error;
          failed += 1;
          if (failed === runs.length) reject(firstFault(failures));
        },
      );
    });
  });
  const winner = await decided!;
  scopes.forEach(
    (scope, index) =>
      index !== winner && scope.cancel(new CancellationError("branch-lost", "another branch won the race")),
  );
  const result = await runs[winner]!;
  return { output: result.output, ...(result.flow === "end" ? { flow: "end" } : {}) };
}

/** The fault of the lowest-index branch, else the first failure (a cancellation). */
function firstFault(failures: unknown[]): Error {
  const chosen =
    failures.find((failure) => isWorkflowFault(failure)) ?? failures.find((failure) => failure !== undefined);
  return chosen instanceof Error ? chosen : new Error("every branch failed");
}

/** A recorded winner, when it names a branch. */
function recalledWinner(value: unknown, count: number): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value < count
    ? value
    : undefined;
}
