import { ExpressionError } from "./expression.error.ts";
import { evaluateJqBatch, type JqEvaluationOptions, type JqVariables } from "./jq.evaluator.ts";
import { escapePointerSegment, isPlainObject } from "./json-pointer.util.ts";

/**
 * Runtime expressions in strict mode.
 *
 * - Expression fields (`if`, `when`, `for.in`, `while`, `input.from`, `output.as`, `export.as` when
 *   strings, `until`, `correlate.from`, ...) always hold jq; a `${ }` around it is optional.
 * - Value fields (`set`, call arguments, event properties, error fields, ...) are templates: a string
 *   that is exactly `${ expr }` becomes the value of `expr` (any JSON type); a string that embeds one or
 *   more `${ expr }` among text is interpolated, each result rendered as jq's `tostring` would; any
 *   other string is a literal.
 *
 * An expression with several outputs yields the array of them; one without output yields null.
 */

export type TemplateString =
  | { kind: "literal"; text: string }
  | { kind: "expression"; expression: string }
  | { kind: "interpolation"; parts: Array<string | { expression: string }> };

/** Classifies a string of a value field. */
export function parseTemplateString(text: string): TemplateString {
  const first = text.indexOf("${");
  if (first === -1) return { kind: "literal", text };
  const parts: Array<string | { expression: string }> = [];
  let cursor = 0;
  let searchFrom = first;
  while (searchFrom !== -1) {
    const end = findExpressionEnd(text, searchFrom + 2);
    if (end === -1) break;
    if (searchFrom > cursor) parts.push(text.slice(cursor, searchFrom));
    parts.push({ expression: text.slice(searchFrom + 2, end).trim() });
    cursor = end + 1;
    searchFrom = text.indexOf("${", cursor);
  }
  if (parts.length === 0) return { kind: "literal", text };
  if (cursor < text.length) parts.push(text.slice(cursor));
  const meaningful = parts.filter((part) => typeof part !== "string" || part.trim() !== "");
  const only = meaningful[0];
  if (meaningful.length === 1 && only !== undefined && typeof only !== "string")
    return { kind: "expression", expression: only.expression };
  return { kind: "interpolation", parts };
}

/** True when the whole string is one `${ expr }`. */
export function isRuntimeExpression(text: string): boolean {
  return parseTemplateString(text).kind === "expression";
}

/** The jq text of an expression field: the content of `${ }` when wrapped, else the string itself. */
export function expressionOf(text: string): string {
  const parsed = parseTemplateString(text);
  return parsed.kind === "expression" ? parsed.expression : text.trim();
}

/**
 * Index of the `}` closing an expression whose text starts at `start` (just after `${`), or -1.
 * Braces inside jq string literals, including `\( )` interpolations, do not count.
 */
function findExpressionEnd(text: string, start: number): number {
  let depth = 0;
  let index = start;
  while (index < text.length) {
    const char = text[index];
    if (char === '"') {
      index = skipJqString(text, index);
      continue;
    }
    if (char === "{") depth += 1;
    else if (char === "}") {
      if (depth === 0) return index;
      depth -= 1;
    }
    index += 1;
  }
  return -1;
}

function skipJqString(text: string, quote: number): number {
  let index = quote + 1;
  while (index < text.length) {
    const char = text[index];
    if (char === "\\") {
      if (text[index + 1] === "(") {
        index = skipInterpolation(text, index + 2);
        continue;
      }
      index += 2;
      continue;
    }
    if (char === '"') return index + 1;
    index += 1;
  }
  return text.length;
}

function skipInterpolation(text: string, start: number): number {
  let depth = 0;
  let index = start;
  while (index < text.length) {
    const char = text[index];
    if (char === '"') {
      index = skipJqString(text, index);
      continue;
    }
    if (char === "(") depth += 1;
    else if (char === ")") {
      if (depth === 0) return index + 1;
      depth -= 1;
    }
    index += 1;
  }
  return text.length;
}

export interface ExpressionSite {
  /** JSON pointer of the string holding the expression. */
  pointer: string;
  expression: string;
}

/** Every expression of a value template, with the pointer of the string that holds it. */
export function collectTemplateExpressions(template: unknown, basePointer = ""): ExpressionSite[] {
  const sites: ExpressionSite[] = [];
  const visit = (value: unknown, pointer: string, depth: number): void => {
    if (depth > 128) return;
    if (typeof value === "string") {
      const parsed = parseTemplateString(value);
      if (parsed.kind === "expression") sites.push({ pointer, expression: parsed.expression });
      if (parsed.kind === "interpolation") {
        for (const part of parsed.parts)
          if (typeof part !== "string") sites.push({ pointer, expression: part.expression });
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, `${pointer}/${index}`, depth + 1));
    } else if (isPlainObject(value)) {
      for (const [key, item] of Object.entries(value))
        visit(item, `${pointer}/${escapePointerSegment(key)}`, depth + 1);
    }
  };
  visit(template, basePointer, 0);
  return sites;
}

/** True when a template holds no expression at all (it can be used as it is). */
export function isStaticTemplate(template: unknown): boolean {
  return collectTemplateExpressions(template).length === 0;
}

/** One value from the outputs of an expression: none is null, one is itself, several form an array. */
export function collapseOutputs(outputs: unknown[]): unknown {
  if (outputs.length === 0) return null;
  if (outputs.length === 1) return outputs[0];
  return outputs;
}

/** Evaluates an expression field. Throws ExpressionError. */
export function evaluateExpression(
  text: string,
  input: unknown,
  variables: JqVariables = {},
  options: JqEvaluationOptions = {},
): unknown {
  const expression = expressionOf(text);
  const result = evaluateJqBatch([expression], input, variables, options)[0]!;
  if (!result.ok) throw result.error;
  return collapseOutputs(result.outputs);
}

/** Evaluates a condition field with jq truthiness: false, null and no output are false. */
export function evaluateCondition(
  text: string,
  input: unknown,
  variables: JqVariables = {},
  options: JqEvaluationOptions = {},
): boolean {
  const value = evaluateExpression(text, input, variables, options);
  return value !== false && value !== null;
}

/**
 * Evaluates a value template: strings holding expressions are replaced by their values, everything else is
 * kept. All expressions of the template run in one jq call. Throws the first failing expression's
 * ExpressionError, in document order.
 */
export function evaluateTemplate(
  template: unknown,
  input: unknown,
  variables: JqVariables = {},
  options: JqEvaluationOptions = {},
): unknown {
  const sites = collectTemplateExpressions(template);
  if (sites.length === 0) return template;
  const results = evaluateJqBatch(
    sites.map((site) => site.expression),
    input,
    variables,
    options,
  );
  const values: unknown[] = [];
  results.forEach((result) => {
    if (!result.ok) throw result.error;
    values.push(collapseOutputs(result.outputs));
  });
  let next = 0;
  const take = (): unknown => values[next++];
  const rebuild = (value: unknown, depth: number): unknown => {
    if (depth > 128) return value;
    if (typeof value === "string") {
      const parsed = parseTemplateString(value);
      if (parsed.kind === "literal") return value;
      if (parsed.kind === "expression") return take();
      return parsed.parts
        .map((part) => (typeof part === "string" ? part : renderInterpolated(take())))
        .join("");
    }
    if (Array.isArray(value)) return value.map((item) => rebuild(item, depth + 1));
    if (isPlainObject(value)) {
      const copy: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) copy[key] = rebuild(item, depth + 1);
      return copy;
    }
    return value;
  };
  const rebuilt = rebuild(template, 0);
  if (next !== values.length) {
    throw new ExpressionError({
      expression: "",
      phase: "evaluate",
      message: "template evaluation lost track of its expressions",
    });
  }
  return rebuilt;
}

/** jq's `tostring`: strings as they are, everything else as compact JSON. */
export function renderInterpolated(value: unknown): string {
  if (typeof value === "string") return value;
  return JSON.stringify(value ?? null);
}
