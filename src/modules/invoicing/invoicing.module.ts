import { fileURLToPath } from "node:url";
import type { EventConsumer } from "../../platform/events/event-bus.port.ts";
import type { ModuleContext, ModuleDefinition } from "../../platform/modules/module.contract.ts";
import { INVOICING_EVENT_SCHEMAS } from "./invoice.events.ts";
import { INVOICE_LIST_CACHE_TAG, registerInvoiceRoutes } from "./invoice.routes.ts";
import { invoicingActions } from "./invoicing.actions.ts";
import { createInvoicingServices } from "./invoicing.services.ts";
import { createInvoiceImportConsumer } from "./invoice-import.consumer.ts";
import { createPaymentSettlementConsumer } from "./payment-settlement.consumer.ts";

/** The invoicing module (module 1) as the composition root wires it. */
export const invoicingModule: ModuleDefinition = {
  name: "invoicing",
  migrationsDirectory: fileURLToPath(new URL("./migrations/", import.meta.url)),
  events: { ...INVOICING_EVENT_SCHEMAS },
  actions: (context) => invoicingActions(context),
  routes: (app, context) => registerInvoiceRoutes(app, context),
  // Every invoicing event changes an invoice (or a note on one): cached lists and that invoice are stale.
  cacheInvalidation: (change) =>
    change.type in INVOICING_EVENT_SCHEMAS
      ? [INVOICE_LIST_CACHE_TAG, ...(change.subject ? [`invoice:${change.subject}`] : [])]
      : [],
};

/**
 * The bus consumers of the invoicing module: `invoicing-settlements` applies payments' allocations, reversals and
 * undone allocations to invoices; `invoicing-imports` records imported invoices and credit notes as issued.
 */
export function createInvoicingConsumers(context: ModuleContext): EventConsumer[] {
  const services = createInvoicingServices({
    db: context.database.app,
    events: context.events,
    now: () => context.now(),
  });
  return [
    createPaymentSettlementConsumer({ settlements: services.settlements, logger: context.logger }),
    createInvoiceImportConsumer({
      deps: { db: context.database.app, events: context.events, now: () => context.now() },
      services,
      logger: context.logger,
    }),
  ];
}
