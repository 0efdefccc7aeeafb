import { ActionCatalog } from "../platform/actions/action-catalog.ts";
import { customersModule } from "../modules/customers/index.ts";
import { invoicingModule } from "../modules/invoicing/index.ts";
import { integrationsModule } from "../modules/integrations/index.ts";
import { createPaymentsModule } from "../modules/payments/index.ts";
import type { FieldCipher } from "../platform/crypto/field.cipher.ts";
import { EventTypeRegistry } from "../platform/events/event-outbox.ts";
import type { ModuleContext, ModuleDefinition } from "../platform/modules/module.contract.ts";

/**
 * Every domain module this build ships (their migration folders are listed in migration-sources.ts). The
 * payments module gets the platform's field cipher so gateway secrets are encrypted at rest.
 */
export function buildModules(options: { cipher?: FieldCipher } = {}): ModuleDefinition[] {
  return [
    customersModule,
    invoicingModule,
    createPaymentsModule(options.cipher ? { cipher: options.cipher } : {}),
    integrationsModule,
  ];
}

/** The event types every module publishes, with their payload schemas. */
export function buildEventRegistry(modules: ModuleDefinition[]): EventTypeRegistry {
  const registry = new EventTypeRegistry();
  for (const module of modules) {
    for (const [type, schema] of Object.entries(module.events)) registry.register(type, schema);
  }
  return registry;
}

/** The action catalog: every module's actions, for the gateway (workflows) and the discovery API. */
export function buildActionCatalog(context: ModuleContext, modules: ModuleDefinition[]): ActionCatalog {
  const catalog = new ActionCatalog();
  for (const module of modules) catalog.registerModule(module.actions(context));
  return catalog;
}
