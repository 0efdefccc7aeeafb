import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import ajvFormats from "ajv-formats";
import { parse as parseYaml } from "yaml";
import { AppError } from "../../kernel/app-error.ts";
import type { Diagnostic } from "./diagnostic.types.ts";
import { isPlainObject } from "./json-pointer.util.ts";
import { explainSchemaErrors } from "./schema-error.explainer.ts";
import { createPackagedSchemaValidator } from "./packaged-schema.validator.ts";

/** Validates parsed workflow documents against the DSL's JSON Schema. */
export interface SchemaValidator {
  /** Findings, most specific first; empty when the value conforms. */
  validate(value: unknown): Diagnostic[];
}

/** Environment variable that points at the DSL schema (YAML or JSON) when it is not in its default place. */
export const WORKFLOW_SCHEMA_ENV = "PRAPTI_WORKFLOW_SCHEMA";

/** The nearest directory above this module that holds a package.json (works from src/ and from dist/). */
function repositoryRoot(): string {
  let directory = fileURLToPath(new URL(".", import.meta.url));
  for (let hops = 0; hops < 10; hops += 1) {
    if (existsSync(join(directory, "package.json"))) return directory;
    const parent = dirname(directory);
    if (parent === directory) break;
    directory = parent;
  }
  return resolve(fileURLToPath(new URL(".", import.meta.url)), "../../..");
}

/**
 * Where the DSL schema is read from: `$PRAPTI_WORKFLOW_SCHEMA`, else the conformance material that sits
 * beside the repository (`../shared/conformance/serverless-workflow/schema/workflow.yaml`).
 */
export function defaultWorkflowSchemaPath(): string {
  const configured = process.env[WORKFLOW_SCHEMA_ENV];
  if (configured) return resolve(configured);
  return resolve(repositoryRoot(), "../shared/conformance/serverless-workflow/schema/workflow.yaml");
}

/** Reads the DSL schema document (YAML or JSON). */
export function loadWorkflowSchema(path: string = defaultWorkflowSchemaPath()): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new AppError({
      code: "UNAVAILABLE",
      message: `the workflow DSL schema cannot be read from ${path}; set ${WORKFLOW_SCHEMA_ENV}`,
      details: { path },
      cause: error,
    });
  }
  const schema: unknown = parseYaml(text);
  if (!isPlainObject(schema)) {
    throw new AppError({
      code: "UNAVAILABLE",
      message: `the workflow DSL schema at ${path} is not a JSON Schema object`,
      details: { path },
    });
  }
  return schema;
}

export function createSchemaValidator(schema: Record<string, unknown>): SchemaValidator {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  // ajv-formats is CommonJS: its default export is the module object, whose `default` is the plugin.
  ajvFormats.default(ajv);
  const validateDocument: ValidateFunction = ajv.compile(schema);
  const formatCheckers = new Map<string, ValidateFunction>();
  const checkFormat = (format: string, value: string): boolean => {
    let checker = formatCheckers.get(format);
    if (!checker) {
      try {
        checker = ajv.compile({ type: "string", format });
      } catch {
        return true;
      }
      formatCheckers.set(format, checker);
    }
    return checker(value) === true;
  };
  return {
    validate(value: unknown): Diagnostic[] {
      if (validateDocument(value) === true) return [];
      const ajvErrors = [...(validateDocument.errors ?? [])];
      const explained = explainSchemaErrors(value, { root: schema, checkFormat });
      if (explained.length > 0) return explained.map(({ path, code, message }) => ({ path, code, message }));
      return fallbackDiagnostics(ajvErrors);
    },
  };
}

let sharedValidator: SchemaValidator | undefined;

/**
 * The validator for the default schema, compiled on first use (about 200 ms) and kept. Without the schema
 * document on disk (and no PRAPTI_WORKFLOW_SCHEMA), the schema compiled into the Serverless Workflow SDK
 * package is used instead: the same structural rules, with plainer messages.
 */
export function defaultSchemaValidator(): SchemaValidator {
  if (sharedValidator) return sharedValidator;
  const path = defaultWorkflowSchemaPath();
  if (!process.env[WORKFLOW_SCHEMA_ENV] && !existsSync(path)) {
    const packaged = createPackagedSchemaValidator();
    sharedValidator = { validate: (value) => fallbackDiagnostics(packaged.validate(value)) };
  } else {
    sharedValidator = createSchemaValidator(loadWorkflowSchema(path));
  }
  return sharedValidator;
}

function fallbackDiagnostics(errors: ErrorObject[]): Diagnostic[] {
  const summaries = new Set(["oneOf", "anyOf", "allOf", "if", "not"]);
  const specific = errors.filter((error) => !summaries.has(error.keyword));
  const chosen = specific.length > 0 ? specific : errors;
  const seen = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  for (const error of chosen) {
    const message = error.message ?? "does not match the schema";
    const key = `${error.instancePath}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    diagnostics.push({ path: error.instancePath, code: "schema.invalid", message });
  }
  return diagnostics.length > 0
    ? diagnostics
    : [{ path: "", code: "schema.invalid", message: "does not match the workflow schema" }];
}
