import { fileURLToPath } from "node:url";
import type { EventConsumer } from "../../platform/events/event-bus.port.ts";
import type { ModuleContext, ModuleDefinition } from "../../platform/modules/module.contract.ts";
import type { ContactProtection } from "./contact-protection.ts";
import { CUSTOMER_IMPORT_EVENT_SCHEMAS, createCustomerImportConsumer } from "./customer-import.consumer.ts";
import { CUSTOMER_EVENT_SCHEMAS } from "./customer.events.ts";
import { registerCustomerRoutes } from "./customer.routes.ts";
import { createCustomerService } from "./customer.service.ts";
import { customersActions } from "./customers.actions.ts";

export interface CustomersModuleOptions {
  /** The platform's field cipher and blind index: contact e-mail addresses and numbers are encrypted at rest. */
  protection: ContactProtection;
}

/** The customers module (module 6) as the composition root wires it. */
export function createCustomersModule(options: CustomersModuleOptions): ModuleDefinition {
  return {
    name: "customers",
    migrationsDirectory: fileURLToPath(new URL("./migrations/", import.meta.url)),
    events: { ...CUSTOMER_EVENT_SCHEMAS, ...CUSTOMER_IMPORT_EVENT_SCHEMAS },
    actions: (context) =>
      customersActions(
        context,
        createCustomerService({
          db: context.database.app,
          events: context.events,
          now: () => context.now(),
          protection: options.protection,
        }),
      ),
    routes: (app, context) =>
      registerCustomerRoutes(
        app,
        context,
        createCustomerService({
          db: context.database.app,
          events: context.events,
          now: () => context.now(),
          protection: options.protection,
        }),
      ),
  };
}

/**
 * The bus consumers of the customers module: `customers-imports` turns imported customer records into customers
 * and announces each link as `customer.import-linked`.
 */
export function createCustomersConsumers(
  context: ModuleContext,
  options: CustomersModuleOptions,
): EventConsumer[] {
  const deps = {
    db: context.database.app,
    events: context.events,
    now: () => context.now(),
  };
  return [
    createCustomerImportConsumer({
      ...deps,
      customers: createCustomerService({ ...deps, protection: options.protection }),
      logger: context.logger,
    }),
  ];
}
