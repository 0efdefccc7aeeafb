import { z } from "zod";
import { applyBasisPoints, type Paise } from "../../kernel/money.ts";
import { formatInr } from "./amounts.ts";
import { parseWith } from "./field-issues.ts";
import { ZNonNegativePaise } from "./payment.schema.ts";

/**
 * A tenant's tolerance for short payments: a difference up to the allowance is written off with a reason,
 * anything larger stays open as a partial payment. The allowance is the lower (default) or the higher of a fixed
 * amount and a percentage of the open balance.
 */
export const ZShortPaymentTolerance = z.object({
  maxPaise: ZNonNegativePaise.default(1000n),
  maxBasisPoints: z.number().int().min(0).max(10_000).default(100),
  combine: z.enum(["lower", "higher"]).default("lower"),
});
export type ShortPaymentTolerance = z.output<typeof ZShortPaymentTolerance>;

/** ₹10 or 1% of the open balance, whichever is lower. */
export const DEFAULT_SHORT_PAYMENT_TOLERANCE: ShortPaymentTolerance = {
  maxPaise: 1000n,
  maxBasisPoints: 100,
  combine: "lower",
};

export function parseShortPaymentTolerance(input: unknown): ShortPaymentTolerance {
  return parseWith(ZShortPaymentTolerance, input);
}

/** Largest difference that may be written off against an open balance. */
export function shortPaymentAllowance(options: {
  tolerance: ShortPaymentTolerance;
  openPaise: Paise;
}): Paise {
  const percentage = applyBasisPoints(
    options.openPaise < 0n ? 0n : options.openPaise,
    BigInt(options.tolerance.maxBasisPoints),
  );
  const fixed = options.tolerance.maxPaise;
  if (options.tolerance.combine === "higher") return fixed > percentage ? fixed : percentage;
  return fixed < percentage ? fixed : percentage;
}

export type ShortPaymentOutcome =
  | { kind: "exact"; writeOffPaise: 0n; remainingOpenPaise: 0n; excessPaise: 0n; reason: string }
  | { kind: "write-off"; writeOffPaise: Paise; remainingOpenPaise: 0n; excessPaise: 0n; reason: string }
  | { kind: "partial"; writeOffPaise: 0n; remainingOpenPaise: Paise; excessPaise: 0n; reason: string }
  | { kind: "overpayment"; writeOffPaise: 0n; remainingOpenPaise: 0n; excessPaise: Paise; reason: string };

/**
 * Classifies what remains when `settledPaise` (cash plus deductions) meets an open balance.
 */
export function assessShortPayment(options: {
  openPaise: Paise;
  settledPaise: Paise;
  tolerance?: ShortPaymentTolerance;
}): ShortPaymentOutcome {
  const tolerance = options.tolerance ?? DEFAULT_SHORT_PAYMENT_TOLERANCE;
  const difference = options.openPaise - options.settledPaise;
  if (difference === 0n) {
    return {
      kind: "exact",
      writeOffPaise: 0n,
      remainingOpenPaise: 0n,
      excessPaise: 0n,
      reason: "settles the balance exactly",
    };
  }
  if (difference < 0n) {
    return {
      kind: "overpayment",
      writeOffPaise: 0n,
      remainingOpenPaise: 0n,
      excessPaise: -difference,
      reason: `${formatInr(-difference)} more than the open balance, kept as customer credit`,
    };
  }
  const allowance = shortPaymentAllowance({ tolerance, openPaise: options.openPaise });
  if (difference <= allowance) {
    return {
      kind: "write-off",
      writeOffPaise: difference,
      remainingOpenPaise: 0n,
      excessPaise: 0n,
      reason: `short by ${formatInr(difference)}, within the tolerance of ${formatInr(allowance)}: written off`,
    };
  }
  return {
    kind: "partial",
    writeOffPaise: 0n,
    remainingOpenPaise: difference,
    excessPaise: 0n,
    reason: `short by ${formatInr(difference)}, above the tolerance of ${formatInr(allowance)}: ${formatInr(difference)} stays open`,
  };
}
