import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { listQuerySchema, pageSchema } from "../../platform/http/pagination.ts";
import type { HttpServer } from "../../platform/http/server.ts";
import type { RouteContext } from "../../platform/modules/module.contract.ts";
import type { CommandMeta } from "../../platform/audit/command-actor.ts";
import { ZLinkExternalIdInput } from "./integrations.actions.ts";
import { ZImportFileRequest } from "./import-file.reader.ts";
import {
  IMPORT_ROW_OUTCOMES,
  IMPORTS_PERMISSION,
  ZExternalIdView,
  ZImportFileResult,
  ZImportPlanView,
  ZImportRowView,
  ZImportRunView,
  type ImportService,
} from "./import.service.ts";

const BASE = "/api/v1/imports";
const TAGS = ["imports"];

/** HTTP routes of imports: plan, import, runs and their row reports, external-id links. */
export function registerImportRoutes(app: HttpServer, context: RouteContext, imports: ImportService): void {
  const run = context.guard(IMPORTS_PERMISSION);
  const metaOf = (request: FastifyRequest): CommandMeta => {
    const principal = context.principalOf(request);
    const header = request.headers["idempotency-key"];
    const key = Array.isArray(header) ? header[0] : header;
    return {
      tenantId: principal.tenantId,
      actor: principal.actor,
      requestId: request.id,
      ...(key ? { idempotencyKey: `http:${principal.actor}:${key}` } : {}),
    };
  };
  const tenantOf = (request: FastifyRequest) => context.principalOf(request).tenantId;

  app.post(
    `${BASE}/plan`,
    {
      preHandler: run,
      schema: {
        tags: TAGS,
        summary: "What importing a file would do, row by row (writes nothing)",
        body: ZImportFileRequest,
        response: { 200: ZImportPlanView },
      },
    },
    (request) => imports.plan(tenantOf(request), request.body),
  );

  app.post(
    BASE,
    {
      preHandler: run,
      schema: {
        tags: TAGS,
        summary: "Import a CSV, Tally XML or Zoho Books JSON export",
        description:
          "All-or-nothing is one transaction and refuses the whole file naming every row and field; valid-rows-only commits " +
          "batchSize rows (default 500) per transaction, and a failed batch leaves the run partial (503 naming the run; " +
          "importing the file again finishes it). New and changed records are published as import.*-accepted events.",
        body: ZImportFileRequest,
        response: { 201: ZImportFileResult },
      },
    },
    async (request, reply) => {
      const result = await imports.importFile(metaOf(request), request.body);
      void reply.header("location", `${BASE}/${result.run.id}`);
      return reply.status(201).send(result);
    },
  );

  app.get(
    BASE,
    {
      preHandler: run,
      schema: {
        tags: TAGS,
        summary: "Import runs, newest first",
        querystring: listQuerySchema(["startedAt"] as const),
        response: { 200: pageSchema(ZImportRunView) },
      },
    },
    (request) => imports.listRuns(tenantOf(request), request.query),
  );

  app.get(
    `${BASE}/:runId`,
    {
      preHandler: run,
      schema: {
        tags: TAGS,
        summary: "One import run",
        params: z.object({ runId: z.uuid() }),
        response: { 200: ZImportRunView },
      },
    },
    (request) => imports.getRun(tenantOf(request), request.params.runId),
  );

  app.get(
    `${BASE}/:runId/rows`,
    {
      preHandler: run,
      schema: {
        tags: TAGS,
        summary: "The row reports of an import run",
        params: z.object({ runId: z.uuid() }),
        querystring: listQuerySchema(["position"] as const).extend({
          outcome: z.enum(IMPORT_ROW_OUTCOMES).optional(),
        }),
        response: { 200: pageSchema(ZImportRowView) },
      },
    },
    (request) =>
      imports.listRows(tenantOf(request), {
        runId: request.params.runId,
        limit: request.query.limit,
        cursor: request.query.cursor,
        outcome: request.query.outcome,
      }),
  );

  app.put(
    `${BASE}/external-ids`,
    {
      preHandler: run,
      schema: {
        tags: TAGS,
        summary: "Record which Prapti record an imported record became",
        body: ZLinkExternalIdInput,
        response: { 200: ZExternalIdView },
      },
    },
    (request) => imports.linkExternalId(metaOf(request), request.body),
  );
}
