import type { Diagnostic } from "./diagnostic.types.ts";
import { isPlainObject } from "./json-pointer.util.ts";
import { checkWorkflowSemantics, type SemanticCheckOptions } from "./semantic.checker.ts";
import { defaultSchemaValidator, type SchemaValidator } from "./schema.validator.ts";
import { checkJsonCompatible, parseWorkflowText } from "./workflow.parser.ts";
import type { Workflow } from "./workflow.types.ts";

export interface ValidationOptions extends SemanticCheckOptions {
  /** Schema validator to use; defaults to the DSL schema loaded once from its configured location. */
  schemaValidator?: SchemaValidator;
}

export interface ValidationResult {
  /** True when there is no error (warnings allowed). */
  ok: boolean;
  /** The document, present when `ok`. */
  workflow?: Workflow;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

/**
 * Parses (YAML or JSON) and validates a workflow document: JSON Schema first, then the checks the schema
 * cannot make (flow directive targets, duplicate names, reachability, functions, expressions, error types,
 * references), all reported at once. Features this runtime refuses come back as warnings
 * (`not supported by this runtime: <feature>`). Never throws.
 */
export function validateWorkflowDocument(text: string, options: ValidationOptions = {}): ValidationResult {
  try {
    if (typeof text !== "string") {
      return failed([
        { path: "", code: "document-type", message: "a workflow document must be given as text" },
      ]);
    }
    const parsed = parseWorkflowText(text);
    if (parsed.errors.length > 0) return { ok: false, errors: parsed.errors, warnings: parsed.warnings };
    const result = validateWorkflowObject(parsed.value, options);
    return { ...result, warnings: [...parsed.warnings, ...result.warnings] };
  } catch (error) {
    return failed([internalDiagnostic(error)]);
  }
}

/** Validates an already parsed document (a JSON value). Never throws. */
export function validateWorkflowObject(value: unknown, options: ValidationOptions = {}): ValidationResult {
  try {
    const jsonIssues = checkJsonCompatible(value);
    if (jsonIssues.length > 0) return failed(jsonIssues);
    if (!isPlainObject(value)) {
      return failed([
        {
          path: "",
          code: "document-type",
          message: "a workflow document must be a mapping with 'document' and 'do'",
        },
      ]);
    }
    let validator: SchemaValidator;
    try {
      validator = options.schemaValidator ?? defaultSchemaValidator();
    } catch (error) {
      return failed([
        {
          path: "",
          code: "schema-unavailable",
          message: error instanceof Error ? error.message : String(error),
        },
      ]);
    }
    const errors = validator.validate(value);
    const semantic = checkWorkflowSemantics(value, options);
    errors.push(...semantic.errors);
    const ok = errors.length === 0;
    return {
      ok,
      ...(ok ? { workflow: value as unknown as Workflow } : {}),
      errors,
      warnings: semantic.warnings,
    };
  } catch (error) {
    return failed([internalDiagnostic(error)]);
  }
}

function failed(errors: Diagnostic[]): ValidationResult {
  return { ok: false, errors, warnings: [] };
}

function internalDiagnostic(error: unknown): Diagnostic {
  const message = error instanceof Error ? error.message : String(error);
  return { path: "", code: "internal", message: `the document could not be validated: ${message}` };
}
