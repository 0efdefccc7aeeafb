import { isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from "yaml";
import type { Diagnostic } from "./diagnostic.types.ts";
import { escapePointerSegment, isPlainObject } from "./json-pointer.util.ts";

export interface ParseResult {
  /** The parsed JSON value; undefined when `errors` is not empty. */
  value: unknown;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

/** Deeper documents are refused: nothing legitimate nests this far, and recursion must stay bounded. */
export const MAX_DOCUMENT_DEPTH = 128;

/**
 * Parses a workflow document written in YAML or JSON (JSON is YAML 1.2). Duplicate keys, several
 * documents in one text, and values that have no JSON equivalent (`.nan`, binary, ...) are errors.
 * Never throws.
 */
export function parseWorkflowText(text: string): ParseResult {
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  let document: Document.Parsed;
  try {
    document = parseDocument(text, {
      uniqueKeys: true,
      prettyErrors: true,
      version: "1.2",
      keepSourceTokens: false,
    });
  } catch (error) {
    return {
      value: undefined,
      errors: [{ path: "", code: "yaml-syntax", message: describeThrown(error) }],
      warnings,
    };
  }
  // After the first syntax errors the parser mostly reports their consequences: keep the first three.
  for (const error of document.errors.slice(0, 3)) {
    errors.push({
      path: locatePointer(document, error.pos[0]),
      code: error.code === "DUPLICATE_KEY" ? "duplicate-key" : "yaml-syntax",
      message: firstLine(error.message),
      ...linePosition(error.linePos),
    });
  }
  for (const warning of document.warnings) {
    warnings.push({
      path: locatePointer(document, warning.pos[0]),
      code: "yaml-warning",
      message: firstLine(warning.message),
      ...linePosition(warning.linePos),
    });
  }
  if (errors.length > 0) return { value: undefined, errors, warnings };

  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return {
      value: undefined,
      errors: [{ path: "", code: "yaml-syntax", message: describeThrown(error) }],
      warnings,
    };
  }
  const jsonIssues = checkJsonCompatible(value);
  if (jsonIssues.length > 0) return { value: undefined, errors: jsonIssues, warnings };
  return { value, errors, warnings };
}

/**
 * Reports values a JSON document cannot hold and nesting beyond MAX_DOCUMENT_DEPTH. Iterative, so
 * that a hostile document cannot exhaust the stack.
 */
export function checkJsonCompatible(root: unknown): Diagnostic[] {
  const issues: Diagnostic[] = [];
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value: root, path: "", depth: 0 }];
  while (stack.length > 0 && issues.length < 20) {
    const { value, path, depth } = stack.pop()!;
    if (depth > MAX_DOCUMENT_DEPTH) {
      issues.push({
        path,
        code: "not-json",
        message: `the document nests deeper than ${MAX_DOCUMENT_DEPTH} levels`,
      });
      continue;
    }
    if (value === null || typeof value === "string" || typeof value === "boolean") continue;
    if (typeof value === "number") {
      if (!Number.isFinite(value))
        issues.push({ path, code: "not-json", message: `${String(value)} is not a JSON number` });
      continue;
    }
    if (Array.isArray(value)) {
      value.forEach((item, index) => stack.push({ value: item, path: `${path}/${index}`, depth: depth + 1 }));
      continue;
    }
    if (isPlainObject(value) && Object.getPrototypeOf(value) === Object.prototype) {
      for (const [key, item] of Object.entries(value)) {
        stack.push({ value: item, path: `${path}/${escapePointerSegment(key)}`, depth: depth + 1 });
      }
      continue;
    }
    issues.push({
      path,
      code: "not-json",
      message: `a value of type ${describeType(value)} has no JSON equivalent`,
    });
  }
  return issues;
}

function describeType(value: unknown): string {
  if (typeof value !== "object" || value === null) return typeof value;
  const name = (value as { constructor?: { name?: string } }).constructor?.name;
  return name ?? "object";
}

function firstLine(message: string): string {
  const line = message.split("\n")[0]?.trim() ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, "");
}

function linePosition(linePos: ReadonlyArray<{ line: number; col: number }> | undefined): {
  line?: number;
  column?: number;
} {
  const start = linePos?.[0];
  return start ? { line: start.line, column: start.col } : {};
}

function describeThrown(error: unknown): string {
  return error instanceof Error ? firstLine(error.message) : String(error);
}

/** JSON pointer of the deepest node whose source range holds `offset`; "" when none does. */
function locatePointer(document: Document.Parsed, offset: number): string {
  let pointer = "";
  let node: unknown = document.contents;
  for (let depth = 0; depth < MAX_DOCUMENT_DEPTH && node; depth += 1) {
    let next: { segment: string; node: unknown } | undefined;
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key as Node | null;
        const valueNode = pair.value as Node | null;
        const start = keyNode?.range?.[0] ?? valueNode?.range?.[0];
        const end = valueNode?.range?.[2] ?? keyNode?.range?.[2];
        if (start === undefined || end === undefined || offset < start || offset > end) continue;
        const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
        next = {
          segment: key,
          node: valueNode && offset >= (valueNode.range?.[0] ?? Infinity) ? valueNode : undefined,
        };
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        const range = (item as Node | null)?.range;
        if (range && offset >= range[0] && offset <= range[2]) next = { segment: String(index), node: item };
      });
    }
    if (!next) break;
    pointer += `/${escapePointerSegment(next.segment)}`;
    node = next.node;
  }
  return pointer;
}
