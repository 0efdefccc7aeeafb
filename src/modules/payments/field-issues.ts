import type { z } from "zod";
import { AppError, type FieldIssue } from "../../kernel/app-error.ts";

/** Turns zod issues into field issues with dotted paths under an optional prefix. */
export function zodToFieldIssues(error: z.ZodError, prefix = ""): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map((segment) => String(segment)).join(".");
    const field = [prefix, path].filter((part) => part !== "").join(".");
    return { field: field === "" ? "(root)" : field, reason: issue.message };
  });
}

/** Parses with a zod schema, throwing INVALID_INPUT listing every bad field at once. */
export function parseWith<T extends z.ZodType>(schema: T, input: unknown, prefix = ""): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw AppError.invalidInput(zodToFieldIssues(result.error, prefix));
  return result.data;
}

/** Field path of a cell in an imported file: "rows.12.tan" for line 12, column tan. */
export function rowField(rowNumber: number, field: string): string {
  return `rows.${rowNumber}.${field}`;
}
