import { formatInr } from "./amounts.ts";
import { daysBetween, type IsoDate } from "./calendar-date.ts";
import { nameCoverage, nameSimilarity, partyNameTokens } from "./party-name.ts";
import { normaliseReference } from "./payment.schema.ts";

/** A bank credit line as this matcher reads it. */
export interface StatementCredit {
  id: string;
  date: IsoDate;
  amountPaise: bigint;
  narration: string;
  utr?: string;
  references?: readonly string[];
  payerName?: string;
}

/** A receipt already recorded (by hand, an import or a gateway) that no statement line accounts for yet. */
export interface RecordedReceipt {
  id: string;
  customerId: string;
  receivedOn: IsoDate;
  amountPaise: bigint;
  reference: string | null;
  /** The payer's name on the receipt, and the customer's names as banks print them. */
  names: readonly string[];
}

export interface RecordedReceiptMatch {
  lineId: string;
  paymentId: string;
  customerId: string;
  confidence: number;
  autoApplicable: boolean;
  reason: string;
  evidence: string[];
  flags: string[];
}

/** How far apart the receipt's date and the line's date may be for a match on amount and payer. */
export const RECORDED_RECEIPT_WINDOW_DAYS = 3;
const NAME_THRESHOLD = 0.8;

function lineReferences(line: StatementCredit): Set<string> {
  return new Set(
    [line.utr, ...(line.references ?? [])]
      .filter((value): value is string => typeof value === "string" && value.trim() !== "")
      .map((value) => normaliseReference(value)),
  );
}

function payerScore(line: StatementCredit, receipt: RecordedReceipt): number {
  const narration = partyNameTokens(line.narration);
  let best = 0;
  for (const name of receipt.names) {
    if (name.trim() === "") continue;
    if (line.payerName) best = Math.max(best, nameSimilarity(line.payerName, name));
    best = Math.max(best, nameCoverage(partyNameTokens(name), narration));
  }
  return best;
}

/**
 * Finds bank credit lines that are the bank's record of a receipt already entered, so that the line is linked
 * to that receipt instead of recording the money a second time. Evidence, strongest first:
 * 1. the line's UTR/RRN (or another bank reference) equals the receipt's reference: auto-applicable when the
 *    amount is the same too;
 * 2. the same amount, a payer name that matches the receipt's payer or customer, and dates at most
 *    `windowDays` apart: proposed for a person to confirm.
 * Each receipt and each line is used at most once; nearer dates win.
 */
export function matchRecordedReceipts(options: {
  lines: readonly StatementCredit[];
  receipts: readonly RecordedReceipt[];
  windowDays?: number;
}): RecordedReceiptMatch[] {
  const windowDays = options.windowDays ?? RECORDED_RECEIPT_WINDOW_DAYS;
  const usedLines = new Set<string>();
  const usedReceipts = new Set<string>();
  const matches: RecordedReceiptMatch[] = [];
  const byReference = new Map<string, RecordedReceipt[]>();
  for (const receipt of options.receipts) {
    if (!receipt.reference) continue;
    const key = normaliseReference(receipt.reference);
    byReference.set(key, [...(byReference.get(key) ?? []), receipt]);
  }

  for (const line of options.lines) {
    for (const reference of lineReferences(line)) {
      const receipt = (byReference.get(reference) ?? []).find((candidate) => !usedReceipts.has(candidate.id));
      if (!receipt) continue;
      const sameAmount = receipt.amountPaise === line.amountPaise;
      usedLines.add(line.id);
      usedReceipts.add(receipt.id);
      matches.push({
        lineId: line.id,
        paymentId: receipt.id,
        customerId: receipt.customerId,
        confidence: sameAmount ? 0.99 : 0.6,
        autoApplicable: sameAmount,
        reason: sameAmount
          ? `${formatInr(line.amountPaise)} is the receipt recorded on ${receipt.receivedOn} with reference ${reference}`
          : `reference ${reference} is the receipt recorded on ${receipt.receivedOn}, but for ${formatInr(receipt.amountPaise)}, not ${formatInr(line.amountPaise)}`,
        evidence: [`reference ${reference}`, sameAmount ? "same amount" : "different amount"],
        flags: sameAmount ? ["existing-receipt"] : ["existing-receipt", "amount-differs"],
      });
      break;
    }
  }

  const candidates: Array<{ line: StatementCredit; receipt: RecordedReceipt; days: number; score: number }> =
    [];
  for (const line of options.lines) {
    if (usedLines.has(line.id)) continue;
    for (const receipt of options.receipts) {
      if (usedReceipts.has(receipt.id) || receipt.amountPaise !== line.amountPaise) continue;
      const days = Math.abs(daysBetween(receipt.receivedOn, line.date));
      if (days > windowDays) continue;
      const score = payerScore(line, receipt);
      if (score < NAME_THRESHOLD) continue;
      candidates.push({ line, receipt, days, score });
    }
  }
  candidates.sort((a, b) => a.days - b.days || b.score - a.score || a.line.id.localeCompare(b.line.id));
  for (const { line, receipt, days, score } of candidates) {
    if (usedLines.has(line.id) || usedReceipts.has(receipt.id)) continue;
    usedLines.add(line.id);
    usedReceipts.add(receipt.id);
    matches.push({
      lineId: line.id,
      paymentId: receipt.id,
      customerId: receipt.customerId,
      confidence: Math.round((0.8 + 0.1 * score - 0.02 * days) * 10_000) / 10_000,
      autoApplicable: false,
      reason: `${formatInr(line.amountPaise)} from the same payer as the receipt recorded on ${receipt.receivedOn} (${days} day${days === 1 ? "" : "s"} apart)`,
      evidence: ["same amount", `payer name ${Math.round(score * 100)}%`, `${days} day(s) apart`],
      flags: ["existing-receipt"],
    });
  }
  return matches;
}
