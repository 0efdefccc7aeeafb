import { z } from "zod";
import { AppError } from "../../kernel/app-error.ts";

/** Query parameters every list route accepts. */
export function listQuerySchema<const SortField extends string>(
  sortFields: readonly [SortField, ...SortField[]],
) {
  return z.object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().max(500).optional(),
    sort: z
      .string()
      .regex(/^-?[a-zA-Z_]+$/, "must be a field name, optionally prefixed with - for descending")
      .refine((value) => (sortFields as readonly string[]).includes(value.replace(/^-/, "")), {
        message: `must be one of ${sortFields.join(", ")} (prefix - for descending)`,
      })
      .optional(),
  });
}

export interface Cursor {
  /** The sort key of the last row returned, and its id to break ties. */
  after: string | number;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.after, cursor.id])).toString("base64url");
}

/** Reads a cursor given back by a client; anything it did not receive from us is refused, never guessed. */
export function decodeCursor(text: string | undefined): Cursor | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      (typeof parsed[0] === "string" || typeof parsed[0] === "number") &&
      typeof parsed[1] === "string"
    ) {
      return { after: parsed[0], id: parsed[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw AppError.invalidInput([{ field: "query.cursor", reason: "is not a cursor returned by this API" }]);
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Builds a page from `limit + 1` fetched rows: the extra row only tells whether there is a next page. */
export function toPage<T>(rows: T[], limit: number, cursorOf: (row: T) => Cursor): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(cursorOf(last)) : null };
}

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}
