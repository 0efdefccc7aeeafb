import { AppError } from "../../kernel/app-error.ts";
import { decodeCursor, type Cursor } from "../../platform/http/pagination.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Reads a cursor this API handed out, checking that its parts have the shape the query compares them with
 * (a date, an instant, a number), so a tampered cursor is refused as input instead of failing in SQL.
 */
export function readCursor(
  text: string | undefined,
  after: "date" | "instant" | "number",
): Cursor | undefined {
  const cursor = decodeCursor(text);
  if (!cursor) return undefined;
  const value = cursor.after;
  const valid =
    UUID.test(cursor.id) &&
    (after === "number"
      ? typeof value === "number"
      : typeof value === "string" &&
        (after === "date" ? DATE.test(value) : !Number.isNaN(Date.parse(value))));
  if (!valid) {
    throw AppError.invalidInput([{ field: "query.cursor", reason: "is not a cursor returned by this API" }]);
  }
  return cursor;
}
