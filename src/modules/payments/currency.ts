/** ISO 4217 minor-unit exponents that differ from 2. */
const EXPONENTS: Record<string, number> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
};

/** Decimal places of a currency's minor unit (INR: 2, JPY: 0, KWD: 3). */
export function currencyExponent(currency: string): number {
  return EXPONENTS[currency.toUpperCase()] ?? 2;
}

/**
 * Converts a decimal amount written with "." or "," as decimal mark ("84349,74", "8.85", "2700") into integer
 * minor units of the currency. Extra decimals are accepted only when they are zeros. Undefined when malformed.
 */
export function decimalToMinor(
  text: string,
  currency: string,
  decimalMark: "." | "," = ".",
): bigint | undefined {
  const pattern = decimalMark === "," ? /^(\d+)(?:,(\d*))?$/ : /^(\d+)(?:\.(\d*))?$/;
  const match = pattern.exec(text.trim());
  if (!match) return undefined;
  const exponent = currencyExponent(currency);
  let fraction = match[2] ?? "";
  if (fraction.length > exponent) {
    if (!/^0*$/.test(fraction.slice(exponent))) return undefined;
    fraction = fraction.slice(0, exponent);
  }
  const scale = 10n ** BigInt(exponent);
  return BigInt(match[1] ?? "0") * scale + BigInt(fraction.padEnd(exponent, "0") || "0");
}
