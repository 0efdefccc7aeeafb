import { AppError, type FieldIssue } from "../../kernel/app-error.ts";
import { checkGstin } from "../../kernel/gstin.ts";
import type { Paise } from "../../kernel/money.ts";
import { externalIdKey } from "./external-id.ts";
import type { ImportedCustomer, ImportedInvoice, ImportedInvoiceLine } from "./imported-records.ts";
import {
  EMAIL_PATTERN,
  jsonRupeesToPaise,
  normaliseIndianPhone,
  readImportDate,
  toStateCode,
} from "./import-values.ts";

/**
 * Zoho Books API v3 (India edition) invoices and contacts in neutral shapes. Amounts are JSON numbers in rupees,
 * dates "yyyy-mm-dd", place_of_supply / place_of_contact two-letter state codes ("TN"), gst_no the GSTIN; taxes
 * come as a list of named amounts ("CGST9 (9%)", "SGST9", "IGST18", "Cess"). Accepts a single-record response
 * ({"invoice": {...}}), a list response ({"invoices": [...]}) or a bare array.
 */

type Json = Record<string, unknown>;

export interface ZohoRejected {
  index: number;
  externalId?: string;
  issues: FieldIssue[];
}

export interface ZohoSkipped {
  externalId: string;
  reason: string;
}

const record = (value: unknown): Json | undefined =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Json) : undefined;
const text = (value: unknown): string | undefined =>
  typeof value === "string" && value.trim() !== ""
    ? value.trim()
    : typeof value === "number" && Number.isFinite(value)
      ? String(value)
      : undefined;

function listOf(payload: unknown, single: string, plural: string): unknown[] {
  if (Array.isArray(payload)) return payload;
  const body = record(payload);
  if (!body) throw AppError.invalidInput([{ field: "payload", reason: "not a Zoho Books JSON response" }]);
  if (typeof body.code === "number" && body.code !== 0) {
    throw AppError.invalidInput([
      {
        field: "payload.code",
        reason: `Zoho Books answered with error ${body.code}: ${text(body.message) ?? ""}`,
      },
    ]);
  }
  if (Array.isArray(body[plural])) return body[plural];
  if (record(body[single])) return [body[single]];
  throw AppError.invalidInput([
    { field: `payload.${plural}`, reason: `neither "${single}" nor "${plural}" in the response` },
  ]);
}

function money(
  source: Json,
  key: string,
  issues: FieldIssue[],
  prefix: string,
  required: boolean,
): Paise | undefined {
  const value = source[key];
  if (value === undefined || value === null || value === "") {
    if (required) issues.push({ field: `${prefix}.${key}`, reason: "missing" });
    return undefined;
  }
  const paise = jsonRupeesToPaise(value);
  if (paise === undefined)
    issues.push({
      field: `${prefix}.${key}`,
      reason: `${JSON.stringify(value)} is not an amount in rupees with at most two decimals`,
    });
  return paise;
}

const TAX_HEADS: Array<[RegExp, "cgst" | "sgst" | "igst" | "cess"]> = [
  [/^\s*CGST/i, "cgst"],
  [/^\s*(SGST|UTGST)/i, "sgst"],
  [/^\s*IGST/i, "igst"],
  [/CESS/i, "cess"],
];

/**
 * Maps Zoho Books invoices. Draft and void invoices are skipped (they are not receivables); invoices with missing or
 * malformed fields are rejected with the issues, the rest imported with findings (e.g. a GSTIN failing its check).
 */
export function mapZohoInvoices(payload: unknown): {
  invoices: ImportedInvoice[];
  skipped: ZohoSkipped[];
  rejected: ZohoRejected[];
} {
  const invoices: ImportedInvoice[] = [];
  const skipped: ZohoSkipped[] = [];
  const rejected: ZohoRejected[] = [];
  listOf(payload, "invoice", "invoices").forEach((item, index) => {
    const prefix = `invoices.${index}`;
    const source = record(item);
    if (!source) {
      rejected.push({ index, issues: [{ field: prefix, reason: "not an object" }] });
      return;
    }
    const issues: FieldIssue[] = [];
    const findings: FieldIssue[] = [];
    const id = text(source.invoice_id);
    if (!id) issues.push({ field: `${prefix}.invoice_id`, reason: "missing" });
    const externalId = id ? externalIdKey({ source: "zoho-books", entity: "invoice", id }) : undefined;
    const status = text(source.status)?.toLowerCase();
    if (externalId && (status === "draft" || status === "void")) {
      skipped.push({ externalId, reason: `${status} invoice` });
      return;
    }
    const number = text(source.invoice_number);
    if (!number) issues.push({ field: `${prefix}.invoice_number`, reason: "missing" });
    const customerId = text(source.customer_id);
    const customerName = text(source.customer_name);
    if (!customerName) issues.push({ field: `${prefix}.customer_name`, reason: "missing" });
    const dateText = text(source.date) ?? "";
    const issueDate = readImportDate(dateText, "yyyy-MM-dd");
    if (!issueDate)
      issues.push({ field: `${prefix}.date`, reason: `"${dateText}" is not a date yyyy-mm-dd` });
    const dueText = text(source.due_date);
    const dueDate = dueText ? readImportDate(dueText, "yyyy-MM-dd") : undefined;
    if (dueText && !dueDate)
      issues.push({ field: `${prefix}.due_date`, reason: `"${dueText}" is not a date yyyy-mm-dd` });
    const total = money(source, "total", issues, prefix, true);
    const balance = money(source, "balance", issues, prefix, false);
    const adjustment = money(source, "adjustment", issues, prefix, false) ?? 0n;
    const heads = { cgst: 0n, sgst: 0n, igst: 0n, cess: 0n };
    const taxes = Array.isArray(source.taxes) ? source.taxes : [];
    taxes.forEach((tax, position) => {
      const entry = record(tax);
      const name = text(entry?.tax_name) ?? "";
      const amount = entry
        ? money(entry, "tax_amount", issues, `${prefix}.taxes.${position}`, true)
        : undefined;
      const head = TAX_HEADS.find(([pattern]) => pattern.test(name))?.[1];
      if (!head)
        issues.push({
          field: `${prefix}.taxes.${position}.tax_name`,
          reason: `"${name}" is not CGST, SGST/UTGST, IGST or cess`,
        });
      else if (amount !== undefined) heads[head] += amount;
    });
    const taxTotal = heads.cgst + heads.sgst + heads.igst + heads.cess;
    const declaredTaxTotal = money(source, "tax_total", issues, prefix, false);
    if (declaredTaxTotal !== undefined && taxes.length > 0 && declaredTaxTotal !== taxTotal) {
      findings.push({ field: `${prefix}.tax_total`, reason: "differs from the sum of the listed taxes" });
    }
    if (heads.cgst !== heads.sgst)
      findings.push({ field: `${prefix}.taxes`, reason: "CGST and SGST/UTGST differ" });
    const gstText = text(source.gst_no);
    const gstin = gstText ? checkGstin(gstText, `${prefix}.gst_no`) : undefined;
    if (gstin && !gstin.ok) findings.push(...gstin.issues);
    const placeText = text(source.place_of_supply);
    const placeOfSupply = placeText ? toStateCode(placeText) : undefined;
    if (placeText && !placeOfSupply)
      findings.push({
        field: `${prefix}.place_of_supply`,
        reason: `"${placeText}" is not an Indian state code`,
      });
    const currency = text(source.currency_code) ?? "INR";
    const lines: ImportedInvoiceLine[] = (Array.isArray(source.line_items) ? source.line_items : []).map(
      (line, position) => {
        const entry = record(line) ?? {};
        const value = money(entry, "item_total", findings, `${prefix}.line_items.${position}`, false);
        const rate =
          typeof entry.tax_percentage === "number" && Number.isFinite(entry.tax_percentage)
            ? Math.round(entry.tax_percentage * 100)
            : undefined;
        const quantity = text(entry.quantity);
        const hsn = text(entry.hsn_or_sac);
        return {
          description: text(entry.name) ?? text(entry.description) ?? "item",
          ...(hsn ? { hsnOrSac: hsn } : {}),
          ...(quantity ? { quantity } : {}),
          ...(value !== undefined ? { taxableValuePaise: value } : {}),
          ...(rate !== undefined ? { taxRateBasisPoints: rate } : {}),
        };
      },
    );
    if (issues.length > 0 || !externalId || !number || !customerName || !issueDate || total === undefined) {
      rejected.push({ index, ...(externalId ? { externalId } : {}), issues });
      return;
    }
    if (balance !== undefined && balance > total)
      findings.push({ field: `${prefix}.balance`, reason: "more than the total" });
    invoices.push({
      externalId,
      source: "zoho-books",
      number,
      ...(customerId
        ? { customerExternalId: externalIdKey({ source: "zoho-books", entity: "customer", id: customerId }) }
        : {}),
      customerName,
      ...(gstin?.ok ? { customerGstin: gstin.value.gstin } : {}),
      issueDate,
      ...(dueDate ? { dueDate } : {}),
      currency,
      taxableValuePaise: total - taxTotal - adjustment,
      cgstPaise: heads.cgst,
      sgstPaise: heads.sgst,
      igstPaise: heads.igst,
      cessPaise: heads.cess,
      roundOffPaise: adjustment,
      totalPaise: total,
      ...(balance !== undefined ? { balancePaise: balance } : {}),
      ...(status ? { status } : {}),
      ...(placeOfSupply ? { placeOfSupply } : {}),
      lines,
      findings,
    });
  });
  return { invoices, skipped, rejected };
}

/** Maps Zoho Books contacts of type customer (vendors are skipped). */
export function mapZohoContacts(payload: unknown): {
  customers: ImportedCustomer[];
  skipped: ZohoSkipped[];
  rejected: ZohoRejected[];
} {
  const customers: ImportedCustomer[] = [];
  const skipped: ZohoSkipped[] = [];
  const rejected: ZohoRejected[] = [];
  listOf(payload, "contact", "contacts").forEach((item, index) => {
    const prefix = `contacts.${index}`;
    const source = record(item);
    const id = text(source?.contact_id);
    const name = text(source?.contact_name) ?? text(source?.company_name);
    if (!source || !id || !name) {
      rejected.push({
        index,
        issues: [
          ...(!id ? [{ field: `${prefix}.contact_id`, reason: "missing" }] : []),
          ...(!name ? [{ field: `${prefix}.contact_name`, reason: "missing" }] : []),
        ],
      });
      return;
    }
    const externalId = externalIdKey({ source: "zoho-books", entity: "customer", id });
    const type = text(source.contact_type)?.toLowerCase();
    if (type && type !== "customer") {
      skipped.push({ externalId, reason: `${type} contact` });
      return;
    }
    const findings: FieldIssue[] = [];
    const gstText = text(source.gst_no);
    const gstin = gstText ? checkGstin(gstText, `${prefix}.gst_no`) : undefined;
    if (gstin && !gstin.ok) findings.push(...gstin.issues);
    const placeText = text(source.place_of_contact);
    const stateCode = placeText ? toStateCode(placeText) : undefined;
    if (placeText && !stateCode)
      findings.push({
        field: `${prefix}.place_of_contact`,
        reason: `"${placeText}" is not an Indian state code`,
      });
    const email = text(source.email);
    if (email && !EMAIL_PATTERN.test(email))
      findings.push({ field: `${prefix}.email`, reason: `"${email}" is not an e-mail address` });
    const phoneText = text(source.mobile) ?? text(source.phone);
    const phone = phoneText ? normaliseIndianPhone(phoneText) : undefined;
    if (phoneText && !phone)
      findings.push({ field: `${prefix}.mobile`, reason: `"${phoneText}" is not an Indian phone number` });
    const address = record(source.billing_address) ?? {};
    const zip = text(address.zip);
    if (zip && !/^[1-9]\d{5}$/.test(zip))
      findings.push({ field: `${prefix}.billing_address.zip`, reason: `"${zip}" is not a PIN code` });
    const terms =
      typeof source.payment_terms === "number" &&
      Number.isInteger(source.payment_terms) &&
      source.payment_terms >= 0
        ? source.payment_terms
        : undefined;
    const validGstin = gstin?.ok ? gstin.value.gstin : undefined;
    customers.push({
      externalId,
      source: "zoho-books",
      name,
      ...(validGstin ? { gstin: validGstin } : {}),
      ...(validGstin && /^\d{2}[A-Z]{5}\d{4}[A-Z]/.test(validGstin) ? { pan: validGstin.slice(2, 12) } : {}),
      ...(email && EMAIL_PATTERN.test(email) ? { email: email.toLowerCase() } : {}),
      ...(phone ? { phone } : {}),
      ...(stateCode ? { stateCode } : validGstin ? { stateCode: validGstin.slice(0, 2) } : {}),
      addressLines: [text(address.address), text(address.street2)].filter(
        (line): line is string => line !== undefined,
      ),
      ...(text(address.city) ? { city: text(address.city) } : {}),
      ...(zip && /^[1-9]\d{5}$/.test(zip) ? { pincode: zip } : {}),
      ...(terms !== undefined ? { creditDays: terms } : {}),
      group: "customer",
      findings,
    });
  });
  return { customers, skipped, rejected };
}
