import type { CalendarDate } from "./calendar-date.ts";
import { GST_RATE_REFORM_DATE, GST_START_DATE, gstRatesOn } from "./gst-rates.data.ts";
import type { GstRateSlab } from "./gst-rates.data.ts";

export type GstRateCheck =
  | { ok: true; slab: GstRateSlab | null; restrictedTo: string | null; confirmed: boolean }
  | { ok: false; reason: string };

/** "18%", "0.25%", "7.5%" from basis points. */
export function formatRate(basisPoints: number): string {
  const whole = Math.trunc(basisPoints / 100);
  const fraction = String(basisPoints % 100)
    .padStart(2, "0")
    .replace(/0+$/, "");
  return fraction === "" ? `${whole}%` : `${whole}.${fraction}%`;
}

/**
 * Whether a combined GST rate may be charged on a date. `extraRatesBasisPoints` lets an organisation add a rate it
 * has confirmed as notified for its goods when the built-in table does not know it.
 */
export function checkGstRate(options: {
  rateBasisPoints: number;
  date: CalendarDate;
  extraRatesBasisPoints?: readonly number[];
}): GstRateCheck {
  const { rateBasisPoints, date } = options;
  if (date < GST_START_DATE) return { ok: false, reason: `GST did not exist before ${GST_START_DATE}` };
  const slab = gstRatesOn(date).find((entry) => entry.basisPoints === rateBasisPoints);
  if (slab !== undefined) {
    return {
      ok: true,
      slab,
      restrictedTo: slab.restrictedTo ?? null,
      confirmed: slab.confirmed || date < GST_RATE_REFORM_DATE,
    };
  }
  if (options.extraRatesBasisPoints?.includes(rateBasisPoints) === true) {
    return { ok: true, slab: null, restrictedTo: null, confirmed: false };
  }
  const offered = gstRatesOn(date)
    .map((entry) => formatRate(entry.basisPoints))
    .filter((value, index, all) => all.indexOf(value) === index)
    .join(", ");
  const retired = date >= GST_RATE_REFORM_DATE && (rateBasisPoints === 1200 || rateBasisPoints === 2800);
  const introduced = date < GST_RATE_REFORM_DATE && rateBasisPoints === 4000;
  const note = retired
    ? ` (the ${formatRate(rateBasisPoints)} slab ended on 21 September 2025)`
    : introduced
      ? " (the 40% rate applies from 22 September 2025)"
      : "";
  return {
    ok: false,
    reason: `${formatRate(rateBasisPoints)} is not a GST rate on ${date}${note}; rates then: ${offered}`,
  };
}
