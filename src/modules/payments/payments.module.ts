import { fileURLToPath } from "node:url";
import type { BlindIndex } from "../../platform/crypto/blind.index.ts";
import type { FieldCipher } from "../../platform/crypto/field.cipher.ts";
import type { EventConsumer } from "../../platform/events/event-bus.port.ts";
import { createReceivablesConsumer } from "./invoice-events.consumer.ts";
import { createPaymentImportConsumer, createPaymentImportService } from "./import-events.consumer.ts";
import type { ModuleContext, ModuleDefinition } from "../../platform/modules/module.contract.ts";
import { registerPaymentLinkRoutes } from "./payment-link.routes.ts";
import { PAYMENT_EVENT_SCHEMAS } from "./payment.events.ts";
import { paymentsActions } from "./payments.actions.ts";
import { registerPaymentRoutes } from "./payments.routes.ts";
import { createPaymentsServices } from "./payments.services.ts";
import type { GatewayEndpoints, PaymentsDeps } from "./payments.unit-of-work.ts";
import { registerReconciliationRoutes } from "./reconciliation.routes.ts";
import { registerTdsRoutes } from "./tds.routes.ts";
import { registerWebhookRoutes } from "./webhook.routes.ts";

export interface PaymentsModuleOptions {
  /**
   * The platform's field cipher: encrypts gateway secrets, account numbers and stored command answers at rest.
   * Without it gateway secrets are stored as given and account numbers cannot be written.
   */
  cipher?: FieldCipher;
  /** The platform's blind index: account numbers are found by equality through it (needed with the cipher). */
  blindIndex?: BlindIndex;
  /** Gateway API endpoints: the providers' by default, local servers in tests. */
  gateways?: GatewayEndpoints;
}

function depsOf(context: ModuleContext, options: PaymentsModuleOptions): PaymentsDeps {
  return {
    db: context.database.app,
    events: context.events,
    now: () => context.now(),
    ...(options.cipher ? { cipher: options.cipher } : {}),
    ...(options.blindIndex ? { blindIndex: options.blindIndex } : {}),
    ...(options.gateways ? { gateways: options.gateways } : {}),
  };
}

/** The payments module (module 3) with the given options. */
export function createPaymentsModule(options: PaymentsModuleOptions = {}): ModuleDefinition {
  return {
    name: "payments",
    migrationsDirectory: fileURLToPath(new URL("./migrations/", import.meta.url)),
    events: { ...PAYMENT_EVENT_SCHEMAS },
    actions: (context) => paymentsActions(createPaymentsServices(depsOf(context, options))),
    routes: (app, context) => {
      const services = createPaymentsServices(depsOf(context, options));
      registerPaymentRoutes(app, context, services);
      registerReconciliationRoutes(app, context, services);
      registerTdsRoutes(app, context, services);
      registerPaymentLinkRoutes(app, context, services);
      registerWebhookRoutes(app, services);
    },
  };
}

/**
 * The bus consumers of the payments module: `payments-receivables` keeps receivables in step with invoicing's
 * events (issued invoices, credit and debit notes, cancellations); `payments-imports` records imported receipts.
 */
export function createPaymentsConsumers(
  context: ModuleContext,
  options: PaymentsModuleOptions = {},
): EventConsumer[] {
  const services = createPaymentsServices(depsOf(context, options));
  const deps = depsOf(context, options);
  return [
    createReceivablesConsumer({ service: services.invoiceEvents, logger: context.logger }),
    createPaymentImportConsumer({
      service: createPaymentImportService(deps, services.payments, undefined, context.logger),
    }),
  ];
}

/** The payments module as the composition root wires it by default. */
export const paymentsModule: ModuleDefinition = createPaymentsModule();
