import { fileURLToPath } from "node:url";
import type { ModuleDefinition } from "../../platform/modules/module.contract.ts";
import { INVOICING_EVENT_SCHEMAS } from "./invoice.events.ts";
import { registerInvoiceRoutes } from "./invoice.routes.ts";
import { invoicingActions } from "./invoicing.actions.ts";

/** The invoicing module (module 1) as the composition root wires it. */
export const invoicingModule: ModuleDefinition = {
  name: "invoicing",
  migrationsDirectory: fileURLToPath(new URL("./migrations/", import.meta.url)),
  events: { ...INVOICING_EVENT_SCHEMAS },
  actions: (context) => invoicingActions(context),
  routes: (app, context) => registerInvoiceRoutes(app, context),
};
