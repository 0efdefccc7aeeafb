import { durationToMilliseconds } from "../dsl/duration.parser.ts";
import { errorTypesMatch, type WorkflowError } from "../dsl/workflow-error.ts";
import type { ErrorFilter, RetryPolicy } from "../dsl/workflow.types.ts";

/**
 * Retry arithmetic of `catch.retry`.
 *
 * - `delay` (default none) is the base delay; `backoff.constant` keeps it, `backoff.linear` multiplies it
 *   by the retry number, `backoff.exponential` doubles it on every retry (delay x 2^(n-1)).
 * - `jitter` adds a random duration between `from` and `to`.
 * - `limit.attempt.count` is the number of retries after the first attempt; `limit.duration` bounds the
 *   time from the first attempt to the start of the last retry; `limit.attempt.duration` bounds each attempt.
 * - Without limits a policy retries until the task succeeds.
 *
 * Durations here are literals: the validator refuses nothing else for them, and the runtime evaluates
 * expressions before calling these functions.
 */

export interface RetryPlan {
  retry: boolean;
  /** Why not, when `retry` is false. */
  reason?: "attempts" | "duration";
  delayMs: number;
}

/** The delay before retry number `retryNumber` (1 for the first retry), jitter excluded. */
export function backoffDelay(policy: RetryPolicy, retryNumber: number): number {
  const base = policy.delay === undefined ? 0 : durationToMilliseconds(policy.delay);
  if (policy.backoff?.linear) return base * retryNumber;
  if (policy.backoff?.exponential) return base * 2 ** (retryNumber - 1);
  return base;
}

/** A jitter amount for a random fraction in [0, 1). */
export function jitterDelay(policy: RetryPolicy, fraction: number): number {
  if (!policy.jitter) return 0;
  const from = durationToMilliseconds(policy.jitter.from);
  const to = durationToMilliseconds(policy.jitter.to);
  return Math.round(Math.min(from, to) + Math.abs(to - from) * fraction);
}

/** Whether retry number `retryNumber` may happen, `elapsedMs` after the first attempt started. */
export function planRetry(
  policy: RetryPolicy,
  retryNumber: number,
  elapsedMs: number,
  jitterFraction: number,
): RetryPlan {
  const delayMs = backoffDelay(policy, retryNumber) + jitterDelay(policy, jitterFraction);
  const count = policy.limit?.attempt?.count;
  if (count !== undefined && retryNumber > count) return { retry: false, reason: "attempts", delayMs };
  if (
    policy.limit?.duration !== undefined &&
    elapsedMs + delayMs > durationToMilliseconds(policy.limit.duration)
  ) {
    return { retry: false, reason: "duration", delayMs };
  }
  return { retry: true, delayMs };
}

/**
 * Whether an error passes `catch.errors.with`. Each given field must equal the error's; types compare with
 * the spec's namespace aliases, `instance` also matches errors raised below it, `details` is the error's `detail`.
 */
export function matchesErrorFilter(filter: ErrorFilter | undefined, error: WorkflowError): boolean {
  if (!filter) return true;
  if (filter.type !== undefined && !errorTypesMatch(filter.type, error.type)) return false;
  if (filter.status !== undefined && filter.status !== error.status) return false;
  if (filter.instance !== undefined) {
    const instance = error.instance ?? "";
    if (instance !== filter.instance && !instance.startsWith(`${filter.instance}/`)) return false;
  }
  if (filter.title !== undefined && filter.title !== error.title) return false;
  if (filter.details !== undefined && filter.details !== error.detail) return false;
  return true;
}
