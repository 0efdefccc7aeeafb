import { AppError } from "../../kernel/app-error.ts";
import type { FieldIssue } from "../../kernel/app-error.ts";
import type { Paise } from "../../kernel/money.ts";
import { financialYearOf } from "./calendar-date.ts";
import type { CalendarDate } from "./calendar-date.ts";
import type { Invoice, Note } from "./invoice.schemas.ts";
import { formatRate } from "./gst-rate.validator.ts";
import { apportionByLargestRemainder, calculateDocumentTax, roundToNearestRupee } from "./tax.calculator.ts";
import type { DocumentTax, LineTax } from "./tax.calculator.ts";

/**
 * Credit and debit notes (CGST s.34) are computed exactly like the invoice they amend: same supplier, place of supply
 * and supply type, so the same tax heads, and rates checked against the invoice's date (the tax being corrected was
 * charged then). A credit note may not take more than remains of the invoice: per GST rate, its taxable value and
 * each tax head must fit in what the invoice plus earlier debit notes less earlier credit notes left. A note that
 * clears a rate's remaining taxable value takes exactly the remaining tax of that rate, so the paise rounded on
 * earlier partial notes come back and the notes add up to the invoice.
 */

export interface RateBalance {
  gstRateBasisPoints: number;
  cessRateBasisPoints: number;
  taxableValuePaise: Paise;
  cgstPaise: Paise;
  sgstPaise: Paise;
  utgstPaise: Paise;
  igstPaise: Paise;
  cessPaise: Paise;
}

export interface InvoiceBalance {
  byRate: RateBalance[];
  /** Taxable value plus all tax still open to credit. */
  valuePaise: Paise;
}

export interface NoteCalculation {
  tax: DocumentTax;
  balanceBefore: InvoiceBalance;
  balanceAfter: InvoiceBalance;
  /** Last day a credit note may reduce output tax (s.34(2)); null for debit notes. */
  taxAdjustmentDeadline: CalendarDate | null;
  /** False when a credit note comes after that day: it may still be issued, but without reducing GST. */
  withinTaxAdjustmentDeadline: boolean;
}

const HEADS = [
  "taxableValuePaise",
  "cgstPaise",
  "sgstPaise",
  "utgstPaise",
  "igstPaise",
  "cessPaise",
] as const;
type Head = (typeof HEADS)[number];

function keyOf(gst: number, cess: number): string {
  return `${gst}:${cess}`;
}

function balanceOf(lines: readonly LineTax[]): Map<string, RateBalance> {
  const balance = new Map<string, RateBalance>();
  for (const line of lines) {
    const key = keyOf(line.gstRateBasisPoints, line.cessRateBasisPoints);
    const entry = balance.get(key) ?? {
      gstRateBasisPoints: line.gstRateBasisPoints,
      cessRateBasisPoints: line.cessRateBasisPoints,
      taxableValuePaise: 0n,
      cgstPaise: 0n,
      sgstPaise: 0n,
      utgstPaise: 0n,
      igstPaise: 0n,
      cessPaise: 0n,
    };
    for (const head of HEADS) entry[head] += line[head];
    balance.set(key, entry);
  }
  return balance;
}

function applyToBalance(balance: Map<string, RateBalance>, lines: readonly LineTax[], sign: 1n | -1n): void {
  for (const [key, delta] of balanceOf(lines)) {
    const entry = balance.get(key) ?? { ...delta, ...Object.fromEntries(HEADS.map((head) => [head, 0n])) };
    for (const head of HEADS) entry[head] += sign * delta[head];
    balance.set(key, entry);
  }
}

function snapshot(balance: Map<string, RateBalance>): InvoiceBalance {
  const byRate = [...balance.values()]
    .map((entry) => ({ ...entry }))
    .sort(
      (a, b) => a.gstRateBasisPoints - b.gstRateBasisPoints || a.cessRateBasisPoints - b.cessRateBasisPoints,
    );
  const valuePaise = byRate.reduce(
    (total, entry) =>
      total +
      entry.taxableValuePaise +
      entry.cgstPaise +
      entry.sgstPaise +
      entry.utgstPaise +
      entry.igstPaise +
      entry.cessPaise,
    0n,
  );
  return { byRate, valuePaise };
}

/** Recomputes totals of a DocumentTax after line amounts changed. */
function retotal(tax: DocumentTax, lines: LineTax[], roundTotal: boolean): DocumentTax {
  const sum = (head: Head | "totalPaise"): Paise => lines.reduce((total, line) => total + line[head], 0n);
  const rates = tax.rates.map((rate) => {
    const subset = lines.filter((line) => line.gstRateBasisPoints === rate.gstRateBasisPoints);
    const add = (head: Head): Paise => subset.reduce((total, line) => total + line[head], 0n);
    return {
      gstRateBasisPoints: rate.gstRateBasisPoints,
      taxableValuePaise: add("taxableValuePaise"),
      cgstPaise: add("cgstPaise"),
      sgstPaise: add("sgstPaise"),
      utgstPaise: add("utgstPaise"),
      igstPaise: add("igstPaise"),
    };
  });
  const taxPaise =
    sum("cgstPaise") + sum("sgstPaise") + sum("utgstPaise") + sum("igstPaise") + sum("cessPaise");
  const totalBeforeRoundOffPaise = sum("taxableValuePaise") + taxPaise + tax.nonTaxableChargesPaise;
  const totalPaise = roundTotal ? roundToNearestRupee(totalBeforeRoundOffPaise) : totalBeforeRoundOffPaise;
  return {
    ...tax,
    lines,
    rates,
    taxableValuePaise: sum("taxableValuePaise"),
    cgstPaise: sum("cgstPaise"),
    sgstPaise: sum("sgstPaise"),
    utgstPaise: sum("utgstPaise"),
    igstPaise: sum("igstPaise"),
    cessPaise: sum("cessPaise"),
    taxPaise,
    totalBeforeRoundOffPaise,
    roundOffPaise: totalPaise - totalBeforeRoundOffPaise,
    totalPaise,
  };
}

function taxOfNote(invoice: Invoice, note: Note): DocumentTax {
  return calculateDocumentTax({
    document: {
      rateDate: invoice.issueDate,
      supplyType: invoice.supplyType,
      supplierGstin: invoice.supplier.gstin,
      placeOfSupply: invoice.placeOfSupply,
      igstOnIntra: invoice.igstOnIntra,
      lines: note.lines,
      nonTaxableChargesPaise: 0n,
      roundTotal: note.roundTotal,
    },
  });
}

/** For a credit note, gives rates it clears exactly the remaining tax; refuses amounts beyond the balance. */
function settleCredit(tax: DocumentTax, balance: Map<string, RateBalance>, roundTotal: boolean): DocumentTax {
  const issues: FieldIssue[] = [];
  const lines = tax.lines.map((line) => ({ ...line }));
  const groups = new Map<string, LineTax[]>();
  for (const line of lines) {
    const key = keyOf(line.gstRateBasisPoints, line.cessRateBasisPoints);
    groups.set(key, [...(groups.get(key) ?? []), line]);
  }
  for (const [key, group] of groups) {
    const remaining = balance.get(key);
    const first = group[0];
    if (first === undefined) continue;
    const label = `${formatRate(first.gstRateBasisPoints)}${first.cessRateBasisPoints > 0 ? ` + ${formatRate(first.cessRateBasisPoints)} cess` : ""}`;
    const taxable = group.reduce((total, line) => total + line.taxableValuePaise, 0n);
    if (remaining === undefined) {
      issues.push({
        field: `lines.${first.index}.gstRateBasisPoints`,
        reason: `the invoice has no supply at ${label}`,
      });
      continue;
    }
    if (taxable > remaining.taxableValuePaise) {
      issues.push({
        field: `lines.${first.index}.taxableValuePaise`,
        reason: `credits ${taxable} paise of taxable value at ${label} but only ${remaining.taxableValuePaise} paise remain`,
      });
      continue;
    }
    const taxableValues = group.map((line) => line.taxableValuePaise);
    for (const head of ["cgstPaise", "sgstPaise", "utgstPaise", "igstPaise", "cessPaise"] as const) {
      const noteHead = group.reduce((total, line) => total + line[head], 0n);
      if (taxable === remaining.taxableValuePaise) {
        const shares =
          taxable === 0n
            ? taxableValues.map(() => 0n)
            : taxableValues.map((value) => value * remaining[head]);
        const split =
          taxable === 0n
            ? group.map((_line, index) => (index === 0 ? remaining[head] : 0n))
            : apportionByLargestRemainder({
                total: remaining[head],
                numerators: shares,
                denominator: taxable,
              });
        group.forEach((line, index) => {
          line[head] = split[index] ?? 0n;
        });
      } else if (noteHead > remaining[head]) {
        issues.push({
          field: `lines.${first.index}.${head}`,
          reason: `credits ${noteHead} paise of ${head.replace("Paise", "").toUpperCase()} at ${label} but only ${remaining[head]} paise remain`,
        });
      }
    }
  }
  if (issues.length > 0)
    throw AppError.invalidInput(
      issues,
      `credit note exceeds what remains of the invoice: ${issues.map((issue) => issue.reason).join("; ")}`,
    );
  for (const line of lines) {
    line.totalPaise =
      line.taxableValuePaise +
      line.cgstPaise +
      line.sgstPaise +
      line.utgstPaise +
      line.igstPaise +
      line.cessPaise;
  }
  return retotal(tax, lines, roundTotal);
}

/**
 * Last day a credit note can reduce output tax: 30 November after the end of the invoice's financial year (s.34(2) as
 * amended by the Finance Act 2022, for invoices from FY 2021-22 on), 30 September for earlier years. The earlier
 * filing of the annual return also ends it, which this function cannot know.
 */
export function creditNoteTaxDeadline(invoiceDate: CalendarDate): CalendarDate {
  const startYear = Number(financialYearOf(invoiceDate).slice(0, 4));
  const month = startYear >= 2021 ? "11-30" : "09-30";
  return `${startYear + 1}-${month}` as CalendarDate;
}

function checkLink(invoice: Invoice, note: Note, field: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (note.invoiceId !== invoice.id)
    issues.push({ field: `${field}.invoiceId`, reason: `does not refer to invoice ${invoice.id}` });
  if (note.issueDate < invoice.issueDate) {
    issues.push({ field: `${field}.issueDate`, reason: `is before the invoice date ${invoice.issueDate}` });
  }
  return issues;
}

/**
 * Computes a credit or debit note against its invoice and the notes issued before it (in any order; they are applied
 * by date and number). Throws INVALID_INPUT when a note is not linked to the invoice or a credit goes beyond the
 * balance, and CONFLICT when the invoice is a draft or cancelled.
 */
export function calculateNote(options: {
  invoice: Invoice;
  note: Note;
  priorNotes?: readonly Note[];
}): NoteCalculation {
  const { invoice, note } = options;
  if (invoice.status === "draft" || invoice.status === "cancelled") {
    throw AppError.conflict(
      `invoice ${invoice.number} is ${invoice.status}; notes can only amend an issued invoice`,
      {
        invoiceId: invoice.id,
        status: invoice.status,
      },
    );
  }
  const prior = [...(options.priorNotes ?? [])]
    .filter((entry) => entry.id !== note.id)
    .sort((a, b) => a.issueDate.localeCompare(b.issueDate) || a.number.localeCompare(b.number));
  const linkIssues = [
    ...checkLink(invoice, note, "note"),
    ...prior.flatMap((entry, index) => checkLink(invoice, entry, `priorNotes.${index}`)),
  ];
  if (linkIssues.length > 0) throw AppError.invalidInput(linkIssues);

  const balance = balanceOf(
    calculateDocumentTax({
      document: {
        rateDate: invoice.issueDate,
        supplyType: invoice.supplyType,
        supplierGstin: invoice.supplier.gstin,
        placeOfSupply: invoice.placeOfSupply,
        igstOnIntra: invoice.igstOnIntra,
        lines: invoice.lines,
        nonTaxableChargesPaise: 0n,
        roundTotal: false,
      },
    }).lines,
  );
  for (const entry of prior) {
    const entryTax = taxOfNote(invoice, entry);
    if (entry.kind === "debit") applyToBalance(balance, entryTax.lines, 1n);
    else applyToBalance(balance, settleCredit(entryTax, balance, entry.roundTotal).lines, -1n);
  }
  const balanceBefore = snapshot(balance);
  let tax = taxOfNote(invoice, note);
  if (note.kind === "credit") tax = settleCredit(tax, balance, note.roundTotal);
  applyToBalance(balance, tax.lines, note.kind === "credit" ? -1n : 1n);

  const deadline = note.kind === "credit" ? creditNoteTaxDeadline(invoice.issueDate) : null;
  return {
    tax,
    balanceBefore,
    balanceAfter: snapshot(balance),
    taxAdjustmentDeadline: deadline,
    withinTaxAdjustmentDeadline: deadline === null || note.issueDate <= deadline,
  };
}
