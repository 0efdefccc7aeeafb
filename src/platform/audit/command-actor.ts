import { AppError } from "../../kernel/app-error.ts";
import type { AuditActor } from "./audit.log.ts";

/** Who runs a command, as callers name it: `user:<id>`, `api-key:<id>`, `workflow:<instanceId>`, `system[:<job>]`. */
export interface CommandMeta {
  tenantId: string;
  actor: string;
  requestId?: string;
  /** A command repeated with the same key is carried out once; the repeat gets the first answer. */
  idempotencyKey?: string;
}

/** The audit actor for an actor string; anything unrecognised is recorded as a system actor under its full name. */
export function auditActorOf(actor: string): AuditActor {
  const trimmed = actor.trim();
  if (trimmed === "") throw AppError.invalidInput([{ field: "actor", reason: "must not be empty" }]);
  const separator = trimmed.indexOf(":");
  const type = separator === -1 ? trimmed : trimmed.slice(0, separator);
  const id = separator === -1 ? "" : trimmed.slice(separator + 1);
  if ((type === "user" || type === "api-key" || type === "workflow") && id !== "") return { type, id };
  if (type === "system") return id === "" ? { type: "system" } : { type: "system", id };
  return { type: "system", id: trimmed };
}

/** Command metadata from an action context or a route principal; an empty idempotency key counts as none. */
export function metaOf(ctx: {
  tenantId: string;
  actor: string;
  idempotencyKey?: string | undefined;
  requestId?: string | undefined;
}): CommandMeta {
  return {
    tenantId: ctx.tenantId,
    actor: ctx.actor,
    ...(ctx.idempotencyKey ? { idempotencyKey: ctx.idempotencyKey } : {}),
    ...(ctx.requestId !== undefined ? { requestId: ctx.requestId } : {}),
  };
}
