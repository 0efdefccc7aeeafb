import type { Paise } from "../../kernel/money.ts";
import { tdsQuarterOf, tdsReturnDueDate, type IsoDate, type TdsQuarter } from "./calendar-date.ts";
import type { TdsSection } from "./tds-rates.data.ts";

/**
 * One line of the TDS-receivable ledger. Income-tax TDS is claimed against Form 26AS; GST TDS u/s 51 against the
 * GSTR-7 credits that appear in the electronic cash ledger. A reversal carries a negative amount.
 */
export interface TdsReceivableEntry {
  id: string;
  kind: "income-tax" | "gst";
  customerId: string;
  section?: TdsSection;
  tan?: string;
  deductorName?: string;
  date: IsoDate;
  financialYear: string;
  quarter: TdsQuarter;
  amountPaise: Paise;
  receiptId: string;
  allocationId: string;
  invoiceId: string;
}

export interface TdsReceivableBalance {
  customerId: string;
  kind: "income-tax" | "gst";
  section?: TdsSection;
  tan?: string;
  financialYear: string;
  quarter: TdsQuarter;
  claimedPaise: Paise;
  entryCount: number;
  /** Due date of the deductor's quarterly TDS statement, after which the credit should show in Form 26AS. */
  returnDueDate: IsoDate;
}

/** Builds an entry with its financial year and quarter derived from the deduction date. */
export function makeTdsReceivableEntry(
  fields: Omit<TdsReceivableEntry, "financialYear" | "quarter">,
): TdsReceivableEntry {
  const { financialYear, quarter } = tdsQuarterOf(fields.date);
  return { ...fields, financialYear, quarter };
}

/**
 * The entry that cancels `entry` exactly: same customer, section, TAN and quarter (the deduction it cancels belongs
 * to that quarter), negated amount.
 */
export function reverseTdsReceivableEntry(options: {
  entry: TdsReceivableEntry;
  id: string;
}): TdsReceivableEntry {
  return { ...options.entry, id: options.id, amountPaise: -options.entry.amountPaise };
}

/** Balances per customer, kind, section, TAN, financial year and quarter; groups that net to zero are dropped. */
export function summariseTdsReceivable(options: {
  entries: readonly TdsReceivableEntry[];
}): TdsReceivableBalance[] {
  const groups = new Map<string, TdsReceivableBalance>();
  for (const entry of options.entries) {
    const key = [
      entry.customerId,
      entry.kind,
      entry.section ?? "",
      entry.tan ?? "",
      entry.financialYear,
      entry.quarter,
    ].join("|");
    const existing = groups.get(key);
    if (existing) {
      existing.claimedPaise += entry.amountPaise;
      existing.entryCount += 1;
    } else {
      groups.set(key, {
        customerId: entry.customerId,
        kind: entry.kind,
        ...(entry.section ? { section: entry.section } : {}),
        ...(entry.tan ? { tan: entry.tan } : {}),
        financialYear: entry.financialYear,
        quarter: entry.quarter,
        claimedPaise: entry.amountPaise,
        entryCount: 1,
        returnDueDate: tdsReturnDueDate(entry.financialYear, entry.quarter),
      });
    }
  }
  return [...groups.values()]
    .filter((balance) => balance.claimedPaise !== 0n)
    .sort((a, b) =>
      a.financialYear === b.financialYear
        ? a.quarter.localeCompare(b.quarter) || a.customerId.localeCompare(b.customerId)
        : a.financialYear.localeCompare(b.financialYear),
    );
}
