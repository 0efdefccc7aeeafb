import { z } from "zod";
import type { HttpServer } from "../../platform/http/server.ts";
import type { RouteContext } from "../../platform/modules/module.contract.ts";
import {
  SECRET_NAME_PATTERN,
  type WorkflowSecretStore,
  type WorkflowSecretSummary,
} from "../secrets/workflow-secret.store.ts";

const ZSecretSummary = z.object({
  name: z.string(),
  keyId: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  updatedBy: z.string(),
});
const ZName = z.object({ name: z.string().regex(SECRET_NAME_PATTERN) });

const summaryJson = (summary: WorkflowSecretSummary) => ({
  name: summary.name,
  keyId: summary.keyId,
  createdAt: summary.createdAt.toISOString(),
  updatedAt: summary.updatedAt.toISOString(),
  updatedBy: summary.updatedBy,
});

/**
 * Workflow secrets over HTTP: set (PUT), list (names only) and delete. No route ever returns a value; only
 * workflows read them, as `$secrets.<name>`.
 */
export function registerWorkflowSecretRoutes(
  app: HttpServer,
  deps: { secrets: WorkflowSecretStore },
  context: RouteContext,
): void {
  app.get(
    "/api/v1/workflows/secrets",
    {
      preHandler: context.guard("workflows:secrets"),
      schema: {
        tags: ["workflows"],
        summary: "List the business's workflow secrets (names only, never values)",
        response: { 200: z.object({ items: z.array(ZSecretSummary) }) },
      },
    },
    async (request) => ({
      items: (await deps.secrets.list(context.principalOf(request).tenantId)).map(summaryJson),
    }),
  );

  app.put(
    "/api/v1/workflows/secrets/:name",
    {
      preHandler: context.guard("workflows:secrets"),
      schema: {
        tags: ["workflows"],
        summary: "Create or replace a workflow secret; the value (any JSON) is stored encrypted",
        params: ZName,
        body: z.object({ value: z.unknown() }),
        response: { 200: ZSecretSummary, 201: ZSecretSummary },
      },
    },
    async (request, reply) => {
      const principal = context.principalOf(request);
      const { created, ...summary } = await deps.secrets.set({
        tenantId: principal.tenantId,
        name: request.params.name,
        value: request.body.value,
        actor: principal.actor,
        requestId: request.id,
      });
      return reply.status(created ? 201 : 200).send(summaryJson(summary));
    },
  );

  app.delete(
    "/api/v1/workflows/secrets/:name",
    {
      preHandler: context.guard("workflows:secrets"),
      schema: { tags: ["workflows"], summary: "Delete a workflow secret", params: ZName },
    },
    async (request, reply) => {
      const principal = context.principalOf(request);
      await deps.secrets.delete(principal.tenantId, request.params.name, {
        actor: principal.actor,
        requestId: request.id,
      });
      return reply.status(204).send();
    },
  );
}
