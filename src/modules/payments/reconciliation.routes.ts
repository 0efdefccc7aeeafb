import { z } from "zod";
import { listQuerySchema, pageSchema } from "../../platform/http/pagination.ts";
import type { HttpServer } from "../../platform/http/server.ts";
import type { RouteContext } from "../../platform/modules/module.contract.ts";
import { ZBankCsvMapping } from "./bank-csv.parser.ts";
import {
  ZBankAccountView,
  ZImportStatementResult,
  ZStatementLineView,
  ZStatementView,
} from "./bank-statement.service.ts";
import {
  PAYMENTS_PERMISSIONS,
  ZBankAccountInput,
  ZDecisionBody,
  ZId,
  ZImportStatementInput,
  ZRunMatchingInput,
} from "./payments.schemas.ts";
import type { PaymentsServices } from "./payments.services.ts";
import { ZDecisionResult, ZProposalView, ZRunMatchingResult } from "./reconciliation.service.ts";
import { requestMeta, tenantOf } from "./route-helpers.ts";

const BASE = "/api/v1/reconciliation";
const TAGS = ["reconciliation"];

/** HTTP routes of bank accounts, statement imports, matching runs and the review of proposals. */
export function registerReconciliationRoutes(
  app: HttpServer,
  context: RouteContext,
  services: PaymentsServices,
): void {
  const { statements, reconciliation } = services;
  const read = context.guard(PAYMENTS_PERMISSIONS.read);
  const write = context.guard(PAYMENTS_PERMISSIONS.write);
  const review = context.guard(PAYMENTS_PERMISSIONS.review);

  app.get(
    `${BASE}/bank-accounts`,
    {
      preHandler: read,
      schema: {
        tags: TAGS,
        summary: "Bank accounts",
        response: { 200: z.object({ items: z.array(ZBankAccountView) }) },
      },
    },
    async (request) => ({ items: await statements.listBankAccounts(tenantOf(context, request)) }),
  );

  app.post(
    `${BASE}/bank-accounts`,
    {
      preHandler: write,
      schema: {
        tags: TAGS,
        summary: "Set up a bank account (with its CSV column mapping)",
        body: ZBankAccountInput,
        response: { 201: ZBankAccountView },
      },
    },
    async (request, reply) => {
      const account = await statements.createBankAccount(requestMeta(context, request), request.body);
      return reply.status(201).send(account);
    },
  );

  app.put(
    `${BASE}/bank-accounts/:bankAccountId/csv-mapping`,
    {
      preHandler: write,
      schema: {
        tags: TAGS,
        summary: "Save the column mapping of the account's CSV export",
        params: z.object({ bankAccountId: ZId }),
        body: ZBankCsvMapping.omit({ accountId: true }),
        response: { 200: ZBankAccountView },
      },
    },
    (request) =>
      statements.saveCsvMapping(requestMeta(context, request), {
        bankAccountId: request.params.bankAccountId,
        csvMapping: request.body,
      }),
  );

  app.post(
    `${BASE}/statements`,
    {
      preHandler: write,
      schema: {
        tags: TAGS,
        summary: "Import a bank statement (MT940, camt.05x, CSV)",
        description:
          "Lines already imported (same fingerprint) are skipped; the same file twice writes nothing.",
        body: ZImportStatementInput,
        response: { 200: ZImportStatementResult, 201: ZImportStatementResult },
      },
    },
    async (request, reply) => {
      const result = await statements.importStatement(requestMeta(context, request), request.body);
      return reply.status(result.duplicate ? 200 : 201).send(result);
    },
  );

  app.get(
    `${BASE}/statements`,
    {
      preHandler: read,
      schema: {
        tags: TAGS,
        summary: "Imported statements, newest first",
        querystring: z.object({ bankAccountId: ZId.optional() }),
        response: { 200: z.object({ items: z.array(ZStatementView) }) },
      },
    },
    async (request) => ({
      items: await statements.listStatements(tenantOf(context, request), request.query.bankAccountId),
    }),
  );

  app.get(
    `${BASE}/statement-lines`,
    {
      preHandler: read,
      schema: {
        tags: TAGS,
        summary: "Statement lines",
        querystring: listQuerySchema(["bookingDate"] as const).extend({
          statementId: ZId.optional(),
          status: z.enum(["unmatched", "matched", "ignored"]).optional(),
        }),
        response: { 200: pageSchema(ZStatementLineView) },
      },
    },
    (request) => statements.listLines(tenantOf(context, request), request.query),
  );

  app.post(
    `${BASE}/runs`,
    {
      preHandler: review,
      schema: {
        tags: TAGS,
        summary: "Match unmatched credits with open invoices",
        body: ZRunMatchingInput,
        response: { 201: ZRunMatchingResult },
      },
    },
    async (request, reply) => {
      const result = await reconciliation.runMatching(requestMeta(context, request), request.body);
      return reply.status(201).send(result);
    },
  );

  app.get(
    `${BASE}/proposals`,
    {
      preHandler: read,
      schema: {
        tags: TAGS,
        summary: "Reconciliation proposals",
        querystring: listQuerySchema(["createdAt"] as const).extend({
          status: z
            .enum(["proposed", "auto-applied", "accepted", "rejected", "undone", "superseded"])
            .optional(),
          runId: ZId.optional(),
        }),
        response: { 200: pageSchema(ZProposalView) },
      },
    },
    (request) => reconciliation.list(tenantOf(context, request), request.query),
  );

  app.get(
    `${BASE}/proposals/:proposalId`,
    {
      preHandler: read,
      schema: {
        tags: TAGS,
        summary: "One proposal",
        params: z.object({ proposalId: ZId }),
        response: { 200: ZProposalView },
      },
    },
    (request) => reconciliation.get(tenantOf(context, request), request.params.proposalId),
  );

  app.post(
    `${BASE}/proposals/:proposalId/decision`,
    {
      preHandler: review,
      schema: {
        tags: TAGS,
        summary: "Accept (optionally changed), reject, or undo a proposal",
        params: z.object({ proposalId: ZId }),
        body: ZDecisionBody,
        response: { 200: ZDecisionResult },
      },
    },
    (request) =>
      reconciliation.decide(requestMeta(context, request), {
        proposalId: request.params.proposalId,
        ...request.body,
      }),
  );
}
