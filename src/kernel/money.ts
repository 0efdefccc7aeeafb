import { AppError } from "./app-error.ts";

/** Money is an integer number of paise held as a bigint; never a float. */
export type Paise = bigint;

/** Parses a rupee amount written as text ("1,18,000.50", "-12.5", "₹ 100") into paise, refusing more than two decimals. */
export function parseRupees(text: string, field = "amount"): Paise {
  const cleaned = text.replace(/[₹,\s]/g, "").replace(/^INR/i, "");
  const match = /^([+-])?(\d+)(?:\.(\d{1,2}))?$/.exec(cleaned);
  if (!match) {
    throw AppError.invalidInput([
      { field, reason: `"${text}" is not an amount in rupees with at most two decimals` },
    ]);
  }
  const [, sign, whole = "0", fraction = ""] = match;
  const paise = BigInt(whole) * 100n + BigInt(fraction.padEnd(2, "0") || "0");
  return sign === "-" ? -paise : paise;
}

/** Formats paise as rupees with Indian digit grouping: 11800050n -> "1,18,000.50". */
export function formatRupees(paise: Paise): string {
  const negative = paise < 0n;
  const absolute = negative ? -paise : paise;
  const rupees = (absolute / 100n).toString();
  const fraction = (absolute % 100n).toString().padStart(2, "0");
  const lastThree = rupees.slice(-3);
  const rest = rupees.slice(0, -3);
  const grouped = rest ? `${rest.replace(/\B(?=(\d{2})+(?!\d))/g, ",")},${lastThree}` : lastThree;
  return `${negative ? "-" : ""}${grouped}.${fraction}`;
}

/** Multiplies paise by a rate given in basis points (1800 = 18%), rounding half away from zero. */
export function applyBasisPoints(paise: Paise, basisPoints: bigint): Paise {
  const numerator = paise * basisPoints;
  const quotient = numerator / 10_000n;
  const remainder = numerator % 10_000n;
  const twice = (remainder < 0n ? -remainder : remainder) * 2n;
  if (twice >= 10_000n) return numerator < 0n ? quotient - 1n : quotient + 1n;
  return quotient;
}
