/**
 * One finding about a workflow document. `path` is a JSON pointer into the parsed document
 * (`/do/2/sendReminder/call`); the empty string designates the whole document.
 */
export interface Diagnostic {
  path: string;
  message: string;
  code: DiagnosticCode;
  /** 1-based line and column in the source text, when the finding could be located there. */
  line?: number;
  column?: number;
}

export type DiagnosticCode =
  | "yaml-syntax"
  | "duplicate-key"
  | "yaml-warning"
  | "not-json"
  | "document-type"
  | "schema-unavailable"
  | "schema.required"
  | "schema.unexpected-property"
  | "schema.type"
  | "schema.enum"
  | "schema.const"
  | "schema.pattern"
  | "schema.format"
  | "schema.size"
  | "schema.not"
  | "schema.one-of"
  | "schema.task-type"
  | "schema.invalid"
  | "duplicate-task-name"
  | "unknown-then-target"
  | "unreachable-task"
  | "unknown-function"
  | "unverified-function"
  | "expression-syntax"
  | "unknown-error-type"
  | "unknown-reference"
  | "invalid-variable-name"
  | "invalid-duration"
  | "unsupported-feature"
  | "internal";

export function makeDiagnostic(path: string, code: DiagnosticCode, message: string): Diagnostic {
  return { path, code, message };
}
