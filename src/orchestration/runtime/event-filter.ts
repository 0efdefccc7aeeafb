import { isPlainObject } from "../dsl/json-pointer.util.ts";
import { parseTemplateString } from "../dsl/runtime-expression.ts";
import type { CloudEvent } from "./runtime-host.port.ts";

/**
 * Whether an event has the attributes an event filter's `with` names. For each attribute:
 * - `${ expr }` is evaluated against the event's value of that attribute (`data: ${ .temperature > 38 }`
 *   reads the event's data) and must be truthy;
 * - another string must equal the attribute or, as a regular expression, match all of it;
 * - an object must match an object attribute property by property; anything else must be equal.
 */
export type ExpressionTest = (expression: string, value: unknown) => boolean;

export function matchesEventProperties(
  event: CloudEvent,
  properties: Record<string, unknown>,
  test: ExpressionTest,
): boolean {
  return Object.entries(properties).every(([name, expected]) => matchesValue(expected, event[name], test, 0));
}

const patterns = new Map<string, RegExp | null>();

function matchesValue(expected: unknown, actual: unknown, test: ExpressionTest, depth: number): boolean {
  if (depth > 32) return false;
  if (typeof expected === "string") {
    const parsed = parseTemplateString(expected);
    if (parsed.kind === "expression") return test(parsed.expression, actual ?? null);
    if (typeof actual !== "string") return false;
    if (expected === actual) return true;
    const pattern = compile(expected);
    return pattern !== null && pattern.test(actual);
  }
  if (isPlainObject(expected)) {
    return (
      isPlainObject(actual) &&
      Object.entries(expected).every(([key, value]) => matchesValue(value, actual[key], test, depth + 1))
    );
  }
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      expected.length === actual.length &&
      expected.every((item, index) => matchesValue(item, actual[index], test, depth + 1))
    );
  }
  return expected === actual;
}

function compile(source: string): RegExp | null {
  if (!patterns.has(source)) {
    let pattern: RegExp | null;
    try {
      pattern = new RegExp(`^(?:${source})$`, "u");
    } catch {
      pattern = null;
    }
    if (patterns.size > 1000) patterns.clear();
    patterns.set(source, pattern);
  }
  return patterns.get(source) ?? null;
}
