import type { Kysely } from "kysely";
import { AppError } from "../../kernel/app-error.ts";
import type { DB } from "../db/schema.ts";
import { appendEvent, EventTypeRegistry, type AppendEventInput, type CloudEvent } from "./event-outbox.ts";

/**
 * Appends an event that comes from outside the domain modules (emitted by a workflow, or sent by an
 * operator or an integration). A type a module has registered is still checked against its schema; any
 * other type needs only a well-formed envelope.
 */
export async function appendExternalEvent(
  trx: Kysely<DB>,
  registry: EventTypeRegistry,
  input: AppendEventInput,
): Promise<CloudEvent> {
  const issues = [
    ...(/^[A-Za-z0-9][\w.-]{0,199}$/.test(input.type)
      ? []
      : [{ field: "type", reason: "must be 1-200 letters, digits, dots, dashes or underscores" }]),
    ...(input.source.trim() === "" ? [{ field: "source", reason: "must not be empty" }] : []),
  ];
  if (issues.length > 0) throw AppError.invalidInput(issues);
  return appendEvent(trx, registry.has(input.type) ? registry : envelopeOnly, input);
}

/** Accepts any payload: for event types no module owns. */
class EnvelopeOnlyRegistry extends EventTypeRegistry {
  override validate(_type: string, data: unknown): unknown {
    return data;
  }
}

const envelopeOnly = new EnvelopeOnlyRegistry();
