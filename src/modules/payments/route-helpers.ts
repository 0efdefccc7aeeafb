import type { FastifyRequest } from "fastify";
import type { RouteContext } from "../../platform/modules/module.contract.ts";
import type { CommandMeta } from "../../platform/audit/command-actor.ts";

/**
 * Command metadata of an HTTP request: the authenticated principal, the request id, and the Idempotency-Key
 * header (scoped to the caller, so two people's keys never collide).
 */
export function requestMeta(context: RouteContext, request: FastifyRequest): CommandMeta {
  const principal = context.principalOf(request);
  const header = request.headers["idempotency-key"];
  const key = Array.isArray(header) ? header[0] : header;
  return {
    tenantId: principal.tenantId,
    actor: principal.actor,
    requestId: request.id,
    ...(key ? { idempotencyKey: `http:${principal.actor}:${key}` } : {}),
  };
}

export const tenantOf = (context: RouteContext, request: FastifyRequest): string =>
  context.principalOf(request).tenantId;
