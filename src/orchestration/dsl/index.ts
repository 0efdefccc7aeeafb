/** Serverless Workflow DSL 1.0: parsing, validation, runtime expressions, durations and errors. */
export type { Diagnostic, DiagnosticCode } from "./diagnostic.types.ts";
export {
  durationObjectToMilliseconds,
  durationToMilliseconds,
  formatDuration,
  parseIsoDuration,
} from "./duration.parser.ts";
export { ARGUMENTS_BY_SITE, argumentsFor, type ExpressionSiteKind } from "./expression-arguments.ts";
export { ExpressionError, isExpressionError, type ExpressionPhase } from "./expression.error.ts";
export {
  checkJqFilter,
  checkJqFilters,
  evaluateJq,
  evaluateJqBatch,
  type JqBatchResult,
  type JqEvaluationOptions,
  type JqVariables,
} from "./jq.evaluator.ts";
export {
  collapseOutputs,
  collectTemplateExpressions,
  evaluateCondition,
  evaluateExpression,
  evaluateTemplate,
  expressionOf,
  isRuntimeExpression,
  parseTemplateString,
  type TemplateString,
} from "./runtime-expression.ts";
export {
  createSchemaValidator,
  defaultSchemaValidator,
  defaultWorkflowSchemaPath,
  loadWorkflowSchema,
  WORKFLOW_SCHEMA_ENV,
  type SchemaValidator,
} from "./schema.validator.ts";
export { checkWorkflowSemantics, type SemanticCheckOptions } from "./semantic.checker.ts";
export {
  findUnsupportedFeatures,
  unsupportedFeatureMessage,
  unsupportedFeatures,
  type UnsupportedFeature,
} from "./unsupported-feature.finder.ts";
export {
  createWorkflowError,
  errorTypesMatch,
  isSpecNamespaceErrorType,
  isWorkflowError,
  STANDARD_ERROR_NAMES,
  STANDARD_ERROR_STATUS,
  standardErrorName,
  standardErrorType,
  type StandardErrorName,
  type WorkflowError,
} from "./workflow-error.ts";
export { parseWorkflowText, type ParseResult } from "./workflow.parser.ts";
export { taskKind, TASK_KINDS } from "./workflow.types.ts";
export type { Task, TaskKind, TaskList, Workflow } from "./workflow.types.ts";
export {
  validateWorkflowDocument,
  validateWorkflowObject,
  type ValidationOptions,
  type ValidationResult,
} from "./workflow.validator.ts";
