import type { Logger } from "pino";
import { z } from "zod";
import { AppError } from "../../kernel/app-error.ts";
import type { CommandMeta } from "../../platform/audit/command-actor.ts";
import type { EventConsumer } from "../../platform/events/event-bus.port.ts";
import type { CloudEvent } from "../../platform/events/event-outbox.ts";
import type { SettlementService } from "./invoice-settlement.service.ts";
import type { ApplySettlementResult } from "./invoice.views.ts";
import { readEventData } from "../../platform/events/event-data.ts";

/**
 * The payments events invoicing applies, read from their wire form (invoicing's own copy of the contract; it
 * never imports payments). Money is a string of paise; fields invoicing does not need are ignored.
 */
export const PAYMENT_SETTLEMENT_EVENT_TYPES = [
  "payment.allocated",
  "payment.reversed",
  "payment.allocation-undone",
] as const;

export const PAYMENT_EVENTS_ACTOR = "system:payments-events";

const ZPaiseWire = z.union([z.string().regex(/^\d+$/), z.int().min(0)]).transform((value) => BigInt(value));

const ZAllocatedWire = z.object({
  receiptId: z.string().min(1),
  allocations: z
    .array(
      z.object({
        allocationId: z.string().min(1),
        invoiceId: z.string().min(1),
        cashPaise: ZPaiseWire,
        incomeTaxTdsPaise: ZPaiseWire,
        gstTdsPaise: ZPaiseWire,
        writeOffPaise: ZPaiseWire,
      }),
    )
    .min(1),
});

const ZReversedWire = z.object({
  receiptId: z.string().min(1),
  reversedAllocations: z.array(z.object({ allocationId: z.string().min(1), invoiceId: z.string().min(1) })),
});

const ZAllocationUndoneWire = z.object({
  receiptId: z.string().min(1),
  allocationId: z.string().min(1),
  invoiceId: z.string().min(1),
});

export interface SettlementOutcome {
  invoiceId: string;
  reference: string;
  outcome: "applied" | "already-applied" | "skipped";
  reason?: string;
}

/**
 * Applies payments' settlements to invoices: each allocation of `payment.allocated` becomes a settlement with
 * the allocation id as reference (cash, income-tax TDS, GST TDS, write-off); `payment.reversed` (bounced
 * cheque, chargeback, refund, error) and `payment.allocation-undone` take back exactly what that reference gave,
 * as `<allocationId>:reversal`. The reference makes each application happen once, however often the event is
 * delivered. An invoice invoicing does not know (a receivable registered for an invoice kept elsewhere) is
 * skipped, and so is the reversal of a settlement that was never applied.
 */
export function createPaymentSettlementHandler(options: { settlements: SettlementService; logger?: Logger }) {
  const { settlements } = options;

  function outcomeOf(result: ApplySettlementResult | undefined, invoiceId: string, reference: string) {
    if (!result) {
      return {
        invoiceId,
        reference,
        outcome: "skipped" as const,
        reason: "no such settlement to take back",
      };
    }
    return {
      invoiceId,
      reference,
      outcome: result.applied ? ("applied" as const) : ("already-applied" as const),
    };
  }

  async function guarded(
    invoiceId: string,
    reference: string,
    work: () => Promise<ApplySettlementResult | undefined>,
  ): Promise<SettlementOutcome> {
    try {
      return outcomeOf(await work(), invoiceId, reference);
    } catch (error) {
      if (error instanceof AppError && error.code === "NOT_FOUND") {
        return { invoiceId, reference, outcome: "skipped", reason: "invoicing does not know the invoice" };
      }
      throw error;
    }
  }

  return {
    /** Applies one payments event; returns what happened per invoice. */
    async handle(event: CloudEvent): Promise<SettlementOutcome[]> {
      const meta: CommandMeta = { tenantId: event.tenantid, actor: PAYMENT_EVENTS_ACTOR };
      const outcomes: SettlementOutcome[] = [];
      switch (event.type) {
        case "payment.allocated": {
          const data = readEventData(ZAllocatedWire, event);
          for (const part of data.allocations) {
            outcomes.push(
              await guarded(part.invoiceId, part.allocationId, () =>
                settlements.applySettlement(
                  {
                    invoiceId: part.invoiceId,
                    reference: part.allocationId,
                    cashPaise: part.cashPaise,
                    tdsPaise: part.incomeTaxTdsPaise,
                    gstTdsPaise: part.gstTdsPaise,
                    writeOffPaise: part.writeOffPaise,
                  },
                  meta,
                ),
              ),
            );
          }
          break;
        }
        case "payment.reversed": {
          const data = readEventData(ZReversedWire, event);
          for (const part of data.reversedAllocations) {
            outcomes.push(
              await guarded(part.invoiceId, part.allocationId, () =>
                settlements.reverseSettlement(
                  { invoiceId: part.invoiceId, reference: part.allocationId },
                  meta,
                ),
              ),
            );
          }
          break;
        }
        case "payment.allocation-undone": {
          const data = readEventData(ZAllocationUndoneWire, event);
          outcomes.push(
            await guarded(data.invoiceId, data.allocationId, () =>
              settlements.reverseSettlement(
                { invoiceId: data.invoiceId, reference: data.allocationId },
                meta,
              ),
            ),
          );
          break;
        }
        default:
          break;
      }
      for (const outcome of outcomes) {
        if (outcome.outcome === "skipped") {
          options.logger?.warn(
            { eventId: event.id, type: event.type, tenantId: event.tenantid, ...outcome },
            "payment settlement not applied to an invoice",
          );
        }
      }
      return outcomes;
    },
  };
}

/**
 * The durable bus consumer behind settlement: payments publishes a receipt's events with the receipt id as
 * subject, so an allocation is always applied before its reversal.
 */
export function createPaymentSettlementConsumer(options: {
  settlements: SettlementService;
  logger?: Logger;
  name?: string;
}): EventConsumer {
  const handler = createPaymentSettlementHandler(options);
  return {
    name: options.name ?? "invoicing-settlements",
    types: [...PAYMENT_SETTLEMENT_EVENT_TYPES],
    startFrom: "beginning",
    async handle(event) {
      await handler.handle(event);
    },
  };
}
