import { fileURLToPath } from "node:url";
import type { ModuleContext, ModuleDefinition } from "../../platform/modules/module.contract.ts";
import { IMPORT_EVENT_SCHEMAS } from "./import.events.ts";
import { registerImportRoutes } from "./import.routes.ts";
import { createImportService, type ImportService } from "./import.service.ts";
import { integrationsActions } from "./integrations.actions.ts";

function serviceOf(context: ModuleContext): ImportService {
  return createImportService({ db: context.database.app, events: context.events, now: () => context.now() });
}

/** The integrations module (module 9) as the composition root wires it. */
export const integrationsModule: ModuleDefinition = {
  name: "integrations",
  migrationsDirectory: fileURLToPath(new URL("./migrations/", import.meta.url)),
  events: { ...IMPORT_EVENT_SCHEMAS },
  actions: (context) => integrationsActions(serviceOf(context)),
  routes: (app, context) => registerImportRoutes(app, context, serviceOf(context)),
};
