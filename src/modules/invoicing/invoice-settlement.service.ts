import { randomUUID } from "node:crypto";
import { AppError } from "../../kernel/app-error.ts";
import type { FieldIssue } from "../../kernel/app-error.ts";
import type { Paise } from "../../kernel/money.ts";
import type { CommandMeta } from "../../platform/audit/command-actor.ts";
import { applyInvoiceAction } from "./invoice-status.machine.ts";
import { INVOICING_EVENT_TYPES, toPaiseText, type InvoicingEvent } from "./invoice.events.ts";
import {
  findSettlement,
  outstandingOf,
  settledOf,
  settlementView,
  toInvoiceView,
  writeInvoice,
  type InvoiceRecord,
  type SettlementParts,
} from "./invoice.repository.ts";
import type { ApplySettlementResult } from "./invoice.views.ts";
import { createUnitOfWork, type InvoicingDeps, type UnitOfWork } from "./invoicing.unit-of-work.ts";

export const REVERSAL_SUFFIX = ":reversal";

export interface ApplySettlementCommand extends SettlementParts {
  invoiceId: string;
  /** The settlement's identity (its idempotency key); a reversal is the original's with ":reversal". */
  reference: string;
}

const PART_FIELDS = ["cashPaise", "tdsPaise", "gstTdsPaise", "writeOffPaise"] as const;

function negate(parts: SettlementParts): SettlementParts {
  return {
    cashPaise: -parts.cashPaise,
    tdsPaise: -parts.tdsPaise,
    gstTdsPaise: -parts.gstTdsPaise,
    writeOffPaise: -parts.writeOffPaise,
  };
}

function add(a: SettlementParts, b: SettlementParts): SettlementParts {
  return {
    cashPaise: a.cashPaise + b.cashPaise,
    tdsPaise: a.tdsPaise + b.tdsPaise,
    gstTdsPaise: a.gstTdsPaise + b.gstTdsPaise,
    writeOffPaise: a.writeOffPaise + b.writeOffPaise,
  };
}

function partsText(parts: SettlementParts) {
  return {
    cashPaise: toPaiseText(parts.cashPaise),
    tdsPaise: toPaiseText(parts.tdsPaise),
    gstTdsPaise: toPaiseText(parts.gstTdsPaise),
    writeOffPaise: toPaiseText(parts.writeOffPaise),
  };
}

/**
 * Settlements reported by the payments module: cash received, income-tax TDS and GST TDS the customer withheld,
 * and a small difference written off. Each reference is applied once per invoice; the invoice row is locked
 * while the balance is checked and changed, so concurrent settlements queue up and can never take the balance
 * below zero. A reversal (reference + ":reversal", negative parts) takes back at most what the original gave.
 */
export function createSettlementService(
  deps: InvoicingDeps,
  unitOfWork: UnitOfWork = createUnitOfWork(deps),
) {
  const { clock, inTenant, publish, audit, requireInvoice, command } = unitOfWork;

  return {
    /**
     * Takes back exactly what settlement `reference` gave the invoice (reference + ":reversal", its parts
     * negated). Undefined when the invoice has no such settlement, so there is nothing to take back; a reversal
     * applied before is returned with `applied: false`.
     */
    async reverseSettlement(
      input: { invoiceId: string; reference: string },
      meta: CommandMeta,
    ): Promise<ApplySettlementResult | undefined> {
      const original = await inTenant(meta.tenantId, (trx) =>
        findSettlement(trx, input.invoiceId, input.reference),
      );
      if (!original || original.reverses_id !== null) return undefined;
      return this.applySettlement(
        {
          invoiceId: input.invoiceId,
          reference: `${input.reference}${REVERSAL_SUFFIX}`,
          ...negate({
            cashPaise: original.cash_paise,
            tdsPaise: original.tds_paise,
            gstTdsPaise: original.gst_tds_paise,
            writeOffPaise: original.write_off_paise,
          }),
        },
        meta,
      );
    },

    async applySettlement(input: ApplySettlementCommand, meta: CommandMeta): Promise<ApplySettlementResult> {
      const parts: SettlementParts = {
        cashPaise: input.cashPaise,
        tdsPaise: input.tdsPaise,
        gstTdsPaise: input.gstTdsPaise,
        writeOffPaise: input.writeOffPaise,
      };
      const reversal = input.reference.endsWith(REVERSAL_SUFFIX);
      const issues: FieldIssue[] = [];
      for (const field of PART_FIELDS) {
        if (reversal ? parts[field] > 0n : parts[field] < 0n) {
          issues.push({
            field,
            reason: reversal
              ? "must be zero or negative in a reversal"
              : `must not be negative; reverse a settlement with reference "<reference>${REVERSAL_SUFFIX}"`,
          });
        }
      }
      const total = settledOf(parts);
      if (total === 0n)
        issues.push({ field: "cashPaise", reason: "a settlement needs at least one part other than zero" });
      if (reversal && input.reference.length === REVERSAL_SUFFIX.length) {
        issues.push({ field: "reference", reason: "names no settlement before the suffix" });
      }
      if (issues.length > 0) throw AppError.invalidInput(issues);

      return command(meta, "invoicing.apply-settlement", input, async (trx) => {
        const record = await requireInvoice(trx, input.invoiceId, true);
        const existing = await findSettlement(trx, input.invoiceId, input.reference);
        if (existing) {
          const same = PART_FIELDS.every(
            (field, index) =>
              [existing.cash_paise, existing.tds_paise, existing.gst_tds_paise, existing.write_off_paise][
                index
              ] === parts[field],
          );
          if (!same) {
            throw AppError.conflict(
              `settlement ${input.reference} was applied to invoice ${record.invoice.number} with other amounts`,
              { reference: input.reference },
            );
          }
          return { applied: false, settlement: settlementView(existing), invoice: toInvoiceView(record) };
        }

        const now = clock();
        const at = now.toISOString();
        const { invoice } = record;
        const ref = { invoiceId: invoice.id, invoiceNumber: invoice.number, customerId: record.customerId };
        let reversesId: string | null = null;
        let transition: ReturnType<typeof applyInvoiceAction>;
        const events: InvoicingEvent[] = [];

        if (reversal) {
          const originalReference = input.reference.slice(0, -REVERSAL_SUFFIX.length);
          const original = await findSettlement(trx, input.invoiceId, originalReference);
          if (!original || original.reverses_id !== null) {
            throw AppError.invalidInput([
              { field: "reference", reason: `no settlement ${originalReference} on this invoice to reverse` },
            ]);
          }
          const originalParts: SettlementParts = {
            cashPaise: original.cash_paise,
            tdsPaise: original.tds_paise,
            gstTdsPaise: original.gst_tds_paise,
            writeOffPaise: original.write_off_paise,
          };
          const beyond = PART_FIELDS.filter((field) => -parts[field] > originalParts[field]).map((field) => ({
            field,
            reason: `reverses ${(-parts[field]).toString()} paise but ${originalReference} settled ${originalParts[field].toString()}`,
          }));
          if (beyond.length > 0) throw AppError.invalidInput(beyond);
          reversesId = original.id;
          transition = applyInvoiceAction({
            invoice,
            action: { type: "reverse-payment", amountPaise: -total },
            at: now,
          });
        } else {
          const outstanding = outstandingOf(record);
          if (
            total > outstanding &&
            invoice.status !== "draft" &&
            invoice.status !== "cancelled" &&
            invoice.status !== "paid"
          ) {
            throw AppError.invalidInput(
              PART_FIELDS.filter((field) => parts[field] !== 0n).map((field) => ({
                field,
                reason: `the settlement of ${total.toString()} paise (cash + TDS + GST TDS + write-off) exceeds the ${outstanding.toString()} paise outstanding on ${invoice.number}`,
              })),
            );
          }
          transition = applyInvoiceAction({
            invoice,
            action: { type: "record-payment", amountPaise: total },
            at: now,
          });
        }

        const nextParts = add(record.parts, parts);
        const next: InvoiceRecord = {
          ...record,
          invoice: transition.invoice,
          parts: nextParts,
          paidAt: transition.invoice.status === "paid" ? (record.paidAt ?? at) : null,
          version: record.version + 1,
          updatedAt: at,
        };
        const outstandingAfter = outstandingOf(next);
        for (const event of transition.events) {
          if (event.type === INVOICING_EVENT_TYPES.paid) {
            events.push({
              type: event.type,
              payload: { ...event.payload, ...partsText(parts), settlementReference: input.reference },
            });
          } else {
            events.push(event);
          }
        }
        if (reversal) {
          events.push({
            type: INVOICING_EVENT_TYPES.settlementReversed,
            payload: {
              ...ref,
              settlementReference: input.reference,
              reversedReference: input.reference.slice(0, -REVERSAL_SUFFIX.length),
              ...partsText(negate(parts)),
              outstandingPaise: toPaiseText(outstandingAfter),
              status: next.invoice.status,
              reversedAt: at,
            },
          });
        } else if (next.invoice.status !== "paid") {
          events.push({
            type: INVOICING_EVENT_TYPES.partiallyPaid,
            payload: {
              ...ref,
              settlementReference: input.reference,
              ...partsText(parts),
              totalPaise: toPaiseText(invoice.amounts?.totalPaise ?? 0n),
              outstandingPaise: toPaiseText(outstandingAfter),
              paidAt: at,
            },
          });
        }

        const row = {
          id: randomUUID(),
          tenant_id: meta.tenantId,
          invoice_id: invoice.id,
          reference: input.reference,
          reverses_id: reversesId,
          cash_paise: parts.cashPaise,
          tds_paise: parts.tdsPaise,
          gst_tds_paise: parts.gstTdsPaise,
          write_off_paise: parts.writeOffPaise,
          applied_at: now,
          actor: meta.actor,
        };
        await trx.insertInto("invoice_settlements").values(row).execute();
        const written = await writeInvoice(trx, meta.tenantId, next, record.version);
        if (!written) throw AppError.conflict(`invoice ${invoice.number} changed meanwhile; retry`);
        await publish(trx, meta.tenantId, events);
        const settlement = settlementView(row);
        const view = toInvoiceView(next);
        await audit(trx, meta, {
          action: reversal ? "invoice.settlement-reversed" : "invoice.settlement-applied",
          entity: { type: "invoice", id: invoice.id },
          before: { status: invoice.status, settlement: toInvoiceView(record).settlement },
          after: { status: next.invoice.status, settlement: view.settlement },
          metadata: { settlement },
        });
        return { applied: true, settlement, invoice: view };
      });
    },
  };
}

export type SettlementService = ReturnType<typeof createSettlementService>;

/** Parses paise text parts of a wire settlement into bigints. */
export function settlementPartsOf(input: {
  cashPaise: string;
  tdsPaise: string;
  gstTdsPaise: string;
  writeOffPaise: string;
}): SettlementParts {
  const toPaise = (text: string): Paise => BigInt(text);
  return {
    cashPaise: toPaise(input.cashPaise),
    tdsPaise: toPaise(input.tdsPaise),
    gstTdsPaise: toPaise(input.gstTdsPaise),
    writeOffPaise: toPaise(input.writeOffPaise),
  };
}
