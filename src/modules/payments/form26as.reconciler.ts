import type { Paise } from "../../kernel/money.ts";
import { addDays, quarterOrdinal, tdsReturnDueDate, type IsoDate, type TdsQuarter } from "./calendar-date.ts";
import { absPaise, formatInr } from "./amounts.ts";
import type { Form26asCredit } from "./form26as.parser.ts";
import { nameSimilarity } from "./party-name.ts";
import type { TdsCreditMissingPayload } from "./payment.events.ts";
import type { TdsSection } from "./tds-rates.data.ts";
import type { TdsReceivableEntry } from "./tds-receivable.ledger.ts";

export interface DeductorProfile {
  customerId: string;
  name: string;
  tan?: string;
}

interface GroupKey {
  tan: string;
  section: TdsSection;
  financialYear: string;
  quarter: TdsQuarter;
}

export interface ClaimGroup extends GroupKey {
  customerId?: string;
  deductorName?: string;
  claimedPaise: Paise;
  entryIds: string[];
}

export interface CreditGroup extends GroupKey {
  deductorName: string;
  creditedPaise: Paise;
  /** Credits whose deductor has not yet matched a challan (status U): deducted but not usable. */
  unmatchedPaise: Paise;
  rowNumbers: number[];
}

export interface Form26asMatch {
  claim: ClaimGroup;
  credit: CreditGroup;
  differencePaise: Paise;
  note?: string;
}

export interface QuarterReport {
  financialYear: string;
  quarter: TdsQuarter;
  returnDueDate: IsoDate;
  matched: Form26asMatch[];
  /** Deductions we booked that Form 26AS does not show at all. */
  claimedNotCredited: Array<ClaimGroup & { overdue: boolean }>;
  /** Credits in Form 26AS for which we booked nothing (an unrecorded deduction, or another business's receipt). */
  creditedNotClaimed: CreditGroup[];
  /** Both sides exist but the amounts differ by more than the tolerance. */
  amountDifferences: Array<Form26asMatch & { overdue: boolean }>;
}

export interface Form26asReconciliation {
  quarters: QuarterReport[];
  /** Claims without a TAN that could not be tied to any deductor. */
  unresolvedClaims: ClaimGroup[];
  /** Payloads for `tds.credit-missing`: open after the quarter's return due date (+ grace). */
  missingCredits: TdsCreditMissingPayload[];
}

const key = (group: GroupKey): string =>
  `${group.tan}|${group.section}|${group.financialYear}|${group.quarter}`;

/**
 * Matches TDS-receivable claims to Form 26AS credits by TAN, section and quarter (amounts compared within a
 * tolerance that grows with the number of lines, since deductors may round each deduction to the rupee), then
 * retries leftovers one quarter apart (deductors deduct at the earlier of credit and payment). Groups still short
 * after the quarter's return due date plus `graceDays` become `tds.credit-missing` payloads.
 */
export function reconcileForm26as(options: {
  claims: readonly TdsReceivableEntry[];
  credits: readonly Form26asCredit[];
  deductors?: readonly DeductorProfile[];
  asOf: IsoDate;
  graceDays?: number;
  tolerance?: { minimumPaise?: Paise; perLinePaise?: Paise };
}): Form26asReconciliation {
  const minimum = options.tolerance?.minimumPaise ?? 100n;
  const perLine = options.tolerance?.perLinePaise ?? 100n;
  const deductors = options.deductors ?? [];
  const tanOfCustomer = new Map(
    deductors.filter((profile) => profile.tan).map((profile) => [profile.customerId, profile.tan ?? ""]),
  );
  const creditNames = new Map<string, string>();
  for (const credit of options.credits) creditNames.set(credit.tan, credit.deductorName);

  const claimGroups = new Map<string, ClaimGroup>();
  const unresolved = new Map<string, ClaimGroup>();
  for (const entry of options.claims) {
    if (entry.kind !== "income-tax" || !entry.section) continue;
    let tan = entry.tan ?? tanOfCustomer.get(entry.customerId);
    if (!tan) {
      const name =
        entry.deductorName ?? deductors.find((profile) => profile.customerId === entry.customerId)?.name;
      if (name) {
        let best: { tan: string; score: number } | undefined;
        for (const [candidateTan, candidateName] of creditNames) {
          const score = nameSimilarity(name, candidateName);
          if (score >= 0.85 && (!best || score > best.score)) best = { tan: candidateTan, score };
        }
        tan = best?.tan;
      }
    }
    const target = tan ? claimGroups : unresolved;
    const group: GroupKey = {
      tan: tan ?? "",
      section: entry.section,
      financialYear: entry.financialYear,
      quarter: entry.quarter,
    };
    const groupKey = `${key(group)}|${tan ? "" : entry.customerId}`;
    const existing = target.get(groupKey);
    if (existing) {
      existing.claimedPaise += entry.amountPaise;
      existing.entryIds.push(entry.id);
    } else {
      target.set(groupKey, {
        ...group,
        customerId: entry.customerId,
        ...(entry.deductorName ? { deductorName: entry.deductorName } : {}),
        claimedPaise: entry.amountPaise,
        entryIds: [entry.id],
      });
    }
  }
  const creditGroups = new Map<string, CreditGroup>();
  for (const credit of options.credits) {
    if (!credit.section) continue;
    const group: GroupKey = {
      tan: credit.tan,
      section: credit.section,
      financialYear: credit.financialYear,
      quarter: credit.quarter,
    };
    const groupKey = key(group);
    const existing = creditGroups.get(groupKey) ?? {
      ...group,
      deductorName: credit.deductorName,
      creditedPaise: 0n,
      unmatchedPaise: 0n,
      rowNumbers: [],
    };
    if (credit.bookingStatus === "unmatched") existing.unmatchedPaise += credit.taxDeductedPaise;
    else existing.creditedPaise += credit.taxDeductedPaise;
    existing.rowNumbers.push(credit.rowNumber);
    creditGroups.set(groupKey, existing);
  }

  const allowed = (claim: ClaimGroup, credit: CreditGroup): Paise => {
    const lines = BigInt(Math.max(claim.entryIds.length, credit.rowNumbers.length));
    const scaled = perLine * lines;
    return scaled > minimum ? scaled : minimum;
  };
  const matched: Form26asMatch[] = [];
  const differences: Form26asMatch[] = [];
  const openClaims = new Map([...claimGroups].filter(([, claim]) => claim.claimedPaise !== 0n));
  const openCredits = new Map(creditGroups);
  for (const [groupKey, claim] of openClaims) {
    const credit = openCredits.get(key(claim));
    if (!credit) continue;
    const difference = credit.creditedPaise - claim.claimedPaise;
    (absPaise(difference) <= allowed(claim, credit) ? matched : differences).push({
      claim,
      credit,
      differencePaise: difference,
    });
    openClaims.delete(groupKey);
    openCredits.delete(key(claim));
  }
  // a deduction may sit in the neighbouring quarter: match leftovers one quarter apart when the amounts agree
  for (const [groupKey, claim] of openClaims) {
    const ordinal = quarterOrdinal(claim.financialYear, claim.quarter);
    for (const [creditKey, credit] of openCredits) {
      if (credit.tan !== claim.tan || credit.section !== claim.section) continue;
      if (Math.abs(quarterOrdinal(credit.financialYear, credit.quarter) - ordinal) !== 1) continue;
      const difference = credit.creditedPaise - claim.claimedPaise;
      if (absPaise(difference) > allowed(claim, credit)) continue;
      matched.push({
        claim,
        credit,
        differencePaise: difference,
        note: `credited in ${credit.quarter} ${credit.financialYear}`,
      });
      openClaims.delete(groupKey);
      openCredits.delete(creditKey);
      break;
    }
  }

  const graceDays = options.graceDays ?? 0;
  const isOverdue = (financialYear: string, quarter: TdsQuarter): boolean =>
    options.asOf > addDays(tdsReturnDueDate(financialYear, quarter), graceDays);
  const quarters = new Map<string, QuarterReport>();
  const quarterOf = (financialYear: string, quarter: TdsQuarter): QuarterReport => {
    const quarterKey = `${financialYear}|${quarter}`;
    let report = quarters.get(quarterKey);
    if (!report) {
      report = {
        financialYear,
        quarter,
        returnDueDate: tdsReturnDueDate(financialYear, quarter),
        matched: [],
        claimedNotCredited: [],
        creditedNotClaimed: [],
        amountDifferences: [],
      };
      quarters.set(quarterKey, report);
    }
    return report;
  };
  const missingCredits: TdsCreditMissingPayload[] = [];
  const missing = (claim: ClaimGroup, credited: Paise): void => {
    missingCredits.push({
      ...(claim.customerId ? { customerId: claim.customerId } : {}),
      tan: claim.tan,
      ...(claim.deductorName ? { deductorName: claim.deductorName } : {}),
      section: claim.section,
      financialYear: claim.financialYear,
      quarter: claim.quarter,
      claimedPaise: claim.claimedPaise,
      creditedPaise: credited,
      missingPaise: claim.claimedPaise - credited,
      returnDueDate: tdsReturnDueDate(claim.financialYear, claim.quarter),
      detectedOn: options.asOf,
    });
  };
  for (const match of matched) quarterOf(match.claim.financialYear, match.claim.quarter).matched.push(match);
  for (const match of differences) {
    const overdue = match.differencePaise < 0n && isOverdue(match.claim.financialYear, match.claim.quarter);
    quarterOf(match.claim.financialYear, match.claim.quarter).amountDifferences.push({ ...match, overdue });
    if (overdue) missing(match.claim, match.credit.creditedPaise);
  }
  for (const claim of openClaims.values()) {
    const overdue = claim.claimedPaise > 0n && isOverdue(claim.financialYear, claim.quarter);
    quarterOf(claim.financialYear, claim.quarter).claimedNotCredited.push({ ...claim, overdue });
    if (overdue) missing(claim, 0n);
  }
  for (const credit of openCredits.values())
    quarterOf(credit.financialYear, credit.quarter).creditedNotClaimed.push(credit);
  return {
    quarters: [...quarters.values()].sort(
      (a, b) => quarterOrdinal(a.financialYear, a.quarter) - quarterOrdinal(b.financialYear, b.quarter),
    ),
    unresolvedClaims: [...unresolved.values()],
    missingCredits,
  };
}

/** One line per problem, for a human. */
export function describeForm26asReport(report: QuarterReport): string[] {
  const lines: string[] = [];
  for (const claim of report.claimedNotCredited) {
    lines.push(
      `${claim.tan} u/s ${claim.section}: ${formatInr(claim.claimedPaise)} deducted but not in Form 26AS${claim.overdue ? ` (return was due ${report.returnDueDate})` : ""}`,
    );
  }
  for (const difference of report.amountDifferences) {
    lines.push(
      `${difference.claim.tan} u/s ${difference.claim.section}: booked ${formatInr(difference.claim.claimedPaise)}, Form 26AS shows ${formatInr(difference.credit.creditedPaise)}`,
    );
  }
  for (const credit of report.creditedNotClaimed) {
    lines.push(
      `${credit.tan} u/s ${credit.section}: ${formatInr(credit.creditedPaise)} in Form 26AS not booked as TDS receivable`,
    );
  }
  return lines;
}
