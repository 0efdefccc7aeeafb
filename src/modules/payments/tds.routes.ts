import { z } from "zod";
import type { HttpServer } from "../../platform/http/server.ts";
import type { RouteContext } from "../../platform/modules/module.contract.ts";
import { ZForm26asMapping } from "./form26as.parser.ts";
import { ZForm26asImportResult, ZForm26asMappingView, ZForm26asReportView } from "./form26as.service.ts";
import { PAYMENTS_PERMISSIONS, ZId, ZImport26asInput, ZReconcile26asInput } from "./payments.schemas.ts";
import type { PaymentsServices } from "./payments.services.ts";
import { ZTdsPositionView } from "./payments.views.ts";
import { requestMeta, tenantOf } from "./route-helpers.ts";

const BASE = "/api/v1/tds";
const TAGS = ["tds"];

/** HTTP routes of the TDS-receivable ledger and Form 26AS. */
export function registerTdsRoutes(app: HttpServer, context: RouteContext, services: PaymentsServices): void {
  const { payments, form26as } = services;
  const read = context.guard(PAYMENTS_PERMISSIONS.read);
  const write = context.guard(PAYMENTS_PERMISSIONS.write);

  app.get(
    `${BASE}/customers/:customerId/position`,
    {
      preHandler: read,
      schema: {
        tags: TAGS,
        summary: "TDS a customer deducted, per section and quarter, and what Form 26AS confirmed",
        params: z.object({ customerId: ZId }),
        querystring: ZReconcile26asInput.pick({ financialYear: true }),
        response: { 200: ZTdsPositionView },
      },
    },
    (request) =>
      payments.tdsPosition(tenantOf(context, request), {
        customerId: request.params.customerId,
        financialYear: request.query.financialYear,
      }),
  );

  app.get(
    `${BASE}/26as/mappings`,
    {
      preHandler: read,
      schema: {
        tags: TAGS,
        summary: "Saved Form 26AS column mappings",
        response: { 200: z.object({ items: z.array(ZForm26asMappingView) }) },
      },
    },
    async (request) => ({ items: await form26as.listMappings(tenantOf(context, request)) }),
  );

  app.put(
    `${BASE}/26as/mappings/:name`,
    {
      preHandler: write,
      schema: {
        tags: TAGS,
        summary: "Save a Form 26AS column mapping under a name",
        params: z.object({ name: z.string().trim().min(1).max(60) }),
        body: ZForm26asMapping,
        response: { 200: ZForm26asMappingView },
      },
    },
    (request) =>
      form26as.saveMapping(requestMeta(context, request), {
        name: request.params.name,
        mapping: request.body,
      }),
  );

  app.post(
    `${BASE}/26as/imports`,
    {
      preHandler: write,
      schema: {
        tags: TAGS,
        summary: "Import Form 26AS credits (every row valid, or nothing written)",
        body: ZImport26asInput,
        response: { 201: ZForm26asImportResult },
      },
    },
    async (request, reply) => {
      const result = await form26as.importCredits(requestMeta(context, request), request.body);
      return reply.status(201).send(result);
    },
  );

  app.post(
    `${BASE}/26as/reconciliation`,
    {
      preHandler: write,
      schema: {
        tags: TAGS,
        summary: "Reconcile the ledger with Form 26AS and announce overdue gaps",
        body: ZReconcile26asInput,
        response: { 200: ZForm26asReportView },
      },
    },
    (request) => form26as.reconcile(requestMeta(context, request), request.body),
  );

  app.get(
    `${BASE}/26as/report`,
    {
      preHandler: read,
      schema: {
        tags: TAGS,
        summary: "Form 26AS reconciliation per quarter (changes nothing)",
        querystring: ZReconcile26asInput,
        response: { 200: ZForm26asReportView },
      },
    },
    (request) => form26as.report(tenantOf(context, request), request.query),
  );
}
