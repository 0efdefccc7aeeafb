import { AppError, ERROR_CODES, type ErrorCode, type FieldIssue } from "../../kernel/app-error.ts";
import { jsonReplacer } from "../../platform/events/event-outbox.ts";

/** How a remote action call travels over HTTP: `POST {baseUrl}/actions/{module}.{action}`. */
export const ACTION_HEADERS = {
  tenant: "x-prapti-tenant-id",
  actor: "x-prapti-actor",
  idempotencyKey: "idempotency-key",
  requestId: "x-request-id",
  /** Milliseconds the caller will wait for this attempt; the server aborts the handler after it. */
  timeout: "x-prapti-timeout-ms",
} as const;

/** The error body of a failed call: RFC 9457 problem details plus what rebuilds the AppError on the caller. */
export interface ActionProblem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  issues?: FieldIssue[];
  details?: Record<string, unknown>;
  retryable: boolean;
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  INVALID_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  RATE_LIMITED: 429,
  NOT_SUPPORTED: 422,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

export function statusOfCode(code: ErrorCode): number {
  return STATUS[code] ?? (code.startsWith("PRECONDITION") ? 428 : 400);
}

export function problemOfError(error: AppError): ActionProblem {
  return {
    type: `https://prapti.dev/problems/${error.code.toLowerCase().replace(/_/g, "-")}`,
    title: error.code,
    status: statusOfCode(error.code),
    detail: error.message,
    code: error.code,
    ...(error.issues.length > 0 ? { issues: error.issues } : {}),
    ...(Object.keys(error.details).length > 0 ? { details: error.details } : {}),
    retryable: error.retryable,
  };
}

function codeOfStatus(status: number): ErrorCode {
  if (status === 400 || status === 422) return "INVALID_INPUT";
  if (status === 401) return "UNAUTHENTICATED";
  if (status === 403) return "FORBIDDEN";
  if (status === 404) return "NOT_FOUND";
  if (status === 409) return "CONFLICT";
  if (status === 412) return "PRECONDITION_FAILED";
  if (status === 429) return "RATE_LIMITED";
  if (status === 501) return "NOT_SUPPORTED";
  if (status === 502 || status === 503 || status === 504) return "UNAVAILABLE";
  return "INTERNAL";
}

/** Rebuilds the AppError a remote module answered with; a body that is not a problem maps by status. */
export function errorFromResponse(status: number, body: unknown, action: string, baseUrl: string): AppError {
  const problem = (typeof body === "object" && body !== null ? body : {}) as Partial<ActionProblem>;
  const known = typeof problem.code === "string" && (ERROR_CODES as readonly string[]).includes(problem.code);
  const code = known ? (problem.code as ErrorCode) : codeOfStatus(status);
  const retryable =
    typeof problem.retryable === "boolean"
      ? problem.retryable
      : status === 429 || status === 502 || status === 503 || status === 504;
  return new AppError({
    code,
    message:
      typeof problem.detail === "string" ? problem.detail : `${action} answered HTTP ${status} (${baseUrl})`,
    ...(Array.isArray(problem.issues) ? { issues: problem.issues } : {}),
    details: {
      ...(typeof problem.details === "object" && problem.details !== null ? problem.details : {}),
      remote: baseUrl,
      status,
      // A gateway error in front of the module (502, 504) leaves open whether the action ran.
      ...(status === 502 || status === 504 ? { outcomeUnknown: true } : {}),
    },
    retryable,
  });
}

/** JSON with bigint (money in paise) as digit strings, as in events. */
export function toWireJson(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value, jsonReplacer);
}
