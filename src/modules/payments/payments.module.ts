import { fileURLToPath } from "node:url";
import type { FieldCipher } from "../../platform/crypto/field.cipher.ts";
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
  /** Encrypts gateway secrets at rest (the platform's field cipher); without it they are stored as given. */
  cipher?: FieldCipher;
  /** Gateway API endpoints: the providers' by default, local servers in tests. */
  gateways?: GatewayEndpoints;
}

function depsOf(context: ModuleContext, options: PaymentsModuleOptions): PaymentsDeps {
  return {
    db: context.database.app,
    events: context.events,
    now: () => context.now(),
    ...(options.cipher ? { cipher: options.cipher } : {}),
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

/** The payments module as the composition root wires it by default. */
export const paymentsModule: ModuleDefinition = createPaymentsModule();
