import { AppError } from "../../kernel/app-error.ts";
import type { FieldIssue } from "../../kernel/app-error.ts";
import type { z } from "zod";

/** Dotted field path of a zod issue ("contacts.0.email"); the root is named by `root` when the path is empty. */
export function fieldPathOf(path: readonly PropertyKey[], root = "input"): string {
  if (path.length === 0) return root;
  return path.map((segment) => String(segment)).join(".");
}

/** Every zod issue as a FieldIssue, in order. */
export function fieldIssuesOf(error: z.ZodError, prefix?: string): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = fieldPathOf(issue.path, prefix ?? "input");
    return { field: prefix && issue.path.length > 0 ? `${prefix}.${path}` : path, reason: issue.message };
  });
}

/** Parses with a zod schema or throws AppError INVALID_INPUT naming every bad field at once. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, prefix?: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw AppError.invalidInput(fieldIssuesOf(result.error, prefix));
  return result.data;
}
