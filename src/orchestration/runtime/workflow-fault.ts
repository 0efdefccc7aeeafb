import { isAppError, type ErrorCode } from "../../kernel/app-error.ts";
import { isExpressionError } from "../dsl/expression.error.ts";
import {
  createWorkflowError,
  isWorkflowError,
  type StandardErrorName,
  type WorkflowError,
} from "../dsl/workflow-error.ts";

/** A workflow error travelling through the interpreter as an exception. */
export class WorkflowFault extends Error {
  readonly error: WorkflowError;

  constructor(error: WorkflowError) {
    super(error.detail ?? error.title ?? error.type);
    this.name = "WorkflowFault";
    this.error = error;
  }
}

export function isWorkflowFault(value: unknown): value is WorkflowFault {
  return value instanceof WorkflowFault;
}

export function fault(
  name: StandardErrorName,
  fields: { title?: string; detail?: string; status?: number; instance?: string },
): WorkflowFault {
  return new WorkflowFault(createWorkflowError(name, fields));
}

/** Why a scope was cancelled, when it was not a fault (a timeout cancels with its timeout fault). */
export class CancellationError extends Error {
  readonly reason: "workflow-cancelled" | "branch-lost" | "sibling-faulted" | "no-longer-needed";

  constructor(reason: CancellationError["reason"], message?: string) {
    super(message ?? reason);
    this.name = "CancellationError";
    this.reason = reason;
  }
}

export function isCancellation(value: unknown): value is CancellationError {
  return value instanceof CancellationError;
}

/** Codes without an entry (added to the kernel later) map to 500. */
const APP_ERROR_STATUS: Partial<Record<ErrorCode, number>> & Record<string, number | undefined> = {
  INVALID_INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  PRECONDITION_FAILED: 412,
  PRECONDITION_REQUIRED: 428,
  TOO_LARGE: 413,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  NOT_SUPPORTED: 501,
  INTERNAL: 500,
};

/** HTTP-style status for an AppError code. */
export function statusOfAppError(code: ErrorCode): number {
  return APP_ERROR_STATUS[code] ?? 500;
}

/**
 * The spec error for anything thrown while a task ran. `instance` is filled with the task's pointer
 * when the error does not carry one.
 */
export function toWorkflowError(thrown: unknown, instance: string): WorkflowError {
  let error: WorkflowError;
  if (isWorkflowFault(thrown)) {
    error = thrown.error;
  } else if (isExpressionError(thrown)) {
    error = createWorkflowError("expression", {
      title: thrown.phase === "compile" ? "Invalid runtime expression" : "Runtime expression failed",
      detail: thrown.expression
        ? `${thrown.message} (in: ${thrown.expression.replace(/\s+/g, " ").trim()})`
        : thrown.message,
    });
  } else if (isAppError(thrown)) {
    const name: StandardErrorName =
      thrown.code === "INVALID_INPUT"
        ? "validation"
        : thrown.code === "NOT_SUPPORTED"
          ? "configuration"
          : "runtime";
    error = createWorkflowError(name, {
      title: thrown.code,
      detail: thrown.message,
      status: statusOfAppError(thrown.code),
    });
  } else if (isWorkflowError(thrown)) {
    error = { ...thrown };
  } else {
    error = createWorkflowError("runtime", {
      title: "Runtime error",
      detail: thrown instanceof Error ? thrown.message : String(thrown),
    });
  }
  return error.instance === undefined ? { ...error, instance } : error;
}
