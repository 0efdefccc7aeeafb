/**
 * Which runtime expression arguments (`$context`, `$input`, ...) each kind of expression sees, after the
 * table in the DSL's "Runtime expression arguments" section. The validator compile-checks expressions
 * with exactly these names bound, and the interpreter binds exactly these, so a misplaced `$output`
 * is reported before a run rather than failing during one.
 */

export type ExpressionSiteKind =
  | "workflowInputFrom"
  | "taskInputFrom"
  | "taskIf"
  | "taskDefinition"
  | "taskOutputAs"
  | "taskExportAs"
  | "workflowOutputAs";

export const ARGUMENTS_BY_SITE: Readonly<Record<ExpressionSiteKind, readonly string[]>> = {
  workflowInputFrom: ["secrets", "workflow", "runtime"],
  taskInputFrom: ["context", "secrets", "task", "workflow", "runtime"],
  taskIf: ["context", "input", "secrets", "task", "workflow", "runtime"],
  taskDefinition: ["context", "input", "secrets", "task", "workflow", "runtime", "authorization"],
  taskOutputAs: ["context", "input", "secrets", "task", "workflow", "runtime", "authorization"],
  taskExportAs: ["context", "input", "output", "secrets", "task", "workflow", "runtime", "authorization"],
  workflowOutputAs: ["context", "secrets", "workflow", "runtime"],
};

/** Names in scope for an expression: the site's arguments plus custom variables (`$item`, `$error`, ...). */
export function argumentsFor(site: ExpressionSiteKind, customVariables: readonly string[] = []): string[] {
  return [...new Set([...ARGUMENTS_BY_SITE[site], ...customVariables])];
}
