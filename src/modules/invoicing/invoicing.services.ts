import { createDocumentService } from "./invoice-documents.service.ts";
import { createDueService } from "./invoice-due.service.ts";
import { createSettlementService } from "./invoice-settlement.service.ts";
import { createInvoiceService } from "./invoice.service.ts";
import { createUnitOfWork, type InvoicingDeps } from "./invoicing.unit-of-work.ts";

/** Every invoicing service over one set of dependencies. */
export function createInvoicingServices(deps: InvoicingDeps) {
  const unitOfWork = createUnitOfWork(deps);
  return {
    invoices: createInvoiceService(deps, unitOfWork),
    settlements: createSettlementService(deps, unitOfWork),
    due: createDueService(deps, unitOfWork),
    documents: createDocumentService(deps, unitOfWork),
  };
}

export type InvoicingServices = ReturnType<typeof createInvoicingServices>;
