import type { Logger } from "pino";
import { z } from "zod";
import { AppError, type FieldIssue } from "../../kernel/app-error.ts";
import type { CommandMeta } from "../../platform/audit/command-actor.ts";
import type { EventConsumer, EventHandlerContext } from "../../platform/events/event-bus.port.ts";
import type { CloudEvent } from "../../platform/events/event-outbox.ts";
import { formatInr } from "./amounts.ts";
import { PAYMENT_METHODS, type PaymentMethod } from "./payment.schema.ts";
import type { PaymentService } from "./payment.service.ts";
import { ZRecordPaymentInput } from "./payments.schemas.ts";
import { createUnitOfWork, type PaymentsDeps, type UnitOfWork } from "./payments.unit-of-work.ts";
import { money } from "./payments.views.ts";
import { readEventData } from "../../platform/events/event-data.ts";

/**
 * What payments takes from imports: accepted receipts (`import.payment-accepted`, the integrations module's wire
 * contract, payments' own copy) and invoicing's settlements of what a source said was paid before the import
 * (`invoice.partially-paid` / `invoice.paid` with a settlement reference starting `import:`).
 */
export const IMPORT_EVENT_TYPES_FOR_PAYMENTS = [
  "import.payment-accepted",
  "invoice.partially-paid",
  "invoice.paid",
] as const;

export const PAYMENT_IMPORTS_ACTOR = "system:imports";
/** Invoicing's settlement reference for the part of an imported invoice paid before the import. */
const IMPORTED_SETTLEMENT_PREFIX = "import:";
/** Attempts spent waiting for a named invoice's receivable before the receipt is recorded without allocating. */
const ATTEMPTS_WAITING_FOR_INVOICES = 4;

const ZPaiseWire = z
  .string()
  .regex(/^-?\d+$/)
  .transform((value) => BigInt(value));

const ZPaymentAcceptedWire = z.object({
  runId: z.string().min(1),
  source: z.enum(["csv", "tally", "zoho-books"]),
  externalId: z.string().min(1).max(200),
  change: z.enum(["create", "update"]),
  record: z.object({
    date: z.iso.date(),
    amountPaise: ZPaiseWire,
    tdsPaise: ZPaiseWire,
    method: z.string().optional(),
    reference: z.string().optional(),
    customerName: z.string(),
    allocations: z.array(z.object({ reference: z.string(), amountPaise: ZPaiseWire })),
    narration: z.string().optional(),
  }),
});
type PaymentAccepted = z.output<typeof ZPaymentAcceptedWire>;

const ZImportedSettlementWire = z.object({
  invoiceId: z.string().min(1),
  settlementReference: z.string().min(1).optional(),
  cashPaise: ZPaiseWire.optional(),
  tdsPaise: ZPaiseWire.optional(),
  gstTdsPaise: ZPaiseWire.optional(),
  writeOffPaise: ZPaiseWire.optional(),
});

export interface PaymentImportOutcome {
  eventId: string;
  type: string;
  outcome: "recorded" | "allocated" | "unchanged" | "settled-before-import" | "ignored" | "skipped";
  paymentId?: string;
  reason?: string;
  issues?: FieldIssue[];
}

interface ReceivableMatch {
  invoice_id: string;
  invoice_number: string;
  customer_id: string;
  open_paise: bigint;
}

function methodOf(text: string | undefined): PaymentMethod | undefined {
  const method = text?.trim().toLowerCase();
  return (PAYMENT_METHODS as readonly string[]).includes(method ?? "")
    ? (method as PaymentMethod)
    : undefined;
}

/**
 * Records imported receipts once per business (the record's external id is the receipt's source id, unique per
 * source), without allocating unless the record names the invoices it pays and payments knows them (their
 * receivables; a named invoice not yet registered is waited for a few attempts, then the receipt is recorded
 * unallocated and the audit entry says why). The customer is the named invoices' customer, else the one customer
 * whose receivables carry the record's customer name, else none (the payer's name stays on the receipt). TDS on a
 * receipt is not allocated (the section is not known): such a receipt is recorded unallocated. A record payments
 * cannot accept (an unknown method, a reference in the wrong format) is skipped with a warning and an audit entry.
 *
 * It also applies to payments' receivable what invoicing settled as paid before the import (reference
 * `import:<externalId>`), so the receivable shows what is really open; the event id keys each change.
 */
export function createPaymentImportService(
  deps: PaymentsDeps,
  payments: PaymentService,
  unitOfWork: UnitOfWork = createUnitOfWork(deps),
  logger?: Logger,
) {
  const { inTenant, command, audit, clock } = unitOfWork;

  async function receivablesNamed(
    tenantId: string,
    numbers: string[],
  ): Promise<Map<string, ReceivableMatch>> {
    if (numbers.length === 0) return new Map();
    const rows = await inTenant(tenantId, (trx) =>
      trx
        .selectFrom("payment_receivables")
        .select(["invoice_id", "invoice_number", "customer_id", "open_paise"])
        .where("status", "=", "open")
        .where(
          (eb) => eb.fn("upper", ["invoice_number"]),
          "in",
          numbers.map((number) => number.toUpperCase()),
        )
        .execute(),
    );
    const byNumber = new Map<string, ReceivableMatch[]>();
    for (const row of rows) {
      const key = row.invoice_number.toUpperCase();
      byNumber.set(key, [...(byNumber.get(key) ?? []), row]);
    }
    // A number found on more than one open receivable (two financial years) names none of them for certain.
    return new Map(
      [...byNumber].flatMap(([key, matches]) =>
        matches.length === 1 && matches[0] ? [[key, matches[0]] as const] : [],
      ),
    );
  }

  async function customerByName(tenantId: string, name: string): Promise<string | undefined> {
    const trimmed = name.trim().replace(/\s+/g, " ").toLowerCase();
    if (trimmed === "") return undefined;
    const rows = await inTenant(tenantId, (trx) =>
      trx
        .selectFrom("payment_receivables")
        .select("customer_id")
        .distinct()
        .where((eb) => eb.fn("lower", ["customer_name"]), "=", trimmed)
        .execute(),
    );
    return rows.length === 1 ? rows[0]?.customer_id : undefined;
  }

  async function skip(
    event: CloudEvent,
    data: PaymentAccepted,
    reason: string,
    issues: FieldIssue[],
  ): Promise<PaymentImportOutcome> {
    const meta: CommandMeta = {
      tenantId: event.tenantid,
      actor: PAYMENT_IMPORTS_ACTOR,
      idempotencyKey: `import-skip:${event.id}`,
    };
    await command(meta, "payments.skip-import", { externalId: data.externalId }, async (trx) => {
      await audit(trx, meta, {
        action: "payment.import-skipped",
        entity: { type: "import-record", id: data.externalId },
        metadata: { eventId: event.id, runId: data.runId, externalId: data.externalId, reason, issues },
      });
      return { skipped: true };
    });
    logger?.warn(
      { eventId: event.id, tenantId: event.tenantid, externalId: data.externalId, reason },
      "imported receipt not recorded",
    );
    return { eventId: event.id, type: event.type, outcome: "skipped", reason, issues };
  }

  async function recordReceipt(
    event: CloudEvent,
    context: EventHandlerContext,
  ): Promise<PaymentImportOutcome> {
    const data = readEventData(ZPaymentAcceptedWire, event);
    const { record } = data;
    const base = { eventId: event.id, type: event.type };
    const method = methodOf(record.method);
    if (method === undefined) {
      return skip(
        event,
        data,
        `the receipt's method (${record.method ?? "none"}) is not one payments records`,
        [{ field: "record.method", reason: `is one of ${PAYMENT_METHODS.join(", ")}` }],
      );
    }
    const numbers = [...new Set(record.allocations.map((allocation) => allocation.reference.trim()))].filter(
      (number) => number !== "",
    );
    const named = await receivablesNamed(event.tenantid, numbers);
    const missing = numbers.filter((number) => !named.has(number.toUpperCase()));
    if (missing.length > 0 && context.attempt < ATTEMPTS_WAITING_FOR_INVOICES) {
      throw new AppError({
        code: "UNAVAILABLE",
        message: `invoices ${missing.join(", ")} named by imported receipt ${data.externalId} are not receivables yet`,
        retryable: true,
      });
    }
    const customers = new Set([...named.values()].map((receivable) => receivable.customer_id));
    const customerId =
      customers.size === 1
        ? [...customers][0]
        : customers.size === 0
          ? await customerByName(event.tenantid, record.customerName)
          : undefined;

    const notes: string[] = [];
    let allocations: { invoiceId: string; cashPaise: string }[] | undefined;
    if (numbers.length > 0) {
      const total = record.allocations.reduce((sum, allocation) => sum + allocation.amountPaise, 0n);
      if (missing.length > 0) notes.push(`invoices not known to payments: ${missing.join(", ")}`);
      else if (customers.size !== 1) notes.push("the named invoices belong to different customers");
      else if (record.tdsPaise !== 0n) notes.push(`TDS of ${formatInr(record.tdsPaise)} without its section`);
      else if (total > record.amountPaise)
        notes.push("the allocations add up to more than the amount received");
      else {
        allocations = record.allocations.map((allocation) => {
          const receivable = named.get(allocation.reference.trim().toUpperCase());
          return { invoiceId: receivable?.invoice_id ?? "", cashPaise: allocation.amountPaise.toString() };
        });
        const over = allocations.find(
          (line) =>
            BigInt(line.cashPaise) >
            ([...named.values()].find((receivable) => receivable.invoice_id === line.invoiceId)?.open_paise ??
              0n),
        );
        if (over !== undefined) {
          notes.push("an allocation is more than the invoice's open balance");
          allocations = undefined;
        }
      }
    }
    const input = ZRecordPaymentInput.safeParse({
      ...(customerId !== undefined ? { customerId } : {}),
      method,
      reference: record.reference ?? null,
      payer: { name: record.customerName.trim() || "Unknown payer" },
      receivedOn: record.date,
      amountPaise: record.amountPaise.toString(),
      ...(method === "cheque" && record.reference !== undefined
        ? { cheque: { number: record.reference.trim(), date: record.date } }
        : {}),
      note: (record.narration ?? `Imported from ${data.source}`).slice(0, 500),
      source: "import",
      externalId: data.externalId,
      ...(allocations !== undefined ? { allocations } : {}),
    });
    if (!input.success) {
      return skip(
        event,
        data,
        "not a receipt payments can record",
        input.error.issues.map((issue) => ({
          field: `record.${issue.path.join(".")}`,
          reason: issue.message,
        })),
      );
    }
    const meta: CommandMeta = {
      tenantId: event.tenantid,
      actor: PAYMENT_IMPORTS_ACTOR,
      idempotencyKey: `event:${event.id}`,
    };
    try {
      const result = await payments.record(meta, input.data);
      if (notes.length > 0) {
        await command(
          { ...meta, idempotencyKey: `import-note:${event.id}` },
          "payments.note-import",
          { externalId: data.externalId },
          async (trx) => {
            await audit(trx, meta, {
              action: "payment.import-not-allocated",
              entity: { type: "payment", id: result.payment.id },
              metadata: {
                eventId: event.id,
                externalId: data.externalId,
                reasons: notes,
                at: clock().toISOString(),
              },
            });
            return { noted: true };
          },
        );
      }
      return {
        ...base,
        outcome: result.batchId !== null ? "allocated" : "recorded",
        paymentId: result.payment.id,
        ...(notes.length > 0 ? { reason: notes.join("; ") } : {}),
      };
    } catch (error) {
      if (error instanceof AppError && error.code === "CONFLICT") {
        // Recorded before (a re-import of a changed record, or the same transfer under another id): receipts are
        // not changed by imports.
        return { ...base, outcome: "unchanged", reason: error.message };
      }
      if (error instanceof AppError && error.code === "INVALID_INPUT") {
        return skip(event, data, error.message, error.issues);
      }
      throw error;
    }
  }

  async function applySettledBeforeImport(event: CloudEvent): Promise<PaymentImportOutcome> {
    const data = readEventData(ZImportedSettlementWire, event);
    const base = { eventId: event.id, type: event.type };
    if (data.settlementReference?.startsWith(IMPORTED_SETTLEMENT_PREFIX) !== true) {
      return { ...base, outcome: "ignored" };
    }
    const settled =
      (data.cashPaise ?? 0n) + (data.tdsPaise ?? 0n) + (data.gstTdsPaise ?? 0n) + (data.writeOffPaise ?? 0n);
    const meta: CommandMeta = {
      tenantId: event.tenantid,
      actor: PAYMENT_IMPORTS_ACTOR,
      idempotencyKey: `event:${event.id}`,
    };
    return command(
      meta,
      "payments.apply-settled-before-import",
      { invoiceId: data.invoiceId },
      async (trx) => {
        const existing = await trx
          .selectFrom("payment_receivables")
          .selectAll()
          .where("invoice_id", "=", data.invoiceId)
          .forUpdate()
          .executeTakeFirst();
        if (!existing) {
          // invoice.issued reaches payments-receivables on its own: wait for it.
          throw new AppError({
            code: "UNAVAILABLE",
            message: `invoice ${data.invoiceId} is not a receivable yet`,
            retryable: true,
          });
        }
        const applied = settled > existing.open_paise ? existing.open_paise : settled;
        if (existing.status === "cancelled" || applied <= 0n)
          return { ...base, outcome: "unchanged" as const };
        await trx
          .updateTable("payment_receivables")
          .set({
            open_paise: existing.open_paise - applied,
            version: existing.version + 1,
            updated_at: clock(),
          })
          .where("invoice_id", "=", data.invoiceId)
          .execute();
        await audit(trx, meta, {
          action: "receivable.settled-before-import",
          entity: { type: "receivable", id: data.invoiceId },
          before: { openPaise: money(existing.open_paise) },
          after: { openPaise: money(existing.open_paise - applied) },
          metadata: {
            eventId: event.id,
            settlementReference: data.settlementReference,
            settledPaise: money(applied),
          },
        });
        return { ...base, outcome: "settled-before-import" as const };
      },
    );
  }

  return {
    handle(event: CloudEvent, context: EventHandlerContext): Promise<PaymentImportOutcome> {
      switch (event.type) {
        case "import.payment-accepted":
          return recordReceipt(event, context);
        case "invoice.partially-paid":
        case "invoice.paid":
          return applySettledBeforeImport(event);
        default:
          return Promise.resolve({ eventId: event.id, type: event.type, outcome: "ignored" });
      }
    },
  };
}

export type PaymentImportService = ReturnType<typeof createPaymentImportService>;

/** The durable bus consumer `payments-imports`. */
export function createPaymentImportConsumer(options: {
  service: PaymentImportService;
  name?: string;
}): EventConsumer {
  return {
    name: options.name ?? "payments-imports",
    types: [...IMPORT_EVENT_TYPES_FOR_PAYMENTS],
    startFrom: "beginning",
    // A receipt naming invoices waits ATTEMPTS_WAITING_FOR_INVOICES attempts for their receivables, then is
    // recorded unallocated: it needs more attempts than that before it could become a dead letter.
    maxAttempts: ATTEMPTS_WAITING_FOR_INVOICES + 4,
    async handle(event, context) {
      await options.service.handle(event, context);
    },
  };
}
