import { parse } from "csv-parse/sync";
import { AppError, type FieldIssue } from "../../kernel/app-error.ts";

/** A CSV record with the file line it starts on (1-based, as a spreadsheet shows it). */
export interface CsvRow {
  lineNumber: number;
  cells: string[];
}

/**
 * Reads CSV text into rows without interpreting them. Never throws anything but AppError: malformed quoting is
 * reported as INVALID_INPUT with the line where the parser stopped.
 */
export function readCsvRows(options: { text: string; delimiter?: string }): CsvRow[] {
  const text = options.text.replace(/^\uFEFF/, "");
  try {
    const records = parse(text, {
      delimiter: options.delimiter ?? ",",
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: false,
      info: true,
      bom: true,
    }) as unknown as Array<{ record: unknown[]; info: { lines: number } }>;
    let previousEnd = 0;
    return records.map(({ record, info }) => {
      const cells = record.map((cell) => (typeof cell === "string" ? cell : String(cell)));
      // info.lines is the line on which the record ends; a record starts on the line after the previous one ended
      const lineNumber = previousEnd + 1;
      previousEnd = info.lines;
      return { lineNumber, cells };
    });
  } catch (error) {
    const line =
      typeof error === "object" && error !== null && "lines" in error ? Number(error.lines) : undefined;
    const message = error instanceof Error ? error.message : "unreadable CSV";
    throw AppError.invalidInput([
      { field: line ? `rows.${line}` : "file", reason: `not readable as CSV: ${message}` },
    ]);
  }
}

function normaliseHeader(header: string): string {
  return header
    .replace(/^\uFEFF/, "")
    .trim()
    .replace(/\s+/g, " ")
    .toLowerCase();
}

/** True when every cell is empty or whitespace. */
export function isBlankRow(cells: readonly string[]): boolean {
  return cells.every((cell) => cell.trim() === "");
}

/**
 * Finds the header row (the first row that contains every required column name, ignoring case and spacing; banks
 * and TRACES put a preamble above it) and resolves each mapped column to its index. Missing columns are reported
 * as `columns.<field>` issues, all at once.
 */
export function locateColumns<Field extends string>(options: {
  rows: readonly CsvRow[];
  mapping: Readonly<Partial<Record<Field, string>>>;
  required: readonly Field[];
  maxPreambleRows?: number;
}): { headerIndex: number; columns: Partial<Record<Field, number>> } {
  const wanted = Object.entries(options.mapping).filter(
    (entry): entry is [Field, string] => typeof entry[1] === "string",
  );
  const limit = Math.min(options.rows.length, options.maxPreambleRows ?? 50);
  let best: { index: number; found: number } = { index: -1, found: -1 };
  for (let index = 0; index < limit; index += 1) {
    const row = options.rows[index];
    if (!row) continue;
    const headers = row.cells.map(normaliseHeader);
    const found = wanted.filter(([, header]) => headers.includes(normaliseHeader(header))).length;
    if (found > best.found) best = { index, found };
    if (found === wanted.length) break;
  }
  const headerRow = options.rows[best.index];
  const headers = headerRow ? headerRow.cells.map(normaliseHeader) : [];
  const columns: Partial<Record<Field, number>> = {};
  const issues: FieldIssue[] = [];
  for (const field of options.required) {
    if (typeof options.mapping[field] !== "string")
      issues.push({ field: `mapping.${field}`, reason: "no column is mapped" });
  }
  for (const [field, header] of wanted) {
    const index = headers.indexOf(normaliseHeader(header));
    if (index < 0)
      issues.push({ field: `columns.${field}`, reason: `column "${header}" not found in the header row` });
    else columns[field] = index;
  }
  if (issues.length > 0) throw AppError.invalidInput(issues);
  return { headerIndex: best.index, columns };
}

/** Cell text of a mapped column, trimmed; empty string when the row is short or the column unmapped. */
export function cellOf(row: CsvRow, index: number | undefined): string {
  if (index === undefined) return "";
  return (row.cells[index] ?? "").trim();
}
