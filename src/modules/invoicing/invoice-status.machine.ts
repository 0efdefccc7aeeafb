import { AppError } from "../../kernel/app-error.ts";
import type { Paise } from "../../kernel/money.ts";
import { addDays } from "./calendar-date.ts";
import type { CalendarDate } from "./calendar-date.ts";
import { INVOICING_EVENT_TYPES, toPaiseText } from "./invoice.events.ts";
import type { InvoicingEvent } from "./invoice.events.ts";
import type { CancellationReason, Invoice, InvoiceStatus, Settlement } from "./invoice.schemas.ts";
import { verifyInvoice } from "./invoice.verifier.ts";
import type { VerificationContext } from "./invoice.verifier.ts";
import { calculateOutstanding } from "./settlement.ts";
import { calculateInvoiceTax, toDocumentAmounts } from "./tax.calculator.ts";

/**
 * The life of an invoice.
 *
 *   draft --issue--> issued --payment--> partially_paid --payment--> paid
 *   issued / partially_paid --dispute--> disputed --resolve--> issued | partially_paid | paid
 *   issued / partially_paid / disputed --write-off--> written_off (a later recovery can still make it paid)
 *   draft / issued / disputed --cancel--> cancelled, only while nothing was paid, credited or debited
 *
 * Open statuses follow the amounts: nothing outstanding is paid, something received is partially_paid, otherwise
 * issued; disputed and written_off stay until resolved (or fully settled). "paid" means nothing is outstanding,
 * including when a credit note covered the rest. Illegal moves throw AppError CONFLICT naming the allowed actions.
 */

export type InvoiceAction =
  | { type: "issue"; context?: VerificationContext }
  | { type: "record-payment"; amountPaise: Paise }
  | { type: "reverse-payment"; amountPaise: Paise }
  | { type: "apply-credit-note"; amountPaise: Paise }
  | { type: "apply-debit-note"; amountPaise: Paise }
  | { type: "dispute"; reason: string }
  | { type: "resolve-dispute" }
  | { type: "write-off"; reason: string }
  | { type: "cancel"; reason: CancellationReason; remark: string };
export type InvoiceActionType = InvoiceAction["type"];

/** Which actions each status accepts. */
export const ALLOWED_ACTIONS: Readonly<Record<InvoiceStatus, readonly InvoiceActionType[]>> = Object.freeze({
  draft: ["issue", "cancel"],
  issued: ["record-payment", "apply-credit-note", "apply-debit-note", "dispute", "write-off", "cancel"],
  partially_paid: [
    "record-payment",
    "reverse-payment",
    "apply-credit-note",
    "apply-debit-note",
    "dispute",
    "write-off",
  ],
  paid: ["reverse-payment", "apply-credit-note", "apply-debit-note"],
  disputed: [
    "record-payment",
    "reverse-payment",
    "apply-credit-note",
    "apply-debit-note",
    "resolve-dispute",
    "write-off",
    "cancel",
  ],
  written_off: ["record-payment", "reverse-payment"],
  cancelled: [],
});

function openStatusFor(totalPaise: Paise, settlement: Settlement): InvoiceStatus {
  if (calculateOutstanding({ totalPaise: totalPaise, settlement: settlement }) <= 0n) return "paid";
  return settlement.paidPaise > 0n ? "partially_paid" : "issued";
}

function refuse(invoice: Pick<Invoice, "number" | "status">, action: InvoiceActionType, why?: string): never {
  const allowed = ALLOWED_ACTIONS[invoice.status];
  throw AppError.conflict(
    why ??
      `invoice ${invoice.number} is ${invoice.status}: cannot ${action}; allowed: ${allowed.length > 0 ? allowed.join(", ") : "nothing (final)"}`,
    { status: invoice.status, action, allowed },
  );
}

function positive(amount: Paise, field = "amountPaise"): void {
  if (amount <= 0n) throw AppError.invalidInput([{ field, reason: "must be more than zero" }]);
}

/**
 * The status after an action, from the status and the settlement after the action's amounts were applied.
 * Pure: throws CONFLICT for an action the status does not accept.
 */
export function nextInvoiceStatus(options: {
  status: InvoiceStatus;
  action: InvoiceActionType;
  totalPaise: Paise;
  settlement: Settlement;
  number?: string;
}): InvoiceStatus {
  const { status, action, totalPaise, settlement } = options;
  if (!ALLOWED_ACTIONS[status].includes(action)) refuse({ number: options.number ?? "", status }, action);
  const open = openStatusFor(totalPaise, settlement);
  switch (action) {
    case "issue":
      return "issued";
    case "cancel":
      return "cancelled";
    case "dispute":
      return "disputed";
    case "write-off":
      return "written_off";
    case "resolve-dispute":
      return open;
    case "record-payment":
    case "reverse-payment":
    case "apply-credit-note":
    case "apply-debit-note":
      if (status === "disputed" || status === "written_off") return open === "paid" ? "paid" : status;
      return open;
  }
}

/** When an e-invoice's IRN was generated; the IRP's AckDt is Indian time "YYYY-MM-DD HH:mm:ss". */
function irnGeneratedAt(invoice: Invoice): number | null {
  const ack = invoice.einvoice?.ackDate;
  if (ack !== undefined) {
    const parsed = Date.parse(`${ack.replace(" ", "T")}+05:30`);
    if (!Number.isNaN(parsed)) return parsed;
  }
  return invoice.issuedAt === undefined ? null : Date.parse(invoice.issuedAt);
}

const IRN_CANCELLATION_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface InvoiceTransition {
  invoice: Invoice;
  events: InvoicingEvent[];
}

/**
 * Applies an action to an invoice: checks it is allowed and its amounts make sense, updates settlement and status,
 * and returns the events to publish. "issue" computes and records the amounts (and the due date from the terms when
 * none is set); amounts cannot be paid, credited or reversed beyond what the invoice allows.
 */
export function applyInvoiceAction(options: {
  invoice: Invoice;
  action: InvoiceAction;
  at: Date;
}): InvoiceTransition {
  const { invoice, action } = options;
  const at = options.at.toISOString();
  if (!ALLOWED_ACTIONS[invoice.status].includes(action.type)) refuse(invoice, action.type);
  const ref = {
    invoiceId: invoice.id,
    invoiceNumber: invoice.number,
    customerId: invoice.buyer.customerId ?? null,
  };

  if (action.type === "issue") {
    const context = action.context ?? {};
    const blocking = verifyInvoice({ invoice: { ...invoice, amounts: undefined }, context }).findings.filter(
      (finding) => finding.severity === "error",
    );
    if (blocking.length > 0) {
      throw AppError.invalidInput(
        blocking.map((finding) => ({ field: finding.field, reason: finding.message })),
        `invoice ${invoice.number} cannot be issued: ${blocking.map((finding) => finding.message).join("; ")}`,
      );
    }
    const tax = calculateInvoiceTax({
      invoice,
      ...(context.extraRatesBasisPoints !== undefined
        ? { extraRatesBasisPoints: context.extraRatesBasisPoints }
        : {}),
    });
    const dueDate: CalendarDate | undefined =
      invoice.dueDate ?? (invoice.terms ? addDays(invoice.issueDate, invoice.terms.creditDays) : undefined);
    const issued: Invoice = {
      ...invoice,
      status: "issued",
      amounts: toDocumentAmounts(tax),
      issuedAt: at,
      ...(dueDate !== undefined ? { dueDate } : {}),
    };
    return {
      invoice: issued,
      events: [
        {
          type: INVOICING_EVENT_TYPES.issued,
          payload: {
            ...ref,
            buyerGstin: invoice.buyer.gstin ?? null,
            buyerName: invoice.buyer.legalName,
            supplyType: invoice.supplyType,
            issueDate: invoice.issueDate,
            dueDate: dueDate ?? null,
            taxableValuePaise: toPaiseText(tax.taxableValuePaise),
            taxPaise: toPaiseText(tax.taxPaise),
            totalPaise: toPaiseText(tax.totalPaise),
            interState: tax.igstPaise > 0n,
            irn: invoice.einvoice?.irn ?? null,
            issuedAt: at,
          },
        },
      ],
    };
  }

  const total = invoice.amounts?.totalPaise;
  if (total === undefined && invoice.status !== "draft") {
    throw AppError.invalidInput([
      { field: "amounts", reason: `invoice ${invoice.number} is ${invoice.status} but has no amounts` },
    ]);
  }
  const totalPaise = total ?? 0n;
  const settlement: Settlement = { ...invoice.settlement };
  const outstanding = calculateOutstanding({ totalPaise: totalPaise, settlement: settlement });

  switch (action.type) {
    case "record-payment":
      positive(action.amountPaise);
      if (action.amountPaise > outstanding) {
        throw AppError.invalidInput([
          {
            field: "amountPaise",
            reason: `payment of ${action.amountPaise} paise exceeds the ${outstanding} paise outstanding; allocate the excess elsewhere`,
          },
        ]);
      }
      settlement.paidPaise += action.amountPaise;
      break;
    case "reverse-payment":
      positive(action.amountPaise);
      if (action.amountPaise > settlement.paidPaise) {
        throw AppError.invalidInput([
          {
            field: "amountPaise",
            reason: `reverses ${action.amountPaise} paise but only ${settlement.paidPaise} paise were received`,
          },
        ]);
      }
      settlement.paidPaise -= action.amountPaise;
      break;
    case "apply-credit-note": {
      positive(action.amountPaise);
      const creditable = totalPaise + settlement.debitedPaise - settlement.creditedPaise;
      if (action.amountPaise > creditable) {
        throw AppError.invalidInput([
          {
            field: "amountPaise",
            reason: `credit of ${action.amountPaise} paise exceeds the ${creditable} paise that remain of the invoice`,
          },
        ]);
      }
      settlement.creditedPaise += action.amountPaise;
      break;
    }
    case "apply-debit-note":
      positive(action.amountPaise);
      settlement.debitedPaise += action.amountPaise;
      break;
    case "cancel": {
      if (settlement.paidPaise > 0n || settlement.creditedPaise > 0n || settlement.debitedPaise > 0n) {
        refuse(
          invoice,
          "cancel",
          `invoice ${invoice.number} has payments or notes against it; issue a credit note instead of cancelling`,
        );
      }
      const generated = invoice.einvoice === undefined ? null : irnGeneratedAt(invoice);
      if (generated !== null && options.at.getTime() - generated > IRN_CANCELLATION_WINDOW_MS) {
        refuse(
          invoice,
          "cancel",
          `the e-invoice of ${invoice.number} is older than 24 hours and can no longer be cancelled on the IRP; issue a credit note instead`,
        );
      }
      if (action.remark.trim() === "")
        throw AppError.invalidInput([{ field: "remark", reason: "must not be empty" }]);
      break;
    }
    case "dispute":
    case "write-off":
      if (action.reason.trim() === "")
        throw AppError.invalidInput([{ field: "reason", reason: "must not be empty" }]);
      break;
    case "resolve-dispute":
      break;
  }

  if (action.type === "write-off") settlement.writtenOffPaise = outstanding > 0n ? outstanding : 0n;
  const status = nextInvoiceStatus({
    status: invoice.status,
    action: action.type,
    totalPaise,
    settlement,
    number: invoice.number,
  });
  const updated: Invoice = { ...invoice, status, settlement };
  const events: InvoicingEvent[] = [];
  const outstandingAfter = calculateOutstanding({ totalPaise: totalPaise, settlement: settlement });

  if (action.type === "dispute") {
    updated.dispute = { reason: action.reason.trim(), raisedAt: at };
    events.push({
      type: INVOICING_EVENT_TYPES.disputed,
      payload: {
        ...ref,
        reason: action.reason.trim(),
        raisedAt: at,
        outstandingPaise: toPaiseText(outstandingAfter),
      },
    });
  }
  if (action.type === "resolve-dispute") delete updated.dispute;
  if (action.type === "cancel") {
    updated.cancellation = { reason: action.reason, remark: action.remark.trim(), cancelledAt: at };
    events.push({
      type: INVOICING_EVENT_TYPES.cancelled,
      payload: {
        ...ref,
        reason: action.reason,
        remark: action.remark.trim(),
        cancelledAt: at,
        irn: invoice.einvoice?.irn ?? null,
      },
    });
  }
  if (status === "paid" && invoice.status !== "paid") {
    events.push({
      type: INVOICING_EVENT_TYPES.paid,
      payload: {
        ...ref,
        totalPaise: toPaiseText(totalPaise),
        paidPaise: toPaiseText(settlement.paidPaise),
        creditedPaise: toPaiseText(settlement.creditedPaise),
        debitedPaise: toPaiseText(settlement.debitedPaise),
        settledBy: action.type === "apply-credit-note" ? "credit-note" : "payment",
        paidAt: at,
      },
    });
  }
  return { invoice: updated, events };
}
