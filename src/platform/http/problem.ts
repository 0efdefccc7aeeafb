import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from "fastify-type-provider-zod";
import { AppError, type ErrorCode, type FieldIssue } from "../../kernel/app-error.ts";

/** RFC 9457 problem details, with Prapti's stable `code` and the offending fields. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
  issues?: FieldIssue[];
  requestId?: string;
}

const STATUS_OF: Record<ErrorCode, number> = {
  INVALID_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  PRECONDITION_REQUIRED: 428,
  TOO_LARGE: 413,
  RATE_LIMITED: 429,
  NOT_SUPPORTED: 422,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

const TITLE_OF: Record<ErrorCode, string> = {
  INVALID_INPUT: "Invalid input",
  UNAUTHENTICATED: "Authentication required",
  FORBIDDEN: "Not allowed",
  NOT_FOUND: "Not found",
  CONFLICT: "Conflict",
  PRECONDITION_FAILED: "Precondition failed",
  PRECONDITION_REQUIRED: "Precondition required",
  TOO_LARGE: "Payload too large",
  RATE_LIMITED: "Too many requests",
  NOT_SUPPORTED: "Not supported",
  UNAVAILABLE: "Service unavailable",
  INTERNAL: "Internal error",
};

export function statusOf(code: ErrorCode): number {
  return STATUS_OF[code];
}

export function problemOf(error: AppError, request?: FastifyRequest): Problem {
  return {
    type: `https://prapti.dev/problems/${error.code.toLowerCase().replace(/_/g, "-")}`,
    title: TITLE_OF[error.code],
    status: STATUS_OF[error.code],
    detail: error.message,
    code: error.code,
    ...(request ? { instance: request.url, requestId: request.id } : {}),
    ...(error.issues.length > 0 ? { issues: error.issues } : {}),
  };
}

export function sendProblem(reply: FastifyReply, error: AppError, request?: FastifyRequest): FastifyReply {
  const problem = problemOf(error, request);
  if (error.code === "RATE_LIMITED" && typeof error.details.retryAfterSeconds === "number") {
    void reply.header("retry-after", String(Math.ceil(error.details.retryAfterSeconds)));
  }
  return reply.status(problem.status).type("application/problem+json").send(problem);
}

/** Turns whatever a handler threw into problem+json; unexpected errors are logged and never leak details. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = (error as FastifyError).validationContext ?? "body";
    return AppError.invalidInput(
      error.validation.map((issue) => ({
        field: [where, ...issue.instancePath.split("/").filter(Boolean)].join("."),
        reason: issue.message ?? "is invalid",
      })),
    );
  }
  if (isResponseSerializationError(error)) {
    return new AppError({ code: "INTERNAL", message: "the response did not match its schema", cause: error });
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.statusCode === 413) {
    return new AppError({
      code: "TOO_LARGE",
      message: "the request body is larger than allowed",
      issues: [{ field: "body", reason: "too large" }],
    });
  }
  if (fastifyError.statusCode === 415) {
    return new AppError({
      code: "INVALID_INPUT",
      message: fastifyError.message,
      issues: [{ field: "content-type", reason: "unsupported" }],
    });
  }
  if (fastifyError.statusCode === 400) {
    return new AppError({
      code: "INVALID_INPUT",
      message: fastifyError.message,
      issues: [{ field: "body", reason: fastifyError.message }],
    });
  }
  return new AppError({ code: "INTERNAL", message: "an unexpected error occurred", cause: error });
}
