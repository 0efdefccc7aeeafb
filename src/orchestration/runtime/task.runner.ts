import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import ajvFormats from "ajv-formats";
import { durationToMilliseconds, formatDuration } from "../dsl/duration.parser.ts";
import { argumentsFor, type ExpressionSiteKind } from "../dsl/expression-arguments.ts";
import { mentionsNow, type JqVariables } from "../dsl/jq.evaluator.ts";
import { escapePointerSegment, isPlainObject } from "../dsl/json-pointer.util.ts";
import {
  collectTemplateExpressions,
  evaluateCondition,
  evaluateExpression,
  evaluateTemplate,
  expressionOf,
} from "../dsl/runtime-expression.ts";
import {
  taskKind,
  type SchemaDefinition,
  type Task,
  type TaskKind,
  type TaskList,
} from "../dsl/workflow.types.ts";
import { CancellationScope } from "./cancellation-scope.ts";
import type { EffectIdentity } from "./runtime-host.port.ts";
import {
  dateTimeDescriptor,
  recalledValue,
  type Activation,
  type EffectSite,
  type Execution,
} from "./execution.state.ts";
import { executeCall } from "./tasks/call.task.ts";
import { executeDo } from "./tasks/do.task.ts";
import { executeEmit } from "./tasks/emit.task.ts";
import { executeFor } from "./tasks/for.task.ts";
import { executeFork } from "./tasks/fork.task.ts";
import { executeListen } from "./tasks/listen.task.ts";
import { executeRaise } from "./tasks/raise.task.ts";
import { executeRun } from "./tasks/run.task.ts";
import { executeSet } from "./tasks/set.task.ts";
import { executeSwitch } from "./tasks/switch.task.ts";
import { executeTry } from "./tasks/try.task.ts";
import { executeWait } from "./tasks/wait.task.ts";
import {
  CancellationError,
  fault,
  isCancellation,
  toWorkflowError,
  WorkflowFault,
} from "./workflow-fault.ts";

/** `continue`, `exit`, `end`, or the name of a task of the same list. */
export type FlowDirective = string;

/** The scope a task list runs in. */
export interface Frame {
  scope: CancellationScope;
  /** Custom expression variables in scope (`$item`, `$index`, `$error`, ...). */
  variables: Readonly<Record<string, unknown>>;
  /** The workflow context (`$context`), shared by the tasks of a sequence. */
  context: { value: unknown };
  /** Functions of `use.functions` being run, innermost last (to refuse recursion). */
  functions?: readonly string[];
  /** The activation of the task running this list (the root activation for the workflow's `do`). */
  activation: Activation;
}

export interface TaskState extends EffectSite {
  name: string;
  path: string;
  activation: Activation;
  task: Task & Record<string, unknown>;
  kind: TaskKind;
  rawInput: unknown;
  input: unknown;
  rawOutput?: unknown;
  output?: unknown;
  startedAt?: number;
  /** `$authorization`, once a call resolved its authentication. */
  authorization: { scheme: string; parameter: string } | null;
}

export interface TaskResult {
  /** The task's raw output. */
  output: unknown;
  /** Overrides the task's `then` (a switch case's target, or `end` from a nested list). */
  flow?: FlowDirective;
}

export interface ListResult {
  output: unknown;
  flow: "continue" | "exit" | "end";
}

type TaskExecutor = (runner: TaskRunner, frame: Frame, state: TaskState) => Promise<TaskResult>;

const EXECUTORS: Record<TaskKind, TaskExecutor> = {
  call: executeCall,
  do: executeDo,
  emit: executeEmit,
  for: executeFor,
  fork: executeFork,
  listen: executeListen,
  raise: executeRaise,
  run: executeRun,
  set: executeSet,
  switch: executeSwitch,
  try: executeTry,
  wait: executeWait,
};

/** Pure task sequences yield to the event loop this often, so that timers and cancellation are seen. */
const YIELD_EVERY = 64;

/** Runs tasks and task lists: data flow, `if`, timeouts, flow directives and history. */
export class TaskRunner {
  private readonly schemaAjv = new Ajv2020({ strict: false, allErrors: true });
  private readonly schemaCache = new WeakMap<object, ValidateFunction>();
  private tasksSinceYield = 0;

  constructor(readonly exec: Execution) {
    ajvFormats.default(this.schemaAjv);
  }

  async runList(frame: Frame, list: TaskList, listPath: string, input: unknown): Promise<ListResult> {
    const names = list.map((item) => Object.keys(item)[0] ?? "");
    let data = input;
    let index = 0;
    while (index < list.length) {
      frame.scope.throwIfCancelled();
      const name = names[index]!;
      const task = list[index]![name]!;
      const result = await this.runTask(
        frame,
        name,
        task,
        `${listPath}/${index}/${escapePointerSegment(name)}`,
        data,
      );
      data = result.output;
      if (result.flow === "continue") {
        index += 1;
      } else if (result.flow === "exit" || result.flow === "end") {
        return { output: data, flow: result.flow };
      } else {
        const target = names.indexOf(result.flow);
        if (target === -1) {
          throw fault("configuration", {
            title: "Unknown flow target",
            detail: `no task named '${result.flow}' in ${listPath}`,
            instance: listPath,
          });
        }
        index = target;
      }
    }
    return { output: data, flow: "continue" };
  }

  /** Runs one task through the whole data flow; returns its transformed output and the next directive. */
  async runTask(
    frame: Frame,
    name: string,
    task: Task,
    path: string,
    rawInput: unknown,
    options: { silent?: boolean; activation?: Activation } = {},
  ): Promise<{ output: unknown; flow: FlowDirective }> {
    await this.checkpoint(frame);
    const definition = task as Task & Record<string, unknown>;
    const kind = taskKind(definition);
    if (!kind)
      throw fault("configuration", {
        title: "Unknown task type",
        detail: `task '${name}' has no known type`,
        instance: path,
      });
    const state: TaskState = {
      name,
      path,
      task: definition,
      kind,
      rawInput,
      input: rawInput,
      authorization: null,
      activation: options.activation ?? this.exec.activate(frame.activation, path),
    };

    try {
      if (definition.if !== undefined) {
        const run = await this.condition(definition.if, "taskIf", frame, state, rawInput);
        if (!run) {
          if (!options.silent) this.exec.taskEvent(path, name, "skipped", { input: rawInput });
          return { output: rawInput, flow: "continue" };
        }
      }
    } catch (error) {
      if (frame.scope.cancelled || isCancellation(error)) throw error;
      throw new WorkflowFault(toWorkflowError(error, path));
    }

    if (!options.silent) this.exec.taskEvent(path, name, "started", { input: rawInput });
    try {
      if (this.exec.mentionsTask) state.startedAt = await this.exec.now(state, frame.scope);
      const timeoutMs = await this.timeoutOf(definition.timeout, frame, state);
      const body = async (scope: CancellationScope): Promise<{ output: unknown; flow: FlowDirective }> => {
        const inner: Frame = { ...frame, scope, activation: state.activation };
        this.validateSchema(definition.input?.schema, rawInput, path, "task input");
        if (definition.input?.from !== undefined) {
          state.input = await this.transform(definition.input.from, "taskInputFrom", inner, state, rawInput);
        }
        const result = await EXECUTORS[kind](this, inner, state);
        state.rawOutput = result.output;
        let output = result.output;
        if (definition.output?.as !== undefined)
          output = await this.transform(definition.output.as, "taskOutputAs", inner, state, result.output);
        this.validateSchema(definition.output?.schema, output, path, "task output");
        state.output = output;
        if (definition.export?.as !== undefined) {
          const context = await this.transform(definition.export.as, "taskExportAs", inner, state, output);
          this.validateSchema(definition.export.schema, context, path, "workflow context");
          inner.context.value = context;
        }
        return { output, flow: result.flow ?? definition.then ?? "continue" };
      };
      const outcome =
        timeoutMs === undefined
          ? await body(frame.scope)
          : await this.withTimeout(state, timeoutMs, frame.scope, body, `task '${name}'`);
      if (!options.silent) this.exec.taskEvent(path, name, "completed", { output: outcome.output });
      return outcome;
    } catch (error) {
      if (frame.scope.cancelled || isCancellation(error)) throw error;
      const workflowError = toWorkflowError(error, path);
      if (!options.silent) this.exec.taskEvent(path, name, "faulted", { error: workflowError });
      throw isCancellation(error) ? error : new WorkflowFault(workflowError);
    }
  }

  /**
   * Runs `body` in a child scope, racing it against a durable timer. When the timer wins, the body is
   * cancelled with the spec's timeout error, which is also what this call throws.
   *
   * The outcome of the race is journaled (a `decide` effect, `completed` or `timed-out`) by whichever
   * side finishes first. A replay asks the host to `recall` it: a recorded timeout faults at once without
   * running the body again, a recorded completion runs the body without a timer. Otherwise a replay,
   * reading recorded results at its own pace, could see a deadline that has long passed beat a body
   * that finished in time.
   */
  async withTimeout<T>(
    site: EffectSite,
    timeoutMs: number,
    parent: CancellationScope,
    body: (scope: CancellationScope) => Promise<T>,
    what: string,
  ): Promise<T> {
    const exec = this.exec;
    const timerIdentity = exec.nextIdentity(site);
    const decision = { ...exec.nextIdentity(site), kind: "decide" as const, label: "timeout race" };
    const timeout = fault("timeout", {
      title: "Timeout",
      detail: `${what} did not complete within ${formatDuration(timeoutMs)}`,
      instance: site.path,
    });
    const recorded = recalledValue(await exec.host.recall?.(decision));
    if (recorded === "timed-out") throw timeout;
    if (recorded === "completed") return body(parent.child());

    const timerScope = parent.child();
    const bodyScope = parent.child();
    let decided: Promise<unknown> | undefined;
    const decide = (outcome: "completed" | "timed-out"): Promise<unknown> =>
      (decided ??= exec.effectAt(decision, parent, () => Promise.resolve(outcome)));
    const timer = scopeSleep(exec, timerIdentity, timeoutMs, timerScope).then(async () => {
      if ((await decide("timed-out")) !== "timed-out") return new Promise<never>(() => undefined);
      bodyScope.cancel(timeout);
      throw timeout;
    });
    const work = body(bodyScope).then(async (result) => {
      if ((await decide("completed")) === "timed-out") throw timeout;
      return result;
    });
    try {
      return await Promise.race([work, timer]);
    } finally {
      timerScope.cancel(new CancellationError("no-longer-needed"));
      timer.catch(() => undefined);
      work.catch(() => undefined);
    }
  }

  /** Milliseconds of a task's `timeout` (inline or from `use.timeouts`), or undefined. */
  async timeoutOf(timeout: unknown, frame: Frame, state: TaskState): Promise<number | undefined> {
    if (timeout === undefined) return undefined;
    const definition = typeof timeout === "string" ? this.exec.workflow.use?.timeouts?.[timeout] : timeout;
    if (!isPlainObject(definition)) {
      throw fault("configuration", {
        title: "Unknown timeout",
        detail: `timeout ${JSON.stringify(timeout)} is not defined in use.timeouts`,
        instance: state.path,
      });
    }
    return this.duration(definition.after, frame, state, state.rawInput);
  }

  /** Milliseconds of a duration, evaluating it first when it is a runtime expression. */
  async duration(value: unknown, frame: Frame, state: TaskState, input: unknown): Promise<number> {
    const evaluated =
      typeof value === "string" && value.includes("${")
        ? await this.template(value, "taskDefinition", frame, state, input)
        : value;
    return durationToMilliseconds(evaluated);
  }

  /** Expression variables for a site: the site's arguments plus the frame's custom variables. */
  variables(
    site: ExpressionSiteKind,
    frame: Frame,
    state: TaskState | undefined,
    extra: Record<string, unknown> = {},
  ): JqVariables {
    const available: Record<string, () => unknown> = {
      context: () => frame.context.value ?? null,
      input: () => state?.input ?? null,
      output: () => state?.output ?? null,
      secrets: () => this.exec.secrets,
      task: () => (state ? this.taskDescriptor(state) : null),
      workflow: () => this.exec.workflowDescriptor(),
      runtime: () => this.exec.runtime,
      authorization: () => state?.authorization ?? null,
    };
    const variables: Record<string, unknown> = { ...frame.variables };
    for (const name of argumentsFor(site)) {
      const read = available[name];
      if (read) variables[name] = read();
    }
    return { ...variables, ...extra };
  }

  private taskDescriptor(state: TaskState): Record<string, unknown> {
    return {
      name: state.name,
      reference: state.path,
      definition: state.task,
      input: state.rawInput ?? null,
      ...("rawOutput" in state ? { output: state.rawOutput ?? null } : {}),
      ...(state.startedAt === undefined ? {} : { startedAt: dateTimeDescriptor(state.startedAt) }),
    };
  }

  /** `input.from`, `output.as`, `export.as`: an expression when a string, a template when an object. */
  async transform(
    value: unknown,
    site: ExpressionSiteKind,
    frame: Frame,
    state: TaskState | undefined,
    input: unknown,
  ): Promise<unknown> {
    if (typeof value === "string") return this.expression(value, site, frame, state, input);
    return this.template(value, site, frame, state, input);
  }

  async template(
    value: unknown,
    site: ExpressionSiteKind,
    frame: Frame,
    state: TaskState | undefined,
    input: unknown,
    extra?: Record<string, unknown>,
  ): Promise<unknown> {
    const expressions = collectTemplateExpressions(value).map((found) => found.expression);
    // Definitions are frozen: data built from them must not be.
    if (expressions.length === 0)
      return typeof value === "object" && value !== null ? structuredClone(value) : value;
    const options = await this.timeOptions(expressions, frame, state);
    return evaluateTemplate(value, input, this.variables(site, frame, state, extra), options);
  }

  async expression(
    text: string,
    site: ExpressionSiteKind,
    frame: Frame,
    state: TaskState | undefined,
    input: unknown,
    extra?: Record<string, unknown>,
  ): Promise<unknown> {
    const options = await this.timeOptions([expressionOf(text)], frame, state);
    return evaluateExpression(text, input, this.variables(site, frame, state, extra), options);
  }

  async condition(
    text: string,
    site: ExpressionSiteKind,
    frame: Frame,
    state: TaskState | undefined,
    input: unknown,
    extra?: Record<string, unknown>,
  ): Promise<boolean> {
    const options = await this.timeOptions([expressionOf(text)], frame, state);
    return evaluateCondition(text, input, this.variables(site, frame, state, extra), options);
  }

  /** jq's `now` is served from the host's clock, through a journaled effect, when an expression uses it. */
  private async timeOptions(
    expressions: string[],
    frame: Frame,
    state: TaskState | undefined,
  ): Promise<{ now?: number }> {
    if (!expressions.some(mentionsNow)) return {};
    const now = await this.exec.now(state ?? this.exec.rootSite, frame.scope);
    return { now: now / 1000 };
  }

  /** Validates data against an inline JSON Schema of `input`, `output` or `export`; faults with `validation`. */
  validateSchema(schema: SchemaDefinition | undefined, value: unknown, instance: string, what: string): void {
    if (!schema || !isPlainObject(schema.document)) return;
    let validate = this.schemaCache.get(schema.document);
    if (!validate) {
      const document: Record<string, unknown> = { ...schema.document };
      delete document.$schema;
      try {
        validate = this.schemaAjv.compile(document);
      } catch (error) {
        throw fault("configuration", {
          title: "Invalid schema",
          detail: `the ${what} schema does not compile: ${error instanceof Error ? error.message : String(error)}`,
          instance,
        });
      }
      this.schemaCache.set(schema.document, validate);
    }
    if (validate(value) === true) return;
    const problems = (validate.errors ?? []).map(
      (error) => `${error.instancePath || "/"} ${error.message ?? "is invalid"}`,
    );
    throw fault("validation", {
      title: `Invalid ${what}`,
      detail: [...new Set(problems)].join("; "),
      instance,
    });
  }

  /** Checks cancellation, and yields to the event loop now and then. */
  private async checkpoint(frame: Frame): Promise<void> {
    if (this.exec.host.isCancelled?.() === true) {
      frame.scope.cancel(new CancellationError("workflow-cancelled", "the workflow was cancelled"));
    }
    frame.scope.throwIfCancelled();
    this.tasksSinceYield += 1;
    if (this.tasksSinceYield >= YIELD_EVERY) {
      this.tasksSinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
      frame.scope.throwIfCancelled();
    }
  }
}

/** A host sleep for an identity reserved earlier. */
async function scopeSleep(
  exec: Execution,
  identity: EffectIdentity,
  durationMs: number,
  scope: CancellationScope,
): Promise<void> {
  scope.throwIfCancelled();
  await scope.race(exec.host.sleep({ ...identity, durationMs, reason: "timeout", signal: scope.signal }));
}
