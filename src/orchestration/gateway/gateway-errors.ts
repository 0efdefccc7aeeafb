import { BrokenCircuitError, BulkheadRejectedError, TaskCancelledError } from "cockatiel";
import { AppError, isAppError } from "../../kernel/app-error.ts";

/** The request never reached the other side: always safe to try again. */
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);
/** The connection broke mid-way: the other side may or may not have acted. */
const OUTCOME_UNKNOWN_CODES = new Set([
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ECONNABORTED",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

export type NetworkFailure = "not-sent" | "outcome-unknown";

/** Whether an error (or its cause, as fetch wraps them) is a network failure, and of which kind. */
export function classifyNetworkError(error: unknown): NetworkFailure | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") {
      if (NOT_SENT_CODES.has(code)) return "not-sent";
      if (OUTCOME_UNKNOWN_CODES.has(code)) return "outcome-unknown";
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Why a call failed, as the `outcome` label of the gateway metrics and logs say it. */
export function outcomeOf(error: AppError): string {
  const reason = error.details.reason;
  if (typeof reason === "string" && /^[a-z_]+$/.test(reason)) return reason;
  return error.code.toLowerCase();
}

/** A retry may run the action a second time: fine for a query or a command carrying an idempotency key. */
export function safeToRepeat(kind: "command" | "query", idempotencyKey: string | undefined): boolean {
  return kind === "query" || (idempotencyKey !== undefined && idempotencyKey !== "");
}

/**
 * Retry only what may succeed next time: errors marked retryable and network failures; never invalid
 * input, conflicts or other answers. A failure that leaves the outcome unknown (a timeout, a connection
 * lost mid-way) is retried only when the action is safe to repeat.
 */
export function isRetryableFailure(error: unknown, repeatable: boolean): boolean {
  if (error instanceof BrokenCircuitError || error instanceof BulkheadRejectedError) return false;
  if (error instanceof TaskCancelledError) return repeatable;
  if (isAppError(error)) {
    if (!error.retryable) return false;
    return error.details.outcomeUnknown === true ? repeatable : true;
  }
  const network = classifyNetworkError(error);
  if (network === "not-sent") return true;
  if (network === "outcome-unknown") return repeatable;
  return false;
}

/**
 * What counts against a module's circuit breaker: the module failing to answer (timeouts, unreachable,
 * unavailable, internal errors), never a business answer such as invalid input, not found or conflict.
 */
export function isInfrastructureFailure(error: unknown): boolean {
  if (error instanceof BrokenCircuitError || error instanceof BulkheadRejectedError) return false;
  if (error instanceof TaskCancelledError) return true;
  if (isAppError(error)) return error.code === "UNAVAILABLE" || error.code === "INTERNAL";
  return true;
}

/** Turns whatever a call ended with into the AppError the caller sees. */
export function toGatewayError(
  error: unknown,
  call: { action: string; module: string; timeoutMs: number; callerAborted: boolean },
): AppError {
  const base = { module: call.module, action: call.action };
  if (error instanceof BrokenCircuitError) {
    return new AppError({
      code: "UNAVAILABLE",
      message: `module ${call.module} is unavailable (its circuit breaker is open); ${call.action} was not called`,
      details: { ...base, reason: "circuit_open" },
      retryable: true,
      cause: error,
    });
  }
  if (error instanceof BulkheadRejectedError) {
    return new AppError({
      code: "UNAVAILABLE",
      message: `module ${call.module} has too many calls in progress; ${call.action} was not called`,
      details: { ...base, reason: "bulkhead_full" },
      retryable: true,
      cause: error,
    });
  }
  if (error instanceof TaskCancelledError) {
    return call.callerAborted
      ? new AppError({
          code: "UNAVAILABLE",
          message: `${call.action} was cancelled by the caller`,
          details: { ...base, reason: "cancelled" },
          cause: error,
        })
      : new AppError({
          code: "UNAVAILABLE",
          message: `${call.action} timed out after ${call.timeoutMs} ms`,
          details: { ...base, reason: "timeout", outcomeUnknown: true },
          retryable: true,
          cause: error,
        });
  }
  if (isAppError(error)) return error;
  const network = classifyNetworkError(error);
  if (network) {
    return new AppError({
      code: "UNAVAILABLE",
      message: `${call.action} failed: ${(error as Error).message}`,
      details: {
        ...base,
        reason: "network",
        ...(network === "outcome-unknown" ? { outcomeUnknown: true } : {}),
      },
      retryable: true,
      cause: error,
    });
  }
  return new AppError({
    code: "INTERNAL",
    message: `${call.action} failed: ${error instanceof Error ? error.message : String(error)}`,
    details: base,
    cause: error,
  });
}
