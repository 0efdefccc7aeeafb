import { createHash } from "node:crypto";
import { AppError } from "../../../kernel/app-error.ts";
import type { FieldIssue } from "../../../kernel/app-error.ts";
import { financialYearOf, isCalendarDate } from "../calendar-date.ts";

export type EinvoiceDocumentType = "INV" | "CRN" | "DBN";

/**
 * Invoice Reference Number: lower-case hex SHA-256 of supplier GSTIN + financial year ("2019-20") + document type
 * (INV, CRN, DBN) + document number, concatenated without separators (einv-apisandbox.nic.in, "IRN"). The IRP keeps the
 * document number's case as sent. The financial year is given, or derived (April-March) from the document date.
 */
export function computeIrn(options: {
  supplierGstin: string;
  documentType: EinvoiceDocumentType;
  documentNumber: string;
  financialYear?: string;
  documentDate?: string;
}): string {
  const issues: FieldIssue[] = [];
  if (!/^[0-9]{2}[0-9A-Z]{13}$/.test(options.supplierGstin)) {
    issues.push({ field: "supplierGstin", reason: "is two digits and 13 upper-case letters or digits" });
  }
  if (!["INV", "CRN", "DBN"].includes(options.documentType)) {
    issues.push({ field: "documentType", reason: "is INV, CRN or DBN" });
  }
  if (options.documentNumber.length === 0 || options.documentNumber.length > 16) {
    issues.push({ field: "documentNumber", reason: "has 1 to 16 characters" });
  }
  let financialYear = options.financialYear;
  if (financialYear === undefined) {
    if (options.documentDate === undefined || !isCalendarDate(options.documentDate)) {
      issues.push({
        field: "documentDate",
        reason: "is needed in YYYY-MM-DD form when no financial year is given",
      });
    } else {
      financialYear = financialYearOf(options.documentDate);
    }
  } else if (
    !/^(\d{4})-(\d{2})$/.test(financialYear) ||
    (Number(financialYear.slice(0, 4)) + 1) % 100 !== Number(financialYear.slice(5))
  ) {
    issues.push({ field: "financialYear", reason: 'is "YYYY-YY" with consecutive years, e.g. "2019-20"' });
  }
  if (issues.length > 0 || financialYear === undefined) throw AppError.invalidInput(issues);
  return createHash("sha256")
    .update(
      `${options.supplierGstin}${financialYear}${options.documentType}${options.documentNumber}`,
      "utf8",
    )
    .digest("hex");
}
