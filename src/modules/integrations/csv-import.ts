import { parse } from "csv-parse/sync";
import { z } from "zod";
import { AppError, type FieldIssue } from "../../kernel/app-error.ts";
import { checkGstin } from "../../kernel/gstin.ts";
import { checkPan } from "../../kernel/pan.ts";
import type { Paise } from "../../kernel/money.ts";
import { compositeId, externalIdKey } from "./external-id.ts";
import type { ImportedCustomer, ImportedInvoice, ImportedPayment } from "./imported-records.ts";
import {
  EMAIL_PATTERN,
  IMPORT_DATE_LAYOUTS,
  normaliseIndianPhone,
  readFirstDate,
  readRupees,
  toStateCode,
  type ImportDateLayout,
} from "./import-values.ts";

export type CsvImportEntity = "customers" | "invoices" | "payments";
export type ImportMode = "all-or-nothing" | "valid-rows-only";

type FieldKind =
  "text" | "money" | "date" | "gstin" | "pan" | "email" | "phone" | "state" | "pincode" | "days" | "method";

export interface ImportFieldSpec {
  key: string;
  kind: FieldKind;
  required: boolean;
  description: string;
}

/** The fields each import understands; a saved mapping names the file's column for each. */
export const CSV_IMPORT_FIELDS: Record<CsvImportEntity, readonly ImportFieldSpec[]> = {
  customers: [
    {
      key: "externalId",
      kind: "text",
      required: false,
      description: "the customer's id in the other system",
    },
    { key: "name", kind: "text", required: true, description: "legal or trade name" },
    { key: "gstin", kind: "gstin", required: false, description: "15-character GSTIN" },
    { key: "pan", kind: "pan", required: false, description: "10-character PAN" },
    { key: "email", kind: "email", required: false, description: "accounts e-mail" },
    { key: "phone", kind: "phone", required: false, description: "Indian phone number" },
    { key: "state", kind: "state", required: false, description: "state code, abbreviation or name" },
    { key: "addressLine1", kind: "text", required: false, description: "address" },
    { key: "addressLine2", kind: "text", required: false, description: "address, continued" },
    { key: "city", kind: "text", required: false, description: "city" },
    { key: "pincode", kind: "pincode", required: false, description: "6-digit PIN code" },
    { key: "creditDays", kind: "days", required: false, description: "agreed credit period in days" },
    {
      key: "openingBalance",
      kind: "money",
      required: false,
      description: "amount owed at the start, in rupees",
    },
  ],
  invoices: [
    { key: "externalId", kind: "text", required: false, description: "the invoice's id in the other system" },
    { key: "number", kind: "text", required: true, description: "invoice number" },
    { key: "customer", kind: "text", required: true, description: "customer name or id" },
    { key: "customerGstin", kind: "gstin", required: false, description: "customer's GSTIN" },
    { key: "issueDate", kind: "date", required: true, description: "invoice date" },
    { key: "dueDate", kind: "date", required: false, description: "due date" },
    { key: "taxableValue", kind: "money", required: true, description: "value before GST, in rupees" },
    { key: "cgst", kind: "money", required: false, description: "CGST in rupees" },
    { key: "sgst", kind: "money", required: false, description: "SGST or UTGST in rupees" },
    { key: "igst", kind: "money", required: false, description: "IGST in rupees" },
    { key: "cess", kind: "money", required: false, description: "compensation cess in rupees" },
    { key: "roundOff", kind: "money", required: false, description: "rounding to the rupee" },
    { key: "total", kind: "money", required: true, description: "invoice total in rupees" },
    { key: "balance", kind: "money", required: false, description: "amount still unpaid" },
    { key: "placeOfSupply", kind: "state", required: false, description: "state code, abbreviation or name" },
  ],
  payments: [
    { key: "externalId", kind: "text", required: false, description: "the receipt's id in the other system" },
    { key: "date", kind: "date", required: true, description: "date received" },
    { key: "amount", kind: "money", required: true, description: "amount received in rupees" },
    { key: "customer", kind: "text", required: true, description: "customer name or id" },
    {
      key: "method",
      kind: "method",
      required: false,
      description: "UPI, NEFT, RTGS, IMPS, cheque, cash or card",
    },
    { key: "reference", kind: "text", required: false, description: "UTR, cheque number or reference" },
    { key: "invoiceNumber", kind: "text", required: false, description: "invoice the receipt is for" },
    { key: "tds", kind: "money", required: false, description: "income-tax TDS deducted by the customer" },
  ],
};

const METHODS: Record<string, string> = {
  UPI: "upi",
  NEFT: "neft",
  RTGS: "rtgs",
  IMPS: "imps",
  CHEQUE: "cheque",
  CHECK: "cheque",
  CHQ: "cheque",
  CASH: "cash",
  CARD: "card",
  "CREDIT CARD": "card",
  "DEBIT CARD": "card",
  "BANK TRANSFER": "neft",
};

export const ZCsvImportRequest = z.object({
  entity: z.enum(["customers", "invoices", "payments"]),
  text: z.string(),
  /** Our field -> the column header in the file. */
  mapping: z.record(z.string(), z.string().min(1)),
  mode: z.enum(["all-or-nothing", "valid-rows-only"]),
  dateLayouts: z
    .array(z.enum(IMPORT_DATE_LAYOUTS as [ImportDateLayout, ...ImportDateLayout[]]))
    .min(1)
    .optional(),
  delimiter: z.enum([",", ";", "\t", "|"]).optional(),
});
export type CsvImportRequest = z.input<typeof ZCsvImportRequest>;

export interface RowReport {
  rowNumber: number;
  externalId?: string;
  valid: boolean;
  issues: FieldIssue[];
}

export interface CsvImportPlan<T> {
  entity: CsvImportEntity;
  mode: ImportMode;
  /** False in all-or-nothing mode when any row is bad: nothing may be written. */
  accepted: boolean;
  /** Records to write: all rows when accepted in all-or-nothing mode, the valid rows in valid-rows-only mode. */
  records: T[];
  rows: RowReport[];
  issues: FieldIssue[];
  summary: { total: number; valid: number; invalid: number };
}

type Cells = Record<string, string>;

interface Parsed {
  text: Record<string, string>;
  money: Record<string, Paise>;
  date: Record<string, string>;
}

function readRows(text: string, delimiter: string): Array<{ lineNumber: number; cells: string[] }> {
  try {
    const records = parse(text.replace(/^\uFEFF/, ""), {
      delimiter,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: false,
      info: true,
    }) as unknown as Array<{ record: unknown[]; info: { lines: number } }>;
    let previousEnd = 0;
    return records.map(({ record, info }) => {
      const lineNumber = previousEnd + 1;
      previousEnd = info.lines;
      return { lineNumber, cells: record.map((cell) => (typeof cell === "string" ? cell : String(cell))) };
    });
  } catch (error) {
    throw AppError.invalidInput([
      {
        field: "file",
        reason: `not readable as CSV: ${error instanceof Error ? error.message : "unknown error"}`,
      },
    ]);
  }
}

const headerKey = (header: string): string =>
  header
    .replace(/^\uFEFF/, "")
    .trim()
    .replace(/\s+/g, " ")
    .toLowerCase();

function readCell(
  spec: ImportFieldSpec,
  raw: string,
  at: string,
  layouts: readonly ImportDateLayout[],
  parsed: Parsed,
  issues: FieldIssue[],
): void {
  const value = raw.trim();
  if (value === "") {
    if (spec.required) issues.push({ field: at, reason: `${spec.description} is required` });
    return;
  }
  switch (spec.kind) {
    case "text":
      if (value.length > 500) issues.push({ field: at, reason: "longer than 500 characters" });
      else parsed.text[spec.key] = value.replace(/\s+/g, " ");
      return;
    case "money": {
      const paise = readRupees(value);
      if (paise === undefined)
        issues.push({ field: at, reason: `"${value}" is not an amount in rupees with at most two decimals` });
      else if (paise < 0n && spec.key !== "roundOff" && spec.key !== "openingBalance")
        issues.push({ field: at, reason: "must not be negative" });
      else parsed.money[spec.key] = paise;
      return;
    }
    case "date": {
      const date = readFirstDate(value, layouts);
      if (!date) issues.push({ field: at, reason: `"${value}" is not a date in ${layouts.join(" or ")}` });
      else parsed.date[spec.key] = date;
      return;
    }
    case "gstin": {
      const check = checkGstin(value, at);
      if (!check.ok) issues.push(...check.issues);
      else parsed.text[spec.key] = check.value.gstin;
      return;
    }
    case "pan": {
      const check = checkPan(value, at);
      if (!check.ok) issues.push(...check.issues);
      else parsed.text[spec.key] = check.value.pan;
      return;
    }
    case "email":
      if (!EMAIL_PATTERN.test(value))
        issues.push({ field: at, reason: `"${value}" is not an e-mail address` });
      else parsed.text[spec.key] = value.toLowerCase();
      return;
    case "phone": {
      const phone = normaliseIndianPhone(value);
      if (!phone)
        issues.push({
          field: at,
          reason: `"${value}" is not an Indian phone number (10 digits, optionally +91)`,
        });
      else parsed.text[spec.key] = phone;
      return;
    }
    case "state": {
      const code = toStateCode(value);
      if (!code) issues.push({ field: at, reason: `"${value}" is not an Indian state or union territory` });
      else parsed.text[spec.key] = code;
      return;
    }
    case "pincode":
      if (!/^[1-9]\d{5}$/.test(value.replace(/\s/g, "")))
        issues.push({ field: at, reason: `"${value}" is not a 6-digit PIN code` });
      else parsed.text[spec.key] = value.replace(/\s/g, "");
      return;
    case "days": {
      const days = /^\d{1,4}$/.exec(value.replace(/\s*days?$/i, ""));
      if (!days || Number(days[0]) > 3650)
        issues.push({ field: at, reason: `"${value}" is not a number of days` });
      else parsed.text[spec.key] = String(Number(days[0]));
      return;
    }
    case "method": {
      const method =
        METHODS[
          value
            .toUpperCase()
            .replace(/[^A-Z ]/g, "")
            .trim()
        ];
      if (!method)
        issues.push({
          field: at,
          reason: `"${value}" is not one of UPI, NEFT, RTGS, IMPS, cheque, cash, card`,
        });
      else parsed.text[spec.key] = method;
      return;
    }
  }
}

function buildCustomer(
  parsed: Parsed,
  at: (field: string) => string,
  issues: FieldIssue[],
): ImportedCustomer {
  const { text, money } = parsed;
  const gstin = text.gstin;
  const pan = text.pan;
  if (gstin && pan && /^\d{2}[A-Z]{5}\d{4}[A-Z]/.test(gstin) && gstin.slice(2, 12) !== pan) {
    issues.push({
      field: at("pan"),
      reason: `does not match characters 3-12 of the GSTIN (${gstin.slice(2, 12)})`,
    });
  }
  if (gstin && text.state && gstin.slice(0, 2) !== text.state) {
    issues.push({ field: at("state"), reason: `the GSTIN is registered in state ${gstin.slice(0, 2)}` });
  }
  const name = text.name ?? "";
  const id = text.externalId ?? gstin ?? compositeId([name]);
  return {
    externalId: externalIdKey({ source: "csv", entity: "customer", id }),
    source: "csv",
    name,
    ...(gstin ? { gstin } : {}),
    ...(pan ? { pan } : gstin && /^\d{2}[A-Z]{5}\d{4}[A-Z]/.test(gstin) ? { pan: gstin.slice(2, 12) } : {}),
    ...(text.email ? { email: text.email } : {}),
    ...(text.phone ? { phone: text.phone } : {}),
    ...(text.state ? { stateCode: text.state } : gstin ? { stateCode: gstin.slice(0, 2) } : {}),
    addressLines: [text.addressLine1, text.addressLine2].filter((line): line is string => line !== undefined),
    ...(text.city ? { city: text.city } : {}),
    ...(text.pincode ? { pincode: text.pincode } : {}),
    ...(text.creditDays ? { creditDays: Number(text.creditDays) } : {}),
    ...(money.openingBalance !== undefined ? { openingBalancePaise: money.openingBalance } : {}),
    findings: [],
  };
}

function buildInvoice(parsed: Parsed, at: (field: string) => string, issues: FieldIssue[]): ImportedInvoice {
  const { text, money, date } = parsed;
  const taxable = money.taxableValue ?? 0n;
  const cgst = money.cgst ?? 0n;
  const sgst = money.sgst ?? 0n;
  const igst = money.igst ?? 0n;
  const cess = money.cess ?? 0n;
  const roundOff = money.roundOff ?? 0n;
  const total = money.total ?? 0n;
  if (cgst !== sgst)
    issues.push({ field: at("sgst"), reason: "CGST and SGST/UTGST are always equal halves" });
  if ((cgst > 0n || sgst > 0n) && igst > 0n)
    issues.push({
      field: at("igst"),
      reason: "an invoice has either CGST + SGST (intra-state) or IGST (inter-state), not both",
    });
  if (roundOff > 100n || roundOff < -100n)
    issues.push({ field: at("roundOff"), reason: "rounding to the rupee is at most ₹1 either way" });
  if (money.taxableValue !== undefined && money.total !== undefined) {
    const computed = taxable + cgst + sgst + igst + cess + roundOff;
    const gap = computed - total;
    if (gap > 100n || gap < -100n) {
      issues.push({
        field: at("total"),
        reason: `taxable value + taxes + round-off come to ${computed / 100n}.${String((computed < 0n ? -computed : computed) % 100n).padStart(2, "0")}, not the total`,
      });
    }
  }
  if (money.balance !== undefined && money.balance > total)
    issues.push({ field: at("balance"), reason: "more than the invoice total" });
  if (date.issueDate && date.dueDate && date.dueDate < date.issueDate)
    issues.push({ field: at("dueDate"), reason: "before the invoice date" });
  const number = text.number ?? "";
  const id = text.externalId ?? compositeId([number, date.issueDate?.slice(0, 4) ?? ""]);
  return {
    externalId: externalIdKey({ source: "csv", entity: "invoice", id }),
    source: "csv",
    number,
    customerName: text.customer ?? "",
    ...(text.customerGstin ? { customerGstin: text.customerGstin } : {}),
    issueDate: date.issueDate ?? "",
    ...(date.dueDate ? { dueDate: date.dueDate } : {}),
    currency: "INR",
    taxableValuePaise: taxable,
    cgstPaise: cgst,
    sgstPaise: sgst,
    igstPaise: igst,
    cessPaise: cess,
    roundOffPaise: roundOff,
    totalPaise: total,
    ...(money.balance !== undefined ? { balancePaise: money.balance } : {}),
    ...(text.placeOfSupply ? { placeOfSupply: text.placeOfSupply } : {}),
    lines: [],
    findings: [],
  };
}

function buildPayment(parsed: Parsed, at: (field: string) => string, issues: FieldIssue[]): ImportedPayment {
  const { text, money, date } = parsed;
  const amount = money.amount ?? 0n;
  const tds = money.tds ?? 0n;
  if (money.amount !== undefined && amount === 0n)
    issues.push({ field: at("amount"), reason: "must be more than zero" });
  if (text.method && text.method !== "cash" && !text.reference)
    issues.push({
      field: at("reference"),
      reason: `a ${text.method.toUpperCase()} receipt needs its reference`,
    });
  if (text.method === "cash" && amount >= 2_00_000_00n)
    issues.push({ field: at("amount"), reason: "cash receipts of ₹2,00,000 or more are barred by s.269ST" });
  const id =
    text.externalId ??
    compositeId([date.date ?? "", amount.toString(), text.reference ?? "", text.customer ?? ""]);
  return {
    externalId: externalIdKey({ source: "csv", entity: "payment", id }),
    source: "csv",
    date: date.date ?? "",
    amountPaise: amount,
    tdsPaise: tds,
    ...(text.method ? { method: text.method } : {}),
    ...(text.reference ? { reference: text.reference } : {}),
    customerName: text.customer ?? "",
    settledPaise: amount + tds,
    allocations: text.invoiceNumber ? [{ reference: text.invoiceNumber, amountPaise: amount + tds }] : [],
    findings: [],
  };
}

/**
 * Reads a CSV of customers, invoices or payments with a saved column mapping, validates every row (typed cells and
 * cross-field rules: GSTIN/PAN consistency, CGST = SGST, totals within ₹1 of taxable value + taxes, due date after
 * invoice date, references for bank receipts, duplicate ids) and plans what to write. In all-or-nothing mode any bad
 * row makes the plan unaccepted; in valid-rows-only mode the good rows go ahead. Every issue names its file line and
 * field ("rows.7.gstin"). A mapping naming unknown fields or missing columns is refused outright (INVALID_INPUT).
 */
export function planCsvImport(
  request: CsvImportRequest,
): CsvImportPlan<ImportedCustomer | ImportedInvoice | ImportedPayment> {
  const parsedRequest = ZCsvImportRequest.safeParse(request);
  if (!parsedRequest.success) {
    throw AppError.invalidInput(
      parsedRequest.error.issues.map((issue) => ({
        field: issue.path.join(".") || "(root)",
        reason: issue.message,
      })),
    );
  }
  const { entity, mode, mapping } = parsedRequest.data;
  const layouts = parsedRequest.data.dateLayouts ?? ["dd/MM/yyyy", "dd-MM-yyyy", "yyyy-MM-dd", "dd-MMM-yyyy"];
  const specs = CSV_IMPORT_FIELDS[entity];
  const mappingIssues: FieldIssue[] = [];
  for (const field of Object.keys(mapping)) {
    if (!specs.some((spec) => spec.key === field))
      mappingIssues.push({ field: `mapping.${field}`, reason: `not a field of ${entity}` });
  }
  for (const spec of specs) {
    if (spec.required && mapping[spec.key] === undefined)
      mappingIssues.push({ field: `mapping.${spec.key}`, reason: `required: ${spec.description}` });
  }
  if (mappingIssues.length > 0) throw AppError.invalidInput(mappingIssues);
  const rows = readRows(parsedRequest.data.text, parsedRequest.data.delimiter ?? ",");
  const headerRow = rows.find((row) => row.cells.some((cell) => cell.trim() !== ""));
  const headers = (headerRow?.cells ?? []).map(headerKey);
  const columns = new Map<string, number>();
  for (const [field, header] of Object.entries(mapping)) {
    const position = headers.indexOf(headerKey(header));
    if (position < 0)
      mappingIssues.push({
        field: `columns.${field}`,
        reason: `column "${header}" not found in the header row`,
      });
    else columns.set(field, position);
  }
  if (mappingIssues.length > 0) throw AppError.invalidInput(mappingIssues);

  const reports: RowReport[] = [];
  const records: Array<ImportedCustomer | ImportedInvoice | ImportedPayment> = [];
  const seen = new Map<string, number>();
  for (const row of rows.slice(rows.indexOf(headerRow ?? rows[0] ?? { lineNumber: 0, cells: [] }) + 1)) {
    const cells: Cells = {};
    for (const [field, position] of columns) cells[field] = row.cells[position] ?? "";
    if (Object.values(cells).every((cell) => cell.trim() === "")) continue;
    const at = (field: string): string => `rows.${row.lineNumber}.${field}`;
    const issues: FieldIssue[] = [];
    const parsed: Parsed = { text: {}, money: {}, date: {} };
    for (const spec of specs) {
      if (!columns.has(spec.key)) continue;
      readCell(spec, cells[spec.key] ?? "", at(spec.key), layouts, parsed, issues);
    }
    const record =
      entity === "customers"
        ? buildCustomer(parsed, at, issues)
        : entity === "invoices"
          ? buildInvoice(parsed, at, issues)
          : buildPayment(parsed, at, issues);
    const duplicateOf = seen.get(record.externalId);
    if (duplicateOf !== undefined) {
      issues.push({
        field: at(
          parsed.text.externalId
            ? "externalId"
            : entity === "invoices"
              ? "number"
              : entity === "customers"
                ? "name"
                : "reference",
        ),
        reason: `same record as line ${duplicateOf}`,
      });
    } else {
      seen.set(record.externalId, row.lineNumber);
    }
    reports.push({
      rowNumber: row.lineNumber,
      externalId: record.externalId,
      valid: issues.length === 0,
      issues,
    });
    if (issues.length === 0) records.push(record);
  }
  const invalid = reports.filter((report) => !report.valid).length;
  const accepted = mode === "valid-rows-only" || invalid === 0;
  return {
    entity,
    mode,
    accepted,
    records: accepted ? records : [],
    rows: reports,
    issues: reports.flatMap((report) => report.issues),
    summary: { total: reports.length, valid: reports.length - invalid, invalid },
  };
}

/** Throws INVALID_INPUT with every row issue when the plan may not be written. */
export function requireAcceptedImport<T>(plan: CsvImportPlan<T>): CsvImportPlan<T> {
  if (!plan.accepted)
    throw AppError.invalidInput(
      plan.issues,
      `import refused: ${plan.summary.invalid} of ${plan.summary.total} rows have problems`,
    );
  return plan;
}
