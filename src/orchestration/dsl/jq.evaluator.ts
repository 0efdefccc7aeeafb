import { createRequire } from "node:module";
import { ExpressionError } from "./expression.error.ts";
import { isPlainObject } from "./json-pointer.util.ts";

/**
 * jq (1.7.1, WebAssembly build from jq-web) as the runtime expression language.
 *
 * Every call compiles its filter (about 1 ms), so callers batch the expressions of one task into one call.
 * Filters run synchronously on the calling thread; an expression that loops forever blocks it.
 */

interface JqEngine {
  raw(input: string, filter: string, flags?: string[]): string | undefined;
}

const require = createRequire(import.meta.url);
const engine: JqEngine = await (require("jq-web") as Promise<JqEngine>);

/** Values a filter may read as `$name`. Only the variables a filter mentions are passed to jq. */
export type JqVariables = Readonly<Record<string, unknown>>;

export interface JqEvaluationOptions {
  /**
   * Epoch seconds that jq's `now` returns. Without it, filters that call `now` read the wall clock, which
   * a deterministic interpreter must not do.
   */
  now?: number;
}

export type JqBatchResult = { ok: true; outputs: unknown[] } | { ok: false; error: ExpressionError };

/** Variable names jq provides itself or that workflows must not see. */
const RESERVED_VARIABLES = new Set(["ENV", "__loc__", "__prog_args"]);
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VARIABLE_REFERENCE = /\$([A-Za-z_][A-Za-z0-9_]*)/g;
/** `$ENV` and `env` are emscripten's fake process environment: workflows see an empty one. */
const PRELUDE = "def env: {}; {} as $ENV | ";

export function isJqIdentifier(name: string): boolean {
  return IDENTIFIER.test(name) && !RESERVED_VARIABLES.has(name);
}

/** Names of the `$variables` a filter mentions (an over-approximation: mentions inside strings count). */
export function referencedVariables(filter: string): Set<string> {
  const names = new Set<string>();
  for (const match of filter.matchAll(VARIABLE_REFERENCE)) {
    const name = match[1];
    if (name && !RESERVED_VARIABLES.has(name)) names.add(name);
  }
  return names;
}

/** True when a filter may call jq's `now`. */
export function mentionsNow(filter: string): boolean {
  return /(^|[^A-Za-z0-9_$.])now($|[^A-Za-z0-9_])/.test(filter);
}

/**
 * Compile-checks filters without running them. `variables` are the names in scope for each filter: a filter
 * using any other `$name` fails with "$name is not defined". Returns, per filter, an error message or undefined.
 */
export function checkJqFilters(
  items: ReadonlyArray<{ filter: string; variables: readonly string[] }>,
): Array<string | undefined> {
  const results: Array<string | undefined> = items.map(() => undefined);
  const groups = new Map<string, number[]>();
  items.forEach((item, index) => {
    const key = [...new Set(item.variables)].sort().join(",");
    groups.set(key, [...(groups.get(key) ?? []), index]);
  });
  for (const [key, indexes] of groups) {
    const variables = key === "" ? [] : key.split(",");
    const filters = indexes.map((index) => items[index]!.filter);
    const batchError = compileProgram(
      `empty | ${filters.map((filter) => `(\n${filter}\n)`).join(", ")}`,
      filters,
      variables,
    );
    if (batchError === undefined) continue;
    for (const index of indexes) {
      const filter = items[index]!.filter;
      results[index] = compileProgram(`empty | (\n${filter}\n)`, [filter], variables);
    }
  }
  return results;
}

/** Compile-checks one filter; returns the error message, or undefined when it compiles. */
export function checkJqFilter(filter: string, variables: readonly string[] = []): string | undefined {
  return checkJqFilters([{ filter, variables }])[0];
}

function compileProgram(
  program: string,
  filters: readonly string[],
  variables: readonly string[],
): string | undefined {
  const mentioned = new Set<string>();
  for (const filter of filters) referencedVariables(filter).forEach((name) => mentioned.add(name));
  const bound = variables.filter((name) => mentioned.has(name) && isJqIdentifier(name));
  const flags = ["-c", ...bound.flatMap((name) => ["--argjson", name, "null"])];
  try {
    runRaw("null", `${PRELUDE}${program}`, flags);
    return undefined;
  } catch (error) {
    const failure = error as { exitCode?: number };
    if (failure.exitCode === 3) return compileMessage(error);
    return undefined;
  }
}

/** Evaluates one filter and returns all its outputs. Throws ExpressionError. */
export function evaluateJq(
  filter: string,
  input: unknown,
  variables: JqVariables = {},
  options: JqEvaluationOptions = {},
): unknown[] {
  const fast = fastPath(filter, input, variables);
  if (fast !== NO_FAST_PATH) return [fast];
  const result = evaluateJqBatch([filter], input, variables, options)[0]!;
  if (!result.ok) throw result.error;
  return result.outputs;
}

/**
 * Evaluates several filters against one input in a single jq call. Each filter succeeds or fails on its
 * own; a batch that does not compile is retried filter by filter to tell which one is at fault.
 */
export function evaluateJqBatch(
  filters: readonly string[],
  input: unknown,
  variables: JqVariables = {},
  options: JqEvaluationOptions = {},
): JqBatchResult[] {
  const results: Array<JqBatchResult | undefined> = filters.map((filter) => {
    const fast = fastPath(filter, input, variables);
    return fast === NO_FAST_PATH ? undefined : { ok: true, outputs: [fast] };
  });
  const pending = filters
    .map((filter, index) => ({ filter, index }))
    .filter((entry) => results[entry.index] === undefined);
  if (pending.length === 0) return results as JqBatchResult[];

  const inputJson = toJson(input);
  const runBatch = (batch: typeof pending): void => {
    const body = batch.map((entry) => `(try {ok: [(\n${entry.filter}\n)]} catch {err: .})`).join(", ");
    const { header, flags } = prepare(
      batch.map((entry) => entry.filter),
      variables,
      options,
    );
    const output = runRaw(inputJson, `${header}${PRELUDE}[${body}]`, flags);
    const parsed = output === undefined ? undefined : (JSON.parse(output) as unknown);
    batch.forEach((entry, position) => {
      const envelope: unknown = Array.isArray(parsed) ? (parsed as unknown[])[position] : undefined;
      results[entry.index] = toResult(entry.filter, envelope);
    });
  };

  try {
    runBatch(pending);
  } catch (error) {
    if (pending.length === 1) {
      const only = pending[0]!;
      results[only.index] = { ok: false, error: failureToError(only.filter, error) };
    } else {
      for (const entry of pending) {
        try {
          runBatch([entry]);
        } catch (single) {
          results[entry.index] = { ok: false, error: failureToError(entry.filter, single) };
        }
      }
    }
  }
  return results.map((result, index) => result ?? { ok: false, error: noOutputError(filters[index]!) });
}

function prepare(
  filters: readonly string[],
  variables: JqVariables,
  options: JqEvaluationOptions,
): { header: string; flags: string[] } {
  const flags = ["-c"];
  const mentioned = new Set<string>();
  for (const filter of filters) referencedVariables(filter).forEach((name) => mentioned.add(name));
  for (const name of mentioned) {
    if (!Object.prototype.hasOwnProperty.call(variables, name) || !isJqIdentifier(name)) continue;
    flags.push("--argjson", name, toJson(variables[name]));
  }
  const header =
    options.now !== undefined && filters.some(mentionsNow) ? `def now: ${formatNumber(options.now)}; ` : "";
  return { header, flags };
}

function toResult(filter: string, envelope: unknown): JqBatchResult {
  if (isPlainObject(envelope) && Array.isArray(envelope.ok)) return { ok: true, outputs: envelope.ok };
  if (isPlainObject(envelope) && "err" in envelope) {
    return {
      ok: false,
      error: new ExpressionError({
        expression: filter,
        phase: "evaluate",
        message: runtimeMessage(envelope.err),
        raised: envelope.err,
      }),
    };
  }
  // `halt` stops jq before the wrapper prints anything.
  return { ok: true, outputs: [] };
}

function noOutputError(filter: string): ExpressionError {
  return new ExpressionError({
    expression: filter,
    phase: "evaluate",
    message: "the expression produced no result",
  });
}

function failureToError(filter: string, error: unknown): ExpressionError {
  const failure = error as { exitCode?: number; stderr?: unknown };
  if (failure.exitCode === 3) {
    return new ExpressionError({
      expression: filter,
      phase: "compile",
      message: compileMessage(error),
      cause: error,
    });
  }
  const stderr = typeof failure.stderr === "string" ? failure.stderr.trim() : "";
  const message = stderr
    ? stderr.replace(/^jq: error \(at [^)]*\): /, "")
    : error instanceof Error
      ? error.message
      : String(error);
  return new ExpressionError({ expression: filter, phase: "evaluate", message, cause: error });
}

function compileMessage(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  const text = typeof stderr === "string" ? stderr : error instanceof Error ? error.message : String(error);
  const messages = text
    .split("\n")
    .filter((line) => line.startsWith("jq: error: "))
    .map((line) =>
      line
        .slice("jq: error: ".length)
        .replace(/ \(Unix shell quoting issues\?\)/, "")
        .replace(/ at <top-level>, line \d+:$/, "")
        .trim(),
    );
  return messages.length > 0 ? [...new Set(messages)].join("; ") : "the expression does not compile";
}

function runtimeMessage(raised: unknown): string {
  if (typeof raised === "string") return raised;
  if (raised === null) return "null (null) not a string";
  return JSON.stringify(raised);
}

/** Calls jq-web, which leaves `process.exitCode` set after a failing filter: it is restored here. */
function runRaw(input: string, program: string, flags: string[]): string | undefined {
  const previousExitCode = process.exitCode;
  try {
    return engine.raw(input, program, flags);
  } finally {
    process.exitCode = previousExitCode;
  }
}

const jsonCache = new WeakMap<object, string>();

/**
 * JSON text of a value. Frozen objects (definitions, descriptors) are serialised once and cached by
 * identity; anything else is serialised on every call, since it may have changed.
 */
export function toJson(value: unknown): string {
  if (value === undefined) return "null";
  if (typeof value !== "object" || value === null) return JSON.stringify(value);
  if (!Object.isFrozen(value)) return JSON.stringify(value);
  let text = jsonCache.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    jsonCache.set(value, text);
  }
  return text;
}

function formatNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : "0";
}

const NO_FAST_PATH = Symbol("no-fast-path");
const JQ_KEYWORDS = new Set([
  "and",
  "or",
  "not",
  "if",
  "then",
  "elif",
  "else",
  "end",
  "as",
  "def",
  "reduce",
  "foreach",
  "try",
  "catch",
  "label",
  "import",
  "include",
  "__loc__",
]);
const INPUT_PATH = /^\s*(?:\.|((?:\.[A-Za-z_][A-Za-z0-9_]*)+))\s*$/;
const VARIABLE_PATH = /^\s*\$([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*$/;

/**
 * `.`, `.a.b`, `$x` and `$x.a.b` read without calling jq, with jq's semantics for objects and null.
 * Anything else (and any value jq would reject) goes to jq.
 */
function fastPath(filter: string, input: unknown, variables: JqVariables): unknown {
  let current: unknown;
  let tail: string;
  const inputMatch = INPUT_PATH.exec(filter);
  if (inputMatch) {
    current = input;
    tail = inputMatch[1] ?? "";
  } else {
    const variableMatch = VARIABLE_PATH.exec(filter);
    if (!variableMatch) return NO_FAST_PATH;
    const name = variableMatch[1]!;
    if (!Object.prototype.hasOwnProperty.call(variables, name) || RESERVED_VARIABLES.has(name))
      return NO_FAST_PATH;
    current = variables[name];
    tail = variableMatch[2] ?? "";
  }
  const keys = tail === "" ? [] : tail.slice(1).split(".");
  for (const key of keys) {
    if (JQ_KEYWORDS.has(key)) return NO_FAST_PATH;
    if (current === null || current === undefined) {
      current = null;
      continue;
    }
    if (!isPlainObject(current)) return NO_FAST_PATH;
    current = Object.prototype.hasOwnProperty.call(current, key) ? current[key] : null;
  }
  return current === undefined ? null : current;
}
