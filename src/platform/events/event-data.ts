import type { z } from "zod";
import { AppError } from "../../kernel/app-error.ts";
import type { CloudEvent } from "./event-outbox.ts";

/**
 * An event's data read with the consumer's own copy of the contract. A payload that does not fit is the event's
 * fault, not the handler's: INVALID_INPUT naming each field (`data.<path>`), so the delivery ends as a dead letter
 * with the reason instead of being retried forever.
 */
export function readEventData<T extends z.ZodType>(schema: T, event: CloudEvent): z.output<T> {
  const parsed = schema.safeParse(event.data);
  if (!parsed.success) {
    throw AppError.invalidInput(
      parsed.error.issues.map((issue) => ({
        field: ["data", ...issue.path.map(String)].join("."),
        reason: issue.message,
      })),
      `${event.type} ${event.id} cannot be read`,
    );
  }
  return parsed.data;
}
