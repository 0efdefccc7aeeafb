/**
 * Errors of the DSL: RFC 7807 problem details with the spec's standard error types.
 *
 * Type URIs. The standard types live in `https://serverlessworkflow.io/spec/1.0.0/errors/<name>`. Earlier
 * drafts (and the conformance kit) also write `https://serverlessworkflow.io/dsl/errors/types/<name>`;
 * both forms, and other `spec/<version>` segments, name the same standard type when errors are matched.
 * Any other absolute URI is a custom error type and is allowed. A URI inside the spec's namespaces
 * that names no standard type is a mistake the validator reports.
 */

export const STANDARD_ERROR_NAMES = [
  "configuration",
  "validation",
  "expression",
  "authentication",
  "authorization",
  "timeout",
  "communication",
  "runtime",
] as const;

export type StandardErrorName = (typeof STANDARD_ERROR_NAMES)[number];

export const STANDARD_ERROR_NAMESPACE = "https://serverlessworkflow.io/spec/1.0.0/errors/";

/** The default status of each standard type. */
export const STANDARD_ERROR_STATUS: Readonly<Record<StandardErrorName, number>> = {
  configuration: 400,
  validation: 400,
  expression: 400,
  authentication: 401,
  authorization: 403,
  timeout: 408,
  communication: 500,
  runtime: 500,
};

export interface WorkflowError {
  type: string;
  status: number;
  title?: string;
  detail?: string;
  /** JSON pointer of the task the error comes from (`/do/0/getPet`). */
  instance?: string;
}

const SPEC_NAMESPACE =
  /^https?:\/\/serverlessworkflow\.io\/(?:spec\/[^/]+\/errors\/|dsl\/errors\/types\/)([^/?#]*)$/;

export function standardErrorType(name: StandardErrorName): string {
  return `${STANDARD_ERROR_NAMESPACE}${name}`;
}

/** True for URIs inside the spec's error namespaces, whether or not they name a standard type. */
export function isSpecNamespaceErrorType(type: string): boolean {
  return SPEC_NAMESPACE.test(type.trim());
}

/** The standard type a URI names, in any of the spec's namespaces; undefined for custom types. */
export function standardErrorName(type: string): StandardErrorName | undefined {
  const name = SPEC_NAMESPACE.exec(type.trim())?.[1];
  return (STANDARD_ERROR_NAMES as readonly string[]).includes(name ?? "")
    ? (name as StandardErrorName)
    : undefined;
}

/** Compares error types; the spec's namespaces are interchangeable for the standard types. */
export function errorTypesMatch(expected: string, actual: string): boolean {
  if (expected.trim() === actual.trim()) return true;
  const expectedName = standardErrorName(expected);
  return expectedName !== undefined && expectedName === standardErrorName(actual);
}

export function createWorkflowError(
  name: StandardErrorName,
  fields: { title?: string; detail?: string; status?: number; instance?: string } = {},
): WorkflowError {
  return {
    type: standardErrorType(name),
    status: fields.status ?? STANDARD_ERROR_STATUS[name],
    ...(fields.title === undefined ? {} : { title: fields.title }),
    ...(fields.detail === undefined ? {} : { detail: fields.detail }),
    ...(fields.instance === undefined ? {} : { instance: fields.instance }),
  };
}

export function isWorkflowError(value: unknown): value is WorkflowError {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.type === "string" && typeof candidate.status === "number";
}
