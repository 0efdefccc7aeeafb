import { AppError, type FieldIssue } from "../../kernel/app-error.ts";
import { applyBasisPoints, type Paise } from "../../kernel/money.ts";
import { isIsoDate, type IsoDate } from "./calendar-date.ts";
import { ceilToRupee, formatBasisPoints, formatInr, roundToRupee } from "./amounts.ts";
import {
  NO_PAN_RATES,
  SECTION_NATURES,
  TDS_RATES,
  type NoPanRate,
  TDS_SECTIONS,
  type PayeeKind,
  type TdsNature,
  type TdsRate,
  type TdsSection,
} from "./tds-rates.data.ts";

/**
 * What the deductor applies the rate to. CBDT Circular 23/2017 (19 Jul 2017): where GST is shown separately on
 * the invoice, TDS is deducted on the amount excluding GST; otherwise on the gross amount.
 */
export type TdsBase = "before-gst" | "gross";

/** A customer's expected deduction; part of the customer's TDS profile. */
export interface TdsProfile {
  section: TdsSection;
  nature?: TdsNature;
  base?: TdsBase;
  /** Overrides the statutory rate, e.g. a lower-deduction certificate u/s 197. */
  rateBasisPoints?: number;
  /** The deductor's TAN, to match Form 26AS credits. */
  tan?: string;
  /** Government or notified buyers deduct GST TDS u/s 51 CGST Act as well. */
  deductsGstTds?: boolean;
  /**
   * Whether the business furnished its (operative) PAN to this customer. False: the customer deducts u/s 206AA
   * (the higher of the section's rate and 20%, 5% for 194Q), whatever the rate override says.
   */
  panFurnished?: boolean;
}

export interface FindTdsRateOptions {
  section: TdsSection;
  nature?: TdsNature;
  payee: PayeeKind;
  on: IsoDate;
}

/** Holder type from the 4th character of a PAN: P individual, H HUF; everything else counts as "other". */
export function payeeKindFromPan(pan: string): PayeeKind {
  const holder = pan.trim().toUpperCase().charAt(3);
  return holder === "P" || holder === "H" ? "individual-or-huf" : "other";
}

/** The rate in force for a section, nature and payee on a date; INVALID_INPUT when the data has none. */
export function findTdsRate(options: FindTdsRateOptions): TdsRate {
  const issues: FieldIssue[] = [];
  if (!TDS_SECTIONS.includes(options.section))
    issues.push({ field: "section", reason: `unknown TDS section ${options.section}` });
  if (!isIsoDate(options.on))
    issues.push({ field: "on", reason: "must be a calendar date written YYYY-MM-DD" });
  if (issues.length > 0) throw AppError.invalidInput(issues);
  const natures = SECTION_NATURES[options.section];
  const nature = options.nature ?? (natures.length === 1 ? natures[0] : undefined);
  if (nature === undefined) {
    throw AppError.invalidInput([
      {
        field: "nature",
        reason: `section ${options.section} needs the nature of payment: ${natures.join(" or ")}`,
      },
    ]);
  }
  if (!natures.includes(nature)) {
    throw AppError.invalidInput([
      { field: "nature", reason: `${nature} is not covered by section ${options.section}` },
    ]);
  }
  const rate = TDS_RATES.find(
    (candidate) =>
      candidate.section === options.section &&
      candidate.nature === nature &&
      (candidate.payee === "any" || candidate.payee === options.payee) &&
      candidate.effectiveFrom <= options.on &&
      (candidate.effectiveTo === undefined || options.on <= candidate.effectiveTo),
  );
  if (!rate) {
    throw AppError.invalidInput([
      {
        field: "on",
        reason: `no rate for section ${options.section} (${nature}) on ${options.on} in the rate data`,
      },
    ]);
  }
  return rate;
}

/** The s.206AA rate for a section on a date (a section-specific rate wins); undefined before 1 Apr 2010. */
export function findNoPanRate(options: { section: TdsSection; on: IsoDate }): NoPanRate | undefined {
  const inForce = NO_PAN_RATES.filter(
    (candidate) =>
      candidate.effectiveFrom <= options.on &&
      (candidate.effectiveTo === undefined || options.on <= candidate.effectiveTo),
  );
  return (
    inForce.find(
      (candidate) => candidate.sections !== "any" && candidate.sections.includes(options.section),
    ) ?? inForce.find((candidate) => candidate.sections === "any")
  );
}

/**
 * The rate a deductor applies: without a PAN, the higher of the section's rate and the s.206AA rate (an override
 * such as a s.197 certificate does not count, since it needs a PAN); with one, the override or the section's rate.
 */
export function effectiveTdsBasisPoints(options: {
  section: TdsSection;
  on: IsoDate;
  statutoryBasisPoints: number;
  rateBasisPoints?: number;
  panFurnished?: boolean;
}): { basisPoints: number; section206AA: boolean } {
  if (options.panFurnished === false) {
    const noPan = findNoPanRate({ section: options.section, on: options.on });
    if (noPan) {
      return { basisPoints: Math.max(options.statutoryBasisPoints, noPan.basisPoints), section206AA: true };
    }
  }
  return { basisPoints: options.rateBasisPoints ?? options.statutoryBasisPoints, section206AA: false };
}

/**
 * Amounts a deductor may legitimately have deducted for an exact computed TDS: the exact paise figure, the figure
 * rounded to the nearest rupee, and the figure rounded up to the next rupee (what most accounting packages do).
 */
export function acceptedTdsAmounts(exactPaise: Paise): Paise[] {
  const amounts = [exactPaise, roundToRupee(exactPaise), ceilToRupee(exactPaise)];
  return amounts.filter((amount, index) => amounts.indexOf(amount) === index);
}

export function isAcceptedTdsAmount(options: { claimedPaise: Paise; exactPaise: Paise }): boolean {
  return acceptedTdsAmounts(options.exactPaise).includes(options.claimedPaise);
}

export interface IncomeTaxTdsInput {
  section: TdsSection;
  nature?: TdsNature;
  payee: PayeeKind;
  /** Date of credit or payment, whichever is earlier; decides the rate in force. */
  on: IsoDate;
  taxableValuePaise: Paise;
  grossPaise: Paise;
  base?: TdsBase;
  rateBasisPoints?: number;
  /** False when the deductee (the business) gave the deductor no operative PAN: s.206AA applies. */
  panFurnished?: boolean;
}

export interface IncomeTaxTds {
  section: TdsSection;
  nature: TdsNature;
  basisPoints: number;
  /** The rate is the s.206AA one (no PAN furnished). */
  section206AA: boolean;
  base: TdsBase;
  basePaise: Paise;
  exactPaise: Paise;
  acceptedPaise: Paise[];
  /** "2% u/s 194C on ₹1,00,000" */
  description: string;
}

export function computeIncomeTaxTds(input: IncomeTaxTdsInput): IncomeTaxTds {
  const issues: FieldIssue[] = [];
  if (input.taxableValuePaise < 0n)
    issues.push({ field: "taxableValuePaise", reason: "must not be negative" });
  if (input.grossPaise < input.taxableValuePaise) {
    issues.push({ field: "grossPaise", reason: "must not be less than the taxable value" });
  }
  if (
    input.rateBasisPoints !== undefined &&
    (!Number.isInteger(input.rateBasisPoints) || input.rateBasisPoints < 0 || input.rateBasisPoints > 10_000)
  ) {
    issues.push({ field: "rateBasisPoints", reason: "must be an integer from 0 to 10000" });
  }
  if (issues.length > 0) throw AppError.invalidInput(issues);
  const rate = findTdsRate({
    section: input.section,
    payee: input.payee,
    on: input.on,
    ...(input.nature ? { nature: input.nature } : {}),
  });
  const { basisPoints, section206AA } = effectiveTdsBasisPoints({
    section: input.section,
    on: input.on,
    statutoryBasisPoints: rate.basisPoints,
    ...(input.rateBasisPoints !== undefined ? { rateBasisPoints: input.rateBasisPoints } : {}),
    ...(input.panFurnished !== undefined ? { panFurnished: input.panFurnished } : {}),
  });
  const base = input.base ?? "before-gst";
  const basePaise = base === "gross" ? input.grossPaise : input.taxableValuePaise;
  const exactPaise = applyBasisPoints(basePaise, BigInt(basisPoints));
  return {
    section: input.section,
    nature: rate.nature,
    basisPoints,
    section206AA,
    base,
    basePaise,
    exactPaise,
    acceptedPaise: acceptedTdsAmounts(exactPaise),
    description: `${formatBasisPoints(basisPoints)} u/s ${input.section}${section206AA ? " (s.206AA, no PAN)" : ""} on ${formatInr(basePaise)}`,
  };
}

/** GST TDS applies only where the total value of supply under a contract exceeds ₹2,50,000 (s.51(1) proviso). */
export const GST_TDS_THRESHOLD_PAISE = 2_50_000_00n;

export interface GstTds {
  applicable: boolean;
  reason: string;
  basePaise: Paise;
  cgstPaise: Paise;
  sgstPaise: Paise;
  igstPaise: Paise;
  totalPaise: Paise;
}

/**
 * GST TDS u/s 51 CGST Act: 2% of the taxable value (the value excluding GST and cess), as 1% CGST + 1% SGST/UTGST
 * for an intra-state supply or 2% IGST for an inter-state one, only on contracts above ₹2.5 lakh.
 */
export function computeGstTds(input: {
  taxableValuePaise: Paise;
  /** Total value (excluding tax) of the contract the invoice belongs to; defaults to the invoice's taxable value. */
  contractValuePaise?: Paise;
  interState: boolean;
}): GstTds {
  if (input.taxableValuePaise < 0n) {
    throw AppError.invalidInput([{ field: "taxableValuePaise", reason: "must not be negative" }]);
  }
  const contractValue = input.contractValuePaise ?? input.taxableValuePaise;
  if (contractValue <= GST_TDS_THRESHOLD_PAISE) {
    return {
      applicable: false,
      reason: `contract value ${formatInr(contractValue)} does not exceed ${formatInr(GST_TDS_THRESHOLD_PAISE)}`,
      basePaise: input.taxableValuePaise,
      cgstPaise: 0n,
      sgstPaise: 0n,
      igstPaise: 0n,
      totalPaise: 0n,
    };
  }
  if (input.interState) {
    const igstPaise = applyBasisPoints(input.taxableValuePaise, 200n);
    return {
      applicable: true,
      reason: `2% IGST TDS u/s 51 on ${formatInr(input.taxableValuePaise)}`,
      basePaise: input.taxableValuePaise,
      cgstPaise: 0n,
      sgstPaise: 0n,
      igstPaise,
      totalPaise: igstPaise,
    };
  }
  const half = applyBasisPoints(input.taxableValuePaise, 100n);
  return {
    applicable: true,
    reason: `1% CGST + 1% SGST TDS u/s 51 on ${formatInr(input.taxableValuePaise)}`,
    basePaise: input.taxableValuePaise,
    cgstPaise: half,
    sgstPaise: half,
    igstPaise: 0n,
    totalPaise: half * 2n,
  };
}

/** What a customer is expected to pay in cash for an invoice after its deductions. */
export function computeExpectedReceipt(input: {
  grossPaise: Paise;
  incomeTaxTdsPaise?: Paise;
  gstTdsPaise?: Paise;
}): Paise {
  return input.grossPaise - (input.incomeTaxTdsPaise ?? 0n) - (input.gstTdsPaise ?? 0n);
}
