import { AppError } from "../../kernel/app-error.ts";
import type { FieldIssue } from "../../kernel/app-error.ts";
import type { Paise } from "../../kernel/money.ts";
import type { CalendarDate } from "./calendar-date.ts";
import { checkGstRate } from "./gst-rate.validator.ts";
import type { DocumentAmounts, InvoiceLine, SupplyType } from "./invoice.schemas.ts";
import { divideRoundHalfUp, multiplyByQuantity } from "./quantity.ts";
import { determineTaxRegime } from "./tax-regime.ts";
import type { TaxRegime } from "./tax-regime.ts";

/**
 * GST arithmetic on integer paise.
 *
 * Per line: value = unit price x quantity, rounded half up to the paisa; taxable value = value - discount.
 * Tax: for each rate, the tax of each head is computed once on the sum of the taxable values at that rate and rounded
 * half up to the paisa; it is then apportioned to the lines by the largest-remainder method (each line gets its exact
 * share rounded down, and the paise left over go to the lines with the largest dropped fractions, earlier lines first
 * on ties). So the lines add up exactly to the invoice tax, no line is more than one paisa from its exact share, and
 * the invoice tax is the correctly rounded tax on the invoice's value. This reproduces what the IRP accepted in the
 * reference payloads (two lines of 7.60 at 12% give CGST 0.46 + 0.45 = 0.91, not 0.46 + 0.46).
 * Intra-State: CGST and SGST/UTGST are each half the rate, computed as exact fractions (rate / 20000), so 0.25%
 * splits into 0.125% + 0.125% without rounding the rate.
 * Total: taxable value + taxes + cess + non-taxable charges; with `roundTotal` the total is rounded to the nearest rupee
 * (CGST s.170: fifty paise or more up, less ignored) and the difference is the round-off amount.
 */

export interface TaxableDocument {
  /** Date the rates are checked against: the invoice date (for notes, the original invoice's date). */
  rateDate: CalendarDate;
  supplyType: SupplyType;
  supplierGstin: string;
  placeOfSupply: string;
  igstOnIntra?: boolean;
  lines: readonly InvoiceLine[];
  nonTaxableChargesPaise?: Paise;
  roundTotal?: boolean;
}

export interface LineTax {
  index: number;
  grossPaise: Paise;
  discountPaise: Paise;
  taxableValuePaise: Paise;
  gstRateBasisPoints: number;
  cessRateBasisPoints: number;
  cgstPaise: Paise;
  sgstPaise: Paise;
  utgstPaise: Paise;
  igstPaise: Paise;
  cessPaise: Paise;
  totalPaise: Paise;
  isService: boolean;
}

export interface RateSummary {
  gstRateBasisPoints: number;
  taxableValuePaise: Paise;
  cgstPaise: Paise;
  sgstPaise: Paise;
  utgstPaise: Paise;
  igstPaise: Paise;
}

export interface DocumentTax {
  regime: TaxRegime;
  lines: LineTax[];
  /** Tax by rate, ascending: the tax summary printed on the invoice. */
  rates: RateSummary[];
  taxableValuePaise: Paise;
  cgstPaise: Paise;
  sgstPaise: Paise;
  utgstPaise: Paise;
  igstPaise: Paise;
  cessPaise: Paise;
  /** All GST heads and cess together. */
  taxPaise: Paise;
  nonTaxableChargesPaise: Paise;
  totalBeforeRoundOffPaise: Paise;
  roundOffPaise: Paise;
  totalPaise: Paise;
  /** Rates charged that are restricted to narrow classes of goods or not confirmed after the 2025 reform. */
  rateNotes: Array<{ line: number; note: string }>;
}

/** Rounds paise to the nearest rupee, half away from zero (CGST s.170): 10230 -> 10200, 21523550 -> 21523600. */
export function roundToNearestRupee(paise: Paise): Paise {
  const negative = paise < 0n;
  const magnitude = negative ? -paise : paise;
  const rounded = ((magnitude + 50n) / 100n) * 100n;
  return negative ? -rounded : rounded;
}

/**
 * Splits `total` over shares whose exact values are numerator / denominator (all non-negative), by largest remainder.
 * The result sums to `total` when `total` is the sum of the exact shares rounded to an integer.
 */
export function apportionByLargestRemainder(options: {
  total: bigint;
  numerators: readonly bigint[];
  denominator: bigint;
}): bigint[] {
  const { total, numerators, denominator } = options;
  const floors = numerators.map((numerator) => numerator / denominator);
  let left = total - floors.reduce((sum, value) => sum + value, 0n);
  const order = numerators
    .map((numerator, index) => ({ index, remainder: numerator % denominator }))
    .sort((a, b) => (a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1));
  const result = [...floors];
  for (const { index } of order) {
    if (left <= 0n) break;
    result[index] = (result[index] ?? 0n) + 1n;
    left -= 1n;
  }
  if (left !== 0n) throw new Error("apportionment total does not match its shares");
  return result;
}

/** Tax of one head for a group of lines sharing a rate: rounded on the group, apportioned to the lines. */
function headTax(taxableValues: readonly bigint[], rateNumerator: bigint, denominator: bigint): bigint[] {
  const numerators = taxableValues.map((value) => value * rateNumerator);
  const exactTotal = numerators.reduce((sum, value) => sum + value, 0n);
  return apportionByLargestRemainder({
    total: divideRoundHalfUp(exactTotal, denominator),
    numerators,
    denominator,
  });
}

function groupIndexes<K>(items: readonly K[]): Map<K, number[]> {
  const groups = new Map<K, number[]>();
  items.forEach((key, index) => {
    const group = groups.get(key);
    if (group) group.push(index);
    else groups.set(key, [index]);
  });
  return groups;
}

/** Whether a line is a service: as declared, else by its SAC code (services start with 99). */
export function isServiceLine(line: Pick<InvoiceLine, "isService" | "hsnSac">): boolean {
  return line.isService ?? line.hsnSac?.startsWith("99") ?? false;
}

/**
 * Computes every amount of a tax document. Throws AppError INVALID_INPUT naming each line with a discount above its
 * value or a rate not in force on `rateDate`, and an inconsistent supply type / place of supply.
 */
export function calculateDocumentTax(options: {
  document: TaxableDocument;
  extraRatesBasisPoints?: readonly number[];
}): DocumentTax {
  const { document } = options;
  const issues: FieldIssue[] = [];
  let regime: TaxRegime | null = null;
  try {
    regime = determineTaxRegime({
      supplyType: document.supplyType,
      supplierGstin: document.supplierGstin,
      placeOfSupply: document.placeOfSupply,
      igstOnIntra: document.igstOnIntra ?? false,
    });
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    issues.push(...error.issues);
  }

  const rateNotes: DocumentTax["rateNotes"] = [];
  const gross = document.lines.map((line) =>
    multiplyByQuantity({ unitPricePaise: line.unitPricePaise, quantity: line.quantity }),
  );
  document.lines.forEach((line, index) => {
    const lineGross = gross[index] ?? 0n;
    if (line.discountPaise > lineGross) {
      issues.push({
        field: `lines.${index}.discountPaise`,
        reason: `discount ${line.discountPaise} paise exceeds the line value of ${lineGross} paise`,
      });
    }
    const check = checkGstRate({
      rateBasisPoints: line.gstRateBasisPoints,
      date: document.rateDate,
      ...(options.extraRatesBasisPoints !== undefined
        ? { extraRatesBasisPoints: options.extraRatesBasisPoints }
        : {}),
    });
    if (!check.ok) {
      issues.push({ field: `lines.${index}.gstRateBasisPoints`, reason: check.reason });
    } else if (check.restrictedTo !== null) {
      rateNotes.push({ line: index, note: `only for ${check.restrictedTo}` });
    } else if (!check.confirmed) {
      rateNotes.push({
        line: index,
        note: "not confirmed as still notified after the 22 September 2025 rate reform",
      });
    }
  });
  if (issues.length > 0 || regime === null) throw AppError.invalidInput(issues);

  const taxable = document.lines.map((line, index) => (gross[index] ?? 0n) - line.discountPaise);
  const count = document.lines.length;
  const cgst = new Array<bigint>(count).fill(0n);
  const local = new Array<bigint>(count).fill(0n);
  const igst = new Array<bigint>(count).fill(0n);
  const cess = new Array<bigint>(count).fill(0n);

  if (!regime.zeroRated) {
    for (const [rate, indexes] of groupIndexes(document.lines.map((line) => line.gstRateBasisPoints))) {
      const values = indexes.map((index) => taxable[index] ?? 0n);
      if (regime.kind === "inter-state") {
        headTax(values, BigInt(rate), 10_000n).forEach((amount, position) => {
          igst[indexes[position] ?? 0] = amount;
        });
      } else {
        headTax(values, BigInt(rate), 20_000n).forEach((amount, position) => {
          cgst[indexes[position] ?? 0] = amount;
          local[indexes[position] ?? 0] = amount;
        });
      }
    }
    for (const [rate, indexes] of groupIndexes(document.lines.map((line) => line.cessRateBasisPoints))) {
      if (rate === 0) continue;
      const values = indexes.map((index) => taxable[index] ?? 0n);
      headTax(values, BigInt(rate), 10_000n).forEach((amount, position) => {
        cess[indexes[position] ?? 0] = amount;
      });
    }
  }

  const utgst = regime.localHead === "UTGST";
  const lines: LineTax[] = document.lines.map((line, index) => {
    const lineTaxable = taxable[index] ?? 0n;
    const lineCgst = cgst[index] ?? 0n;
    const lineLocal = local[index] ?? 0n;
    const lineIgst = igst[index] ?? 0n;
    const lineCess = cess[index] ?? 0n;
    return {
      index,
      grossPaise: gross[index] ?? 0n,
      discountPaise: line.discountPaise,
      taxableValuePaise: lineTaxable,
      gstRateBasisPoints: line.gstRateBasisPoints,
      cessRateBasisPoints: line.cessRateBasisPoints,
      cgstPaise: lineCgst,
      sgstPaise: utgst ? 0n : lineLocal,
      utgstPaise: utgst ? lineLocal : 0n,
      igstPaise: lineIgst,
      cessPaise: lineCess,
      totalPaise: lineTaxable + lineCgst + lineLocal + lineIgst + lineCess,
      isService: isServiceLine(line),
    };
  });

  const sum = (pick: (line: LineTax) => bigint, subset: readonly LineTax[] = lines): bigint =>
    subset.reduce((total, line) => total + pick(line), 0n);
  const rates: RateSummary[] = [...groupIndexes(lines.map((line) => line.gstRateBasisPoints)).entries()]
    .sort(([a], [b]) => a - b)
    .map(([rate, indexes]) => {
      const subset = indexes
        .map((index) => lines[index])
        .filter((line): line is LineTax => line !== undefined);
      return {
        gstRateBasisPoints: rate,
        taxableValuePaise: sum((line) => line.taxableValuePaise, subset),
        cgstPaise: sum((line) => line.cgstPaise, subset),
        sgstPaise: sum((line) => line.sgstPaise, subset),
        utgstPaise: sum((line) => line.utgstPaise, subset),
        igstPaise: sum((line) => line.igstPaise, subset),
      };
    });

  const taxableValuePaise = sum((line) => line.taxableValuePaise);
  const cgstPaise = sum((line) => line.cgstPaise);
  const sgstPaise = sum((line) => line.sgstPaise);
  const utgstPaise = sum((line) => line.utgstPaise);
  const igstPaise = sum((line) => line.igstPaise);
  const cessPaise = sum((line) => line.cessPaise);
  const taxPaise = cgstPaise + sgstPaise + utgstPaise + igstPaise + cessPaise;
  const nonTaxableChargesPaise = document.nonTaxableChargesPaise ?? 0n;
  const totalBeforeRoundOffPaise = taxableValuePaise + taxPaise + nonTaxableChargesPaise;
  const totalPaise =
    document.roundTotal === false ? totalBeforeRoundOffPaise : roundToNearestRupee(totalBeforeRoundOffPaise);
  return {
    regime,
    lines,
    rates,
    taxableValuePaise,
    cgstPaise,
    sgstPaise,
    utgstPaise,
    igstPaise,
    cessPaise,
    taxPaise,
    nonTaxableChargesPaise,
    totalBeforeRoundOffPaise,
    roundOffPaise: totalPaise - totalBeforeRoundOffPaise,
    totalPaise,
    rateNotes,
  };
}

/** The amounts to record on a document from its computed tax. */
export function toDocumentAmounts(tax: DocumentTax): DocumentAmounts {
  return {
    lines: tax.lines.map((line) => ({
      taxableValuePaise: line.taxableValuePaise,
      cgstPaise: line.cgstPaise,
      sgstPaise: line.sgstPaise,
      utgstPaise: line.utgstPaise,
      igstPaise: line.igstPaise,
      cessPaise: line.cessPaise,
      totalPaise: line.totalPaise,
    })),
    taxableValuePaise: tax.taxableValuePaise,
    cgstPaise: tax.cgstPaise,
    sgstPaise: tax.sgstPaise,
    utgstPaise: tax.utgstPaise,
    igstPaise: tax.igstPaise,
    cessPaise: tax.cessPaise,
    nonTaxableChargesPaise: tax.nonTaxableChargesPaise,
    roundOffPaise: tax.roundOffPaise,
    totalPaise: tax.totalPaise,
  };
}

/** Computes an invoice's amounts; rates are checked against its issue date. */
export function calculateInvoiceTax(options: {
  invoice: {
    issueDate: CalendarDate;
    supplyType: SupplyType;
    supplier: { gstin: string };
    placeOfSupply: string;
    igstOnIntra?: boolean;
    lines: readonly InvoiceLine[];
    nonTaxableChargesPaise?: Paise;
    roundTotal?: boolean;
  };
  extraRatesBasisPoints?: readonly number[];
}): DocumentTax {
  const { invoice } = options;
  return calculateDocumentTax({
    document: {
      rateDate: invoice.issueDate,
      supplyType: invoice.supplyType,
      supplierGstin: invoice.supplier.gstin,
      placeOfSupply: invoice.placeOfSupply,
      igstOnIntra: invoice.igstOnIntra ?? false,
      lines: invoice.lines,
      nonTaxableChargesPaise: invoice.nonTaxableChargesPaise ?? 0n,
      roundTotal: invoice.roundTotal ?? true,
    },
    ...(options.extraRatesBasisPoints !== undefined
      ? { extraRatesBasisPoints: options.extraRatesBasisPoints }
      : {}),
  });
}
