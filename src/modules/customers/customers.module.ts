import { fileURLToPath } from "node:url";
import type { ModuleDefinition } from "../../platform/modules/module.contract.ts";
import { CUSTOMER_EVENT_SCHEMAS } from "./customer.events.ts";
import { registerCustomerRoutes } from "./customer.routes.ts";
import { customersActions } from "./customers.actions.ts";

/** The customers module (module 6) as the composition root wires it. */
export const customersModule: ModuleDefinition = {
  name: "customers",
  migrationsDirectory: fileURLToPath(new URL("./migrations/", import.meta.url)),
  events: { ...CUSTOMER_EVENT_SCHEMAS },
  actions: (context) => customersActions(context),
  routes: (app, context) => registerCustomerRoutes(app, context),
};
