import { parseRupees, type Paise } from "../../kernel/money.ts";
import { INDIA_STATES } from "../../kernel/india-states.ts";

/** Date layouts accepted in import files. */
export type ImportDateLayout =
  | "dd/MM/yyyy"
  | "dd-MM-yyyy"
  | "dd.MM.yyyy"
  | "dd-MMM-yyyy"
  | "dd MMM yyyy"
  | "yyyy-MM-dd"
  | "yyyyMMdd"
  | "MM/dd/yyyy";

export const IMPORT_DATE_LAYOUTS: readonly ImportDateLayout[] = [
  "dd/MM/yyyy",
  "dd-MM-yyyy",
  "dd.MM.yyyy",
  "dd-MMM-yyyy",
  "dd MMM yyyy",
  "yyyy-MM-dd",
  "yyyyMMdd",
  "MM/dd/yyyy",
];

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

function realDate(year: number, month: number, day: number): string | undefined {
  if (year < 1900 || year > 2999 || month < 1 || month > 12 || day < 1) return undefined;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > last) return undefined;
  return `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

/** Reads a date in one layout into YYYY-MM-DD; undefined when it is not a real date in that layout. */
export function readImportDate(text: string, layout: ImportDateLayout): string | undefined {
  const value = text.trim();
  let match: RegExpExecArray | null;
  switch (layout) {
    case "yyyy-MM-dd":
      match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
      return match ? realDate(Number(match[1]), Number(match[2]), Number(match[3])) : undefined;
    case "yyyyMMdd":
      match = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
      return match ? realDate(Number(match[1]), Number(match[2]), Number(match[3])) : undefined;
    case "MM/dd/yyyy":
      match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(value);
      return match ? realDate(Number(match[3]), Number(match[1]), Number(match[2])) : undefined;
    case "dd/MM/yyyy":
    case "dd-MM-yyyy":
    case "dd.MM.yyyy": {
      const separator = layout.charAt(2);
      match = new RegExp(`^(\\d{1,2})\\${separator}(\\d{1,2})\\${separator}(\\d{4})$`).exec(value);
      return match ? realDate(Number(match[3]), Number(match[2]), Number(match[1])) : undefined;
    }
    case "dd-MMM-yyyy":
    case "dd MMM yyyy": {
      match =
        layout === "dd-MMM-yyyy"
          ? /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(value)
          : /^(\d{1,2}) ([A-Za-z]{3}) (\d{4})$/.exec(value);
      if (!match) return undefined;
      const month = MONTHS.indexOf((match[2] ?? "").toUpperCase()) + 1;
      return month === 0 ? undefined : realDate(Number(match[3]), month, Number(match[1]));
    }
  }
}

export function readFirstDate(text: string, layouts: readonly ImportDateLayout[]): string | undefined {
  for (const layout of layouts) {
    const date = readImportDate(text, layout);
    if (date) return date;
  }
  return undefined;
}

/** "1,18,000.50", "₹ 100", "(250.00)" (negative) into paise; undefined when not an amount with at most two decimals. */
export function readRupees(text: string): Paise | undefined {
  const trimmed = text.trim();
  const negative = /^\(.*\)$/.test(trimmed);
  const body = negative ? trimmed.slice(1, -1) : trimmed;
  if (!/^[-+]?\s*(₹|Rs\.?|INR)?\s*[\d,]+(\.\d+)?$/i.test(body)) return undefined;
  try {
    const value = parseRupees(body.replace(/^([-+]?)\s*(₹|Rs\.?|INR)\s*/i, "$1").replace(/^\+/, ""));
    return negative ? -value : value;
  } catch {
    return undefined;
  }
}

/** A JSON number or decimal string of rupees (APIs) into paise; undefined beyond two decimals or when not finite. */
export function jsonRupeesToPaise(value: unknown): Paise | undefined {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return undefined;
    const text = String(value);
    return /e/i.test(text) ? undefined : readRupees(text);
  }
  return typeof value === "string" ? readRupees(value) : undefined;
}

export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;

/** Indian mobile or landline normalised to +91 and 10 digits, or undefined. */
export function normaliseIndianPhone(text: string): string | undefined {
  const digits = text.replace(/[\s()-]/g, "").replace(/^\+91|^0091|^91(?=\d{10}$)|^0(?=\d{10}$)/, "");
  return /^\d{10}$/.test(digits) ? `+91${digits}` : undefined;
}

/** Two-letter state abbreviations used by accounting software (Zoho Books place_of_supply) and their GST codes. */
const STATE_ABBREVIATIONS: Record<string, string> = {
  JK: "01",
  HP: "02",
  PB: "03",
  CH: "04",
  UK: "05",
  UT: "05",
  HR: "06",
  DL: "07",
  RJ: "08",
  UP: "09",
  BR: "10",
  SK: "11",
  AR: "12",
  NL: "13",
  MN: "14",
  MZ: "15",
  TR: "16",
  ML: "17",
  AS: "18",
  WB: "19",
  JH: "20",
  OD: "21",
  OR: "21",
  CG: "22",
  CT: "22",
  MP: "23",
  GJ: "24",
  DD: "25",
  DN: "26",
  MH: "27",
  AD: "37",
  KA: "29",
  GA: "30",
  LD: "31",
  KL: "32",
  TN: "33",
  PY: "34",
  AN: "35",
  TS: "36",
  TG: "36",
  AP: "37",
  LA: "38",
};

/** GST state code from a code ("07", "7"), a two-letter abbreviation ("DL") or a state name ("Delhi"). */
export function toStateCode(text: string): string | undefined {
  const value = text.trim();
  if (/^\d{1,2}$/.test(value)) {
    const code = value.padStart(2, "0");
    return INDIA_STATES.some((state) => state.code === code) ? code : undefined;
  }
  const upper = value.toUpperCase();
  if (upper in STATE_ABBREVIATIONS) return STATE_ABBREVIATIONS[upper];
  const simplified = upper.replace(/[^A-Z]/g, "");
  return INDIA_STATES.find((state) => state.name.toUpperCase().replace(/[^A-Z]/g, "") === simplified)?.code;
}
