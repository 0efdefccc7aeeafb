import { createHash } from "node:crypto";
import { parseIndianNarration, type PaymentChannel } from "./bank-narration.parser.ts";
import type { IsoDate } from "./calendar-date.ts";
import type { CamtMessage } from "./camt.parser.ts";
import type { Mt940Statement } from "./mt940.parser.ts";
import type { ReconciliationLine } from "./reconciliation.matcher.ts";

/** One line of a bank statement in the shape reconciliation works with, whatever the file format. */
export interface BankStatementLine {
  /** Stable across re-imports of the same statement: see `fingerprintStatementLines`. */
  fingerprint: string;
  source: "mt940" | "camt.052" | "camt.053" | "camt.054" | "csv";
  accountId: string;
  bookingDate: IsoDate;
  valueDate?: IsoDate;
  direction: "credit" | "debit";
  /** Unsigned amount in minor units (paise for INR). */
  amountMinor: bigint;
  currency: string;
  reversal: boolean;
  bankReference?: string;
  customerReference?: string;
  utr?: string;
  channel?: PaymentChannel;
  narration: string;
  counterparty: { name?: string; account?: string; ifsc?: string; vpa?: string };
  balanceAfterMinor?: bigint;
}

export type UnfingerprintedLine = Omit<BankStatementLine, "fingerprint">;

const normaliseText = (text: string | undefined): string =>
  (text ?? "").toUpperCase().replace(/\s+/g, " ").trim();

/**
 * Gives every line a fingerprint: SHA-256 over account, dates, direction, amount, currency, bank reference and
 * narration (case and spacing ignored), plus the occurrence number among identical lines of the same import, so
 * two genuinely identical payments on one day stay distinct while re-importing the same statement (or an
 * overlapping one) reproduces the same fingerprints.
 */
export function fingerprintStatementLines(lines: readonly UnfingerprintedLine[]): BankStatementLine[] {
  const seen = new Map<string, number>();
  return lines.map((line) => {
    const basis = [
      normaliseText(line.accountId).replace(/[^A-Z0-9]/g, ""),
      line.bookingDate,
      line.valueDate ?? "",
      line.direction,
      line.amountMinor.toString(),
      line.currency,
      line.reversal ? "R" : "",
      normaliseText(line.bankReference),
      normaliseText(line.narration),
    ].join("\u001f");
    const occurrence = (seen.get(basis) ?? 0) + 1;
    seen.set(basis, occurrence);
    const fingerprint = createHash("sha256").update(`${basis}\u001f${occurrence}`).digest("hex").slice(0, 40);
    return { fingerprint, ...line };
  });
}

function enrich(line: UnfingerprintedLine): UnfingerprintedLine {
  const facts = parseIndianNarration(line.narration);
  const utr = line.utr ?? facts.utr;
  const channel = line.channel ?? facts.channel;
  return {
    ...line,
    ...(utr ? { utr } : {}),
    ...(channel ? { channel } : {}),
    counterparty: {
      ...(facts.counterpartyName ? { name: facts.counterpartyName } : {}),
      ...(facts.ifsc ? { ifsc: facts.ifsc } : {}),
      ...(facts.vpa ? { vpa: facts.vpa } : {}),
      ...line.counterparty,
    },
  };
}

const isReference = (value: string | undefined): value is string =>
  value !== undefined && value.trim() !== "" && value.trim().toUpperCase() !== "NONREF";

/** Statement lines of parsed MT940 statements. */
export function mt940ToStatementLines(statements: readonly Mt940Statement[]): BankStatementLine[] {
  const lines: UnfingerprintedLine[] = [];
  for (const statement of statements) {
    for (const line of statement.lines) {
      const narration = [line.information ?? "", line.supplementaryDetails]
        .filter((part) => part.trim() !== "")
        .join(" ")
        .replace(/\s+/g, " ")
        .trim();
      const structuredName = line.structured?.applicantName;
      const structuredAccount = line.structured?.applicantAccount;
      lines.push(
        enrich({
          source: "mt940",
          accountId: statement.accountIdentification,
          bookingDate: line.entryDate ?? line.valueDate,
          valueDate: line.valueDate,
          direction: line.mark === "C" || line.mark === "RD" ? "credit" : "debit",
          amountMinor: line.amountMinor,
          currency: line.currency,
          reversal: line.mark === "RC" || line.mark === "RD",
          ...(isReference(line.bankReference) ? { bankReference: line.bankReference.trim() } : {}),
          ...(isReference(line.customerReference)
            ? { customerReference: line.customerReference.trim() }
            : {}),
          narration: line.structured?.purpose ? `${line.structured.purpose} ${narration}`.trim() : narration,
          counterparty: {
            ...(structuredName ? { name: structuredName } : {}),
            ...(structuredAccount ? { account: structuredAccount } : {}),
          },
        }),
      );
    }
  }
  return fingerprintStatementLines(lines);
}

/** Statement lines of a parsed camt message: one per transaction detail (batches split), else one per entry. */
export function camtToStatementLines(message: CamtMessage): BankStatementLine[] {
  const lines: UnfingerprintedLine[] = [];
  for (const statement of message.statements) {
    for (const entry of statement.entries) {
      if (entry.status !== "BOOK") continue;
      const bookingDate = entry.bookingDate?.date ?? entry.valueDate?.date;
      if (!bookingDate) continue;
      const split =
        entry.details.length > 1 && entry.details.every((detail) => detail.amountMinor !== undefined);
      const parts = split ? entry.details : [entry.details[0]];
      for (const detail of parts) {
        const counterparty = entry.creditDebit === "CRDT" ? detail?.debtor : detail?.creditor;
        const remittance = [
          ...(detail?.remittance.unstructured ?? []),
          ...(detail?.remittance.structured ?? []).map((block) => block.creditorReference?.reference ?? ""),
        ];
        const narration = [
          ...remittance,
          detail?.additionalInformation ?? "",
          entry.additionalInformation ?? "",
        ]
          .filter((part) => part.trim() !== "")
          .join(" ");
        const endToEnd = detail?.references.endToEndId;
        lines.push(
          enrich({
            source: message.messageType,
            accountId: statement.account.identification,
            bookingDate,
            ...(entry.valueDate ? { valueDate: entry.valueDate.date } : {}),
            direction: entry.creditDebit === "CRDT" ? "credit" : "debit",
            amountMinor: split && detail?.amountMinor !== undefined ? detail.amountMinor : entry.amountMinor,
            currency: split && detail?.currency ? detail.currency : entry.currency,
            reversal: entry.reversal,
            ...(isReference(entry.accountServicerReference)
              ? { bankReference: entry.accountServicerReference }
              : {}),
            ...(isReference(endToEnd) && endToEnd !== "NOTPROVIDED" ? { customerReference: endToEnd } : {}),
            ...(detail?.references.clearingSystemReference
              ? { utr: detail.references.clearingSystemReference }
              : {}),
            narration,
            counterparty: {
              ...(counterparty?.name ? { name: counterparty.name } : {}),
              ...(counterparty?.account?.identification
                ? { account: counterparty.account.identification }
                : {}),
            },
          }),
        );
      }
    }
  }
  return fingerprintStatementLines(lines);
}

/** Lines whose fingerprints are already known: a re-imported statement shows up here. */
export function findAlreadyImported(options: {
  lines: readonly BankStatementLine[];
  knownFingerprints: ReadonlySet<string>;
}): {
  fresh: BankStatementLine[];
  duplicates: BankStatementLine[];
} {
  const fresh: BankStatementLine[] = [];
  const duplicates: BankStatementLine[] = [];
  for (const line of options.lines)
    (options.knownFingerprints.has(line.fingerprint) ? duplicates : fresh).push(line);
  return { fresh, duplicates };
}

/** The INR credits of a statement (reversals left out) as lines for the reconciliation matcher. */
export function toReconciliationLines(lines: readonly BankStatementLine[]): ReconciliationLine[] {
  return lines
    .filter(
      (line) =>
        line.direction === "credit" && line.currency === "INR" && !line.reversal && line.amountMinor > 0n,
    )
    .map((line) => ({
      id: line.fingerprint,
      date: line.valueDate ?? line.bookingDate,
      amountPaise: line.amountMinor,
      narration: line.narration,
      ...(line.utr ? { utr: line.utr } : {}),
      references: [line.bankReference, line.customerReference].filter(
        (reference): reference is string => reference !== undefined,
      ),
      ...(line.counterparty.name ? { payerName: line.counterparty.name } : {}),
      ...(line.counterparty.vpa ? { payerVpa: line.counterparty.vpa } : {}),
      ...(line.counterparty.account ? { payerAccount: line.counterparty.account } : {}),
    }));
}
