import type { FastifyRequest, onRequestAsyncHookHandler } from "fastify";
import type { RateLimitDecision, RateLimiter } from "./rate.limiter.ts";
import { problem, sendProblem } from "./problem.details.ts";

export interface RateLimitHookOptions {
  /** Per caller: the API key, else the user, else the client address. */
  limiter: RateLimiter;
  /** Optional second bucket shared by everything a tenant does. */
  tenantLimiter?: RateLimiter;
  /** Override the caller key. */
  keyOf?: (request: FastifyRequest) => string;
}

export function callerKey(request: FastifyRequest): string {
  const principal = request.principal;
  if (principal?.kind === "api-key" && principal.apiKeyId) return `api-key:${principal.apiKeyId}`;
  if (principal?.userId) return `user:${principal.userId}`;
  return `ip:${request.ip}`;
}

/**
 * onRequest hook, added after the authentication hook: takes a token from the caller's bucket (and the
 * tenant's) and answers 429 with Retry-After when one is empty.
 */
export function rateLimit(options: RateLimitHookOptions): onRequestAsyncHookHandler {
  const keyOf = options.keyOf ?? callerKey;
  return async function limitRate(request, reply) {
    const decisions: RateLimitDecision[] = [await options.limiter.take(keyOf(request))];
    const tenantId = request.principal?.tenantId;
    if (options.tenantLimiter && tenantId && decisions[0]?.allowed) {
      decisions.push(await options.tenantLimiter.take(`tenant:${tenantId}`));
    }
    const refused = decisions.find((decision) => !decision.allowed);
    const shown = refused ?? decisions[0];
    if (shown) {
      reply.header("ratelimit-limit", String(shown.limit));
      reply.header("ratelimit-remaining", String(shown.remaining));
    }
    if (refused) {
      const seconds = Math.max(1, Math.ceil(refused.retryAfterMs / 1000));
      reply.header("retry-after", String(seconds));
      return sendProblem(
        reply,
        problem(429, "RATE_LIMITED", `too many requests; try again in ${seconds} s`, {
          retryAfterSeconds: seconds,
        }),
      );
    }
  };
}
