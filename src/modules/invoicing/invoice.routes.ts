import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { etagOf, requireIfMatch, setEtag } from "../../platform/http/etag.ts";
import { listQuerySchema, pageSchema } from "../../platform/http/pagination.ts";
import type { HttpServer } from "../../platform/http/server.ts";
import type { RouteContext } from "../../platform/modules/module.contract.ts";
import type { CommandMeta } from "../../platform/audit/command-actor.ts";
import { settlementPartsOf } from "./invoice-settlement.service.ts";
import { INVOICE_SORT_FIELDS } from "./invoice.repository.ts";
import {
  CANCELLATION_REASONS,
  INVOICE_STATUSES,
  ZEinvoiceReference,
  type InvoiceStatus,
} from "./invoice.schemas.ts";
import {
  ZApplySettlementResult,
  ZCreateInvoiceResult,
  ZDueInvoice,
  ZEinvoiceView,
  ZInvoiceDraftChanges,
  ZInvoiceDraftInput,
  ZInvoiceView,
  ZIssueNoteResult,
  ZMarkOverdueResult,
  ZNoteInput,
  ZNoteView,
  ZSettingsInput,
  ZSettingsView,
  ZSettlementParts,
  ZSettlementView,
  ZVerificationView,
  type InvoiceView,
} from "./invoice.views.ts";
import { INVOICING_PERMISSIONS } from "./invoicing.actions.ts";
import { createInvoicingServices, type InvoicingServices } from "./invoicing.services.ts";

const BASE = "/api/v1/invoices";
/** Cached invoice lists carry this tag; any invoicing event drops them (see invoicing.module.ts). */
export const INVOICE_LIST_CACHE_TAG = "invoice-list";
/** Lists are cheap to rebuild and some filters move with the clock (overdue), so they live briefly. */
const LIST_CACHE_TTL_MS = 60_000;
const TAGS = ["invoices"];

const ZIdParams = z.object({ id: z.string().min(1).max(100) });
const ZDate = z.iso.date({ error: "is a date in YYYY-MM-DD form" });
const ZBooleanText = z
  .enum(["true", "false"])
  .optional()
  .transform((value) => (value === undefined ? undefined : value === "true"));

const ZListQuery = listQuerySchema(INVOICE_SORT_FIELDS).extend({
  /**
   * One status or several, comma-separated. `overdue` is not stored but derived: issued or partly paid
   * invoices past their due date (the same as `overdue=true`).
   */
  status: z
    .string()
    .optional()
    .transform((value) => (value === undefined ? undefined : value.split(",").map((entry) => entry.trim())))
    .pipe(z.array(z.enum([...INVOICE_STATUSES, "overdue"])).optional()),
  customerId: z.string().max(100).optional(),
  buyerGstin: z.string().max(15).optional(),
  financialYear: z
    .string()
    .regex(/^\d{4}-\d{2}$/, { error: 'is a financial year such as "2025-26"' })
    .optional(),
  issuedFrom: ZDate.optional(),
  issuedTo: ZDate.optional(),
  dueAfter: ZDate.optional(),
  dueBefore: ZDate.optional(),
  overdue: ZBooleanText,
  search: z.string().trim().min(1).max(100).optional(),
});

const ZInvoicePage = pageSchema(ZInvoiceView);

const invoiceEtag = (invoice: Pick<InvoiceView, "id" | "version">) => etagOf(invoice.id, invoice.version);

/** `status=overdue` as the list filter expresses it: `overdue: true`, alone or with the stored statuses given. */
function overdueAsStatus<Q extends { status?: string[] | undefined; overdue?: boolean | undefined }>(
  query: Q,
): Omit<Q, "status"> & { status?: InvoiceStatus[] | undefined } {
  if (!query.status?.includes("overdue")) return query as Omit<Q, "status"> & { status?: InvoiceStatus[] };
  const stored = query.status.filter((status): status is InvoiceStatus => status !== "overdue");
  return { ...query, status: stored.length > 0 ? stored : undefined, overdue: true };
}

/** JSON with object keys sorted, so equal queries make equal cache keys whatever their parameter order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, entry: unknown) =>
    entry && typeof entry === "object" && !Array.isArray(entry)
      ? Object.fromEntries(Object.entries(entry).sort(([a], [b]) => a.localeCompare(b)))
      : entry,
  );
}

function withoutUndefined<T extends Record<string, unknown>>(
  value: T,
): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

/** HTTP routes of the invoicing module under /api/v1/invoices and /api/v1/invoicing. */
export function registerInvoiceRoutes(
  app: HttpServer,
  context: RouteContext,
  services: InvoicingServices = createInvoicingServices({
    db: context.database.app,
    events: context.events,
    now: () => context.now(),
  }),
): void {
  const { invoices, settlements, due, documents } = services;
  const guard = {
    read: context.guard(INVOICING_PERMISSIONS.read),
    write: context.guard(INVOICING_PERMISSIONS.write),
    issue: context.guard(INVOICING_PERMISSIONS.issue),
    settle: context.guard(INVOICING_PERMISSIONS.settle),
    settings: context.guard(INVOICING_PERMISSIONS.settings),
  };
  const metaOf = (request: FastifyRequest): CommandMeta => {
    const principal = context.principalOf(request);
    return { tenantId: principal.tenantId, actor: principal.actor, requestId: request.id };
  };
  const tenantOf = (request: FastifyRequest) => context.principalOf(request).tenantId;

  /**
   * For commands posted to an invoice: an If-Match, when sent, must name the current version, and the command
   * then applies only to that version.
   */
  async function expectedVersionOf(request: FastifyRequest, invoiceId: string): Promise<number | undefined> {
    if (request.headers["if-match"] === undefined) return undefined;
    const current = await invoices.get(tenantOf(request), invoiceId);
    requireIfMatch(request, invoiceEtag(current));
    return current.version;
  }

  /** A command on one invoice, answered with the invoice and its new ETag. */
  function invoiceCommand<Body extends z.ZodType>(options: {
    path: string;
    summary: string;
    description?: string;
    guard: ReturnType<RouteContext["guard"]>;
    body: Body;
    run: (
      input: { invoiceId: string; body: z.output<Body>; expectedVersion?: number },
      meta: CommandMeta,
    ) => Promise<InvoiceView>;
  }) {
    app.post(
      `${BASE}/:id/${options.path}`,
      {
        preHandler: options.guard,
        schema: {
          tags: TAGS,
          summary: options.summary,
          ...(options.description !== undefined ? { description: options.description } : {}),
          params: ZIdParams,
          body: options.body,
          response: { 200: ZInvoiceView },
        },
      },
      async (request, reply) => {
        const expectedVersion = await expectedVersionOf(request, request.params.id);
        const invoice = await options.run(
          {
            invoiceId: request.params.id,
            body: request.body as z.output<Body>,
            ...(expectedVersion !== undefined ? { expectedVersion } : {}),
          },
          metaOf(request),
        );
        setEtag(reply, invoiceEtag(invoice));
        return invoice;
      },
    );
  }

  app.get(
    BASE,
    {
      preHandler: guard.read,
      schema: {
        tags: TAGS,
        summary: "List invoices",
        description:
          "Filter by status (comma-separated), customer, dates, overdue or text; sort on a listed field.",
        querystring: ZListQuery,
        response: { 200: ZInvoicePage },
      },
    },
    async (request, reply) => {
      const tenantId = tenantOf(request);
      const query = withoutUndefined(overdueAsStatus(request.query));
      // The day is part of the key: "overdue" and due-date filters mean something else tomorrow.
      const today = new Date(context.now()).toISOString().slice(0, 10);
      const key = `invoice-list:${today}:${stableJson(query)}`;
      // The page is cached as the JSON it is sent as, so a hit costs no encoding.
      const json = await context.cache.getOrLoad(
        tenantId,
        key,
        async () => JSON.stringify(z.encode(ZInvoicePage, await invoices.list(tenantId, query))),
        { tags: [INVOICE_LIST_CACHE_TAG], ttlMs: LIST_CACHE_TTL_MS },
      );
      // Fastify sends a string with a JSON content type as it is, without the schema's serializer.
      return reply.type("application/json; charset=utf-8").send(json as never);
    },
  );

  app.post(
    BASE,
    {
      preHandler: guard.write,
      schema: {
        tags: TAGS,
        summary: "Create a draft invoice (or get the existing duplicate)",
        description:
          "Amounts are computed from the lines; a totalPaise that differs is refused. 201 with the new draft; 200 with the existing invoice and duplicateOf for the same number in the financial year, the same import reference or a likely duplicate.",
        body: ZInvoiceDraftInput,
        response: { 200: ZCreateInvoiceResult, 201: ZCreateInvoiceResult },
      },
    },
    async (request, reply) => {
      const result = await invoices.createDraft(request.body, metaOf(request));
      setEtag(reply, invoiceEtag(result.invoice));
      if (result.created) void reply.header("location", `${BASE}/${result.invoice.id}`);
      return reply.status(result.created ? 201 : 200).send(result);
    },
  );

  app.post(
    `${BASE}/verify`,
    {
      preHandler: guard.read,
      schema: {
        tags: TAGS,
        summary: "Verify an invoice before creating it",
        body: ZInvoiceDraftInput,
        response: { 200: ZVerificationView },
      },
    },
    async (request) => documents.verifyDraft(tenantOf(request), request.body),
  );

  app.get(
    `${BASE}/due`,
    {
      preHandler: guard.read,
      schema: {
        tags: TAGS,
        summary: "Invoices due soon or overdue",
        querystring: z.object({
          asOf: ZDate.optional(),
          dueSoonDays: z.coerce.number().int().min(0).max(60).optional(),
          state: z.enum(["due-soon", "overdue", "all"]).default("all"),
          limit: z.coerce.number().int().min(1).max(500).default(100),
          cursor: z.string().max(500).optional(),
        }),
        response: { 200: pageSchema(ZDueInvoice).extend({ asOf: ZDate }) },
      },
    },
    async (request) => due.listDue(tenantOf(request), withoutUndefined(request.query)),
  );

  app.post(
    `${BASE}/due-notices`,
    {
      preHandler: guard.write,
      schema: {
        tags: TAGS,
        summary: "Publish due-soon and overdue notices (once per invoice and state)",
        body: z.object({ asOf: ZDate.optional(), dueSoonDays: z.int().min(0).max(60).optional() }),
        response: { 200: ZMarkOverdueResult },
      },
    },
    async (request) => due.markOverdue(withoutUndefined(request.body), metaOf(request)),
  );

  app.get(
    `${BASE}/:id`,
    {
      preHandler: guard.read,
      schema: { tags: TAGS, summary: "Get an invoice", params: ZIdParams, response: { 200: ZInvoiceView } },
    },
    async (request, reply) => {
      const invoice = await invoices.get(tenantOf(request), request.params.id);
      setEtag(reply, invoiceEtag(invoice));
      return invoice;
    },
  );

  app.patch(
    `${BASE}/:id`,
    {
      preHandler: guard.write,
      schema: {
        tags: TAGS,
        summary: "Change a draft (If-Match required)",
        description:
          "Any draft field; null clears an optional one. Amounts and due dates are computed again.",
        params: ZIdParams,
        body: ZInvoiceDraftChanges,
        response: { 200: ZInvoiceView },
      },
    },
    async (request, reply) => {
      const meta = metaOf(request);
      const current = await invoices.get(meta.tenantId, request.params.id);
      requireIfMatch(request, invoiceEtag(current));
      const updated = await invoices.updateDraft(
        { invoiceId: current.id, changes: request.body, expectedVersion: current.version },
        meta,
      );
      setEtag(reply, invoiceEtag(updated));
      return updated;
    },
  );

  invoiceCommand({
    path: "issue",
    summary: "Verify and issue a draft",
    description: "Error findings of the verification block issuing (400 naming each field).",
    guard: guard.issue,
    body: z
      .object({ einvoice: ZEinvoiceReference.optional() })
      .nullish()
      .transform((body) => body ?? {}),
    run: ({ invoiceId, body, expectedVersion }, meta) =>
      invoices.issue(withoutUndefined({ invoiceId, einvoice: body.einvoice, expectedVersion }), meta),
  });

  invoiceCommand({
    path: "cancel",
    summary: "Cancel an invoice",
    description:
      "Only while nothing was paid, credited or debited, and an e-invoice within 24 hours of its IRN.",
    guard: guard.issue,
    body: z.object({ reason: z.enum(CANCELLATION_REASONS), remark: z.string().min(1).max(100) }),
    run: ({ invoiceId, body, expectedVersion }, meta) =>
      invoices.cancel(withoutUndefined({ invoiceId, ...body, expectedVersion }), meta),
  });

  invoiceCommand({
    path: "dispute",
    summary: "Record that the customer disputes the invoice",
    guard: guard.write,
    body: z.object({ reason: z.string().min(1).max(500) }),
    run: ({ invoiceId, body, expectedVersion }, meta) =>
      invoices.dispute(withoutUndefined({ invoiceId, reason: body.reason, expectedVersion }), meta),
  });

  invoiceCommand({
    path: "resolve-dispute",
    summary: "Close a dispute",
    guard: guard.write,
    body: z
      .object({})
      .nullish()
      .transform((body) => body ?? {}),
    run: ({ invoiceId, expectedVersion }, meta) =>
      invoices.resolveDispute(withoutUndefined({ invoiceId, expectedVersion }), meta),
  });

  invoiceCommand({
    path: "write-off",
    summary: "Write off what is outstanding as a bad debt",
    guard: guard.issue,
    body: z.object({ reason: z.string().min(1).max(500) }),
    run: ({ invoiceId, body, expectedVersion }, meta) =>
      invoices.writeOff(withoutUndefined({ invoiceId, reason: body.reason, expectedVersion }), meta),
  });

  app.put(
    `${BASE}/:id/irn`,
    {
      preHandler: guard.issue,
      schema: {
        tags: TAGS,
        summary: "Record the IRN the IRP returned (If-Match required)",
        params: ZIdParams,
        body: ZEinvoiceReference,
        response: { 200: ZInvoiceView },
      },
    },
    async (request, reply) => {
      const meta = metaOf(request);
      const current = await invoices.get(meta.tenantId, request.params.id);
      requireIfMatch(request, invoiceEtag(current));
      const invoice = await invoices.recordIrn(
        { invoiceId: current.id, einvoice: withoutUndefined(request.body), expectedVersion: current.version },
        meta,
      );
      setEtag(reply, invoiceEtag(invoice));
      return invoice;
    },
  );

  for (const kind of ["credit", "debit"] as const) {
    app.get(
      `${BASE}/:id/${kind}-notes`,
      {
        preHandler: guard.read,
        schema: {
          tags: TAGS,
          summary: `The ${kind} notes of an invoice`,
          params: ZIdParams,
          response: { 200: z.object({ items: z.array(ZNoteView) }) },
        },
      },
      async (request) => ({ items: await invoices.notes(tenantOf(request), request.params.id, kind) }),
    );
    app.post(
      `${BASE}/:id/${kind}-notes`,
      {
        preHandler: guard.issue,
        schema: {
          tags: TAGS,
          summary: `Issue a ${kind} note against an invoice (CGST s.34)`,
          params: ZIdParams,
          body: ZNoteInput,
          response: { 201: ZIssueNoteResult },
        },
      },
      async (request, reply) => {
        const result = await invoices.issueNote(
          { invoiceId: request.params.id, kind, note: request.body },
          metaOf(request),
        );
        setEtag(reply, invoiceEtag(result.invoice));
        void reply.header("location", `${BASE}/${request.params.id}/${kind}-notes`);
        return reply.status(201).send(result);
      },
    );
  }

  app.get(
    `${BASE}/:id/settlements`,
    {
      preHandler: guard.read,
      schema: {
        tags: TAGS,
        summary: "Settlements applied to an invoice",
        params: ZIdParams,
        response: { 200: z.object({ items: z.array(ZSettlementView) }) },
      },
    },
    async (request) => ({ items: await invoices.settlements(tenantOf(request), request.params.id) }),
  );

  app.post(
    `${BASE}/:id/settlements`,
    {
      preHandler: guard.settle,
      schema: {
        tags: TAGS,
        summary: "Apply a settlement (cash, TDS, GST TDS, write-off), once per reference",
        params: ZIdParams,
        body: ZSettlementParts.extend({ reference: z.string().min(1).max(200) }),
        response: { 200: ZApplySettlementResult },
      },
    },
    async (request, reply) => {
      const result = await settlements.applySettlement(
        {
          invoiceId: request.params.id,
          reference: request.body.reference,
          ...settlementPartsOf(request.body),
        },
        metaOf(request),
      );
      setEtag(reply, invoiceEtag(result.invoice));
      return result;
    },
  );

  app.get(
    `${BASE}/:id/verification`,
    {
      preHandler: guard.read,
      schema: {
        tags: TAGS,
        summary: "Verify a stored invoice",
        params: ZIdParams,
        response: { 200: ZVerificationView },
      },
    },
    async (request) => documents.verifyInvoiceById(tenantOf(request), request.params.id),
  );

  app.get(
    `${BASE}/:id/pdf`,
    {
      preHandler: guard.read,
      schema: {
        tags: TAGS,
        summary: "The invoice as a PDF (application/pdf)",
        params: ZIdParams,
        querystring: z.object({
          language: z.enum(["en", "hi"]).default("en"),
          copy: z.enum(["original", "duplicate", "triplicate"]).optional(),
        }),
      },
    },
    async (request, reply) => {
      const rendered = await documents.renderPdf(
        tenantOf(request),
        withoutUndefined({ invoiceId: request.params.id, ...request.query }),
      );
      return reply
        .type(rendered.contentType)
        .header("content-disposition", `inline; filename="${rendered.fileName}"`)
        .send(rendered.bytes);
    },
  );

  app.get(
    `${BASE}/:id/einvoice`,
    {
      preHandler: guard.read,
      schema: {
        tags: TAGS,
        summary: "The e-invoice (IRP) request and IRN of an invoice",
        params: ZIdParams,
        response: { 200: ZEinvoiceView },
      },
    },
    async (request) => documents.einvoice(tenantOf(request), request.params.id),
  );

  app.get(
    "/api/v1/invoicing/settings",
    {
      preHandler: guard.read,
      schema: {
        tags: TAGS,
        summary: "The organisation's invoicing settings",
        response: { 200: ZSettingsView },
      },
    },
    async (request, reply) => {
      const tenantId = tenantOf(request);
      const settings = await invoices.getSettings(tenantId);
      setEtag(reply, etagOf(`invoicing-settings:${tenantId}`, settings.version));
      return settings;
    },
  );

  app.put(
    "/api/v1/invoicing/settings",
    {
      preHandler: guard.settings,
      schema: {
        tags: TAGS,
        summary: "Change the organisation's invoicing settings (If-Match required)",
        description: "Fields left out keep their value; null clears one.",
        body: ZSettingsInput,
        response: { 200: ZSettingsView },
      },
    },
    async (request, reply) => {
      const meta = metaOf(request);
      const current = await invoices.getSettings(meta.tenantId);
      requireIfMatch(request, etagOf(`invoicing-settings:${meta.tenantId}`, current.version));
      const settings = await invoices.updateSettings(
        { changes: request.body, expectedVersion: current.version },
        meta,
      );
      setEtag(reply, etagOf(`invoicing-settings:${meta.tenantId}`, settings.version));
      return settings;
    },
  );
}
