import { ZInvoice, ZNote } from "./invoice.schemas.ts";
import type { Invoice, Note } from "./invoice.schemas.ts";
import { parseWith } from "./zod-issues.ts";

/** Validates an invoice, throwing AppError INVALID_INPUT that names every bad field ("lines.2.quantity"). */
export function parseInvoice(input: unknown): Invoice {
  return parseWith(ZInvoice, input);
}

/** Validates a credit or debit note the same way. */
export function parseNote(input: unknown): Note {
  return parseWith(ZNote, input);
}
