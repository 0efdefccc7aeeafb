import { sql } from "kysely";
import type { Logger } from "pino";
import { z } from "zod";
import { AppError, type FieldIssue } from "../../kernel/app-error.ts";
import type { CommandMeta } from "../../platform/audit/command-actor.ts";
import type { EventConsumer } from "../../platform/events/event-bus.port.ts";
import type { CloudEvent } from "../../platform/events/event-outbox.ts";
import { gstRatesOn } from "./gst-rates.data.ts";
import type { CalendarDate } from "./calendar-date.ts";
import { findInvoiceByExternal, toInvoiceView } from "./invoice.repository.ts";
import type { AmountsView, InvoiceDraftInput, InvoiceLineWireInput, InvoiceView } from "./invoice.views.ts";
import type { InvoicingServices } from "./invoicing.services.ts";
import { createUnitOfWork, type InvoicingDeps } from "./invoicing.unit-of-work.ts";
import { readEventData } from "../../platform/events/event-data.ts";

/**
 * The events invoicing takes from imports: the customers module's links of imported customers (for the buyer of
 * an imported invoice) and the integrations module's accepted invoices and credit notes. Each is read from its
 * wire form (invoicing's own copy of the contract; it imports neither module).
 */
export const IMPORT_EVENT_TYPES_FOR_INVOICING = [
  "customer.import-linked",
  "import.invoice-accepted",
  "import.credit-note-accepted",
] as const;

export const IMPORTS_ACTOR = "system:imports";
/** The import reference (`external_source`) of invoices recorded from imports; the id is the record's external id. */
export const IMPORT_REFERENCE_SOURCE = "import";
/** Settlement reference of what the source says was paid before the import: `import:<externalId>`. */
export const IMPORTED_SETTLEMENT_PREFIX = "import:";

const ZPaiseWire = z
  .string()
  .regex(/^-?\d+$/)
  .transform((value) => BigInt(value));
const ZDateWire = z.iso.date();
const ZSourceWire = z.enum(["csv", "tally", "zoho-books"]);

const ZAddressWire = z.object({
  line1: z.string(),
  line2: z.string().optional(),
  city: z.string(),
  pinCode: z.string().optional(),
  stateCode: z.string(),
  country: z.string(),
});

const ZCustomerLinkedWire = z.object({
  customerId: z.string().min(1),
  externalId: z.string().min(1),
  legalName: z.string().min(1),
  gstin: z.string().length(15).nullable(),
  stateCode: z.string().length(2),
  billingAddress: ZAddressWire.nullable(),
});

const ZAccepted = <T extends z.ZodType>(record: T) =>
  z.object({
    runId: z.string().min(1),
    source: ZSourceWire,
    externalId: z.string().min(1).max(200),
    change: z.enum(["create", "update"]),
    record,
  });

const ZInvoiceAcceptedWire = ZAccepted(
  z.object({
    number: z.string(),
    customerExternalId: z.string().optional(),
    customerName: z.string(),
    customerGstin: z.string().optional(),
    issueDate: ZDateWire,
    dueDate: ZDateWire.optional(),
    currency: z.string(),
    taxableValuePaise: ZPaiseWire,
    cgstPaise: ZPaiseWire,
    sgstPaise: ZPaiseWire,
    igstPaise: ZPaiseWire,
    cessPaise: ZPaiseWire,
    roundOffPaise: ZPaiseWire,
    totalPaise: ZPaiseWire,
    balancePaise: ZPaiseWire.optional(),
    placeOfSupply: z.string().optional(),
    lines: z.array(
      z.object({
        description: z.string(),
        hsnOrSac: z.string().optional(),
        quantity: z.string().optional(),
        taxableValuePaise: ZPaiseWire.optional(),
        taxRateBasisPoints: z.number().int().optional(),
      }),
    ),
    findings: z.array(z.object({ field: z.string(), reason: z.string() })),
  }),
);
type InvoiceAccepted = z.output<typeof ZInvoiceAcceptedWire>;

const ZCreditNoteAcceptedWire = ZAccepted(
  z.object({
    number: z.string(),
    date: ZDateWire,
    customerName: z.string(),
    amountPaise: ZPaiseWire,
    allocations: z.array(z.object({ reference: z.string(), amountPaise: ZPaiseWire })),
    narration: z.string().optional(),
    findings: z.array(z.object({ field: z.string(), reason: z.string() })),
  }),
);

export interface ImportOutcome {
  eventId: string;
  type: string;
  outcome: "buyer-recorded" | "issued" | "unchanged" | "credited" | "skipped";
  invoiceId?: string;
  reason?: string;
  issues?: FieldIssue[];
}

interface BuyerRow {
  external_id: string;
  customer_id: string;
  legal_name: string;
  gstin: string | null;
  state_code: string;
  address: unknown;
}

/** Retried by the bus (and a dead letter after its attempts): something this record needs is not there yet. */
function notYet(message: string, details: Record<string, unknown>): AppError {
  return new AppError({ code: "UNAVAILABLE", message, details, retryable: true });
}

class Skip extends Error {
  constructor(
    readonly reason: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(reason);
  }
}

function inputIssues(error: unknown): FieldIssue[] | undefined {
  if (error instanceof AppError && (error.code === "INVALID_INPUT" || error.code === "CONFLICT")) {
    return error.issues.length > 0 ? error.issues : [{ field: "invoice", reason: error.message }];
  }
  return undefined;
}

const rupees = (paise: bigint) => {
  const sign = paise < 0n ? "-" : "";
  const abs = paise < 0n ? -paise : paise;
  return `${sign}₹${abs / 100n}.${String(abs % 100n).padStart(2, "0")}`;
};

/**
 * The GST rate of a summary line, derived from the tax the source charged on its taxable value: the slab in force
 * on the invoice date whose tax comes nearest, if it is within a paisa per head; otherwise none.
 */
export function deriveSummaryRate(options: {
  issueDate: string;
  taxableValuePaise: bigint;
  taxPaise: bigint;
}): number | undefined {
  const { taxableValuePaise: taxable, taxPaise: tax } = options;
  if (taxable <= 0n) return undefined;
  let best: { basisPoints: number; gap: bigint } | undefined;
  for (const slab of gstRatesOn(options.issueDate as CalendarDate)) {
    const gap = taxable * BigInt(slab.basisPoints) - tax * 10_000n;
    const distance = gap < 0n ? -gap : gap;
    if (best === undefined || distance < best.gap) best = { basisPoints: slab.basisPoints, gap: distance };
  }
  // Two heads rounded half up each: at most a paisa from the exact tax per head.
  return best !== undefined && best.gap <= 20_000n ? best.basisPoints : undefined;
}

/** The heads where invoicing's arithmetic differs from the source's, as issues; none when they agree. */
export function compareAmounts(source: InvoiceAccepted["record"], computed: AmountsView): FieldIssue[] {
  const pairs: [string, bigint, bigint][] = [
    ["taxableValuePaise", source.taxableValuePaise, BigInt(computed.taxableValuePaise)],
    ["cgstPaise", source.cgstPaise, BigInt(computed.cgstPaise)],
    ["sgstPaise", source.sgstPaise, BigInt(computed.sgstPaise) + BigInt(computed.utgstPaise)],
    ["igstPaise", source.igstPaise, BigInt(computed.igstPaise)],
    ["cessPaise", source.cessPaise, BigInt(computed.cessPaise)],
    ["totalPaise", source.totalPaise, BigInt(computed.totalPaise)],
  ];
  return pairs
    .filter(([, expected, actual]) => expected !== actual)
    .map(([field, expected, actual]) => ({
      field: `record.${field}`,
      reason: `is ${rupees(expected)} in the source but invoicing computes ${rupees(actual)}`,
    }));
}

/** Lines for invoicing: the source's own when each has HSN/SAC, value and rate; else one summary line. */
export function linesOfImportedInvoice(record: InvoiceAccepted["record"]): InvoiceLineWireInput[] {
  const complete =
    record.lines.length > 0 &&
    record.lines.every(
      (line) =>
        line.hsnOrSac !== undefined &&
        line.taxableValuePaise !== undefined &&
        line.taxableValuePaise >= 0n &&
        line.taxRateBasisPoints !== undefined,
    );
  if (complete) {
    // Sources give each line's value, not a price: the line is recorded at its value (quantity 1).
    return record.lines.map((line) => ({
      description:
        line.quantity !== undefined && line.quantity !== "1"
          ? `${line.description} (quantity ${line.quantity})`.slice(0, 300)
          : line.description,
      hsnSac: line.hsnOrSac ?? "",
      quantity: "1",
      unitPricePaise: (line.taxableValuePaise ?? 0n).toString(),
      gstRateBasisPoints: line.taxRateBasisPoints ?? 0,
    }));
  }
  if (record.cessPaise !== 0n) {
    throw new Skip("the source gives cess but no line rates: the cess rate cannot be derived", [
      { field: "record.cessPaise", reason: "needs lines with their cess rate" },
    ]);
  }
  const tax = record.cgstPaise + record.sgstPaise + record.igstPaise;
  const rate =
    record.taxableValuePaise === 0n && tax === 0n
      ? 0
      : deriveSummaryRate({
          issueDate: record.issueDate,
          taxableValuePaise: record.taxableValuePaise,
          taxPaise: tax,
        });
  if (rate === undefined) {
    throw new Skip(
      `tax of ${rupees(tax)} on ${rupees(record.taxableValuePaise)} is not a GST rate in force on ${record.issueDate}`,
      [
        {
          field: "record.taxableValuePaise",
          reason: "tax / taxable value is not a valid GST slab for the date",
        },
      ],
    );
  }
  return [
    {
      description: `Invoice ${record.number} as imported (summary of its lines)`.slice(0, 300),
      quantity: "1",
      unitPricePaise: record.taxableValuePaise.toString(),
      gstRateBasisPoints: rate,
    },
  ];
}

/**
 * Records imported invoices and credit notes in invoicing.
 *
 * - `customer.import-linked` keeps invoicing's copy of imported customers (`invoicing_import_buyers`).
 * - `import.invoice-accepted` records the invoice as issued, keyed by the import reference `import/<externalId>`,
 *   so redelivery or a re-import never duplicates it. The buyer is the linked customer (by the record's customer
 *   external id, GSTIN, the CSV's customer id, or its exact name); until the customers module has linked it the event
 *   is retried, then left as a dead letter to replay. Amounts are the source's to the paisa: the lines (or one
 *   summary line at the rate the tax implies) must compute to the source's taxable value, taxes and total, or the
 *   record is skipped. Verification runs before anything is written; error findings skip the record. What the
 *   source says was already paid (`balancePaise` below the total) is applied as the settlement `import:<externalId>`.
 * - `import.credit-note-accepted` issues a credit note against the invoice its allocation names, at that invoice's
 *   single GST rate, when the note's amount splits exactly into taxable value and tax; otherwise it is skipped.
 *
 * A skipped record gets a warning in the log and an `invoice.import-skipped` audit entry (once per event).
 */
export function createInvoiceImportHandler(options: {
  deps: InvoicingDeps;
  services: InvoicingServices;
  logger?: Logger;
}) {
  const { services } = options;
  const unitOfWork = createUnitOfWork(options.deps);
  const { inTenant, audit, command } = unitOfWork;

  async function recordBuyer(event: CloudEvent): Promise<ImportOutcome> {
    const data = readEventData(ZCustomerLinkedWire, event);
    await inTenant(event.tenantid, async (trx) => {
      const address = data.billingAddress === null ? null : JSON.stringify(data.billingAddress);
      await sql`
        insert into invoicing_import_buyers
          (tenant_id, external_id, customer_id, legal_name, gstin, state_code, address, updated_at)
        values (${event.tenantid}, ${data.externalId}, ${data.customerId}, ${data.legalName}, ${data.gstin},
          ${data.stateCode}, ${address}::jsonb, ${new Date(options.deps.now())})
        on conflict (tenant_id, external_id) do update set
          customer_id = excluded.customer_id, legal_name = excluded.legal_name, gstin = excluded.gstin,
          state_code = excluded.state_code, address = excluded.address, updated_at = excluded.updated_at`.execute(
        trx,
      );
    });
    return { eventId: event.id, type: event.type, outcome: "buyer-recorded" };
  }

  async function findBuyer(tenantId: string, data: InvoiceAccepted): Promise<BuyerRow | undefined> {
    const { record } = data;
    return inTenant(tenantId, async (trx) => {
      const query = async (where: ReturnType<typeof sql>) =>
        (
          await sql<BuyerRow>`
            select external_id, customer_id, legal_name, gstin, state_code, address
            from invoicing_import_buyers where ${where} order by updated_at desc, external_id`.execute(trx)
        ).rows;
      const unique = (rows: BuyerRow[]) =>
        new Set(rows.map((row) => row.customer_id)).size === 1 ? rows[0] : undefined;
      if (record.customerExternalId !== undefined) {
        const [row] = await query(sql`external_id = ${record.customerExternalId}`);
        if (row) return row;
      }
      if (record.customerGstin !== undefined) {
        const row = unique(await query(sql`gstin = ${record.customerGstin.trim().toUpperCase()}`));
        if (row) return row;
      }
      const name = record.customerName.trim();
      if (name === "") return undefined;
      // A CSV's customer column may hold the customer's own id in that file (its id column, or its GSTIN).
      const [byId] = await query(sql`external_id = ${`${data.source}:customer:${name}`}`);
      if (byId) return byId;
      const byGstin = /^[0-9]{2}[0-9A-Z]{13}$/i.test(name)
        ? unique(await query(sql`gstin = ${name.toUpperCase()}`))
        : undefined;
      if (byGstin) return byGstin;
      return unique(await query(sql`lower(legal_name) = ${name.toLowerCase().replace(/\s+/g, " ")}`));
    });
  }

  async function skipped(
    event: CloudEvent,
    externalId: string,
    skip: Skip,
    extra: Record<string, unknown> = {},
  ): Promise<ImportOutcome> {
    const meta: CommandMeta = {
      tenantId: event.tenantid,
      actor: IMPORTS_ACTOR,
      idempotencyKey: `import-skip:${event.id}`,
    };
    await command(meta, "invoicing.skip-import", { externalId }, async (trx) => {
      await audit(trx, meta, {
        action: "invoice.import-skipped",
        entity: { type: "import-record", id: externalId },
        metadata: {
          eventId: event.id,
          type: event.type,
          externalId,
          reason: skip.reason,
          issues: skip.issues,
          ...extra,
        },
      });
      return { skipped: true };
    });
    options.logger?.warn(
      { eventId: event.id, type: event.type, tenantId: event.tenantid, externalId, reason: skip.reason },
      "imported record not recorded in invoicing",
    );
    return {
      eventId: event.id,
      type: event.type,
      outcome: "skipped",
      reason: skip.reason,
      issues: skip.issues,
      ...(typeof extra.invoiceId === "string" ? { invoiceId: extra.invoiceId } : {}),
    };
  }

  async function applyImportedBalance(meta: CommandMeta, data: InvoiceAccepted, invoice: InvoiceView) {
    const { balancePaise, totalPaise } = data.record;
    if (balancePaise === undefined || balancePaise >= totalPaise || balancePaise < 0n) return;
    await services.settlements.applySettlement(
      {
        invoiceId: invoice.id,
        reference: `${IMPORTED_SETTLEMENT_PREFIX}${data.externalId}`,
        cashPaise: totalPaise - balancePaise,
        tdsPaise: 0n,
        gstTdsPaise: 0n,
        writeOffPaise: 0n,
      },
      meta,
    );
  }

  async function recordInvoice(event: CloudEvent): Promise<ImportOutcome> {
    const data = readEventData(ZInvoiceAcceptedWire, event);
    const { record } = data;
    const meta: CommandMeta = { tenantId: event.tenantid, actor: IMPORTS_ACTOR };
    const base = { eventId: event.id, type: event.type };
    const external = { source: IMPORT_REFERENCE_SOURCE, id: data.externalId };
    try {
      const existing = await inTenant(meta.tenantId, (trx) => findInvoiceByExternal(trx, external));
      if (existing) {
        let view = toInvoiceView(existing);
        const differences = compareAmounts(record, view.amounts);
        if (differences.length > 0) {
          throw new Skip(
            `invoice ${view.number} is already recorded with other amounts; an issued invoice is changed by a credit or debit note, not by a re-import`,
            differences,
          );
        }
        if (view.status === "draft") view = await services.invoices.issue({ invoiceId: view.id }, meta);
        await applyImportedBalance(meta, data, view);
        return {
          ...base,
          outcome: existing.invoice.status === "draft" ? "issued" : "unchanged",
          invoiceId: view.id,
        };
      }
      if (record.currency.toUpperCase() !== "INR") {
        throw new Skip(`amounts in ${record.currency}: invoicing records INR only`, [
          { field: "record.currency", reason: "is not INR" },
        ]);
      }
      if (record.balancePaise !== undefined && record.balancePaise < 0n) {
        throw new Skip("a negative balance (an overpayment) is not an open amount", [
          { field: "record.balancePaise", reason: "is below zero" },
        ]);
      }
      const settings = await services.invoices.getSettings(meta.tenantId);
      if (settings.supplier === null) {
        throw notYet("the invoicing settings name no supplier: imported invoices wait for it", {
          externalId: data.externalId,
        });
      }
      const buyer = await findBuyer(meta.tenantId, data);
      if (buyer === undefined) {
        throw notYet(
          `customer "${record.customerName}" of imported invoice ${record.number} is not linked yet`,
          {
            externalId: data.externalId,
            customerExternalId: record.customerExternalId ?? null,
          },
        );
      }
      if (buyer.address === null) {
        throw new Skip(
          `the customer ${buyer.legal_name} has no billing address (line, city, PIN): an invoice needs the buyer's address`,
          [{ field: "buyer.address", reason: "is not known; import or enter the customer's address" }],
        );
      }
      if (
        record.customerGstin !== undefined &&
        buyer.gstin !== null &&
        record.customerGstin.trim().toUpperCase() !== buyer.gstin
      ) {
        throw new Skip(
          `the invoice's buyer GSTIN ${record.customerGstin} is not the customer's (${buyer.gstin})`,
          [
            {
              field: "record.customerGstin",
              reason: `differs from the linked customer's GSTIN ${buyer.gstin}`,
            },
          ],
        );
      }
      const lines = linesOfImportedInvoice(record);
      const roundTotal = record.roundOffPaise !== 0n || record.totalPaise % 100n === 0n;
      const address = buyer.address as Record<string, unknown>;
      const draft: InvoiceDraftInput = {
        number: record.number,
        issueDate: record.issueDate,
        supplyType: buyer.gstin !== null ? "B2B" : "B2C",
        placeOfSupply: record.placeOfSupply ?? buyer.state_code,
        buyer: {
          customerId: buyer.customer_id,
          legalName: buyer.legal_name,
          ...(buyer.gstin !== null ? { gstin: buyer.gstin } : {}),
          address: address as InvoiceDraftInput["buyer"]["address"],
        },
        lines,
        roundTotal,
        ...(record.dueDate !== undefined ? { dueDate: record.dueDate } : {}),
        notes: `Imported from ${data.source} (${data.externalId})`.slice(0, 2000),
        allowDuplicate: true,
        external,
      };
      let verification;
      try {
        verification = await services.documents.verifyDraft(meta.tenantId, draft);
      } catch (error) {
        const issues = inputIssues(error);
        if (issues === undefined) throw error;
        throw new Skip("not a valid invoice for invoicing", issues);
      }
      const errors = verification.findings.filter((finding) => finding.severity === "error");
      if (errors.length > 0) {
        throw new Skip(
          `verification refuses it: ${errors.map((finding) => finding.message).join("; ")}`,
          errors.map((finding) => ({ field: finding.field, reason: finding.message })),
        );
      }
      if (verification.amounts === null) throw new Skip("its lines cannot be computed");
      const differences = compareAmounts(record, verification.amounts);
      if (differences.length > 0) {
        throw new Skip("invoicing's arithmetic does not give the source's amounts to the paisa", differences);
      }
      const created = await services.invoices.createDraft(draft, meta);
      if (!created.created && !created.duplicateOf?.reasons.includes("same-external-id")) {
        throw new Skip(
          `invoice number ${record.number} is already used by invoice ${created.invoice.id} in its financial year`,
          [{ field: "record.number", reason: "is already used in the financial year" }],
        );
      }
      let view = created.invoice;
      if (view.status === "draft") view = await services.invoices.issue({ invoiceId: view.id }, meta);
      await applyImportedBalance(meta, data, view);
      return { ...base, outcome: "issued", invoiceId: view.id };
    } catch (error) {
      if (error instanceof Skip) return skipped(event, data.externalId, error);
      const issues = inputIssues(error);
      if (issues !== undefined) {
        return skipped(
          event,
          data.externalId,
          new Skip(error instanceof Error ? error.message : "refused", issues),
        );
      }
      throw error;
    }
  }

  async function recordCreditNote(event: CloudEvent): Promise<ImportOutcome> {
    const data = readEventData(ZCreditNoteAcceptedWire, event);
    const { record } = data;
    const base = { eventId: event.id, type: event.type };
    try {
      const references = [...new Set(record.allocations.map((allocation) => allocation.reference.trim()))];
      if (references.length !== 1 || references[0] === undefined || references[0] === "") {
        throw new Skip("a credit note is recorded against one invoice; this one names " + references.length, [
          { field: "record.allocations", reason: "must name exactly one invoice" },
        ]);
      }
      const number = references[0];
      const found = await inTenant(
        event.tenantid,
        async (trx) =>
          (
            await sql<{ id: string }>`
            select id from invoices where upper(number) = ${number.toUpperCase()} and issue_date <= ${record.date}
            order by issue_date desc limit 1`.execute(trx)
          ).rows[0],
      );
      if (found === undefined) {
        throw notYet(`invoice ${number} of imported credit note ${record.number} is not recorded yet`, {
          externalId: data.externalId,
        });
      }
      const invoice = await services.invoices.get(event.tenantid, found.id);
      const rates = new Set(invoice.lines.map((line) => line.gstRateBasisPoints));
      const [line] = invoice.lines;
      if (
        rates.size !== 1 ||
        line === undefined ||
        invoice.lines.some((entry) => entry.cessRateBasisPoints !== 0)
      ) {
        throw new Skip(
          `invoice ${invoice.number} has several rates (or cess): the note's split cannot be derived`,
          [{ field: "record.amountPaise", reason: "needs lines with rates" }],
        );
      }
      const rate = BigInt(line.gstRateBasisPoints);
      const guess = (record.amountPaise * 10_000n) / (10_000n + rate);
      const meta: CommandMeta = {
        tenantId: event.tenantid,
        actor: IMPORTS_ACTOR,
        idempotencyKey: `import:${event.id}`,
      };
      for (const taxable of [guess, guess + 1n, guess - 1n]) {
        if (taxable <= 0n) continue;
        const note = {
          number: record.number,
          issueDate: record.date,
          reason: "other" as const,
          lines: [
            {
              description: `Credit note ${record.number} as imported`,
              ...(line.hsnSac !== undefined ? { hsnSac: line.hsnSac } : {}),
              quantity: "1",
              unitPricePaise: taxable.toString(),
              gstRateBasisPoints: line.gstRateBasisPoints,
            },
          ],
          roundTotal: false,
          totalPaise: record.amountPaise.toString(),
          ...(record.narration !== undefined ? { notes: record.narration.slice(0, 2000) } : {}),
        };
        try {
          await services.invoices.issueNote({ invoiceId: invoice.id, kind: "credit", note }, meta);
          return { ...base, outcome: "credited", invoiceId: invoice.id };
        } catch (error) {
          if (
            error instanceof AppError &&
            error.code === "CONFLICT" &&
            error.issues.some((i) => i.field === "number")
          ) {
            return { ...base, outcome: "unchanged", invoiceId: invoice.id };
          }
          if (
            error instanceof AppError &&
            error.code === "INVALID_INPUT" &&
            error.issues.some((issue) => issue.field === "totalPaise")
          ) {
            continue;
          }
          throw error;
        }
      }
      throw new Skip(
        `${rupees(record.amountPaise)} does not split into taxable value and tax at the invoice's rate`,
        [{ field: "record.amountPaise", reason: "no taxable value gives this total exactly" }],
      );
    } catch (error) {
      if (error instanceof Skip) return skipped(event, data.externalId, error);
      const issues = inputIssues(error);
      if (issues !== undefined) {
        return skipped(
          event,
          data.externalId,
          new Skip(error instanceof Error ? error.message : "refused", issues),
        );
      }
      throw error;
    }
  }

  return {
    /** Handles one event; returns what it did. */
    handle(event: CloudEvent): Promise<ImportOutcome> {
      switch (event.type) {
        case "customer.import-linked":
          return recordBuyer(event);
        case "import.invoice-accepted":
          return recordInvoice(event);
        case "import.credit-note-accepted":
          return recordCreditNote(event);
        default:
          return Promise.resolve({
            eventId: event.id,
            type: event.type,
            outcome: "skipped",
            reason: `invoicing does not take ${event.type}`,
          });
      }
    },
  };
}

/**
 * The durable bus consumer `invoicing-imports`. A record's events share its external id as subject, and a
 * customer's links its id, so each arrives in order; an invoice whose customer is not linked yet is retried.
 */
export function createInvoiceImportConsumer(options: {
  deps: InvoicingDeps;
  services: InvoicingServices;
  logger?: Logger;
  name?: string;
}): EventConsumer {
  const handler = createInvoiceImportHandler(options);
  return {
    name: options.name ?? "invoicing-imports",
    types: [...IMPORT_EVENT_TYPES_FOR_INVOICING],
    startFrom: "beginning",
    async handle(event) {
      await handler.handle(event);
    },
  };
}
