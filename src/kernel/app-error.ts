/** The one error type of the application; mapped to HTTP (RFC 9457) only at the edge. */
export const ERROR_CODES = [
  "INVALID_INPUT",
  "NOT_FOUND",
  "CONFLICT",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "PRECONDITION_FAILED",
  "PRECONDITION_REQUIRED",
  "TOO_LARGE",
  "RATE_LIMITED",
  "UNAVAILABLE",
  "NOT_SUPPORTED",
  "INTERNAL",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** One problem with one field of the input; `field` is a dotted path or a JSON pointer. */
export interface FieldIssue {
  field: string;
  reason: string;
}

export interface AppErrorOptions {
  code: ErrorCode;
  message: string;
  issues?: FieldIssue[];
  details?: Record<string, unknown>;
  retryable?: boolean;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly issues: FieldIssue[];
  readonly details: Record<string, unknown>;
  readonly retryable: boolean;

  constructor(options: AppErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AppError";
    this.code = options.code;
    this.issues = options.issues ?? [];
    this.details = options.details ?? {};
    this.retryable = options.retryable ?? false;
  }

  static invalidInput(issues: FieldIssue[], message?: string): AppError {
    const summary = issues.map((issue) => `${issue.field}: ${issue.reason}`).join("; ");
    return new AppError({ code: "INVALID_INPUT", message: message ?? `invalid input: ${summary}`, issues });
  }

  static notFound(what: string, id: string): AppError {
    return new AppError({ code: "NOT_FOUND", message: `${what} ${id} not found`, details: { what, id } });
  }

  static conflict(message: string, details?: Record<string, unknown>): AppError {
    return new AppError({ code: "CONFLICT", message, ...(details ? { details } : {}) });
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}
