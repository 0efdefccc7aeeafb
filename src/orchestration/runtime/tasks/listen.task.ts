import { mentionsNow, type JqEvaluationOptions, type JqVariables } from "../../dsl/jq.evaluator.ts";
import { isPlainObject } from "../../dsl/json-pointer.util.ts";
import {
  evaluateCondition,
  evaluateExpression,
  evaluateTemplate,
  expressionOf,
} from "../../dsl/runtime-expression.ts";
import type { EventConsumptionStrategy, EventFilter, ListenTask } from "../../dsl/workflow.types.ts";
import { matchesEventProperties } from "../event-filter.ts";
import type { CloudEvent } from "../runtime-host.port.ts";
import type { Frame, TaskResult, TaskRunner, TaskState } from "../task.runner.ts";

/**
 * `listen`: consumes events one at a time through the host until the consumption strategy is satisfied.
 *
 * - `one`: one event matching the filter. `all`: one event per filter, in any order. `any`: events
 *   matching any filter (an empty list matches every event); without `until` the first one ends the
 *   listen, with an `until` expression the listen ends once it is true of the events consumed so far (the
 *   array of them, as read), with an `until` strategy it ends when that strategy is satisfied (events
 *   consumed by `until` are not part of the output).
 * - `correlate`: the value `from` extracts from an event (evaluated on the event) must equal `expect`
 *   (evaluated on the task's input) or, without `expect`, the first value extracted for that key.
 * - `read`: `data` (default) outputs the events' data, `envelope` the whole events, `raw` the data as is.
 * - `foreach` processes each event as it arrives (item and index bound to `$<item>`/`$<at>`), applying
 *   its `output.as` and `export.as`; the listen then outputs the processed items.
 */
export async function executeListen(runner: TaskRunner, frame: Frame, state: TaskState): Promise<TaskResult> {
  const task = state.task as ListenTask;
  const exec = runner.exec;
  const read = task.listen.read ?? "data";
  const variables = runner.variables("taskDefinition", frame, state);
  // jq's `now` inside filters and conditions reads the listen's start time, through the host.
  const options = mentionsNow(JSON.stringify(task.listen.to))
    ? { now: (await exec.now(state, frame.scope)) / 1000 }
    : {};
  const test = (expression: string, value: unknown): boolean =>
    evaluateCondition(expression, value, variables, options);
  const correlation = new Map<string, unknown>();
  const consumption = new Consumption(
    task.listen.to,
    { test, variables, options, input: state.input, correlation },
    0,
  );
  const filters = consumption.filters();
  const iterator = task.foreach;
  const itemName = iterator?.item ?? "item";
  const indexName = iterator?.at ?? "index";
  const consumed: unknown[] = [];
  const outputs: unknown[] = [];

  while (!consumption.done(consumed)) {
    const identity = exec.nextIdentity(state);
    const event = await frame.scope.race(
      exec.host.receiveEvent({
        ...identity,
        filters,
        accepts: (candidate) => consumption.classify(candidate) !== undefined,
        signal: frame.scope.signal,
      }),
    );
    const role = consumption.classify(event);
    if (role === undefined) continue;
    consumption.accept(event, role);
    if (role.kind !== "main") continue;
    const item: unknown = read === "envelope" ? event : (event.data ?? null);
    consumed.push(item);
    if (!iterator) {
      outputs.push(item);
      continue;
    }
    const iteration: Frame = {
      ...frame,
      variables: { ...frame.variables, [itemName]: item, [indexName]: consumed.length - 1 },
    };
    let output: unknown = item;
    if (iterator.do)
      output = (await runner.runList(iteration, iterator.do, `${state.path}/foreach/do`, item)).output;
    if (iterator.output?.as !== undefined)
      output = await runner.transform(iterator.output.as, "taskOutputAs", iteration, state, output);
    if (iterator.export?.as !== undefined) {
      iteration.context.value = await runner.transform(
        iterator.export.as,
        "taskExportAs",
        iteration,
        { ...state, output },
        output,
      );
    }
    outputs.push(output);
  }
  return { output: outputs };
}

type Role = { kind: "main"; filter: number } | { kind: "until"; role: Role };

interface MatchContext {
  test: (expression: string, value: unknown) => boolean;
  variables: JqVariables;
  options: JqEvaluationOptions;
  input: unknown;
  /** First values extracted per correlation key, shared by the whole listen. */
  correlation: Map<string, unknown>;
}

/** The progress of one consumption strategy. */
class Consumption {
  private readonly mode: "one" | "all" | "any";
  private readonly list: EventFilter[];
  private readonly satisfied = new Set<number>();
  private readonly until: Consumption | string | undefined;
  private accepted = 0;

  constructor(
    strategy: EventConsumptionStrategy,
    private readonly context: MatchContext,
    depth: number,
  ) {
    if (strategy.one) {
      this.mode = "one";
      this.list = [strategy.one];
    } else if (strategy.all) {
      this.mode = "all";
      this.list = strategy.all;
    } else {
      this.mode = "any";
      this.list = strategy.any ?? [];
    }
    const until = this.mode === "any" ? strategy.until : undefined;
    if (until === undefined || typeof until === "string") this.until = until;
    else this.until = depth > 8 ? undefined : new Consumption(until, context, depth + 1);
  }

  /** Every filter involved, for hosts that subscribe by type. */
  filters(): EventFilter[] {
    return [...this.list, ...(this.until instanceof Consumption ? this.until.filters() : [])];
  }

  classify(event: CloudEvent): Role | undefined {
    if (this.until instanceof Consumption) {
      const role = this.until.classify(event);
      if (role) return { kind: "until", role };
    }
    if (this.mode === "any" && this.list.length === 0) return { kind: "main", filter: -1 };
    for (const [index, filter] of this.list.entries()) {
      if (this.mode === "all" && this.satisfied.has(index)) continue;
      if (this.matches(event, filter)) return { kind: "main", filter: index };
    }
    return undefined;
  }

  accept(event: CloudEvent, role: Role): void {
    if (role.kind === "until") {
      if (this.until instanceof Consumption) this.until.accept(event, role.role);
      return;
    }
    this.accepted += 1;
    if (role.filter >= 0) {
      this.satisfied.add(role.filter);
      this.remember(event, this.list[role.filter]!);
    }
  }

  done(consumed: unknown[]): boolean {
    switch (this.mode) {
      case "one":
        return this.accepted >= 1;
      case "all":
        return this.satisfied.size >= this.list.length;
      case "any":
        if (this.until === undefined) return this.accepted >= 1;
        if (typeof this.until === "string")
          return this.accepted > 0 && this.context.test(expressionOf(this.until), [...consumed]);
        return this.until.done([]);
    }
  }

  private matches(event: CloudEvent, filter: EventFilter): boolean {
    if (isPlainObject(filter.with) && !matchesEventProperties(event, filter.with, this.context.test))
      return false;
    if (!isPlainObject(filter.correlate)) return true;
    return Object.entries(filter.correlate).every(([key, correlation]) => {
      const value = evaluateExpression(correlation.from, event, this.context.variables, this.context.options);
      if (correlation.expect !== undefined) {
        return (
          JSON.stringify(
            evaluateTemplate(
              correlation.expect,
              this.context.input,
              this.context.variables,
              this.context.options,
            ),
          ) === JSON.stringify(value)
        );
      }
      return (
        !this.context.correlation.has(key) ||
        JSON.stringify(this.context.correlation.get(key)) === JSON.stringify(value)
      );
    });
  }

  private remember(event: CloudEvent, filter: EventFilter): void {
    if (!isPlainObject(filter.correlate)) return;
    for (const [key, correlation] of Object.entries(filter.correlate)) {
      if (correlation.expect === undefined && !this.context.correlation.has(key)) {
        this.context.correlation.set(
          key,
          evaluateExpression(correlation.from, event, this.context.variables, this.context.options),
        );
      }
    }
  }
}
