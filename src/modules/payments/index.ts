// Public surface of the payments module: receipts, settlement with TDS, payment links, webhooks, bank statements,
// reconciliation matching and Form 26AS. Everything is pure domain logic except the gateway adapters (HTTP).

export {
  ZPaise,
  ZPositivePaise,
  ZNonNegativePaise,
  ZIsoDate,
  PAYMENT_METHODS,
  ZPaymentMethod,
  REFERENCE_PATTERNS,
  VPA_PATTERN,
  IFSC_PATTERN,
  CASH_RECEIPT_LIMIT_PAISE,
  CHEQUE_VALIDITY_MONTHS,
  ZPayer,
  ZCheque,
  ZPayment,
  isValidVpa,
  isValidReference,
  normaliseReference,
  describeReferenceFormat,
  parsePayment,
} from "./payment.schema.ts";
export type { PaymentMethod, Payer, Payment, PaymentInput } from "./payment.schema.ts";

export {
  DATE_LAYOUTS,
  readDate,
  financialYearOf,
  tdsQuarterOf,
  tdsReturnDueDate,
  istDateOf,
} from "./calendar-date.ts";
export type { IsoDate, TdsQuarter, DateLayout } from "./calendar-date.ts";

export { formatInr, paiseToDecimal } from "./amounts.ts";
export { currencyExponent, decimalToMinor } from "./currency.ts";

export {
  TDS_SECTIONS,
  TDS_RATES,
  NO_PAN_RATES,
  SECTION_NATURES,
  COMMON_TDS_BASIS_POINTS,
  KNOWN_TDS_SECTION_CODES,
  normaliseSectionCode,
} from "./tds-rates.data.ts";
export type { TdsSection, TdsNature, PayeeKind, TdsRate, NoPanRate } from "./tds-rates.data.ts";

export {
  GST_TDS_THRESHOLD_PAISE,
  findTdsRate,
  findNoPanRate,
  effectiveTdsBasisPoints,
  payeeKindFromPan,
  acceptedTdsAmounts,
  isAcceptedTdsAmount,
  computeIncomeTaxTds,
  computeGstTds,
  computeExpectedReceipt,
} from "./tds.calculator.ts";
export type {
  TdsBase,
  TdsProfile,
  FindTdsRateOptions,
  IncomeTaxTdsInput,
  IncomeTaxTds,
  GstTds,
} from "./tds.calculator.ts";

export {
  makeTdsReceivableEntry,
  reverseTdsReceivableEntry,
  summariseTdsReceivable,
} from "./tds-receivable.ledger.ts";
export type { TdsReceivableEntry, TdsReceivableBalance } from "./tds-receivable.ledger.ts";

export {
  ZShortPaymentTolerance,
  DEFAULT_SHORT_PAYMENT_TOLERANCE,
  parseShortPaymentTolerance,
  shortPaymentAllowance,
  assessShortPayment,
} from "./short-payment.policy.ts";
export type { ShortPaymentTolerance, ShortPaymentOutcome } from "./short-payment.policy.ts";

export {
  planAllocation,
  proposeAllocationLines,
  applyAllocation,
  reverseReceipt,
  unapplyAllocation,
} from "./allocation.planner.ts";
export type {
  ReceiptBalance,
  InvoiceBalance,
  AllocationRequestLine,
  PlannedAllocationLine,
  AllocationPlan,
  Allocation,
  ExpectedDeductions,
  ReversalReason,
} from "./allocation.planner.ts";

export {
  PAYMENT_EVENT_TYPES,
  RECEIPT_CHANNELS,
  ZReceiptChannel,
  ZPaymentReceivedPayload,
  ZAllocationPart,
  ZPaymentAllocatedPayload,
  ZPaymentReversedPayload,
  ZPaymentAllocationUndonePayload,
  ZTdsCreditMissingPayload,
  ZPaymentEvent,
  parsePaymentEvent,
  toJsonSafe,
} from "./payment.events.ts";
export type {
  PaymentEventType,
  ReceiptChannel,
  PaymentReceivedPayload,
  PaymentAllocatedPayload,
  PaymentReversedPayload,
  PaymentAllocationUndonePayload,
  TdsCreditMissingPayload,
  PaymentEvent,
} from "./payment.events.ts";

export {
  TAN_PATTERN,
  BOOKING_STATUSES,
  ZForm26asMapping,
  TRACES_26AS_MAPPING,
  parseForm26asCsv,
} from "./form26as.parser.ts";
export type { BookingStatus, Form26asMapping, Form26asCredit } from "./form26as.parser.ts";
export { reconcileForm26as, describeForm26asReport } from "./form26as.reconciler.ts";
export type {
  DeductorProfile,
  ClaimGroup,
  CreditGroup,
  Form26asMatch,
  QuarterReport,
  Form26asReconciliation,
} from "./form26as.reconciler.ts";

export { ZUpiLinkRequest, encodeUpiValue, buildUpiLink, parseUpiLink } from "./upi-link.ts";
export type { UpiLinkRequest, ParsedUpiLink } from "./upi-link.ts";
export { renderUpiQr, readQrPayload } from "./upi-qr.ts";
export type { UpiQrFormat } from "./upi-qr.ts";

export { ZCreatePaymentLinkRequest, validatePaymentLinkRequest } from "./payment-gateway.port.ts";
export type {
  GatewayProvider,
  CreatePaymentLinkRequest,
  PaymentLinkStatus,
  PaymentLink,
  PaymentGateway,
} from "./payment-gateway.port.ts";
export type { FetchLike } from "./gateway-http.ts";
export { createRazorpayGateway } from "./razorpay.gateway.ts";
export type { RazorpayGatewayOptions } from "./razorpay.gateway.ts";
export { createCashfreeGateway, toIstIso } from "./cashfree.gateway.ts";
export type { CashfreeGatewayOptions } from "./cashfree.gateway.ts";

export {
  createInMemoryReplayGuard,
  verifyRazorpaySignature,
  verifyRazorpayPaymentSignature,
  verifyRazorpaySubscriptionSignature,
  verifyRazorpayPaymentLinkSignature,
  verifyCashfreeSignature,
  verifyRazorpayWebhook,
  verifyCashfreeWebhook,
} from "./webhook.verifier.ts";
export type { WebhookReplayGuard, VerifiedWebhook } from "./webhook.verifier.ts";
export { normaliseGatewayPayment } from "./webhook.normaliser.ts";

export { parseMt940, parseStructuredDetails, mt940BalanceGap } from "./mt940.parser.ts";
export type {
  Mt940Mark,
  Mt940Balance,
  Mt940StructuredDetails,
  Mt940Line,
  Mt940Statement,
} from "./mt940.parser.ts";
export { parseCamt } from "./camt.parser.ts";
export type {
  CamtMessageType,
  CreditDebit,
  CamtAddress,
  CamtParty,
  CamtAgent,
  CamtBankTransactionCode,
  CamtReferences,
  CamtStructuredRemittance,
  CamtTransactionDetail,
  CamtDate,
  CamtEntry,
  CamtBalance,
  CamtStatement,
  CamtMessage,
} from "./camt.parser.ts";
export { ZBankCsvAmount, ZBankCsvMapping, INDIAN_BANK_CSV_PRESETS, parseBankCsv } from "./bank-csv.parser.ts";
export type { BankCsvMapping } from "./bank-csv.parser.ts";
export { parseIndianNarration } from "./bank-narration.parser.ts";
export type { PaymentChannel, NarrationFacts } from "./bank-narration.parser.ts";
export {
  fingerprintStatementLines,
  mt940ToStatementLines,
  camtToStatementLines,
  findAlreadyImported,
  toReconciliationLines,
} from "./statement-line.ts";
export type { BankStatementLine, UnfingerprintedLine } from "./statement-line.ts";

export { invoiceNumberRuns, invoiceNumberKeys, mentionsInvoiceNumber } from "./invoice-number.ts";
export type { InvoiceNumberKeys } from "./invoice-number.ts";
export { partyNameTokens, nameSimilarity } from "./party-name.ts";
export {
  DEFAULT_MATCHER_SETTINGS,
  buildReconciliationIndex,
  matchReconciliation,
} from "./reconciliation.matcher.ts";
export type {
  MatchableInvoice,
  MatchableCustomer,
  ReconciliationLine,
  ExpectedReceipt,
  MatcherSettings,
  ProposedAllocation,
  ProposalFlag,
  ReconciliationProposal,
  LineMatch,
  ReconciliationResult,
  ReconciliationIndex,
} from "./reconciliation.matcher.ts";
export {
  DEFAULT_SCENARIO_MIX,
  generateReconciliationScenario,
  evaluateReconciliation,
} from "./reconciliation.scenario.ts";
export type {
  ScenarioGroup,
  ScenarioTruth,
  ReconciliationScenario,
  ScenarioMix,
  GroupMetrics,
  MetricGroup,
} from "./reconciliation.scenario.ts";

// The module as the composition root wires it: tables, events, actions and routes.
export { paymentsModule, createPaymentsModule, createPaymentsConsumers } from "./payments.module.ts";
export {
  INVOICE_EVENT_TYPES,
  INVOICE_EVENTS_ACTOR,
  createInvoiceEventsService,
  createReceivablesConsumer,
} from "./invoice-events.consumer.ts";
export type {
  InvoiceEventOutcome,
  InvoiceEventsService,
  InvoiceEventType,
} from "./invoice-events.consumer.ts";
export type { PaymentsModuleOptions } from "./payments.module.ts";
export {
  IMPORT_EVENT_TYPES_FOR_PAYMENTS,
  PAYMENT_IMPORTS_ACTOR,
  createPaymentImportConsumer,
  createPaymentImportService,
} from "./import-events.consumer.ts";
export type { PaymentImportOutcome, PaymentImportService } from "./import-events.consumer.ts";
// Account numbers at rest: encrypted with the field cipher, found by blind index; re-encryption after a rotation.
export { normaliseAccountNumber } from "./account-protection.ts";
export type { AccountProtection } from "./account-protection.ts";
export { reencryptPaymentAccounts } from "./account-reencryption.ts";
export type { PaymentsReencryption } from "./account-reencryption.ts";
export { PAYMENT_EVENT_SCHEMAS } from "./payment.events.ts";
export { PAYMENTS_PERMISSIONS } from "./payments.schemas.ts";
export { PAYMENTS_ACTION_POLICY, paymentsActions } from "./payments.actions.ts";
export { createPaymentsServices } from "./payments.services.ts";
export type { PaymentsServices } from "./payments.services.ts";
export type { PaymentsDeps, GatewayEndpoints } from "./payments.unit-of-work.ts";
export { runReconciliationBenchmark } from "./reconciliation.bench-support.ts";
