import { ActionCatalog } from "../platform/actions/action-catalog.ts";
import { createCustomersConsumers, createCustomersModule } from "../modules/customers/index.ts";
import { createInvoicingConsumers, invoicingModule } from "../modules/invoicing/index.ts";
import { integrationsModule } from "../modules/integrations/index.ts";
import { createPaymentsConsumers, createPaymentsModule } from "../modules/payments/index.ts";
import type { BlindIndex } from "../platform/crypto/blind.index.ts";
import type { FieldCipher } from "../platform/crypto/field.cipher.ts";
import type { EventConsumer } from "../platform/events/event-bus.port.ts";
import { EventTypeRegistry } from "../platform/events/event-outbox.ts";
import type { ModuleContext, ModuleDefinition } from "../platform/modules/module.contract.ts";

/**
 * Every domain module this build ships (their migration folders are listed in migration-sources.ts). The
 * payments module gets the platform's field cipher and blind index (gateway secrets, bank account numbers and
 * stored command answers encrypted at rest, account numbers found by blind index); customers gets the cipher and
 * the blind index, for contact e-mail addresses and numbers.
 */
export function buildModules(options: { cipher: FieldCipher; blindIndex: BlindIndex }): ModuleDefinition[] {
  return [
    createCustomersModule({ protection: { cipher: options.cipher, blindIndex: options.blindIndex } }),
    invoicingModule,
    createPaymentsModule({ cipher: options.cipher, blindIndex: options.blindIndex }),
    integrationsModule,
  ];
}

/**
 * The modules' durable bus consumers: payments keeps its receivables in step with invoicing's events
 * (`payments-receivables`), invoicing applies payments' allocations and their reversals (`invoicing-settlements`).
 * Imports: customers turns imported customers into customers (`customers-imports`, needs the cipher and blind
 * index), invoicing records imported invoices and credit notes as issued (`invoicing-imports`), payments records
 * imported receipts (`payments-imports`).
 */
export function buildModuleConsumers(
  context: ModuleContext,
  options: { cipher?: FieldCipher; blindIndex?: BlindIndex } = {},
): EventConsumer[] {
  return [
    ...createPaymentsConsumers(context, {
      ...(options.cipher ? { cipher: options.cipher } : {}),
      ...(options.blindIndex ? { blindIndex: options.blindIndex } : {}),
    }),
    ...createInvoicingConsumers(context),
    // Customers needs the cipher and blind index for contacts; without them imported customers wait in the outbox.
    ...(options.cipher && options.blindIndex
      ? createCustomersConsumers(context, {
          protection: { cipher: options.cipher, blindIndex: options.blindIndex },
        })
      : []),
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
