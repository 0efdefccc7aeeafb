/**
 * Invoice numbers as payers type them into narrations: "INV/2025-26/0042", "INV-2025-26-42", "inv 2025 26 42",
 * "INV2025-2026/042" all mean the same. A number is reduced to runs of letters and digits (digits without leading
 * zeros, a "2025-2026" year pair shortened to "2025-26"), and compared run by run.
 */

/** Letter and digit runs of a text, upper case, digits without leading zeros, YYYY-YYYY+1 shortened to YYYY-YY. */
export function invoiceNumberRuns(text: string): string[] {
  const runs: string[] = [];
  let start = -1;
  let digits = false;
  const length = text.length;
  for (let position = 0; position <= length; position += 1) {
    const code = position < length ? text.charCodeAt(position) : 32;
    const isDigit = code >= 48 && code <= 57;
    const isLetter = (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
    if (start >= 0 && (!(isDigit || isLetter) || isDigit !== digits)) {
      runs.push(digits ? stripZeros(text.slice(start, position)) : text.slice(start, position).toUpperCase());
      start = -1;
    }
    if (start < 0 && (isDigit || isLetter)) {
      start = position;
      digits = isDigit;
    }
  }
  for (let index = 0; index + 1 < runs.length; index += 1) {
    const first = runs[index] ?? "";
    const second = runs[index + 1] ?? "";
    if (
      first.length === 4 &&
      second.length === 4 &&
      isDigits(first) &&
      isDigits(second) &&
      Number(second) === Number(first) + 1
    ) {
      runs[index + 1] = String(Number(second) % 100);
    }
  }
  return runs;
}

function stripZeros(run: string): string {
  let first = 0;
  while (first < run.length - 1 && run.charCodeAt(first) === 48) first += 1;
  return first > 0 ? run.slice(first) : run;
}

function isDigits(text: string): boolean {
  for (let position = 0; position < text.length; position += 1) {
    const code = text.charCodeAt(position);
    if (code < 48 || code > 57) return false;
  }
  return text.length > 0;
}

export interface InvoiceNumberKeys {
  /** All runs joined: requires at least two runs ("INV|2025|26|42"). */
  full?: string;
  /** Digit runs only ("2025|26|42"): at least two runs, or one run of five or more digits. */
  numeric?: string;
}

export function invoiceNumberKeys(invoiceNumber: string): InvoiceNumberKeys {
  const runs = invoiceNumberRuns(invoiceNumber);
  const digits = runs.filter(isDigits);
  const keys: InvoiceNumberKeys = {};
  if (runs.length >= 2) keys.full = runs.join("|");
  if (digits.length >= 2 || (digits.length === 1 && (digits[0] ?? "").length >= 5))
    keys.numeric = digits.join("|");
  if (runs.length === 1 && !keys.numeric && (runs[0] ?? "").length >= 6) keys.full = runs[0];
  return keys;
}

/** True when the text mentions the invoice number (by full or digit-only key). */
export function mentionsInvoiceNumber(text: string, invoiceNumber: string): boolean {
  const keys = invoiceNumberKeys(invoiceNumber);
  const runs = invoiceNumberRuns(text);
  const digits = runs.filter(isDigits);
  return containsRuns(runs, keys.full) || containsRuns(digits, keys.numeric);
}

function containsRuns(haystack: readonly string[], key: string | undefined): boolean {
  if (!key) return false;
  const needle = key.split("|");
  for (let start = 0; start + needle.length <= haystack.length; start += 1) {
    if (needle.every((run, offset) => haystack[start + offset] === run)) return true;
  }
  return false;
}
