import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { sharedPath } from "../../../test/support/shared-path.ts";

/** Test helper: reads a file of the shared India reference data (never copied into the project). */
export function readReferenceText(relativePath: string): string {
  return readFileSync(sharedPath("reference/india", relativePath), "utf8");
}

/** Test helper: a reference CSV as records; "#" comment lines dropped, CRLF and LF endings both accepted. */
export function readReferenceCsv(relativePath: string): Record<string, string>[] {
  const text = readReferenceText(relativePath)
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .filter((line) => !line.startsWith("#"))
    .join("\n");
  return parse(text, { columns: true, skip_empty_lines: true });
}

export function readReferenceJson(relativePath: string): unknown {
  return JSON.parse(readReferenceText(relativePath)) as unknown;
}
