import type { Diagnostic, DiagnosticCode } from "./diagnostic.types.ts";
import { escapePointerSegment, isPlainObject, pointerDepth, splitPointer } from "./json-pointer.util.ts";
import { TASK_KINDS } from "./workflow.types.ts";

/**
 * Explains why a value fails a JSON Schema, for the keyword subset the Serverless Workflow schema uses.
 *
 * ajv stays the judge of validity; this walker only runs on documents ajv rejected, to turn its flood of
 * `oneOf` alternatives into the few findings a person can act on. At every `oneOf`/`anyOf` that fails it
 * keeps the single most plausible alternative: the one whose errors do not contradict the value's shape
 * (wrong type, wrong constant, missing discriminating property), then the one with the fewest errors.
 */

type SchemaNode = boolean | Record<string, unknown>;

export interface SchemaIssue extends Diagnostic {
  keyword: string;
}

interface Outcome {
  issues: SchemaIssue[];
  /** Property names evaluated at this instance location (for `unevaluatedProperties`). */
  evaluated: Set<string>;
}

export interface ExplainerOptions {
  /** The root schema document; `$ref`s are resolved against it (`#/$defs/...`). */
  root: Record<string, unknown>;
  /** Checks a string against a JSON Schema `format`; unknown formats pass. */
  checkFormat: (format: string, value: string) => boolean;
}

const MAX_DEPTH = 256;
const TASK_SCHEMA_TITLE = "Task";

export function explainSchemaErrors(value: unknown, options: ExplainerOptions): SchemaIssue[] {
  const explainer = new Explainer(options);
  const outcome = explainer.check(options.root, value, "", 0);
  return dedupe(outcome.issues);
}

class Explainer {
  private readonly patterns = new Map<string, RegExp | null>();

  constructor(private readonly options: ExplainerOptions) {}

  check(schema: SchemaNode | undefined, value: unknown, path: string, depth: number): Outcome {
    const evaluated = new Set<string>();
    if (schema === undefined || schema === true) return { issues: [], evaluated };
    if (schema === false) {
      return {
        issues: [issue(path, "schema.unexpected-property", "not", "this property is not allowed here")],
        evaluated,
      };
    }
    if (depth > MAX_DEPTH) return { issues: [], evaluated };
    const issues: SchemaIssue[] = [];

    if (typeof schema.$ref === "string") {
      const target = this.resolve(schema.$ref);
      const outcome = this.check(target, value, path, depth + 1);
      issues.push(...outcome.issues);
      outcome.evaluated.forEach((name) => evaluated.add(name));
    }

    if (schema.type !== undefined && !matchesType(schema.type, value)) {
      const expected = Array.isArray(schema.type)
        ? schema.type.join(" or ")
        : typeof schema.type === "string"
          ? schema.type
          : "valid";
      issues.push(
        issue(
          path,
          "schema.type",
          "type",
          `must be ${withArticle(expected)}, not ${withArticle(jsonType(value))}`,
        ),
      );
      return { issues, evaluated };
    }

    if ("const" in schema && !deepEqual(schema.const, value)) {
      issues.push(issue(path, "schema.const", "const", `must be ${JSON.stringify(schema.const)}`));
    }
    if (Array.isArray(schema.enum) && !schema.enum.some((allowed) => deepEqual(allowed, value))) {
      issues.push(
        issue(
          path,
          "schema.enum",
          "enum",
          `must be one of: ${schema.enum.map((item) => JSON.stringify(item)).join(", ")}`,
        ),
      );
    }

    if (typeof value === "string") this.checkString(schema, value, path, issues);
    if (typeof value === "number") checkNumber(schema, value, path, issues);
    if (Array.isArray(value)) this.checkArray(schema, value, path, depth, issues);
    if (isPlainObject(value)) this.checkObject(schema, value, path, depth, issues, evaluated);

    if (Array.isArray(schema.allOf)) {
      for (const branch of schema.allOf as SchemaNode[]) {
        const outcome = this.check(branch, value, path, depth + 1);
        issues.push(...outcome.issues);
        outcome.evaluated.forEach((name) => evaluated.add(name));
      }
    }
    if (Array.isArray(schema.oneOf))
      this.checkAlternatives(
        schema,
        schema.oneOf as SchemaNode[],
        "oneOf",
        value,
        path,
        depth,
        issues,
        evaluated,
      );
    if (Array.isArray(schema.anyOf))
      this.checkAlternatives(
        schema,
        schema.anyOf as SchemaNode[],
        "anyOf",
        value,
        path,
        depth,
        issues,
        evaluated,
      );

    if (schema.not !== undefined) {
      const outcome = this.check(schema.not as SchemaNode, value, path, depth + 1);
      if (outcome.issues.length === 0) {
        issues.push(issue(path, "schema.not", "not", `${JSON.stringify(value)} is not allowed here`));
      }
    }

    if (schema.if !== undefined) {
      const condition = this.check(schema.if as SchemaNode, value, path, depth + 1);
      const branch = condition.issues.length === 0 ? schema.then : schema.else;
      if (branch !== undefined) {
        const outcome = this.check(branch as SchemaNode, value, path, depth + 1);
        issues.push(...outcome.issues);
        outcome.evaluated.forEach((name) => evaluated.add(name));
      }
    }

    if (schema.unevaluatedProperties !== undefined && isPlainObject(value)) {
      for (const [key, item] of Object.entries(value)) {
        if (evaluated.has(key)) continue;
        const childPath = `${path}/${escapePointerSegment(key)}`;
        if (schema.unevaluatedProperties === false) {
          issues.push(
            issue(
              childPath,
              "schema.unexpected-property",
              "unevaluatedProperties",
              `unexpected property '${key}'`,
            ),
          );
        } else {
          issues.push(
            ...this.check(schema.unevaluatedProperties as SchemaNode, item, childPath, depth + 1).issues,
          );
        }
        evaluated.add(key);
      }
    }
    return { issues, evaluated };
  }

  private checkString(
    schema: Record<string, unknown>,
    value: string,
    path: string,
    issues: SchemaIssue[],
  ): void {
    if (typeof schema.pattern === "string") {
      const pattern = this.pattern(schema.pattern);
      if (pattern && !pattern.test(value)) {
        const what =
          typeof schema.title === "string" ? `a valid ${humanizeTitle(schema.title)}` : "a matching string";
        const shown = schema.pattern.length <= 60 ? ` (pattern ${schema.pattern})` : "";
        issues.push(issue(path, "schema.pattern", "pattern", `must be ${what}${shown}`));
      }
    }
    if (typeof schema.format === "string" && !this.options.checkFormat(schema.format, value)) {
      issues.push(issue(path, "schema.format", "format", `must be a valid ${schema.format}`));
    }
    if (typeof schema.minLength === "number" && [...value].length < schema.minLength) {
      issues.push(
        issue(path, "schema.size", "minLength", `must be at least ${schema.minLength} characters long`),
      );
    }
  }

  private checkArray(
    schema: Record<string, unknown>,
    value: unknown[],
    path: string,
    depth: number,
    issues: SchemaIssue[],
  ): void {
    if (typeof schema.minItems === "number" && value.length < schema.minItems) {
      issues.push(
        issue(
          path,
          "schema.size",
          "minItems",
          `must hold at least ${schema.minItems} item${schema.minItems === 1 ? "" : "s"}`,
        ),
      );
    }
    if (schema.items !== undefined && typeof schema.items !== "boolean" && !Array.isArray(schema.items)) {
      value.forEach((item, index) =>
        issues.push(...this.check(schema.items as SchemaNode, item, `${path}/${index}`, depth + 1).issues),
      );
    }
  }

  private checkObject(
    schema: Record<string, unknown>,
    value: Record<string, unknown>,
    path: string,
    depth: number,
    issues: SchemaIssue[],
    evaluated: Set<string>,
  ): void {
    const keys = Object.keys(value);
    if (Array.isArray(schema.required)) {
      for (const name of schema.required as string[]) {
        if (!Object.prototype.hasOwnProperty.call(value, name)) {
          issues.push(issue(path, "schema.required", "required", `missing required property '${name}'`));
        }
      }
    }
    if (typeof schema.minProperties === "number" && keys.length < schema.minProperties) {
      issues.push(
        issue(
          path,
          "schema.size",
          "minProperties",
          sizeMessage(schema, "at least", schema.minProperties, keys),
        ),
      );
    }
    if (typeof schema.maxProperties === "number" && keys.length > schema.maxProperties) {
      issues.push(
        issue(
          path,
          "schema.size",
          "maxProperties",
          sizeMessage(schema, "at most", schema.maxProperties, keys),
        ),
      );
    }
    const properties = isPlainObject(schema.properties) ? schema.properties : {};
    for (const [name, propertySchema] of Object.entries(properties)) {
      evaluated.add(name);
      if (Object.prototype.hasOwnProperty.call(value, name)) {
        issues.push(
          ...this.check(
            propertySchema as SchemaNode,
            value[name],
            `${path}/${escapePointerSegment(name)}`,
            depth + 1,
          ).issues,
        );
      }
    }
    if (schema.additionalProperties !== undefined) {
      for (const key of keys) {
        if (Object.prototype.hasOwnProperty.call(properties, key)) continue;
        evaluated.add(key);
        const childPath = `${path}/${escapePointerSegment(key)}`;
        if (schema.additionalProperties === false) {
          issues.push(
            issue(
              childPath,
              "schema.unexpected-property",
              "additionalProperties",
              `unexpected property '${key}'`,
            ),
          );
        } else {
          issues.push(
            ...this.check(schema.additionalProperties as SchemaNode, value[key], childPath, depth + 1).issues,
          );
        }
      }
    }
  }

  private checkAlternatives(
    schema: Record<string, unknown>,
    branches: SchemaNode[],
    keyword: "oneOf" | "anyOf",
    value: unknown,
    path: string,
    depth: number,
    issues: SchemaIssue[],
    evaluated: Set<string>,
  ): void {
    if (schema.title === TASK_SCHEMA_TITLE && isPlainObject(value)) {
      const kinds = TASK_KINDS.filter((kind) => Object.prototype.hasOwnProperty.call(value, kind));
      if (kinds.length === 0) {
        const found = Object.keys(value);
        issues.push(
          issue(
            path,
            "schema.task-type",
            keyword,
            `unknown task type: a task must define one of ${TASK_KINDS.join(", ")}` +
              (found.length > 0 ? ` (found ${found.map((key) => `'${key}'`).join(", ")})` : ""),
          ),
        );
        Object.keys(value).forEach((key) => evaluated.add(key));
        return;
      }
    }
    const outcomes = branches.map((branch) => ({
      branch,
      outcome: this.check(branch, value, path, depth + 1),
    }));
    const passing = outcomes.filter((entry) => entry.outcome.issues.length === 0);
    if (passing.length > 0) {
      if (keyword === "oneOf" && passing.length > 1) {
        const titles = passing
          .map((entry) => this.titleOf(entry.branch))
          .filter((title): title is string => Boolean(title));
        issues.push(
          issue(
            path,
            "schema.one-of",
            keyword,
            `is ambiguous: it matches several alternatives${titles.length ? ` (${titles.map(humanizeTitle).join(", ")})` : ""}`,
          ),
        );
      }
      for (const entry of keyword === "oneOf" ? passing.slice(0, 1) : passing) {
        entry.outcome.evaluated.forEach((name) => evaluated.add(name));
      }
      return;
    }
    const scored = outcomes
      .map((entry, index) => ({ ...entry, index, score: plausibilityPenalty(entry.outcome.issues, path) }))
      .sort(
        (a, b) => a.score - b.score || a.outcome.issues.length - b.outcome.issues.length || a.index - b.index,
      );
    const best = scored[0];
    if (!best) return;
    const tied = scored.filter(
      (entry) => entry.score === best.score && entry.outcome.issues.length === best.outcome.issues.length,
    );
    if (
      tied.length > 1 &&
      tied.every((entry) =>
        entry.outcome.issues.every((found) => found.path === path && SHAPE_KEYWORDS.has(found.keyword)),
      )
    ) {
      issues.push(
        this.combined(
          path,
          tied.map((entry) => ({ branch: entry.branch, issues: entry.outcome.issues })),
        ),
      );
      return;
    }
    issues.push(...best.outcome.issues);
    best.outcome.evaluated.forEach((name) => evaluated.add(name));
  }

  /** One finding for a value that fits none of several alternatives for the same superficial reason. */
  private combined(
    path: string,
    alternatives: Array<{ branch: SchemaNode; issues: SchemaIssue[] }>,
  ): SchemaIssue {
    if (alternatives.every((alternative) => alternative.issues.every((found) => found.keyword === "type"))) {
      const expected = new Set<string>();
      for (const alternative of alternatives) {
        const branch = this.deref(alternative.branch);
        const types = typeof branch === "object" ? branch.type : undefined;
        for (const type of Array.isArray(types) ? types : [types])
          if (typeof type === "string") expected.add(type);
      }
      if (expected.size > 0)
        return issue(
          path,
          "schema.type",
          "type",
          `must be ${joinAlternatives([...expected].map(withArticle))}`,
        );
    }
    const titles = alternatives
      .map((alternative) => this.titleOf(alternative.branch))
      .filter((title): title is string => Boolean(title));
    if (titles.length === alternatives.length) {
      return issue(
        path,
        "schema.one-of",
        "oneOf",
        `must be ${joinAlternatives([...new Set(titles)].map((title) => withArticle(humanizeTitle(title))))}`,
      );
    }
    return alternatives[0]?.issues[0] ?? issue(path, "schema.invalid", "oneOf", "does not match the schema");
  }

  private titleOf(branch: SchemaNode): string | undefined {
    if (typeof branch !== "object") return undefined;
    if (typeof branch.title === "string") return branch.title;
    const target = this.deref(branch);
    return typeof target === "object" && typeof target.title === "string" ? target.title : undefined;
  }

  private deref(branch: SchemaNode): SchemaNode | undefined {
    let node: SchemaNode | undefined = branch;
    for (
      let hops = 0;
      hops < 8 && typeof node === "object" && typeof node.$ref === "string" && node.type === undefined;
      hops += 1
    ) {
      node = this.resolve(node.$ref);
    }
    return node;
  }

  private resolve(ref: string): SchemaNode | undefined {
    if (!ref.startsWith("#")) return undefined;
    let node: unknown = this.options.root;
    for (const segment of splitPointer(ref.slice(1))) {
      if (Array.isArray(node)) node = node[Number(segment)];
      else if (isPlainObject(node)) node = node[segment];
      else return undefined;
    }
    return typeof node === "boolean" || isPlainObject(node) ? node : undefined;
  }

  private pattern(source: string): RegExp | null {
    if (!this.patterns.has(source)) {
      try {
        this.patterns.set(source, new RegExp(source, "u"));
      } catch {
        this.patterns.set(source, null);
      }
    }
    return this.patterns.get(source) ?? null;
  }
}

const SHAPE_KEYWORDS = new Set(["type", "pattern", "format", "const", "enum"]);

/** How strongly a branch's issues say "the value was not meant to be this alternative". */
function plausibilityPenalty(issues: SchemaIssue[], root: string): number {
  let penalty = 0;
  for (const found of issues) {
    const atRoot = found.path === root;
    if (found.keyword === "type" && atRoot) penalty += 1000;
    else if (found.keyword === "const" || found.keyword === "not") penalty += 500;
    else if (
      (found.keyword === "required" || found.keyword === "enum" || found.keyword === "pattern") &&
      atRoot
    )
      penalty += 100;
    else if (found.keyword === "type" && pointerDepth(found.path) === pointerDepth(root) + 1) penalty += 20;
    else penalty += 1;
  }
  return penalty;
}

function issue(path: string, code: DiagnosticCode, keyword: string, message: string): SchemaIssue {
  return { path, code, keyword, message };
}

function sizeMessage(schema: Record<string, unknown>, bound: string, limit: number, keys: string[]): string {
  if (schema.title === "TaskItem") {
    return keys.length === 0
      ? "a task list item must hold exactly one named task, found none"
      : `a task list item must hold exactly one named task, found ${keys.length} (${keys.map((key) => `'${key}'`).join(", ")})`;
  }
  return `must have ${bound} ${limit} propert${limit === 1 ? "y" : "ies"}`;
}

function matchesType(type: unknown, value: unknown): boolean {
  const types = Array.isArray(type) ? type : [type];
  return types.some((expected) => {
    switch (expected) {
      case "object":
        return isPlainObject(value);
      case "array":
        return Array.isArray(value);
      case "string":
        return typeof value === "string";
      case "number":
        return typeof value === "number";
      case "integer":
        return typeof value === "number" && Number.isInteger(value);
      case "boolean":
        return typeof value === "boolean";
      case "null":
        return value === null;
      default:
        return true;
    }
  });
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function withArticle(noun: string): string {
  if (noun === "null") return "null";
  return /^[aeiou]/i.test(noun) ? `an ${noun}` : `a ${noun}`;
}

function joinAlternatives(items: string[]): string {
  if (items.length <= 1) return items[0] ?? "";
  return `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

/** `DurationLiteral` reads as `duration literal`. */
export function humanizeTitle(title: string): string {
  return title
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase();
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((item, index) => deepEqual(item, b[index]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => deepEqual(a[key], b[key]));
  }
  return false;
}

function checkNumber(
  schema: Record<string, unknown>,
  value: number,
  path: string,
  issues: SchemaIssue[],
): void {
  if (typeof schema.minimum === "number" && value < schema.minimum) {
    issues.push(issue(path, "schema.size", "minimum", `must be at least ${schema.minimum}`));
  }
  if (typeof schema.maximum === "number" && value > schema.maximum) {
    issues.push(issue(path, "schema.size", "maximum", `must be at most ${schema.maximum}`));
  }
}

const KEYWORD_RANK: Record<string, number> = {
  unevaluatedProperties: 0,
  additionalProperties: 0,
  required: 1,
  type: 2,
  maxProperties: 3,
  minProperties: 3,
  enum: 4,
  const: 4,
  pattern: 5,
  format: 5,
};

/** Deepest findings first, the most specific keywords first at equal depth, each finding once. */
function dedupe(issues: SchemaIssue[]): SchemaIssue[] {
  const seen = new Set<string>();
  const unique = issues.filter((found) => {
    const key = `${found.path}\u0000${found.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique
    .map((found, index) => ({ found, index }))
    .sort(
      (a, b) =>
        pointerDepth(b.found.path) - pointerDepth(a.found.path) ||
        (KEYWORD_RANK[a.found.keyword] ?? 9) - (KEYWORD_RANK[b.found.keyword] ?? 9) ||
        a.index - b.index,
    )
    .map((entry) => entry.found);
}
