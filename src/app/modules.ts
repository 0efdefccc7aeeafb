import { ActionCatalog } from "../platform/actions/action-catalog.ts";
import { customersModule } from "../modules/customers/index.ts";
import { invoicingModule } from "../modules/invoicing/index.ts";
import { EventTypeRegistry } from "../platform/events/event-outbox.ts";
import type { ModuleContext, ModuleDefinition } from "../platform/modules/module.contract.ts";

/** Every domain module this build ships. Their migration folders are listed in migration-sources.ts. */
export const MODULES: ModuleDefinition[] = [customersModule, invoicingModule];

/** The event types every module publishes, with their payload schemas. */
export function buildEventRegistry(modules: ModuleDefinition[] = MODULES): EventTypeRegistry {
  const registry = new EventTypeRegistry();
  for (const module of modules) {
    for (const [type, schema] of Object.entries(module.events)) registry.register(type, schema);
  }
  return registry;
}

/** The action catalog: every module's actions, for the gateway (workflows) and the discovery API. */
export function buildActionCatalog(
  context: ModuleContext,
  modules: ModuleDefinition[] = MODULES,
): ActionCatalog {
  const catalog = new ActionCatalog();
  for (const module of modules) catalog.registerModule(module.actions(context));
  return catalog;
}
