/** Public surface of the invoicing module (module 1). */
export {
  CANCELLATION_REASONS,
  INVOICE_STATUSES,
  NOTE_REASONS,
  SUPPLY_TYPES,
  ZAmountPaise,
  ZBuyer,
  ZCalendarDate,
  ZDocumentAmounts,
  ZDocumentNumber,
  ZEinvoiceReference,
  ZExportDetails,
  ZGstinText,
  ZHsnSac,
  ZInvoice,
  ZInvoiceAddress,
  ZInvoiceLine,
  ZLineAmounts,
  ZNote,
  ZPaise,
  ZPaymentTerms,
  ZQuantity,
  ZSettlement,
  ZStateCode,
  ZSupplier,
  ZUnitCode,
} from "./invoice.schemas.ts";
export type {
  Buyer,
  CancellationReason,
  DocumentAmounts,
  EinvoiceReference,
  ExportDetails,
  Invoice,
  InvoiceAddress,
  InvoiceInput,
  InvoiceLine,
  InvoiceLineInput,
  InvoiceStatus,
  LineAmounts,
  Note,
  NoteInput,
  NoteReason,
  PaymentTerms,
  Settlement,
  Supplier,
  SupplyType,
} from "./invoice.schemas.ts";
export { parseInvoice, parseNote } from "./invoice.parser.ts";

export { financialYearOf, formatDayMonthYear, isCalendarDate, parseCalendarDate } from "./calendar-date.ts";
export type { CalendarDate } from "./calendar-date.ts";
export { formatQuantity, multiplyByQuantity, normalizeQuantity, quantityToThousandths } from "./quantity.ts";
export type { QuantityText } from "./quantity.ts";
export { UNIT_QUANTITY_CODES, isUnitQuantityCode } from "./unit-codes.data.ts";

export {
  EINVOICE_THRESHOLDS,
  GST_RATE_REFORM_DATE,
  GST_RATE_SLABS,
  GST_START_DATE,
  HSN_DIGIT_RULES,
  einvoiceThresholdOn,
  gstRatesOn,
  requiredHsnDigits,
} from "./gst-rates.data.ts";
export type { EinvoiceThreshold, GstRateSlab, HsnDigitRule } from "./gst-rates.data.ts";
export { checkGstRate, formatRate } from "./gst-rate.validator.ts";
export type { GstRateCheck } from "./gst-rate.validator.ts";
export { determineTaxRegime } from "./tax-regime.ts";
export type { TaxRegime } from "./tax-regime.ts";
export {
  apportionByLargestRemainder,
  calculateDocumentTax,
  calculateInvoiceTax,
  isServiceLine,
  roundToNearestRupee,
  toDocumentAmounts,
} from "./tax.calculator.ts";
export type { DocumentTax, LineTax, RateSummary, TaxableDocument } from "./tax.calculator.ts";

export { calculateNote, creditNoteTaxDeadline } from "./note.calculator.ts";
export type { InvoiceBalance, NoteCalculation, RateBalance } from "./note.calculator.ts";
export { issueNote } from "./note.commands.ts";
export type { IssuedNote } from "./note.commands.ts";

export { ALLOWED_ACTIONS, applyInvoiceAction, nextInvoiceStatus } from "./invoice-status.machine.ts";
export type { InvoiceAction, InvoiceActionType, InvoiceTransition } from "./invoice-status.machine.ts";
export { calculateOutstanding } from "./settlement.ts";

export {
  MSMED_DEFAULT_DAYS,
  MSMED_MAX_AGREED_DAYS,
  calculateDueDates,
  checkInvoiceDueness,
  classifyDueness,
} from "./due-date.calculator.ts";
export type {
  DayCount,
  DueDates,
  Dueness,
  StatutoryBasis,
  StatutoryDueDate,
  SupplierMsmeProfile,
} from "./due-date.calculator.ts";

export { verifyInvoice } from "./invoice.verifier.ts";
export type {
  Finding,
  FindingSeverity,
  VerificationContext,
  VerificationReport,
  VerificationRule,
} from "./invoice.verifier.ts";
export {
  DEFAULT_DUPLICATE_WINDOW_DAYS,
  findLikelyDuplicateInvoices,
  summarizeInvoiceForDuplicates,
} from "./duplicate-invoice.detector.ts";
export type {
  DuplicateInvoiceMatch,
  DuplicateInvoiceReason,
  InvoiceFingerprint,
} from "./duplicate-invoice.detector.ts";

export {
  buildEinvoicePayload,
  buildNoteEinvoicePayload,
  paiseToRupees,
} from "./einvoice/einvoice.builder.ts";
export { validateEinvoicePayload } from "./einvoice/einvoice.validator.ts";
export type { EinvoiceValidationOptions, EinvoiceViolation } from "./einvoice/einvoice.validator.ts";
export { computeIrn } from "./einvoice/irn.ts";
export type { EinvoiceDocumentType } from "./einvoice/irn.ts";
export type {
  EinvoiceBuyer,
  EinvoiceItem,
  EinvoiceParty,
  EinvoicePayload,
} from "./einvoice/einvoice.types.ts";

export { amountInWords, numberToIndianWords } from "./amount-in-words.ts";
export type { WordsLanguage } from "./amount-in-words.ts";
export { renderInvoicePdf } from "./pdf/invoice-pdf.renderer.ts";
export type { InvoiceCopy, InvoicePdfFonts, RenderedInvoicePdf } from "./pdf/invoice-pdf.renderer.ts";
export { INVOICE_PDF_LABELS, STATE_NAMES_HI } from "./pdf/invoice-pdf.labels.ts";
export type { InvoicePdfLabels, InvoicePdfLanguage } from "./pdf/invoice-pdf.labels.ts";

export {
  INVOICING_EVENT_SCHEMAS,
  INVOICING_EVENT_TYPES,
  ZCreditNoteIssuedPayload,
  ZDebitNoteIssuedPayload,
  ZInvoiceCancelledPayload,
  ZInvoiceCreatedPayload,
  ZInvoiceDisputeResolvedPayload,
  ZInvoiceDisputedPayload,
  ZInvoiceDueSoonPayload,
  ZInvoiceIssuedPayload,
  ZInvoiceOverduePayload,
  ZInvoicePaidPayload,
  ZInvoicePartiallyPaidPayload,
  ZInvoiceSettlementReversedPayload,
  ZInvoiceUpdatedPayload,
  ZInvoiceWrittenOffPayload,
  ZPaiseText,
  toPaiseText,
} from "./invoice.events.ts";
export type {
  CreditNoteIssuedPayload,
  DebitNoteIssuedPayload,
  InvoiceCancelledPayload,
  InvoiceCreatedPayload,
  InvoiceDisputeResolvedPayload,
  InvoiceDisputedPayload,
  InvoiceDueSoonPayload,
  InvoiceIssuedPayload,
  InvoiceOverduePayload,
  InvoicePaidPayload,
  InvoicePartiallyPaidPayload,
  InvoiceSettlementReversedPayload,
  InvoiceUpdatedPayload,
  InvoiceWrittenOffPayload,
  InvoicingEvent,
  InvoicingEventType,
  PaiseText,
} from "./invoice.events.ts";

export { invoicingModule, createInvoicingConsumers } from "./invoicing.module.ts";
export {
  PAYMENT_EVENTS_ACTOR,
  PAYMENT_SETTLEMENT_EVENT_TYPES,
  createPaymentSettlementConsumer,
  createPaymentSettlementHandler,
} from "./payment-settlement.consumer.ts";
export type { SettlementOutcome } from "./payment-settlement.consumer.ts";
export {
  IMPORTED_SETTLEMENT_PREFIX,
  IMPORT_EVENT_TYPES_FOR_INVOICING,
  IMPORT_REFERENCE_SOURCE,
  IMPORTS_ACTOR,
  createInvoiceImportConsumer,
  createInvoiceImportHandler,
  deriveSummaryRate,
} from "./invoice-import.consumer.ts";
export type { ImportOutcome } from "./invoice-import.consumer.ts";
export { INVOICING_ACTION_POLICY, INVOICING_PERMISSIONS, invoicingActions } from "./invoicing.actions.ts";
export { registerInvoiceRoutes } from "./invoice.routes.ts";
export { createInvoicingServices } from "./invoicing.services.ts";
export type { InvoicingServices } from "./invoicing.services.ts";
export { createInvoiceService } from "./invoice.service.ts";
export type { InvoiceService, ListInvoicesQuery } from "./invoice.service.ts";
export { createSettlementService, REVERSAL_SUFFIX } from "./invoice-settlement.service.ts";
export type { ApplySettlementCommand, SettlementService } from "./invoice-settlement.service.ts";
export { createDueService } from "./invoice-due.service.ts";
export type { DueService, ListDueQuery } from "./invoice-due.service.ts";
export { createDocumentService } from "./invoice-documents.service.ts";
export type { DocumentService, RenderedPdf } from "./invoice-documents.service.ts";
export { INVOICING_EVENT_SOURCE } from "./invoicing.unit-of-work.ts";
export type { InvoicingDeps } from "./invoicing.unit-of-work.ts";
export type { CommandMeta } from "../../platform/audit/command-actor.ts";
export {
  ZApplySettlementInput,
  ZApplySettlementResult,
  ZCreateInvoiceResult,
  ZDueInvoice,
  ZEinvoiceView,
  ZInvoiceDraftChanges,
  ZInvoiceDraftInput,
  ZInvoiceView,
  ZIssueNoteResult,
  ZMarkOverdueResult,
  ZNoteInput,
  ZNoteView,
  ZSettingsInput,
  ZSettingsView,
  ZSettlementView,
  ZVerificationView,
} from "./invoice.views.ts";
export type {
  ApplySettlementInput,
  ApplySettlementResult,
  CreateInvoiceResult,
  DueInvoice,
  EinvoiceView,
  InvoiceDraftChanges,
  InvoiceDraftInput,
  InvoiceView,
  IssueNoteResult,
  MarkOverdueResult,
  NoteView,
  NoteWireInput,
  SettingsInput,
  SettingsView,
  SettlementView,
  VerificationView,
} from "./invoice.views.ts";
export { DEMO_SUPPLIER, seedDemoInvoicing } from "./invoicing.demo.ts";
