import { formatRupees, parseRupees, type Paise } from "../../kernel/money.ts";

/** "₹1,16,000" for whole rupees, "₹1,16,000.50" otherwise; used in plain-language reasons. */
export function formatInr(paise: Paise): string {
  const text = formatRupees(paise);
  const trimmed = text.endsWith(".00") ? text.slice(0, -3) : text;
  return trimmed.startsWith("-") ? `-₹${trimmed.slice(1)}` : `₹${trimmed}`;
}

/** Plain decimal rupees with exactly two decimals and no grouping: 14950n -> "149.50". */
export function paiseToDecimal(paise: Paise): string {
  const negative = paise < 0n;
  const absolute = negative ? -paise : paise;
  return `${negative ? "-" : ""}${absolute / 100n}.${(absolute % 100n).toString().padStart(2, "0")}`;
}

/**
 * Converts a rupee amount received as a JSON number or decimal string (gateway APIs) into paise.
 * Returns undefined for anything that is not a finite amount with at most two decimals.
 */
export function decimalRupeesToPaise(value: unknown): Paise | undefined {
  let text: string;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return undefined;
    text = String(value);
    if (/e/i.test(text)) return undefined;
  } else if (typeof value === "string") {
    text = value.trim();
  } else {
    return undefined;
  }
  if (!/^-?\d+(\.\d{1,2})?$/.test(text)) return undefined;
  return parseRupees(text);
}

/** Absolute value of paise. */
export function absPaise(value: Paise): Paise {
  return value < 0n ? -value : value;
}

/** Rounds paise to the nearest whole rupee, halves away from zero. */
export function roundToRupee(paise: Paise): Paise {
  const negative = paise < 0n;
  const absolute = negative ? -paise : paise;
  const rounded = ((absolute + 50n) / 100n) * 100n;
  return negative ? -rounded : rounded;
}

/** Rounds paise up to the next whole rupee (for positive amounts). */
export function ceilToRupee(paise: Paise): Paise {
  if (paise <= 0n) return -((-paise / 100n) * 100n);
  return ((paise + 99n) / 100n) * 100n;
}

export function minPaise(a: Paise, b: Paise): Paise {
  return a < b ? a : b;
}

export function maxPaise(a: Paise, b: Paise): Paise {
  return a > b ? a : b;
}

/** Basis points as a percentage text: 10 -> "0.1%", 200 -> "2%", 125 -> "1.25%". */
export function formatBasisPoints(basisPoints: number): string {
  const whole = Math.trunc(basisPoints / 100);
  const fraction = Math.abs(basisPoints % 100);
  if (fraction === 0) return `${whole}%`;
  return `${whole}.${String(fraction).padStart(2, "0").replace(/0$/, "")}%`;
}
