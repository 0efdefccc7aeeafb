import { z } from "zod";
import {
  defineAction,
  type ActionPolicy,
  type ModuleRegistration,
} from "../../platform/actions/action-catalog.ts";
import { metaOf } from "../../platform/audit/command-actor.ts";
import { ZImportFileRequest } from "./import-file.reader.ts";
import {
  IMPORTS_PERMISSION,
  ZExternalIdView,
  ZImportFileResult,
  ZImportPlanView,
  ZImportRunView,
  type ImportService,
} from "./import.service.ts";

/** Imports read and write whole files: long timeouts; a refused file is the caller's to fix, not to retry. */
export const INTEGRATIONS_ACTION_POLICY: Partial<ActionPolicy> = {
  timeoutMs: 120_000,
  retry: { maxAttempts: 2, initialDelayMs: 500, maxDelayMs: 2_000 },
};

export const ZLinkExternalIdInput = z.object({
  source: z.enum(["csv", "tally", "zoho-books"]),
  entity: z.enum(["customer", "invoice", "payment", "credit-note"]),
  externalId: z.string().min(1).max(300),
  internalId: z.uuid({ error: "must be an id (UUID)" }),
});

export const ZResolveExternalIdsInput = z.object({
  source: z.enum(["csv", "tally", "zoho-books"]),
  externalIds: z.array(z.string().min(1).max(300)).min(1).max(1000),
});

/** The integrations module's actions, for workflows through the gateway. */
export function integrationsActions(imports: ImportService): ModuleRegistration {
  const module = "integrations";
  return {
    module,
    policy: INTEGRATIONS_ACTION_POLICY,
    actions: [
      defineAction({
        module,
        name: "plan-import",
        kind: "query",
        description:
          "Reads a CSV, Tally XML or Zoho Books JSON export and reports, row by row, what importing it would do.",
        permission: IMPORTS_PERMISSION,
        input: ZImportFileRequest,
        output: ZImportPlanView,
        handler: (input, ctx) => imports.plan(ctx.tenantId, input),
      }),
      defineAction({
        module,
        name: "import-file",
        kind: "command",
        description:
          "Imports an export: records new or changed since the last import are returned and published as import.*-accepted events.",
        permission: IMPORTS_PERMISSION,
        input: ZImportFileRequest,
        output: ZImportFileResult,
        handler: (input, ctx) => imports.importFile(metaOf(ctx), input),
      }),
      defineAction({
        module,
        name: "link-external-id",
        kind: "command",
        description:
          "Records which Prapti record an imported record became (after customers.* or invoicing.* created it).",
        permission: IMPORTS_PERMISSION,
        input: ZLinkExternalIdInput,
        output: ZExternalIdView,
        handler: (input, ctx) => imports.linkExternalId(metaOf(ctx), input),
      }),
      defineAction({
        module,
        name: "resolve-external-ids",
        kind: "query",
        description: "Prapti's records for imported ones, by external id.",
        permission: IMPORTS_PERMISSION,
        input: ZResolveExternalIdsInput,
        output: z.object({ items: z.array(ZExternalIdView) }),
        handler: async (input, ctx) => ({ items: await imports.resolveExternalIds(ctx.tenantId, input) }),
      }),
      defineAction({
        module,
        name: "get-run",
        kind: "query",
        description: "An import run and its counts.",
        permission: IMPORTS_PERMISSION,
        input: z.object({ runId: z.uuid() }),
        output: ZImportRunView,
        handler: (input, ctx) => imports.getRun(ctx.tenantId, input.runId),
      }),
    ],
  };
}
