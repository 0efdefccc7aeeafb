/** Public surface of the customers module (module 6). */
export {
  CONSENT_CHANNELS,
  CONSENT_SOURCES,
  CUSTOMER_LANGUAGES,
  CUSTOMER_PROFILE_FIELDS,
  GST_TDS_DEDUCTOR_CATEGORIES,
  MSME_CATEGORIES,
  TDS_SECTIONS,
  ZAddress,
  ZBuyerMsmeStatus,
  ZConsentRecord,
  ZConsents,
  ZContactPerson,
  ZCreditTerms,
  ZCustomer,
  ZCustomerProfile,
  ZEmailAddress,
  ZGstTds,
  ZGstin,
  ZIncomeTaxTds,
  ZMobileNumber,
  ZPan,
  ZPhoneNumber,
  ZStateCode,
  ZTag,
  ZTan,
  ZTdsProfile,
  ZUdyamNumber,
} from "./customer.schemas.ts";
export type {
  Address,
  BuyerMsmeStatus,
  ConsentChannel,
  ConsentRecord,
  ConsentSource,
  Consents,
  ContactPerson,
  CreditTerms,
  Customer,
  CustomerLanguage,
  CustomerProfile,
  CustomerProfileInput,
  GstTds,
  GstTdsDeductorCategory,
  IncomeTaxTds,
  MsmeCategory,
  TdsProfile,
  TdsSection,
} from "./customer.schemas.ts";
export {
  createCustomer,
  parseCustomer,
  parseCustomerProfile,
  recordConsent,
  recordOptOut,
  updateCustomer,
} from "./customer.commands.ts";
export type { CustomerChange } from "./customer.commands.ts";
export { checkContactPermission } from "./consent.policy.ts";
export type { ContactPermission } from "./consent.policy.ts";
export {
  DEFAULT_DUPLICATE_THRESHOLD,
  findLikelyDuplicate,
  findLikelyDuplicates,
} from "./duplicate.detector.ts";
export type { DuplicateCandidate, DuplicateMatch, DuplicateReason } from "./duplicate.detector.ts";
export { compareBusinessNames, computeJaroWinkler, normalizeBusinessName } from "./name-similarity.ts";
export type { NormalizedBusinessName } from "./name-similarity.ts";
export { GST_TDS_CONTRACT_THRESHOLD, calculateExpectedDeductions } from "./tds.calculator.ts";
export type { ExpectedDeductions, ExpectedGstTds, ExpectedIncomeTaxTds } from "./tds.calculator.ts";
export { checkTan, isValidTan, normalizeTan } from "./tan.ts";
export type { Tan } from "./tan.ts";
export { checkUdyamNumber, isValidUdyamNumber, normalizeUdyamNumber } from "./udyam-number.ts";
export type { UdyamNumber } from "./udyam-number.ts";
export { checkPhoneNumber, normalizePhoneNumber } from "./phone-number.ts";
export type { E164PhoneNumber, PhoneUse } from "./phone-number.ts";
export {
  CUSTOMER_EVENT_SCHEMAS,
  CUSTOMER_EVENT_TYPES,
  ZCustomerCreatedPayload,
  ZCustomerOptedOutPayload,
  ZCustomerUpdatedPayload,
} from "./customer.events.ts";
export type {
  CustomerCreatedPayload,
  CustomerEvent,
  CustomerEventType,
  CustomerOptedOutPayload,
  CustomerUpdatedPayload,
} from "./customer.events.ts";

export { createCustomersConsumers, createCustomersModule } from "./customers.module.ts";
export {
  CUSTOMER_IMPORT_EVENT_SCHEMAS,
  CUSTOMER_IMPORT_LINKED,
  CUSTOMER_IMPORTS_ACTOR,
  ZCustomerImportLinkedPayload,
  createCustomerImportConsumer,
  createCustomerImportHandler,
  profileOfImportedCustomer,
} from "./customer-import.consumer.ts";
export type { CustomerImportLinkedPayload, CustomerImportOutcome } from "./customer-import.consumer.ts";
export type { CustomersModuleOptions } from "./customers.module.ts";
export { reencryptCustomerContacts } from "./contact-reencryption.ts";
export type { ContactProtection } from "./contact-protection.ts";
export { customersActions, CUSTOMER_PERMISSIONS, CUSTOMERS_ACTION_POLICY } from "./customers.actions.ts";
export { registerCustomerRoutes } from "./customer.routes.ts";
export { createCustomerService, CUSTOMER_EVENT_SOURCE } from "./customer.service.ts";
export type {
  CreateCustomerInput,
  CustomerService,
  CustomerServiceDeps,
  FindCustomersInput,
  ListCustomersQuery,
  RecordConsentInput,
} from "./customer.service.ts";
export {
  ZConsentHistoryEntry,
  ZContactPermissionView,
  ZCreateCustomerResult,
  ZCustomerMatch,
  ZCustomerView,
  ZDuplicateOf,
  ZExternalReference,
  ZTdsProfileResult,
} from "./customer.views.ts";
export type {
  ConsentHistoryEntry,
  ContactPermissionView,
  CreateCustomerResult,
  CustomerMatch,
  CustomerView,
  DuplicateOf,
  ExternalReference,
  TdsProfileResult,
} from "./customer.views.ts";
export type { CommandMeta } from "../../platform/audit/command-actor.ts";
export { DEMO_CUSTOMERS, seedDemoCustomers } from "./customers.demo.ts";
