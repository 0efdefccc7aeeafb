import type { Paise } from "../../kernel/money.ts";
import type { CalendarDate } from "./calendar-date.ts";

/**
 * Effective-dated GST facts used by the calculator and the verifier. Rates are in basis points (1800 = 18%); an
 * intra-State rate is split in two equal halves, which for 0.25% is 0.125% each, so halves are computed as exact
 * fractions (basis points / 20000), never as rounded basis points.
 */

/** GST came into force on 1 July 2017. */
export const GST_START_DATE = "2017-07-01" as CalendarDate;
/** Rate rationalisation of the 56th GST Council (3 September 2025), Notifications 09/2025-CT(R) to 17/2025-CT(R). */
export const GST_RATE_REFORM_DATE = "2025-09-22" as CalendarDate;

export interface GstRateSlab {
  basisPoints: number;
  validFrom: CalendarDate;
  /** Last day the rate may be charged, null while in force. */
  validUntil: CalendarDate | null;
  use: string;
  /** Set when the rate is still notified but only for a narrow class of goods; charging it earns a warning. */
  restrictedTo?: string;
  /** False where public sources do not confirm that the rate survived the 22 September 2025 reform. */
  confirmed: boolean;
}

const BEFORE_REFORM = "2025-09-21" as CalendarDate;

function slab(
  basisPoints: number,
  use: string,
  extra: Partial<Omit<GstRateSlab, "basisPoints" | "use">> = {},
): GstRateSlab {
  return { basisPoints, use, validFrom: GST_START_DATE, validUntil: null, confirmed: true, ...extra };
}

/** Every GST rate and the period it may be charged in. */
export const GST_RATE_SLABS: readonly GstRateSlab[] = Object.freeze([
  slab(0, "nil-rated, exempt and zero-rated supplies"),
  slab(10, "supplies to merchant exporters (Notification 40/2017-CT(R))", {
    validFrom: "2017-10-23" as CalendarDate,
    confirmed: false,
  }),
  slab(25, "rough precious and semi-precious stones", { confirmed: false }),
  slab(100, "special rate, e.g. affordable housing construction", { confirmed: false }),
  slab(150, "cut and polished diamonds", { confirmed: false }),
  slab(300, "gold, silver and jewellery", { confirmed: false }),
  slab(500, "merit rate"),
  slab(600, "special rate", { confirmed: false }),
  slab(750, "special rate, e.g. certain hotel and construction services", { confirmed: false }),
  slab(1200, "standard rate (removed by the 2025 reform; its goods moved to 5% or 18%)", {
    validUntil: BEFORE_REFORM,
  }),
  slab(1800, "standard rate"),
  slab(2800, "standard rate for demerit goods", { validUntil: BEFORE_REFORM }),
  slab(2800, "tobacco and pan masala", {
    validFrom: GST_RATE_REFORM_DATE,
    restrictedTo: "tobacco products and pan masala, until the compensation-cess loans are repaid",
  }),
  slab(4000, "luxury and demerit goods", { validFrom: GST_RATE_REFORM_DATE }),
]);

/** Rates in force on a date. */
export function gstRatesOn(date: CalendarDate): GstRateSlab[] {
  return GST_RATE_SLABS.filter(
    (entry) => entry.validFrom <= date && (entry.validUntil === null || date <= entry.validUntil),
  );
}

/** Aggregate-turnover thresholds above which B2B invoices must be e-invoices (IRN), by start date. */
export interface EinvoiceThreshold {
  from: CalendarDate;
  /** Turnover must EXCEED this, in any financial year from 2017-18. */
  turnoverAbovePaise: Paise;
  notification: string;
}

const CRORE: Paise = 1_00_00_000_00n;

export const EINVOICE_THRESHOLDS: readonly EinvoiceThreshold[] = Object.freeze([
  {
    from: "2020-10-01" as CalendarDate,
    turnoverAbovePaise: 500n * CRORE,
    notification: "13/2020-CT as amended by 61/2020-CT",
  },
  { from: "2021-01-01" as CalendarDate, turnoverAbovePaise: 100n * CRORE, notification: "88/2020-CT" },
  { from: "2021-04-01" as CalendarDate, turnoverAbovePaise: 50n * CRORE, notification: "5/2021-CT" },
  { from: "2022-04-01" as CalendarDate, turnoverAbovePaise: 20n * CRORE, notification: "1/2022-CT" },
  { from: "2022-10-01" as CalendarDate, turnoverAbovePaise: 10n * CRORE, notification: "17/2022-CT" },
  { from: "2023-08-01" as CalendarDate, turnoverAbovePaise: 5n * CRORE, notification: "10/2023-CT" },
]);

/** The e-invoice threshold in force on a date, or null before e-invoicing began (1 October 2020). */
export function einvoiceThresholdOn(date: CalendarDate): EinvoiceThreshold | null {
  let current: EinvoiceThreshold | null = null;
  for (const threshold of EINVOICE_THRESHOLDS) if (threshold.from <= date) current = threshold;
  return current;
}

/** Minimum HSN/SAC digits on a tax invoice by aggregate turnover of the preceding financial year. */
export interface HsnDigitRule {
  from: CalendarDate;
  until: CalendarDate | null;
  notification: string;
  /** Bands ordered by turnover; the first whose `upToPaise` is null or >= turnover applies. */
  bands: ReadonlyArray<{ upToPaise: Paise | null; digits: number; optionalOnB2c: boolean }>;
}

export const HSN_DIGIT_RULES: readonly HsnDigitRule[] = Object.freeze([
  {
    from: GST_START_DATE,
    until: "2021-03-31" as CalendarDate,
    notification: "12/2017-CT",
    bands: [
      { upToPaise: 1_50_00_000_00n, digits: 0, optionalOnB2c: true },
      { upToPaise: 5n * CRORE, digits: 2, optionalOnB2c: false },
      { upToPaise: null, digits: 4, optionalOnB2c: false },
    ],
  },
  {
    from: "2021-04-01" as CalendarDate,
    until: null,
    notification: "78/2020-CT",
    bands: [
      { upToPaise: 5n * CRORE, digits: 4, optionalOnB2c: true },
      { upToPaise: null, digits: 6, optionalOnB2c: false },
    ],
  },
]);

/** Digits required on an invoice of that date for that turnover; `optionalOnB2c` lets B2C invoices omit the code. */
export function requiredHsnDigits(options: {
  invoiceDate: CalendarDate;
  aggregateTurnoverPaise: Paise;
}): { digits: number; optionalOnB2c: boolean; notification: string } | null {
  const rule = HSN_DIGIT_RULES.find(
    (entry) =>
      entry.from <= options.invoiceDate && (entry.until === null || options.invoiceDate <= entry.until),
  );
  if (rule === undefined) return null;
  const band =
    rule.bands.find(
      (entry) => entry.upToPaise === null || options.aggregateTurnoverPaise <= entry.upToPaise,
    ) ?? rule.bands[rule.bands.length - 1];
  if (band === undefined) return null;
  return { digits: band.digits, optionalOnB2c: band.optionalOnB2c, notification: rule.notification };
}
