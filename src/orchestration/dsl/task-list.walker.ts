import { escapePointerSegment, isPlainObject, joinPointer } from "./json-pointer.util.ts";
import { taskKind, type TaskKind } from "./workflow.types.ts";

/**
 * Walks every task list and task of a (possibly malformed) workflow document, with JSON pointers and the
 * custom expression variables in scope (`$item`/`$index` of enclosing `for` tasks, the error variable of
 * a `catch`, ...). Shapes that do not fit are skipped silently: the schema reports them.
 */

export interface TaskListVisit {
  list: unknown[];
  pointer: string;
  /** `sequence` lists run in order with flow directives; `branches` run concurrently. */
  mode: "sequence" | "branches";
  variables: readonly string[];
}

export interface TaskVisit {
  name: string;
  task: Record<string, unknown>;
  kind: TaskKind | undefined;
  pointer: string;
  /** Custom variables visible to the task's own expressions. */
  variables: readonly string[];
}

export interface WorkflowVisitor {
  list?(visit: TaskListVisit): void;
  task?(visit: TaskVisit): void;
}

const MAX_NESTING = 64;

/** Variables a for task adds to its body. */
export function forVariables(task: Record<string, unknown>): string[] {
  const loop = isPlainObject(task.for) ? task.for : {};
  return [
    typeof loop.each === "string" ? loop.each : "item",
    typeof loop.at === "string" ? loop.at : "index",
  ];
}

/** The variable a catch binds the error to. */
export function catchVariable(task: Record<string, unknown>): string {
  const handler = isPlainObject(task.catch) ? task.catch : {};
  return typeof handler.as === "string" ? handler.as : "error";
}

/** Variables a listen task's `foreach` adds to its body. */
export function foreachVariables(task: Record<string, unknown>): string[] {
  return iteratorVariables(task.foreach);
}

/** Variables a subscription iterator (`foreach` of listen or of an AsyncAPI subscription) adds to its body. */
export function iteratorVariables(iterator: unknown): string[] {
  const definition = isPlainObject(iterator) ? iterator : {};
  return [
    typeof definition.item === "string" ? definition.item : "item",
    typeof definition.at === "string" ? definition.at : "index",
  ];
}

/** The iterator of an AsyncAPI subscription (`with.subscription.foreach`), if any. */
export function subscriptionIterator(task: Record<string, unknown>): Record<string, unknown> | undefined {
  if (task.call !== "asyncapi" || !isPlainObject(task.with) || !isPlainObject(task.with.subscription))
    return undefined;
  const iterator = task.with.subscription.foreach;
  return isPlainObject(iterator) ? iterator : undefined;
}

export function walkWorkflow(workflow: unknown, visitor: WorkflowVisitor): void {
  if (!isPlainObject(workflow)) return;
  walkList(workflow.do, "/do", "sequence", [], visitor, 0);
  const use = isPlainObject(workflow.use) ? workflow.use : {};
  if (isPlainObject(use.functions)) {
    for (const [name, task] of Object.entries(use.functions)) {
      walkTask(name, task, joinPointer("/use/functions", name), [], visitor, 0);
    }
  }
  if (Array.isArray(use.extensions)) {
    use.extensions.forEach((item, index) => {
      if (!isPlainObject(item)) return;
      for (const [name, extension] of Object.entries(item)) {
        if (!isPlainObject(extension)) continue;
        const base = joinPointer("/use/extensions", index, name);
        walkList(extension.before, `${base}/before`, "sequence", [], visitor, 0);
        walkList(extension.after, `${base}/after`, "sequence", [], visitor, 0);
      }
    });
  }
}

function walkList(
  list: unknown,
  pointer: string,
  mode: TaskListVisit["mode"],
  variables: readonly string[],
  visitor: WorkflowVisitor,
  depth: number,
): void {
  if (!Array.isArray(list) || depth > MAX_NESTING) return;
  visitor.list?.({ list, pointer, mode, variables });
  list.forEach((item, index) => {
    if (!isPlainObject(item)) return;
    for (const [name, task] of Object.entries(item)) {
      walkTask(name, task, `${pointer}/${index}/${escapePointerSegment(name)}`, variables, visitor, depth);
    }
  });
}

function walkTask(
  name: string,
  task: unknown,
  pointer: string,
  variables: readonly string[],
  visitor: WorkflowVisitor,
  depth: number,
): void {
  if (!isPlainObject(task)) return;
  const kind = taskKind(task);
  visitor.task?.({ name, task, kind, pointer, variables });
  const next = depth + 1;
  switch (kind) {
    case "do":
      walkList(task.do, `${pointer}/do`, "sequence", variables, visitor, next);
      break;
    case "for":
      walkList(task.do, `${pointer}/do`, "sequence", [...variables, ...forVariables(task)], visitor, next);
      break;
    case "try": {
      walkList(task.try, `${pointer}/try`, "sequence", variables, visitor, next);
      const handler = isPlainObject(task.catch) ? task.catch : {};
      walkList(
        handler.do,
        `${pointer}/catch/do`,
        "sequence",
        [...variables, catchVariable(task)],
        visitor,
        next,
      );
      break;
    }
    case "fork": {
      const fork = isPlainObject(task.fork) ? task.fork : {};
      walkList(fork.branches, `${pointer}/fork/branches`, "branches", variables, visitor, next);
      break;
    }
    case "listen": {
      const iterator = isPlainObject(task.foreach) ? task.foreach : {};
      walkList(
        iterator.do,
        `${pointer}/foreach/do`,
        "sequence",
        [...variables, ...foreachVariables(task)],
        visitor,
        next,
      );
      break;
    }
    case "call": {
      const iterator = subscriptionIterator(task);
      if (iterator)
        walkList(
          iterator.do,
          `${pointer}/with/subscription/foreach/do`,
          "sequence",
          [...variables, ...iteratorVariables(iterator)],
          visitor,
          next,
        );
      break;
    }
    case "emit":
    case "raise":
    case "run":
    case "set":
    case "switch":
    case "wait":
    case undefined:
      break;
  }
}
