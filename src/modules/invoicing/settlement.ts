import type { Paise } from "../../kernel/money.ts";
import type { Settlement } from "./invoice.schemas.ts";

/** What the buyer still owes: total + debit notes - credit notes - payments (negative when a refund is due). */
export function calculateOutstanding(options: { totalPaise: Paise; settlement: Settlement }): Paise {
  const { totalPaise, settlement } = options;
  return totalPaise + settlement.debitedPaise - settlement.creditedPaise - settlement.paidPaise;
}
