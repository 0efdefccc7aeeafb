import { z } from "zod";
import {
  defineAction,
  type ActionPolicy,
  type ModuleRegistration,
} from "../../platform/actions/action-catalog.ts";
import { metaOf } from "../../platform/audit/command-actor.ts";
import { ZImportStatementResult } from "./bank-statement.service.ts";
import { ZForm26asImportResult, ZForm26asReportView } from "./form26as.service.ts";
import { ZCreateLinkResult, ZPaymentLinkView } from "./payment-link.service.ts";
import {
  PAYMENTS_PERMISSIONS,
  ZAllocateInput,
  ZApplyProposalInput,
  ZCreateLinkInput,
  ZId,
  ZImport26asInput,
  ZImportStatementInput,
  ZRecordPaymentInput,
  ZReconcile26asInput,
  ZRegisterPayerInput,
  ZRegisterReceivableInput,
  ZReversePaymentInput,
  ZRunMatchingInput,
  ZUndoAllocationInput,
} from "./payments.schemas.ts";
import type { PaymentsServices } from "./payments.services.ts";
import {
  ZAllocateResult,
  ZCustomerCreditView,
  ZPayerProfileView,
  ZPaymentDetailView,
  ZRecordPaymentResult,
  ZRegisterReceivableResult,
  ZReverseResult,
  ZUndoAllocationResult,
  ZTdsPositionView,
} from "./payments.views.ts";
import { ZDecisionResult, ZRunMatchingResult } from "./reconciliation.service.ts";

/**
 * Defaults for every payments action: database work, bounded. Commands that change money are not retried by
 * the gateway (a timed-out attempt may have committed); callers retry them with the same idempotency key, which
 * returns the first answer. Queries and naturally repeatable commands retry.
 */
export const PAYMENTS_ACTION_POLICY: Partial<ActionPolicy> = {
  timeoutMs: 10_000,
  retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 1_000 },
};

const ONCE: Partial<ActionPolicy> = { retry: { maxAttempts: 1 } };
const LONG_ONCE: Partial<ActionPolicy> = { timeoutMs: 120_000, retry: { maxAttempts: 1 } };

/** The payments module's actions, for workflows through the gateway. */
export function paymentsActions(services: PaymentsServices): ModuleRegistration {
  const { payments, links, statements, reconciliation, form26as } = services;
  const module = "payments";
  return {
    module,
    policy: PAYMENTS_ACTION_POLICY,
    actions: [
      defineAction({
        module,
        name: "register-receivable",
        kind: "command",
        description:
          "Adds or updates payments' copy of an invoice (number, customer, dates, total, taxable value); what is open is kept.",
        permission: PAYMENTS_PERMISSIONS.write,
        input: ZRegisterReceivableInput,
        output: ZRegisterReceivableResult,
        handler: (input, ctx) => payments.registerReceivable(metaOf(ctx), input),
      }),
      defineAction({
        module,
        name: "register-payer",
        kind: "command",
        description:
          "What recognises a customer's money: names, UPI addresses, accounts, TDS profile with TAN.",
        permission: PAYMENTS_PERMISSIONS.write,
        input: ZRegisterPayerInput,
        output: ZPayerProfileView,
        handler: (input, ctx) => payments.registerPayer(metaOf(ctx), input),
      }),
      defineAction({
        module,
        name: "record",
        kind: "command",
        description:
          "Records a receipt (UPI, NEFT, RTGS, IMPS, cheque, cash, card); optionally allocates it at once.",
        permission: PAYMENTS_PERMISSIONS.write,
        policy: ONCE,
        input: ZRecordPaymentInput,
        output: ZRecordPaymentResult,
        handler: (input, ctx) => payments.record(metaOf(ctx), input),
      }),
      defineAction({
        module,
        name: "allocate",
        kind: "command",
        description:
          "Settles invoices from a receipt: cash, income-tax TDS, GST TDS and write-off per invoice; the rest stays as credit.",
        permission: PAYMENTS_PERMISSIONS.write,
        policy: ONCE,
        input: ZAllocateInput,
        output: ZAllocateResult,
        handler: (input, ctx) => payments.allocate(metaOf(ctx), input),
      }),
      defineAction({
        module,
        name: "reverse",
        kind: "command",
        description:
          "Reverses a receipt (bounced cheque, chargeback, refund, error): every invoice it settled reopens.",
        permission: PAYMENTS_PERMISSIONS.write,
        policy: ONCE,
        input: ZReversePaymentInput,
        output: ZReverseResult,
        handler: (input, ctx) => payments.reverse(metaOf(ctx), input),
      }),
      defineAction({
        module,
        name: "undo-allocation",
        kind: "command",
        description:
          "Undoes one allocation of a receipt: the invoice reopens, the cash returns to the customer's credit, its TDS entries are cancelled.",
        permission: PAYMENTS_PERMISSIONS.write,
        policy: ONCE,
        input: ZUndoAllocationInput,
        output: ZUndoAllocationResult,
        handler: (input, ctx) => payments.undoAllocation(metaOf(ctx), input),
      }),
      defineAction({
        module,
        name: "get",
        kind: "query",
        description: "A receipt with its allocations and their reversals.",
        permission: PAYMENTS_PERMISSIONS.read,
        input: z.object({ paymentId: ZId }),
        output: ZPaymentDetailView,
        handler: (input, ctx) => payments.get(ctx.tenantId, input.paymentId),
      }),
      defineAction({
        module,
        name: "customer-credit",
        kind: "query",
        description: "The customer's unallocated cash (overpayments, advances), per receipt.",
        permission: PAYMENTS_PERMISSIONS.read,
        input: z.object({ customerId: ZId }),
        output: ZCustomerCreditView,
        handler: (input, ctx) => payments.customerCredit(ctx.tenantId, input.customerId),
      }),
      defineAction({
        module,
        name: "customer-tds-position",
        kind: "query",
        description:
          "TDS the customer deducted per kind, section, TAN and quarter, and what Form 26AS confirmed.",
        permission: PAYMENTS_PERMISSIONS.read,
        input: z.object({
          customerId: ZId,
          financialYear: z
            .string()
            .regex(/^\d{4}-\d{2}$/)
            .optional(),
        }),
        output: ZTdsPositionView,
        handler: (input, ctx) => payments.tdsPosition(ctx.tenantId, input),
      }),
      defineAction({
        module,
        name: "create-link",
        kind: "command",
        description:
          "A UPI link with its QR code, or a Razorpay / Cashfree payment link; the same key gives the same link.",
        permission: PAYMENTS_PERMISSIONS.write,
        policy: { timeoutMs: 30_000 },
        input: ZCreateLinkInput,
        output: ZCreateLinkResult,
        handler: (input, ctx) => links.create(metaOf(ctx), input),
      }),
      defineAction({
        module,
        name: "expire-link",
        kind: "command",
        description: "Ends an open payment link (cancelled at the gateway).",
        permission: PAYMENTS_PERMISSIONS.write,
        policy: { timeoutMs: 30_000, ...ONCE },
        input: z.object({ linkId: ZId }),
        output: ZPaymentLinkView,
        handler: (input, ctx) => links.expire(metaOf(ctx), input.linkId),
      }),
      defineAction({
        module,
        name: "import-statement",
        kind: "command",
        description:
          "Imports a bank statement (MT940, camt.05x, CSV with the account's saved mapping); lines seen before are skipped.",
        permission: PAYMENTS_PERMISSIONS.write,
        policy: { timeoutMs: 120_000 },
        input: ZImportStatementInput,
        output: ZImportStatementResult,
        handler: (input, ctx) => statements.importStatement(metaOf(ctx), input),
      }),
      defineAction({
        module,
        name: "run-matching",
        kind: "command",
        description:
          "Matches unmatched bank credits with open invoices, stores proposals and applies the safe ones above the threshold.",
        permission: PAYMENTS_PERMISSIONS.review,
        policy: LONG_ONCE,
        input: ZRunMatchingInput,
        output: ZRunMatchingResult,
        handler: (input, ctx) => reconciliation.runMatching(metaOf(ctx), input),
      }),
      defineAction({
        module,
        name: "apply-proposal",
        kind: "command",
        description:
          "A person's decision on a reconciliation proposal: accept (optionally changed), reject, or undo.",
        permission: PAYMENTS_PERMISSIONS.review,
        policy: ONCE,
        input: ZApplyProposalInput,
        output: ZDecisionResult,
        handler: (input, ctx) => reconciliation.decide(metaOf(ctx), input),
      }),
      defineAction({
        module,
        name: "import-26as",
        kind: "command",
        description:
          "Imports Form 26AS / AIS TDS credits with a saved column mapping: the whole file or nothing.",
        permission: PAYMENTS_PERMISSIONS.write,
        policy: { timeoutMs: 60_000 },
        input: ZImport26asInput,
        output: ZForm26asImportResult,
        handler: (input, ctx) => form26as.importCredits(metaOf(ctx), input),
      }),
      defineAction({
        module,
        name: "reconcile-26as",
        kind: "command",
        description:
          "Reconciles the TDS-receivable ledger with Form 26AS per quarter and announces overdue gaps (tds.credit-missing).",
        permission: PAYMENTS_PERMISSIONS.write,
        policy: { timeoutMs: 60_000 },
        input: ZReconcile26asInput,
        output: ZForm26asReportView,
        handler: (input, ctx) => form26as.reconcile(metaOf(ctx), input),
      }),
    ],
  };
}
