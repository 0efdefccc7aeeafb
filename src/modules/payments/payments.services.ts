import { createBankStatementService, type BankStatementService } from "./bank-statement.service.ts";
import { createForm26asService, type Form26asService } from "./form26as.service.ts";
import { createPaymentLinkService, type PaymentLinkService } from "./payment-link.service.ts";
import { createPaymentSettingsService, type PaymentSettingsService } from "./payment-settings.service.ts";
import { createInvoiceEventsService, type InvoiceEventsService } from "./invoice-events.consumer.ts";
import { createPaymentService, type PaymentService } from "./payment.service.ts";
import { createUnitOfWork, type PaymentsDeps } from "./payments.unit-of-work.ts";
import { createReconciliationService, type ReconciliationService } from "./reconciliation.service.ts";
import { createWebhookService, type WebhookService } from "./webhook.service.ts";

/** Every payments service over one set of dependencies. */
export interface PaymentsServices {
  payments: PaymentService;
  settings: PaymentSettingsService;
  statements: BankStatementService;
  reconciliation: ReconciliationService;
  form26as: Form26asService;
  links: PaymentLinkService;
  webhooks: WebhookService;
  /** Receivables kept in step with invoicing's events. */
  invoiceEvents: InvoiceEventsService;
}

export function createPaymentsServices(deps: PaymentsDeps): PaymentsServices {
  const unitOfWork = createUnitOfWork(deps);
  const payments = createPaymentService(deps, unitOfWork);
  return {
    payments,
    settings: createPaymentSettingsService(deps, unitOfWork),
    statements: createBankStatementService(deps, unitOfWork),
    reconciliation: createReconciliationService(deps, unitOfWork, payments),
    form26as: createForm26asService(deps, unitOfWork),
    links: createPaymentLinkService(deps, unitOfWork),
    webhooks: createWebhookService(deps, unitOfWork, payments),
    invoiceEvents: createInvoiceEventsService(deps, payments, unitOfWork),
  };
}
