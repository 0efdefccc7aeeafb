import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import type { z } from "zod";
import { AppError } from "../../kernel/app-error.ts";
import { decodeCursor, encodeCursor, type Page } from "../../platform/http/pagination.ts";
import type { CommandMeta } from "../../platform/audit/command-actor.ts";
import { financialYearOf } from "./calendar-date.ts";
import {
  DEFAULT_DUPLICATE_WINDOW_DAYS,
  findLikelyDuplicateInvoices,
  summarizeInvoiceForDuplicates,
} from "./duplicate-invoice.detector.ts";
import { computeIrn } from "./einvoice/irn.ts";
import { buildDraft, draftFieldsOf, type DraftFields } from "./invoice-draft.builder.ts";
import { applyInvoiceAction } from "./invoice-status.machine.ts";
import { INVOICING_EVENT_TYPES, toPaiseText, type InvoicingEvent } from "./invoice.events.ts";
import {
  findInvoiceByExternal,
  findInvoiceByNumber,
  INVOICE_SORT_FIELDS,
  insertInvoice,
  insertNote,
  listInvoiceRows,
  listNotes,
  listSettlements,
  loadFingerprints,
  outstandingOf,
  recordsOf,
  sortValueOf,
  toInvoiceView,
  toNoteView,
  type InvoiceListFilter,
  type InvoiceRecord,
  type InvoiceSortField,
} from "./invoice.repository.ts";
import type { CancellationReason, Invoice } from "./invoice.schemas.ts";
import {
  INVOICE_DRAFT_FIELDS,
  ZInvoiceDraftChanges,
  ZInvoiceDraftInput,
  ZNoteInput,
  ZSettingsInput,
  type CreateInvoiceResult,
  type InvoiceDraftChanges,
  type InvoiceDraftInput,
  type InvoiceView,
  type IssueNoteResult,
  type NoteView,
  type NoteWireInput,
  type SettingsInput,
  type SettingsView,
  type SettlementView,
} from "./invoice.views.ts";
import {
  loadSettings,
  saveSettings,
  toSettingsView,
  type InvoicingSettings,
} from "./invoicing-settings.repository.ts";
import type { InvoicingDb } from "./invoicing.tables.ts";
import {
  createUnitOfWork,
  indianDate,
  isUniqueViolation,
  type InvoicingDeps,
  type UnitOfWork,
} from "./invoicing.unit-of-work.ts";
import type { VerificationContext } from "./invoice.verifier.ts";
import { issueNote as issueNoteChange } from "./note.commands.ts";
import { parseNote } from "./invoice.parser.ts";
import { parseWith } from "./zod-issues.ts";

/** Class of the per-tenant advisory lock that serialises invoice creation, so duplicate checks cannot race. */
const CREATE_LOCK_CLASS = 0x494e5643; // "INVC"

export interface ListInvoicesQuery extends Omit<InvoiceListFilter, "overdueAsOf"> {
  limit: number;
  cursor?: string;
  /** One of INVOICE_SORT_FIELDS, "-" in front for descending. */
  sort?: string;
  /** Only open invoices past their due date today (India). */
  overdue?: boolean;
}

const ref = (invoice: Invoice) => ({
  invoiceId: invoice.id,
  invoiceNumber: invoice.number,
  customerId: invoice.buyer.customerId ?? null,
});

/** JSON with object keys sorted (jsonb does not keep key order) and bigint as text, for comparisons. */
function canonical(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, inner: unknown) => {
    if (typeof inner === "bigint") return inner.toString();
    if (inner !== null && typeof inner === "object" && !Array.isArray(inner)) {
      return Object.fromEntries(
        Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
      );
    }
    return inner;
  });
}

/** Translates unique violations into conflicts that name what collided. */
function conflictOf(
  error: unknown,
  invoice: { number: string; einvoice?: { irn: string } | undefined },
): unknown {
  if (isUniqueViolation(error, "invoices_number_unique")) {
    return new AppError({
      code: "CONFLICT",
      message: `invoice number ${invoice.number} is already used in its financial year (CGST rule 46(b))`,
      issues: [{ field: "number", reason: "is already used in the financial year" }],
    });
  }
  if (isUniqueViolation(error, "invoices_irn_unique")) {
    return new AppError({
      code: "CONFLICT",
      message: `IRN ${invoice.einvoice?.irn ?? ""} is recorded on another invoice`,
      issues: [{ field: "einvoice.irn", reason: "is recorded on another invoice" }],
    });
  }
  if (isUniqueViolation(error, "invoice_notes_number_unique")) {
    return new AppError({
      code: "CONFLICT",
      message: "this note number is already used in its financial year",
      issues: [{ field: "number", reason: "is already used in the financial year" }],
    });
  }
  return error;
}

/** The verification context an organisation's settings and earlier invoices give. */
export async function verificationContextOf(
  trx: InvoicingDb,
  settings: InvoicingSettings,
  invoice: Invoice,
): Promise<VerificationContext> {
  const existingInvoices = await loadFingerprints(trx, {
    customerId: invoice.buyer.customerId ?? null,
    buyerGstin: invoice.buyer.gstin ?? null,
    buyerName: invoice.buyer.legalName,
    around: invoice.issueDate,
    windowDays: DEFAULT_DUPLICATE_WINDOW_DAYS,
    excludeId: invoice.id,
  });
  return {
    ...(settings.precedingYearTurnoverPaise !== null
      ? { precedingYearTurnoverPaise: settings.precedingYearTurnoverPaise }
      : {}),
    ...(settings.highestTurnoverSince2017Paise !== null
      ? { highestTurnoverSince2017Paise: settings.highestTurnoverSince2017Paise }
      : {}),
    einvoiceExempt: settings.einvoiceExempt,
    ...(settings.supplierMsme !== null ? { supplierMsme: settings.supplierMsme } : {}),
    existingInvoices,
  };
}

/**
 * The invoicing module's use cases on the database: drafts, issuing, cancelling, disputes, write-offs,
 * credit and debit notes, e-invoice references and settings. One transaction per command, holding the change,
 * its outbox events and its audit entry.
 */
export function createInvoiceService(deps: InvoicingDeps, unitOfWork: UnitOfWork = createUnitOfWork(deps)) {
  const { clock, inTenant, publish, audit, requireInvoice, command, changeInvoice } = unitOfWork;

  /** Applies a status action of the domain's state machine to an invoice. */
  function statusChange(
    meta: CommandMeta,
    name: string,
    request: { invoiceId: string; expectedVersion?: number | undefined },
    action: Parameters<typeof applyInvoiceAction>[0]["action"],
    auditAction: string,
    extraEvents: (before: InvoiceRecord, after: InvoiceRecord, at: string) => InvoicingEvent[] = () => [],
  ) {
    return changeInvoice(meta, name, request, async (record) => {
      const now = clock();
      const transition = applyInvoiceAction({ invoice: record.invoice, action, at: now });
      const next: InvoiceRecord = { ...record, invoice: transition.invoice };
      if (action.type === "write-off") {
        next.badDebt = {
          amountPaise: transition.invoice.settlement.writtenOffPaise,
          reason: action.reason.trim(),
          writtenOffAt: now.toISOString(),
        };
      }
      if (transition.invoice.status === "paid" && record.invoice.status !== "paid") {
        next.paidAt = now.toISOString();
      }
      return {
        record: next,
        events: [...transition.events, ...extraEvents(record, next, now.toISOString())],
        auditAction,
      };
    });
  }

  async function createDraftIn(
    trx: InvoicingDb,
    input: z.output<typeof ZInvoiceDraftInput>,
    meta: CommandMeta,
  ): Promise<CreateInvoiceResult> {
    const settings = await loadSettings(trx);
    const fields = Object.fromEntries(
      INVOICE_DRAFT_FIELDS.flatMap((key) => (input[key] !== undefined ? [[key, input[key]]] : [])),
    ) as DraftFields;
    const draft = buildDraft({ id: randomUUID(), fields, expectedTotalPaise: input.totalPaise, settings });
    await sql`select pg_advisory_xact_lock(${CREATE_LOCK_CLASS}::int4, hashtext(${meta.tenantId}))`.execute(
      trx,
    );
    if (input.external !== undefined) {
      const imported = await findInvoiceByExternal(trx, input.external);
      if (imported) {
        return {
          created: false,
          invoice: toInvoiceView(imported),
          duplicateOf: {
            invoiceId: imported.invoice.id,
            invoiceNumber: imported.invoice.number,
            score: 1,
            reasons: ["same-external-id"],
          },
        };
      }
    }
    const sameNumber = await findInvoiceByNumber(trx, draft.financialYear, draft.invoice.number);
    if (sameNumber) {
      return {
        created: false,
        invoice: toInvoiceView(sameNumber),
        duplicateOf: {
          invoiceId: sameNumber.invoice.id,
          invoiceNumber: sameNumber.invoice.number,
          score: 1,
          reasons: ["same-number"],
        },
      };
    }
    if (input.allowDuplicate !== true) {
      const [match] = findLikelyDuplicateInvoices({
        candidate: summarizeInvoiceForDuplicates(draft.invoice),
        existing: await loadFingerprints(trx, {
          customerId: draft.customerId,
          buyerGstin: draft.invoice.buyer.gstin ?? null,
          buyerName: draft.invoice.buyer.legalName,
          around: draft.invoice.issueDate,
          windowDays: DEFAULT_DUPLICATE_WINDOW_DAYS,
        }),
      });
      if (match !== undefined) {
        const existing = await requireInvoice(trx, match.invoiceId);
        return {
          created: false,
          invoice: toInvoiceView(existing),
          duplicateOf: {
            invoiceId: match.invoiceId,
            invoiceNumber: match.invoiceNumber,
            score: match.score,
            reasons: match.reasons,
          },
        };
      }
    }
    const at = clock().toISOString();
    const record: InvoiceRecord = {
      invoice: draft.invoice,
      financialYear: draft.financialYear,
      customerId: draft.customerId,
      parts: { cashPaise: 0n, tdsPaise: 0n, gstTdsPaise: 0n, writeOffPaise: 0n },
      dueDates: draft.dueDates,
      deliveryDate: draft.deliveryDate,
      badDebt: null,
      paidAt: null,
      external: input.external ?? null,
      version: 1,
      createdAt: at,
      updatedAt: at,
      createdBy: meta.actor,
    };
    try {
      await insertInvoice(trx, meta.tenantId, record);
    } catch (error) {
      throw conflictOf(error, draft.invoice);
    }
    await publish(trx, meta.tenantId, [
      {
        type: INVOICING_EVENT_TYPES.created,
        payload: {
          ...ref(draft.invoice),
          issueDate: draft.invoice.issueDate,
          dueDate: draft.dueDates.applicable,
          totalPaise: toPaiseText(draft.tax.totalPaise),
          createdAt: at,
        },
      },
    ]);
    const view = toInvoiceView(record);
    await audit(trx, meta, {
      action: "invoice.created",
      entity: { type: "invoice", id: record.invoice.id },
      after: view,
    });
    return { created: true, invoice: view };
  }

  async function notesOf(
    tenantId: string,
    invoiceId: string,
    kind?: "credit" | "debit",
  ): Promise<NoteView[]> {
    return inTenant(tenantId, async (trx) => {
      await requireInvoice(trx, invoiceId);
      return (await listNotes(trx, invoiceId, kind)).map(toNoteView);
    });
  }

  return {
    /**
     * Creates a draft from the caller's lines: the amounts are computed (a `totalPaise` that differs is refused),
     * the due dates follow from the terms. The same number in the financial year, the same import reference or
     * (unless `allowDuplicate`) a likely duplicate returns the existing invoice with `duplicateOf`.
     */
    async createDraft(raw: InvoiceDraftInput, meta: CommandMeta): Promise<CreateInvoiceResult> {
      const input = parseWith(ZInvoiceDraftInput, raw);
      return command(meta, "invoicing.create-draft", input, (trx) => createDraftIn(trx, input, meta));
    },

    /** Changes a draft; null clears an optional field. Amounts and due dates are computed again. */
    async updateDraft(
      input: { invoiceId: string; changes: InvoiceDraftChanges; expectedVersion?: number },
      meta: CommandMeta,
    ): Promise<InvoiceView> {
      return changeInvoice(meta, "invoicing.update-draft", input, async (record, trx) => {
        if (record.invoice.status !== "draft") {
          throw AppError.conflict(
            `invoice ${record.invoice.number} is ${record.invoice.status}: only drafts change; issue a credit or debit note instead`,
            { status: record.invoice.status },
          );
        }
        const { totalPaise, ...changes } = parseWith(ZInvoiceDraftChanges, input.changes);
        const before = draftFieldsOf(record);
        const fields: DraftFields = { ...before };
        for (const [key, value] of Object.entries(changes)) {
          if (value === null) delete fields[key as keyof DraftFields];
          else if (value !== undefined) fields[key as keyof DraftFields] = value;
        }
        const settings = await loadSettings(trx);
        const draft = buildDraft({ id: record.invoice.id, fields, expectedTotalPaise: totalPaise, settings });
        const after = draftFieldsOf({ ...record, ...draft, invoice: draft.invoice });
        const changedFields = INVOICE_DRAFT_FIELDS.filter(
          (key) => canonical(before[key]) !== canonical(after[key]),
        );
        if (changedFields.length === 0)
          return { record, events: [], auditAction: "invoice.updated", unchanged: true };
        if (draft.financialYear !== record.financialYear || draft.invoice.number !== record.invoice.number) {
          const taken = await findInvoiceByNumber(trx, draft.financialYear, draft.invoice.number);
          if (taken && taken.invoice.id !== record.invoice.id)
            throw conflictOf({ code: "23505", constraint: "invoices_number_unique" }, draft.invoice);
        }
        const next: InvoiceRecord = {
          ...record,
          invoice: draft.invoice,
          financialYear: draft.financialYear,
          customerId: draft.customerId,
          dueDates: draft.dueDates,
          deliveryDate: draft.deliveryDate,
        };
        return {
          record: next,
          replaceLines: true,
          auditAction: "invoice.updated",
          events: [
            {
              type: INVOICING_EVENT_TYPES.updated,
              payload: {
                ...ref(draft.invoice),
                changedFields: [...changedFields],
                version: record.version + 1,
                updatedAt: clock().toISOString(),
              },
            },
          ],
        };
      });
    },

    /**
     * Issues a draft: verification runs with the organisation's settings and the buyer's recent invoices, and
     * any error finding blocks it (INVALID_INPUT naming each). Emits invoice.issued.
     */
    async issue(
      input: {
        invoiceId: string;
        einvoice?: { irn: string; ackNumber?: string; ackDate?: string; signedQrCode?: string };
        expectedVersion?: number;
      },
      meta: CommandMeta,
    ): Promise<InvoiceView> {
      return changeInvoice(meta, "invoicing.issue", input, async (record, trx) => {
        const invoice: Invoice =
          input.einvoice !== undefined
            ? { ...record.invoice, einvoice: { ...input.einvoice, irn: input.einvoice.irn.toLowerCase() } }
            : record.invoice;
        const settings = await loadSettings(trx);
        const context = await verificationContextOf(trx, settings, invoice);
        const transition = applyInvoiceAction({ invoice, action: { type: "issue", context }, at: clock() });
        return {
          record: { ...record, invoice: transition.invoice },
          events: transition.events,
          auditAction: "invoice.issued",
        };
      }).catch((error: unknown) => {
        throw conflictOf(error, { number: "", ...(input.einvoice ? { einvoice: input.einvoice } : {}) });
      });
    },

    /** Cancels an invoice with an IRP reason code; refused once anything was paid, credited or debited. */
    async cancel(
      input: { invoiceId: string; reason: CancellationReason; remark: string; expectedVersion?: number },
      meta: CommandMeta,
    ): Promise<InvoiceView> {
      return statusChange(
        meta,
        "invoicing.cancel",
        input,
        { type: "cancel", reason: input.reason, remark: input.remark },
        "invoice.cancelled",
      );
    },

    async dispute(
      input: { invoiceId: string; reason: string; expectedVersion?: number },
      meta: CommandMeta,
    ): Promise<InvoiceView> {
      return statusChange(
        meta,
        "invoicing.dispute",
        input,
        { type: "dispute", reason: input.reason },
        "invoice.disputed",
      );
    },

    async resolveDispute(
      input: { invoiceId: string; expectedVersion?: number },
      meta: CommandMeta,
    ): Promise<InvoiceView> {
      return statusChange(
        meta,
        "invoicing.resolve-dispute",
        input,
        { type: "resolve-dispute" },
        "invoice.dispute-resolved",
        (_before, after, at) => [
          {
            type: INVOICING_EVENT_TYPES.disputeResolved,
            payload: {
              ...ref(after.invoice),
              status: after.invoice.status,
              outstandingPaise: toPaiseText(outstandingOf(after)),
              resolvedAt: at,
            },
          },
        ],
      );
    },

    /** Writes off what is outstanding as a bad debt; a later recovery can still settle the invoice. */
    async writeOff(
      input: { invoiceId: string; reason: string; expectedVersion?: number },
      meta: CommandMeta,
    ): Promise<InvoiceView> {
      return statusChange(
        meta,
        "invoicing.write-off",
        input,
        { type: "write-off", reason: input.reason },
        "invoice.written-off",
        (_before, after, at) => [
          {
            type: INVOICING_EVENT_TYPES.writtenOff,
            payload: {
              ...ref(after.invoice),
              amountPaise: toPaiseText(after.badDebt?.amountPaise ?? 0n),
              reason: input.reason.trim(),
              writtenOffAt: at,
            },
          },
        ],
      );
    },

    /**
     * Issues a credit or debit note against an invoice (CGST s.34): computed like the invoice, refused beyond
     * what remains; it changes the invoice's balance and may settle it.
     */
    async issueNote(
      input: { invoiceId: string; kind: "credit" | "debit"; note: NoteWireInput },
      meta: CommandMeta,
    ): Promise<IssueNoteResult> {
      const noteInput = parseWith(ZNoteInput, input.note);
      let noteView: NoteView | undefined;
      const invoice = await changeInvoice(
        meta,
        `invoicing.issue-${input.kind}-note`,
        input,
        async (record, trx) => {
          const note = parseNote({
            id: randomUUID(),
            kind: input.kind,
            number: noteInput.number,
            issueDate: noteInput.issueDate,
            invoiceId: record.invoice.id,
            reason: noteInput.reason,
            lines: noteInput.lines,
            ...(noteInput.roundTotal !== undefined ? { roundTotal: noteInput.roundTotal } : {}),
            ...(noteInput.notes !== undefined ? { notes: noteInput.notes } : {}),
          });
          const prior = await listNotes(trx, record.invoice.id);
          const now = clock();
          const issued = issueNoteChange({
            invoice: record.invoice,
            note,
            priorNotes: prior.map((entry) => entry.note),
            at: now,
          });
          if (
            noteInput.totalPaise !== undefined &&
            BigInt(noteInput.totalPaise) !== issued.calculation.tax.totalPaise
          ) {
            throw AppError.invalidInput([
              {
                field: "totalPaise",
                reason: `is ${noteInput.totalPaise} but the note computes to ${issued.calculation.tax.totalPaise.toString()} paise`,
              },
            ]);
          }
          const noteRecord = {
            note: issued.note,
            financialYear: financialYearOf(note.issueDate),
            reducesOutputTax: input.kind === "credit" ? issued.calculation.withinTaxAdjustmentDeadline : true,
            createdAt: now.toISOString(),
            createdBy: meta.actor,
          };
          try {
            await insertNote(trx, meta.tenantId, noteRecord);
          } catch (error) {
            throw conflictOf(error, note);
          }
          noteView = toNoteView(noteRecord);
          const events: InvoicingEvent[] = [...issued.events];
          if (input.kind === "debit") {
            events.unshift({
              type: INVOICING_EVENT_TYPES.debitNoteIssued,
              payload: {
                noteId: note.id,
                noteNumber: note.number,
                ...ref(record.invoice),
                issueDate: note.issueDate,
                reason: note.reason,
                taxableValuePaise: toPaiseText(issued.calculation.tax.taxableValuePaise),
                taxPaise: toPaiseText(issued.calculation.tax.taxPaise),
                totalPaise: toPaiseText(issued.calculation.tax.totalPaise),
              },
            });
          }
          const next: InvoiceRecord = { ...record, invoice: issued.invoice };
          if (issued.invoice.status === "paid" && record.invoice.status !== "paid")
            next.paidAt = now.toISOString();
          if (issued.invoice.status !== "paid") next.paidAt = null;
          return {
            record: next,
            events,
            auditAction: `invoice.${input.kind}-note-issued`,
            metadata: { note: noteView },
          };
        },
      );
      if (noteView === undefined) {
        // A retried command answered from its idempotency key: read the note it issued.
        const notes = await notesOf(meta.tenantId, input.invoiceId, input.kind);
        noteView = notes.find((entry) => entry.number === input.note.number);
        if (noteView === undefined) throw AppError.notFound("note", input.note.number);
      }
      return { note: noteView, invoice };
    },

    /** Records the IRN the IRP returned; it must be the hash of this invoice's GSTIN, year and number. */
    async recordIrn(
      input: {
        invoiceId: string;
        einvoice: { irn: string; ackNumber?: string; ackDate?: string; signedQrCode?: string };
        expectedVersion?: number;
      },
      meta: CommandMeta,
    ): Promise<InvoiceView> {
      return changeInvoice(meta, "invoicing.record-irn", input, async (record) => {
        const { invoice } = record;
        if (invoice.status === "cancelled") {
          throw AppError.conflict(`invoice ${invoice.number} is cancelled`, { status: invoice.status });
        }
        const irn = input.einvoice.irn.trim().toLowerCase();
        const expected = computeIrn({
          supplierGstin: invoice.supplier.gstin,
          financialYear: record.financialYear,
          documentType: "INV",
          documentNumber: invoice.number,
        });
        if (irn !== expected) {
          throw AppError.invalidInput([
            {
              field: "irn",
              reason: "is not the IRN of this invoice's supplier GSTIN, financial year and number",
            },
          ]);
        }
        const einvoice = { ...input.einvoice, irn };
        if (canonical(invoice.einvoice) === canonical(einvoice)) {
          return { record, events: [], auditAction: "invoice.irn-recorded", unchanged: true };
        }
        return {
          record: { ...record, invoice: { ...invoice, einvoice } },
          auditAction: "invoice.irn-recorded",
          events: [
            {
              type: INVOICING_EVENT_TYPES.updated,
              payload: {
                ...ref(invoice),
                changedFields: ["einvoice"],
                version: record.version + 1,
                updatedAt: clock().toISOString(),
              },
            },
          ],
        };
      }).catch((error: unknown) => {
        throw conflictOf(error, { number: "", einvoice: input.einvoice });
      });
    },

    async get(tenantId: string, invoiceId: string): Promise<InvoiceView> {
      return inTenant(tenantId, async (trx) => toInvoiceView(await requireInvoice(trx, invoiceId)));
    },

    async list(tenantId: string, query: ListInvoicesQuery): Promise<Page<InvoiceView>> {
      const sortText = query.sort ?? "-issueDate";
      const descending = sortText.startsWith("-");
      const sort = sortText.replace(/^-/, "") as InvoiceSortField;
      if (!(INVOICE_SORT_FIELDS as readonly string[]).includes(sort)) {
        throw AppError.invalidInput([
          { field: "query.sort", reason: `must be one of ${INVOICE_SORT_FIELDS.join(", ")}` },
        ]);
      }
      const cursor = decodeCursor(query.cursor);
      if (cursor !== undefined && (typeof cursor.after !== "string" || !/^[0-9a-f-]{36}$/i.test(cursor.id))) {
        throw AppError.invalidInput([
          { field: "query.cursor", reason: "is not a cursor returned by this API" },
        ]);
      }
      const { limit, cursor: _cursor, sort: _sort, overdue, ...filter } = query;
      return inTenant(tenantId, async (trx) => {
        const rows = await listInvoiceRows(trx, {
          filter: { ...filter, ...(overdue === true ? { overdueAsOf: indianDate(deps.now()) } : {}) },
          sort,
          descending,
          limit,
          ...(cursor !== undefined ? { after: { value: String(cursor.after), id: cursor.id } } : {}),
        });
        const page = rows.slice(0, limit);
        const records = await recordsOf(trx, page);
        const last = page.at(-1);
        return {
          items: records.map(toInvoiceView),
          nextCursor:
            rows.length > limit && last !== undefined
              ? encodeCursor({ after: sortValueOf(last, sort), id: last.id })
              : null,
        };
      });
    },

    notes: notesOf,

    async settlements(tenantId: string, invoiceId: string): Promise<SettlementView[]> {
      return inTenant(tenantId, async (trx) => {
        await requireInvoice(trx, invoiceId);
        return listSettlements(trx, invoiceId);
      });
    },

    async getSettings(tenantId: string): Promise<SettingsView> {
      return inTenant(tenantId, async (trx) => toSettingsView(await loadSettings(trx)));
    },

    /** Changes the organisation's invoicing settings (fields left out keep their value; null clears). */
    async updateSettings(
      input: { changes: SettingsInput; expectedVersion?: number },
      meta: CommandMeta,
    ): Promise<SettingsView> {
      return command(meta, "invoicing.update-settings", input, async (trx) => {
        const current = await loadSettings(trx, { forUpdate: true });
        if (input.expectedVersion !== undefined && input.expectedVersion !== current.version) {
          throw AppError.conflict(
            `the invoicing settings are at version ${current.version}; reload and retry`,
          );
        }
        const changes = parseWith(ZSettingsInput, input.changes);
        const next: InvoicingSettings = {
          supplier: changes.supplier === undefined ? current.supplier : changes.supplier,
          supplierMsme: changes.supplierMsme === undefined ? current.supplierMsme : changes.supplierMsme,
          precedingYearTurnoverPaise:
            changes.precedingYearTurnoverPaise === undefined
              ? current.precedingYearTurnoverPaise
              : changes.precedingYearTurnoverPaise === null
                ? null
                : BigInt(changes.precedingYearTurnoverPaise),
          highestTurnoverSince2017Paise:
            changes.highestTurnoverSince2017Paise === undefined
              ? current.highestTurnoverSince2017Paise
              : changes.highestTurnoverSince2017Paise === null
                ? null
                : BigInt(changes.highestTurnoverSince2017Paise),
          einvoiceExempt: changes.einvoiceExempt ?? current.einvoiceExempt,
          dueSoonDays: changes.dueSoonDays ?? current.dueSoonDays,
          version: current.version + 1,
        };
        await saveSettings(trx, meta.tenantId, next, clock());
        const view = toSettingsView(next);
        await audit(trx, meta, {
          action: "invoicing.settings-changed",
          entity: { type: "invoicing-settings", id: meta.tenantId },
          before: toSettingsView(current),
          after: view,
        });
        return view;
      });
    },
  };
}

export type InvoiceService = ReturnType<typeof createInvoiceService>;
