import { isDeepStrictEqual } from "node:util";
import { parse as parseYaml } from "yaml";
import { runLocally, type LocalRunResult } from "../../src/orchestration/runtime/run-locally.ts";
import type { Scenario, Step } from "./gherkin.reader.ts";

/**
 * The conformance kit's steps, run against `runLocally`:
 *
 *   Given a workflow with definition:            (doc string, YAML)
 *   And given the workflow input is:             (doc string, YAML)
 *   When the workflow is executed
 *   Then the workflow should complete | complete with output: | fault | fault with error: | cancel
 *   And the workflow output should have properties 'a', 'b.c'
 *   And the workflow output should have a 'path' property with value:
 *   And the workflow output should have a 'path' property containing <n> items
 *   And <task> should run first | last | before <task> | after <task>
 *
 * A step the kit does not describe fails the scenario.
 */

export interface ScenarioEnvironment {
  fetch: typeof fetch;
}

interface ScenarioState {
  definition?: string;
  input: unknown;
  result?: LocalRunResult;
}

export class StepFailure extends Error {
  constructor(step: Step, message: string) {
    super(`line ${step.line} (${step.written} ${step.text}): ${message}`);
    this.name = "StepFailure";
  }
}

export async function runScenario(
  scenario: Scenario,
  environment: ScenarioEnvironment,
): Promise<LocalRunResult> {
  const state: ScenarioState = { input: {} };
  for (const step of scenario.steps) await runStep(step, state, environment);
  if (!state.result) throw new Error(`scenario '${scenario.name}' never executed its workflow`);
  return state.result;
}

async function runStep(step: Step, state: ScenarioState, environment: ScenarioEnvironment): Promise<void> {
  const text = step.text;
  const fail = (message: string): never => {
    throw new StepFailure(step, message);
  };
  const docString = (): string => step.docString?.content ?? fail("this step needs a doc string");
  const result = (): LocalRunResult => state.result ?? fail("the workflow has not been executed");
  const describe = (value: unknown): string => JSON.stringify(value, null, 2);

  if (/^a workflow with definition:$/.test(text)) {
    state.definition = docString();
    return;
  }
  if (/^(given )?the workflow input is:$/.test(text)) {
    state.input = parseYaml(docString()) as unknown;
    return;
  }
  if (text === "the workflow is executed") {
    const definition = state.definition ?? fail("no workflow definition was given");
    state.result = await runLocally(definition, state.input, { fetch: environment.fetch });
    return;
  }

  const outcome = /^the workflow should (complete|fault|cancel)( with (output|error):)?$/.exec(text);
  if (outcome) {
    const [, expected = "", , what] = outcome;
    const status = { complete: "completed", fault: "faulted", cancel: "cancelled" }[expected];
    const actual = result();
    if (actual.status !== status)
      fail(`expected status ${status}, got ${actual.status}: ${describe(actual.error ?? actual.output)}`);
    if (what === "output") {
      const wanted = parseYaml(docString()) as unknown;
      if (!isDeepStrictEqual(actual.output, wanted))
        fail(`expected output ${describe(wanted)}, got ${describe(actual.output)}`);
    }
    if (what === "error") {
      const wanted = parseYaml(docString()) as unknown;
      if (!isDeepStrictEqual(actual.error, wanted))
        fail(`expected error ${describe(wanted)}, got ${describe(actual.error)}`);
    }
    return;
  }

  const properties = /^the workflow output should have properties (.+)$/.exec(text);
  if (properties) {
    const names = [...properties[1]!.matchAll(/'([^']+)'/g)].map((match) => match[1]!);
    if (names.length === 0) fail("no property names");
    const output = result().output;
    const missing = names.filter((name) => readPath(output, name) === undefined);
    if (missing.length > 0) fail(`output lacks ${missing.join(", ")}: ${describe(output)}`);
    return;
  }

  const withValue = /^the workflow output should have a '([^']+)' property with value:$/.exec(text);
  if (withValue) {
    const wanted = parseYaml(docString()) as unknown;
    const actual = readPath(result().output, withValue[1]!);
    if (!isDeepStrictEqual(actual, wanted))
      fail(`expected ${withValue[1]} to be ${describe(wanted)}, got ${describe(actual)}`);
    return;
  }

  const containing = /^the workflow output should have a '([^']+)' property containing (\d+) items?$/.exec(
    text,
  );
  if (containing) {
    const actual = readPath(result().output, containing[1]!);
    if (!Array.isArray(actual) || actual.length !== Number(containing[2])) {
      fail(`expected ${containing[1]} to hold ${containing[2]} items, got ${describe(actual)}`);
    }
    return;
  }

  const order = /^(\S+) should run (first|last|before|after)(?: (\S+))?$/.exec(text);
  if (order) {
    const [, task = "", relation, other] = order;
    const tasks = result().tasks;
    const position = tasks.indexOf(task);
    if (position === -1) fail(`${task} did not run (ran: ${tasks.join(", ")})`);
    const ok =
      relation === "first"
        ? position === 0
        : relation === "last"
          ? tasks.lastIndexOf(task) === tasks.length - 1
          : other !== undefined &&
            tasks.includes(other) &&
            (relation === "before"
              ? position < tasks.lastIndexOf(other)
              : tasks.lastIndexOf(task) > tasks.indexOf(other));
    if (!ok) fail(`tasks ran in the order ${tasks.join(", ")}`);
    return;
  }

  fail("this step is not part of the conformance kit's vocabulary");
}

/** Reads `a.b.c` (array indexes allowed) from a value; undefined when absent. */
export function readPath(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const segment of path.split(".")) {
    if (Array.isArray(current) && /^\d+$/.test(segment)) current = current[Number(segment)];
    else if (typeof current === "object" && current !== null && !Array.isArray(current))
      current = (current as Record<string, unknown>)[segment];
    else return undefined;
  }
  return current;
}
