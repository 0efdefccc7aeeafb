import { z } from "zod";
import type { HttpServer } from "../../platform/http/server.ts";
import type { RouteContext } from "../../platform/modules/module.contract.ts";
import type { WorkflowSettingsStore } from "../durable/workflow-settings.store.ts";

const ZSettings = z.object({ timeZone: z.string() });

/** The business's workflow settings: the time zone its cron schedules are read in. */
export function registerWorkflowSettingsRoutes(
  app: HttpServer,
  deps: { settings: WorkflowSettingsStore },
  context: RouteContext,
): void {
  app.get(
    "/api/v1/workflows/settings",
    {
      preHandler: context.guard("workflows:read"),
      schema: { tags: ["workflows"], summary: "Workflow settings", response: { 200: ZSettings } },
    },
    async (request) => deps.settings.get(context.principalOf(request).tenantId),
  );

  app.put(
    "/api/v1/workflows/settings",
    {
      preHandler: context.guard("settings:manage"),
      schema: {
        tags: ["workflows"],
        summary: "Change the time zone cron schedules are read in (IANA name, default Asia/Kolkata)",
        body: z.object({ timeZone: z.string().min(1).max(64) }),
        response: { 200: ZSettings },
      },
    },
    async (request) =>
      deps.settings.setTimeZone(context.principalOf(request).tenantId, request.body.timeZone),
  );
}
