import { AppError } from "../../kernel/app-error.ts";
import type { Paise } from "../../kernel/money.ts";

/**
 * Quantities are decimal strings with at most three decimals ("12", "0.5", "1000.125"), the precision the e-invoice
 * schema allows for Qty. Inside calculations they become a scaled integer of thousandths (bigint), so 2.5 kg is 2500n
 * and no binary fraction ever touches a money amount. A number is accepted on input only when it prints with at most
 * three decimals.
 */
export type QuantityText = string & { readonly __brand: "QuantityText" };

export const QUANTITY_SCALE = 1000n;
const QUANTITY_PATTERN = /^(\d{1,10})(?:\.(\d{1,3}))?$/;

/** Problems with a quantity, or null when it is well formed. */
export function quantityProblem(value: unknown): string | null {
  const text = typeof value === "number" ? String(value) : value;
  if (typeof text !== "string") return 'is a decimal number written as text, e.g. "12.5"';
  if (!QUANTITY_PATTERN.test(text.trim())) {
    return "is a non-negative decimal with at most 10 integer digits and 3 decimals";
  }
  return null;
}

/** Normalises to the shortest form: "012.500" -> "12.5", "3.000" -> "3". */
export function normalizeQuantity(value: string | number, field = "quantity"): QuantityText {
  const problem = quantityProblem(value);
  if (problem !== null) throw AppError.invalidInput([{ field, reason: problem }]);
  return formatQuantity(toThousandths(String(value).trim()));
}

function toThousandths(text: string): bigint {
  const match = QUANTITY_PATTERN.exec(text);
  if (!match) throw AppError.invalidInput([{ field: "quantity", reason: `"${text}" is not a quantity` }]);
  const [, whole = "0", fraction = ""] = match;
  return BigInt(whole) * QUANTITY_SCALE + BigInt(fraction.padEnd(3, "0"));
}

/** The quantity as thousandths: "2.5" -> 2500n. */
export function quantityToThousandths(quantity: string): bigint {
  return toThousandths(quantity.trim());
}

export function formatQuantity(thousandths: bigint): QuantityText {
  const whole = thousandths / QUANTITY_SCALE;
  const fraction = (thousandths % QUANTITY_SCALE).toString().padStart(3, "0").replace(/0+$/, "");
  return (fraction === "" ? whole.toString() : `${whole}.${fraction}`) as QuantityText;
}

/** Divides and rounds half up; both operands non-negative. */
export function divideRoundHalfUp(numerator: bigint, denominator: bigint): bigint {
  return (numerator * 2n + denominator) / (denominator * 2n);
}

/** unit price x quantity, rounded half up to the paisa. */
export function multiplyByQuantity(options: { unitPricePaise: Paise; quantity: string }): Paise {
  return divideRoundHalfUp(options.unitPricePaise * quantityToThousandths(options.quantity), QUANTITY_SCALE);
}
