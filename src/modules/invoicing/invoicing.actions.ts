import { z } from "zod";
import {
  defineAction,
  type ActionContext,
  type ActionPolicy,
  type ModuleRegistration,
} from "../../platform/actions/action-catalog.ts";
import { pageSchema } from "../../platform/http/pagination.ts";
import type { ModuleContext } from "../../platform/modules/module.contract.ts";
import type { CommandMeta } from "../../platform/audit/command-actor.ts";
import { settlementPartsOf } from "./invoice-settlement.service.ts";
import { INVOICE_SORT_FIELDS } from "./invoice.repository.ts";
import { CANCELLATION_REASONS, INVOICE_STATUSES, ZEinvoiceReference } from "./invoice.schemas.ts";
import {
  ZApplySettlementInput,
  ZApplySettlementResult,
  ZCreateInvoiceResult,
  ZDueInvoice,
  ZEinvoiceView,
  ZInvoiceDraftInput,
  ZInvoiceView,
  ZIssueNoteResult,
  ZMarkOverdueResult,
  ZNoteInput,
  ZVerificationView,
} from "./invoice.views.ts";
import { createInvoicingServices, type InvoicingServices } from "./invoicing.services.ts";

/** Permissions of the invoicing actions and routes (see src/platform/auth/permission.matrix.ts). */
export const INVOICING_PERMISSIONS = {
  read: "invoices:read",
  write: "invoices:write",
  issue: "invoices:issue",
  /** Settlements come from payments: whoever may record payments may settle invoices with them. */
  settle: "payments:write",
  settings: "settings:manage",
} as const;

/** Defaults for every invoicing action; rendering a PDF gets longer. */
export const INVOICING_ACTION_POLICY: Partial<ActionPolicy> = {
  timeoutMs: 10_000,
  retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 2_000 },
};

const ZInvoiceId = z.uuid({ error: "is an invoice id (UUID)" });
const ZDate = z.iso.date({ error: "is a date in YYYY-MM-DD form" });

function metaOf(ctx: ActionContext): CommandMeta {
  return {
    tenantId: ctx.tenantId,
    actor: ctx.actor,
    ...(ctx.idempotencyKey !== undefined ? { idempotencyKey: ctx.idempotencyKey } : {}),
    ...(ctx.requestId !== undefined ? { requestId: ctx.requestId } : {}),
  };
}

function withoutUndefined<T extends Record<string, unknown>>(
  value: T,
): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

export const ZVerifyInput = z
  .object({
    /** A stored invoice... */
    invoiceId: ZInvoiceId.optional(),
    /** ...or an invoice not stored yet, in the shape invoicing.create-draft takes. */
    invoice: ZInvoiceDraftInput.optional(),
  })
  .refine((input) => (input.invoiceId === undefined) !== (input.invoice === undefined), {
    error: "give either invoiceId or invoice",
  });

export const ZListDueInput = z.object({
  /** The day to judge by; today in India when absent. */
  asOf: ZDate.optional(),
  dueSoonDays: z.int().min(0).max(60).optional(),
  state: z.enum(["due-soon", "overdue", "all"]).default("all"),
  limit: z.int().min(1).max(500).default(100),
  cursor: z.string().max(500).optional(),
});

/** The invoicing module's actions, for workflows through the gateway. */
export function invoicingActions(context: ModuleContext, services?: InvoicingServices): ModuleRegistration {
  const { invoices, settlements, due, documents } =
    services ??
    createInvoicingServices({ db: context.database.app, events: context.events, now: () => context.now() });
  return {
    module: "invoicing",
    policy: INVOICING_ACTION_POLICY,
    actions: [
      defineAction({
        module: "invoicing",
        name: "get",
        kind: "query",
        description: "An invoice with its lines, amounts, due dates and settlement summary.",
        permission: INVOICING_PERMISSIONS.read,
        input: z.object({ invoiceId: ZInvoiceId }),
        output: ZInvoiceView,
        handler: (input, ctx) => invoices.get(ctx.tenantId, input.invoiceId),
      }),
      defineAction({
        module: "invoicing",
        name: "list",
        kind: "query",
        description: "Invoices by status, customer, due date or text, a page at a time.",
        permission: INVOICING_PERMISSIONS.read,
        input: z.object({
          status: z.array(z.enum(INVOICE_STATUSES)).optional(),
          customerId: z.string().optional(),
          dueBefore: ZDate.optional(),
          dueAfter: ZDate.optional(),
          overdue: z.boolean().optional(),
          search: z.string().max(100).optional(),
          sort: z
            .enum([...INVOICE_SORT_FIELDS, ...INVOICE_SORT_FIELDS.map((field) => `-${field}` as const)])
            .optional(),
          limit: z.int().min(1).max(500).default(50),
          cursor: z.string().max(500).optional(),
        }),
        output: pageSchema(ZInvoiceView),
        handler: (input, ctx) => invoices.list(ctx.tenantId, withoutUndefined(input)),
      }),
      defineAction({
        module: "invoicing",
        name: "verify",
        kind: "query",
        description:
          "Runs the GST and e-invoice rules on a stored invoice or on a draft payload; errors block issuing.",
        permission: INVOICING_PERMISSIONS.read,
        input: ZVerifyInput,
        output: ZVerificationView,
        handler: (input, ctx) =>
          input.invoice !== undefined
            ? documents.verifyDraft(ctx.tenantId, input.invoice)
            : documents.verifyInvoiceById(ctx.tenantId, input.invoiceId ?? ""),
      }),
      defineAction({
        module: "invoicing",
        name: "create-draft",
        kind: "command",
        description:
          "Creates a draft invoice with computed amounts, or returns the existing one for the same number, import reference or a likely duplicate.",
        permission: INVOICING_PERMISSIONS.write,
        input: ZInvoiceDraftInput,
        output: ZCreateInvoiceResult,
        handler: (input, ctx) => invoices.createDraft(input, metaOf(ctx)),
      }),
      defineAction({
        module: "invoicing",
        name: "issue",
        kind: "command",
        description: "Verifies and issues a draft; emits invoice.issued.",
        permission: INVOICING_PERMISSIONS.issue,
        input: z.object({ invoiceId: ZInvoiceId, einvoice: ZEinvoiceReference.optional() }),
        output: ZInvoiceView,
        handler: (input, ctx) => invoices.issue(withoutUndefined(input), metaOf(ctx)),
      }),
      defineAction({
        module: "invoicing",
        name: "cancel",
        kind: "command",
        description: "Cancels an invoice with an IRP reason; refused once paid, credited or debited.",
        permission: INVOICING_PERMISSIONS.issue,
        input: z.object({
          invoiceId: ZInvoiceId,
          reason: z.enum(CANCELLATION_REASONS),
          remark: z.string().min(1).max(100),
        }),
        output: ZInvoiceView,
        handler: (input, ctx) => invoices.cancel(input, metaOf(ctx)),
      }),
      defineAction({
        module: "invoicing",
        name: "dispute",
        kind: "command",
        description: "Marks an invoice as disputed by the customer; emits invoice.disputed.",
        permission: INVOICING_PERMISSIONS.write,
        input: z.object({ invoiceId: ZInvoiceId, reason: z.string().min(1).max(500) }),
        output: ZInvoiceView,
        handler: (input, ctx) => invoices.dispute(input, metaOf(ctx)),
      }),
      defineAction({
        module: "invoicing",
        name: "issue-note",
        kind: "command",
        description: "Issues a credit or debit note against an invoice (CGST s.34).",
        permission: INVOICING_PERMISSIONS.issue,
        input: z.object({ invoiceId: ZInvoiceId, kind: z.enum(["credit", "debit"]), note: ZNoteInput }),
        output: ZIssueNoteResult,
        handler: (input, ctx) => invoices.issueNote(input, metaOf(ctx)),
      }),
      defineAction({
        module: "invoicing",
        name: "list-due",
        kind: "query",
        description: "Open invoices due soon or overdue as of a date, by due date.",
        permission: INVOICING_PERMISSIONS.read,
        input: ZListDueInput,
        output: pageSchema(ZDueInvoice).extend({ asOf: ZDate }),
        handler: (input, ctx) => due.listDue(ctx.tenantId, withoutUndefined(input)),
      }),
      defineAction({
        module: "invoicing",
        name: "mark-overdue",
        kind: "command",
        description:
          "Publishes invoice.due-soon and invoice.overdue for invoices that reached those states, once per invoice and state.",
        permission: INVOICING_PERMISSIONS.write,
        input: z.object({ asOf: ZDate.optional(), dueSoonDays: z.int().min(0).max(60).optional() }),
        output: ZMarkOverdueResult,
        policy: { timeoutMs: 60_000 },
        handler: (input, ctx) => due.markOverdue(withoutUndefined(input), metaOf(ctx)),
      }),
      defineAction({
        module: "invoicing",
        name: "apply-settlement",
        kind: "command",
        description:
          "Applies what the payments module matched to an invoice (cash, TDS, GST TDS, write-off), once per reference; a reference ending ':reversal' with negative parts reverses one.",
        permission: INVOICING_PERMISSIONS.settle,
        input: ZApplySettlementInput,
        output: ZApplySettlementResult,
        handler: (input, ctx) =>
          settlements.applySettlement(
            { invoiceId: input.invoiceId, reference: input.reference, ...settlementPartsOf(input) },
            metaOf(ctx),
          ),
      }),
      defineAction({
        module: "invoicing",
        name: "render-pdf",
        kind: "query",
        description: "The invoice as a PDF (English or Hindi), base64-encoded.",
        permission: INVOICING_PERMISSIONS.read,
        input: z.object({
          invoiceId: ZInvoiceId,
          language: z.enum(["en", "hi"]).default("en"),
          copy: z.enum(["original", "duplicate", "triplicate"]).optional(),
        }),
        output: z.object({
          invoiceId: z.string(),
          fileName: z.string(),
          contentType: z.literal("application/pdf"),
          pageCount: z.int(),
          base64: z.string(),
        }),
        policy: { timeoutMs: 30_000 },
        handler: async (input, ctx) => {
          const rendered = await documents.renderPdf(ctx.tenantId, withoutUndefined(input));
          return {
            invoiceId: rendered.invoiceId,
            fileName: rendered.fileName,
            contentType: rendered.contentType,
            pageCount: rendered.pageCount,
            base64: rendered.bytes.toString("base64"),
          };
        },
      }),
      defineAction({
        module: "invoicing",
        name: "einvoice",
        kind: "query",
        description:
          "The IRP request (e-invoice schema 1.1) for an invoice, its IRN, and what the IRP would refuse.",
        permission: INVOICING_PERMISSIONS.read,
        input: z.object({ invoiceId: ZInvoiceId }),
        output: ZEinvoiceView,
        handler: (input, ctx) => documents.einvoice(ctx.tenantId, input.invoiceId),
      }),
    ],
  };
}
