// Public surface of the integrations module: reading other systems' exports (CSV, Tally XML, Zoho Books JSON)
// into neutral records with external ids. Writing them is left to the caller.

export type {
  ImportSource,
  CalendarDate,
  ImportedCustomer,
  ImportedInvoiceLine,
  ImportedInvoice,
  BillAllocation,
  ImportedPayment,
  ImportedCreditNote,
} from "./imported-records.ts";

export { externalIdKey, compositeId, planReimport } from "./external-id.ts";
export type { ImportedEntity } from "./external-id.ts";

export { IMPORT_DATE_LAYOUTS, readImportDate, readRupees, toStateCode } from "./import-values.ts";
export type { ImportDateLayout } from "./import-values.ts";

export { CSV_IMPORT_FIELDS, ZCsvImportRequest, planCsvImport, requireAcceptedImport } from "./csv-import.ts";
export type {
  CsvImportEntity,
  ImportMode,
  ImportFieldSpec,
  CsvImportRequest,
  RowReport,
  CsvImportPlan,
} from "./csv-import.ts";

export { decodeTallyBytes, sanitiseTallyXml, parseTallyXml } from "./tally-xml.parser.ts";
export type { TallyImportOptions, TallyLedger, TallySkipped, TallyImport } from "./tally-xml.parser.ts";

export { mapZohoInvoices, mapZohoContacts } from "./zoho-books.mapper.ts";
export type { ZohoRejected, ZohoSkipped } from "./zoho-books.mapper.ts";

// The module as the composition root wires it: tables, events, actions and routes.
export { integrationsModule } from "./integrations.module.ts";
export { IMPORT_EVENT_TYPES, IMPORT_EVENT_SCHEMAS } from "./import.events.ts";
export type { ImportEventType } from "./import.events.ts";
export { ZImportFileRequest, readImportFile } from "./import-file.reader.ts";
export type { ImportFileRequest, ImportEntry, ReadImportFile } from "./import-file.reader.ts";
export { IMPORTS_PERMISSION, createImportService } from "./import.service.ts";
export type { ImportService, ImportDeps } from "./import.service.ts";
export { INTEGRATIONS_ACTION_POLICY, integrationsActions } from "./integrations.actions.ts";
export { generateInvoiceCsv, runImportPlanningBenchmark } from "./import.bench-support.ts";
