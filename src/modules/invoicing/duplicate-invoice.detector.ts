import type { Paise } from "../../kernel/money.ts";
import { daysBetween, financialYearOf } from "./calendar-date.ts";
import type { CalendarDate } from "./calendar-date.ts";
import type { Invoice, InvoiceStatus } from "./invoice.schemas.ts";
import { calculateInvoiceTax } from "./tax.calculator.ts";

/** What duplicate detection needs of an invoice; `summarizeInvoiceForDuplicates` makes one from an Invoice. */
export interface InvoiceFingerprint {
  id: string;
  number: string;
  issueDate: CalendarDate;
  supplierGstin: string;
  /** Customer id, else buyer GSTIN, else the buyer's name in lower case. */
  customerKey: string;
  totalPaise: Paise;
  /** One signature per line: code, quantity, unit price, discount, rate. */
  lineSignatures: string[];
  status?: InvoiceStatus;
}

export type DuplicateInvoiceReason = "same-number" | "same-customer-amount-date" | "same-lines";

export interface DuplicateInvoiceMatch {
  invoiceId: string;
  invoiceNumber: string;
  score: number;
  reasons: DuplicateInvoiceReason[];
  daysApart: number;
}

export const DEFAULT_DUPLICATE_WINDOW_DAYS = 7;

function lineSignature(line: Invoice["lines"][number]): string {
  return [
    line.hsnSac ?? "",
    line.description.toLowerCase(),
    line.quantity,
    line.unitPricePaise.toString(),
    line.discountPaise.toString(),
    String(line.gstRateBasisPoints),
  ].join("|");
}

/** Fingerprint of an invoice; the total is the recorded one, else computed (or 0 when it cannot be). */
export function summarizeInvoiceForDuplicates(invoice: Invoice): InvoiceFingerprint {
  let totalPaise = invoice.amounts?.totalPaise;
  if (totalPaise === undefined) {
    try {
      totalPaise = calculateInvoiceTax({ invoice }).totalPaise;
    } catch {
      totalPaise = 0n;
    }
  }
  return {
    id: invoice.id,
    number: invoice.number,
    issueDate: invoice.issueDate,
    supplierGstin: invoice.supplier.gstin,
    customerKey:
      invoice.buyer.customerId ?? invoice.buyer.gstin ?? invoice.buyer.legalName.trim().toLowerCase(),
    totalPaise,
    lineSignatures: invoice.lines.map(lineSignature),
    status: invoice.status,
  };
}

function sameMultiset(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const left = [...a].sort();
  const right = [...b].sort();
  return left.every((value, index) => value === right[index]);
}

/**
 * Existing invoices that look like the candidate, best first:
 * - same number from the same supplier GSTIN in the same financial year (rule 46(b) wants it unique; the IRP refuses
 *   it as a duplicate IRN even after cancellation): score 1;
 * - same customer and total, dated within `windowDays`: 0.9 on the same day falling to 0.7 at the window's edge;
 * - same customer and the same lines within the window: 0.8; with the same total as well: 0.95.
 * Cancelled invoices only count for the number.
 */
export function findLikelyDuplicateInvoices(options: {
  candidate: InvoiceFingerprint;
  existing: readonly InvoiceFingerprint[];
  windowDays?: number;
}): DuplicateInvoiceMatch[] {
  const { candidate } = options;
  const windowDays = options.windowDays ?? DEFAULT_DUPLICATE_WINDOW_DAYS;
  const matches: DuplicateInvoiceMatch[] = [];
  for (const other of options.existing) {
    if (other.id === candidate.id) continue;
    const daysApart = Math.abs(daysBetween(candidate.issueDate, other.issueDate));
    const reasons: DuplicateInvoiceReason[] = [];
    let score = 0;
    if (
      other.supplierGstin === candidate.supplierGstin &&
      other.number.toUpperCase() === candidate.number.toUpperCase() &&
      financialYearOf(other.issueDate) === financialYearOf(candidate.issueDate)
    ) {
      reasons.push("same-number");
      score = 1;
    }
    const comparable =
      other.status !== "cancelled" && other.customerKey === candidate.customerKey && daysApart <= windowDays;
    if (comparable) {
      const sameAmount = other.totalPaise === candidate.totalPaise && candidate.totalPaise > 0n;
      const sameLines = sameMultiset(other.lineSignatures, candidate.lineSignatures);
      if (sameAmount) {
        reasons.push("same-customer-amount-date");
        score = Math.max(score, 0.9 - (0.2 * daysApart) / Math.max(windowDays, 1));
      }
      if (sameLines) {
        reasons.push("same-lines");
        score = Math.max(score, sameAmount ? 0.95 : 0.8);
      }
    }
    if (reasons.length > 0) {
      matches.push({
        invoiceId: other.id,
        invoiceNumber: other.number,
        score: Math.round(score * 1000) / 1000,
        reasons,
        daysApart,
      });
    }
  }
  return matches.sort((a, b) => b.score - a.score || a.daysApart - b.daysApart);
}
