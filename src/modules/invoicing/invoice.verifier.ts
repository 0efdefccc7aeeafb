import { AppError } from "../../kernel/app-error.ts";
import { checkGstin } from "../../kernel/gstin.ts";
import { findIndiaState, OUTSIDE_INDIA_CODE } from "../../kernel/india-states.ts";
import { formatRupees } from "../../kernel/money.ts";
import type { Paise } from "../../kernel/money.ts";
import { financialYearOf } from "./calendar-date.ts";
import { MSMED_DEFAULT_DAYS, MSMED_MAX_AGREED_DAYS } from "./due-date.calculator.ts";
import type { SupplierMsmeProfile } from "./due-date.calculator.ts";
import {
  DEFAULT_DUPLICATE_WINDOW_DAYS,
  findLikelyDuplicateInvoices,
  summarizeInvoiceForDuplicates,
} from "./duplicate-invoice.detector.ts";
import type { InvoiceFingerprint } from "./duplicate-invoice.detector.ts";
import { computeIrn } from "./einvoice/irn.ts";
import { checkGstRate, formatRate } from "./gst-rate.validator.ts";
import { einvoiceThresholdOn, requiredHsnDigits } from "./gst-rates.data.ts";
import type { DocumentAmounts, Invoice, SupplyType } from "./invoice.schemas.ts";
import { calculateInvoiceTax } from "./tax.calculator.ts";
import type { DocumentTax } from "./tax.calculator.ts";

/**
 * The rules behind the `invoicing.verify` action. Each finding names the rule, its severity, the field (dotted path
 * into the invoice), what is wrong and how to fix it. Rules that need facts the invoice does not hold (turnover, MSME
 * status, earlier invoices) run only when the context provides them.
 */

export type VerificationRule =
  | "supplier-gstin-invalid"
  | "supplier-state-mismatch"
  | "buyer-gstin-missing"
  | "buyer-gstin-invalid"
  | "buyer-gstin-unexpected"
  | "place-of-supply"
  | "gst-rate-invalid"
  | "gst-rate-restricted"
  | "hsn-missing"
  | "hsn-too-short"
  | "service-code-mismatch"
  | "line-arithmetic"
  | "tax-mismatch"
  | "total-mismatch"
  | "wrong-tax-type"
  | "round-off-too-large"
  | "msme-terms-beyond-45-days"
  | "msme-terms-unwritten"
  | "einvoice-irn-missing"
  | "einvoice-irn-mismatch"
  | "einvoice-number-format"
  | "due-date-before-issue"
  | "duplicate-invoice";

export type FindingSeverity = "error" | "warning" | "info";

export interface Finding {
  rule: VerificationRule;
  severity: FindingSeverity;
  field: string;
  message: string;
  fix: string;
  /** The other invoice a duplicate finding points at, with its score (0-1). */
  related?: { invoiceId: string; invoiceNumber: string; score: number };
}

export interface VerificationContext {
  /** Supplier's aggregate turnover in the preceding financial year (HSN digits, Notification 78/2020-CT). */
  precedingYearTurnoverPaise?: Paise;
  /** Supplier's highest aggregate turnover in any financial year from 2017-18 (e-invoice applicability). */
  highestTurnoverSince2017Paise?: Paise;
  /** Supplier is of a class exempt from e-invoicing (SEZ unit, bank, insurer, GTA, passenger transport, cinema...). */
  einvoiceExempt?: boolean;
  supplierMsme?: SupplierMsmeProfile;
  existingInvoices?: ReadonlyArray<Invoice | InvoiceFingerprint>;
  duplicateWindowDays?: number;
  extraRatesBasisPoints?: readonly number[];
}

export interface VerificationReport {
  ok: boolean;
  errors: number;
  warnings: number;
  findings: Finding[];
}

const NEEDS_BUYER_GSTIN: ReadonlySet<SupplyType> = new Set(["B2B", "SEZWP", "SEZWOP", "DEXP"]);
const EXPORTS: ReadonlySet<SupplyType> = new Set(["EXPWP", "EXPWOP"]);
/** Supply types reported to the IRP; B2C invoices are not e-invoices. */
const EINVOICE_SUPPLY_TYPES: ReadonlySet<SupplyType> = new Set([
  "B2B",
  "SEZWP",
  "SEZWOP",
  "EXPWP",
  "EXPWOP",
  "DEXP",
]);

const rupees = (paise: Paise): string => `₹${formatRupees(paise)}`;
const abs = (value: bigint): bigint => (value < 0n ? -value : value);

function isFingerprint(value: Invoice | InvoiceFingerprint): value is InvoiceFingerprint {
  return "lineSignatures" in value;
}

function checkParties(invoice: Invoice, findings: Finding[]): void {
  const supplier = checkGstin(invoice.supplier.gstin);
  if (!supplier.ok) {
    for (const issue of supplier.issues) {
      findings.push({
        rule: "supplier-gstin-invalid",
        severity: "error",
        field: "supplier.gstin",
        message: `supplier GSTIN ${invoice.supplier.gstin}: ${issue.reason}`,
        fix: "Correct the organisation's GSTIN as shown on its registration certificate.",
      });
    }
  } else if (invoice.supplier.address.stateCode !== supplier.value.stateCode) {
    findings.push({
      rule: "supplier-state-mismatch",
      severity: "warning",
      field: "supplier.address.stateCode",
      message: `the supplier's address is in ${invoice.supplier.address.stateCode} but the GSTIN is registered in ${supplier.value.stateCode}; tax heads follow the GSTIN`,
      fix: "Invoice from the GSTIN of the State the goods or services are supplied from.",
    });
  }

  const buyerGstin = invoice.buyer.gstin;
  if (NEEDS_BUYER_GSTIN.has(invoice.supplyType)) {
    if (buyerGstin === undefined) {
      findings.push({
        rule: "buyer-gstin-missing",
        severity: "error",
        field: "buyer.gstin",
        message: `a ${invoice.supplyType} invoice needs the buyer's GSTIN (rule 46(d))`,
        fix: "Add the buyer's GSTIN, or make it a B2C invoice if the buyer is unregistered.",
      });
    } else {
      const buyer = checkGstin(buyerGstin);
      if (!buyer.ok) {
        for (const issue of buyer.issues) {
          findings.push({
            rule: "buyer-gstin-invalid",
            severity: "error",
            field: "buyer.gstin",
            message: `buyer GSTIN ${buyerGstin}: ${issue.reason}`,
            fix: "Check the GSTIN with the buyer or on the GST portal; a wrong GSTIN denies the buyer input tax credit.",
          });
        }
      }
    }
  } else if (buyerGstin !== undefined) {
    findings.push({
      rule: "buyer-gstin-unexpected",
      severity: "warning",
      field: "buyer.gstin",
      message: EXPORTS.has(invoice.supplyType)
        ? "an export invoice carries an Indian GSTIN for the buyer"
        : "a B2C invoice carries a buyer GSTIN: a registered buyer cannot claim credit on a B2C invoice",
      fix: EXPORTS.has(invoice.supplyType) ? "Remove the buyer GSTIN." : "Make it a B2B invoice.",
    });
  }

  const isExport = EXPORTS.has(invoice.supplyType);
  if (isExport !== (invoice.placeOfSupply === OUTSIDE_INDIA_CODE)) {
    findings.push({
      rule: "place-of-supply",
      severity: "error",
      field: "placeOfSupply",
      message: isExport
        ? `an export's place of supply is outside India (96), not ${invoice.placeOfSupply}`
        : "96 (outside India) is the place of supply of exports only",
      fix: isExport
        ? "Set the place of supply to 96."
        : "Set the State of the place of supply, or mark the supply as an export.",
    });
  }
}

function checkLines(invoice: Invoice, context: VerificationContext, findings: Finding[]): void {
  const hsnRule =
    context.precedingYearTurnoverPaise === undefined
      ? null
      : requiredHsnDigits({
          invoiceDate: invoice.issueDate,
          aggregateTurnoverPaise: context.precedingYearTurnoverPaise,
        });
  invoice.lines.forEach((line, index) => {
    const rate = checkGstRate({
      rateBasisPoints: line.gstRateBasisPoints,
      date: invoice.issueDate,
      ...(context.extraRatesBasisPoints !== undefined
        ? { extraRatesBasisPoints: context.extraRatesBasisPoints }
        : {}),
    });
    if (!rate.ok) {
      findings.push({
        rule: "gst-rate-invalid",
        severity: "error",
        field: `lines.${index}.gstRateBasisPoints`,
        message: rate.reason,
        fix: "Charge the rate notified for this HSN/SAC on the invoice date.",
      });
    } else if (rate.restrictedTo !== null) {
      findings.push({
        rule: "gst-rate-restricted",
        severity: "warning",
        field: `lines.${index}.gstRateBasisPoints`,
        message: `${formatRate(line.gstRateBasisPoints)} applies on ${invoice.issueDate} only to ${rate.restrictedTo}`,
        fix: "Confirm the goods fall in that class; otherwise use the current rate for the HSN.",
      });
    }

    const code = line.hsnSac;
    if (hsnRule !== null && hsnRule.digits > 0) {
      const optional = invoice.supplyType === "B2C" && hsnRule.optionalOnB2c;
      if (code === undefined && !optional) {
        findings.push({
          rule: "hsn-missing",
          severity: "error",
          field: `lines.${index}.hsnSac`,
          message: `an HSN/SAC code of at least ${hsnRule.digits} digits is required (Notification ${hsnRule.notification})`,
          fix: "Add the HSN code (goods) or SAC (services) of the line.",
        });
      } else if (code !== undefined && code.length < hsnRule.digits) {
        findings.push({
          rule: "hsn-too-short",
          severity: "error",
          field: `lines.${index}.hsnSac`,
          message: `HSN/SAC ${code} has ${code.length} digits; ${hsnRule.digits} are required at this turnover (Notification ${hsnRule.notification})`,
          fix: `Use the ${hsnRule.digits}-digit code.`,
        });
      }
    }
    if (code !== undefined && line.isService !== undefined && line.isService !== code.startsWith("99")) {
      findings.push({
        rule: "service-code-mismatch",
        severity: "warning",
        field: `lines.${index}.hsnSac`,
        message: line.isService
          ? `the line is a service but ${code} is not a SAC (SAC codes start with 99)`
          : `${code} is a SAC (services) but the line is marked as goods`,
        fix: "Use a SAC for services and an HSN code for goods.",
      });
    }
  });
}

function compareAmounts(
  invoice: Invoice,
  stated: DocumentAmounts,
  tax: DocumentTax,
  findings: Finding[],
): void {
  if (stated.lines.length !== invoice.lines.length) {
    findings.push({
      rule: "line-arithmetic",
      severity: "error",
      field: "amounts.lines",
      message: `${stated.lines.length} line amounts recorded for ${invoice.lines.length} lines`,
      fix: "Recompute the invoice amounts.",
    });
    return;
  }
  const heads = ["cgstPaise", "sgstPaise", "utgstPaise", "igstPaise", "cessPaise"] as const;
  stated.lines.forEach((line, index) => {
    const computed = tax.lines[index];
    if (computed === undefined) return;
    if (line.taxableValuePaise !== computed.taxableValuePaise) {
      findings.push({
        rule: "line-arithmetic",
        severity: "error",
        field: `amounts.lines.${index}.taxableValuePaise`,
        message: `taxable value ${rupees(line.taxableValuePaise)} but quantity x price - discount is ${rupees(computed.taxableValuePaise)}`,
        fix: "Correct the quantity, price or discount, or the taxable value.",
      });
    }
    for (const head of heads) {
      // One paisa either way is rounding: lines may be rounded one by one or apportioned from the invoice total.
      if (abs(line[head] - computed[head]) > 1n) {
        findings.push({
          rule: "tax-mismatch",
          severity: "error",
          field: `amounts.lines.${index}.${head}`,
          message: `${head.replace("Paise", "").toUpperCase()} ${rupees(line[head])} but ${formatRate(computed.gstRateBasisPoints)} of ${rupees(computed.taxableValuePaise)} gives ${rupees(computed[head])}`,
          fix: "Recompute the tax of the line.",
        });
      }
    }
    const lineSum =
      line.taxableValuePaise +
      line.cgstPaise +
      line.sgstPaise +
      line.utgstPaise +
      line.igstPaise +
      line.cessPaise;
    if (line.totalPaise !== lineSum) {
      findings.push({
        rule: "line-arithmetic",
        severity: "error",
        field: `amounts.lines.${index}.totalPaise`,
        message: `line total ${rupees(line.totalPaise)} is not taxable value + taxes ${rupees(lineSum)}`,
        fix: "Recompute the line total.",
      });
    }
  });

  const tolerance = BigInt(invoice.lines.length);
  for (const head of ["taxableValuePaise", ...heads] as const) {
    const allowed = head === "taxableValuePaise" ? 0n : tolerance;
    if (abs(stated[head] - tax[head]) > allowed) {
      findings.push({
        rule: head === "taxableValuePaise" ? "total-mismatch" : "tax-mismatch",
        severity: "error",
        field: `amounts.${head}`,
        message: `invoice ${head.replace("Paise", "")} ${rupees(stated[head])} but the lines give ${rupees(tax[head])}`,
        fix: "Recompute the invoice totals.",
      });
    }
  }
  const statedSum =
    stated.taxableValuePaise +
    stated.cgstPaise +
    stated.sgstPaise +
    stated.utgstPaise +
    stated.igstPaise +
    stated.cessPaise +
    stated.nonTaxableChargesPaise +
    stated.roundOffPaise;
  if (stated.totalPaise !== statedSum) {
    findings.push({
      rule: "total-mismatch",
      severity: "error",
      field: "amounts.totalPaise",
      message: `total ${rupees(stated.totalPaise)} is not the sum of value, taxes, charges and round-off ${rupees(statedSum)}`,
      fix: "Recompute the invoice total.",
    });
  } else if (abs(stated.totalPaise - tax.totalPaise) > 100n) {
    findings.push({
      rule: "total-mismatch",
      severity: "error",
      field: "amounts.totalPaise",
      message: `total ${rupees(stated.totalPaise)} but the invoice computes to ${rupees(tax.totalPaise)}`,
      fix: "Recompute the invoice total.",
    });
  }
  if (abs(stated.roundOffPaise) > 50n) {
    findings.push({
      rule: "round-off-too-large",
      severity: "warning",
      field: "amounts.roundOffPaise",
      message: `round-off of ${rupees(stated.roundOffPaise)} is more than rounding to the nearest rupee (CGST s.170)`,
      fix: "Round the total to the nearest rupee: 50 paise or more up, less down.",
    });
  }

  const regime = tax.regime;
  const intraHeads = stated.cgstPaise + stated.sgstPaise + stated.utgstPaise;
  const wrongHead =
    regime.zeroRated && intraHeads + stated.igstPaise > 0n
      ? `a ${invoice.supplyType} supply is made without payment of tax, yet tax is charged`
      : regime.kind === "inter-state" && intraHeads > 0n
        ? `CGST/SGST charged on an inter-State supply (${regime.basis}); IGST applies`
        : regime.kind === "intra-state" && stated.igstPaise > 0n
          ? `IGST charged on an intra-State supply (${regime.basis}); CGST + ${regime.localHead} apply`
          : regime.kind === "intra-state" && regime.localHead === "UTGST" && stated.sgstPaise > 0n
            ? `SGST charged in ${findIndiaState(regime.placeOfSupply)?.name ?? regime.placeOfSupply}, a Union Territory without legislature; UTGST applies`
            : regime.kind === "intra-state" && regime.localHead === "SGST" && stated.utgstPaise > 0n
              ? `UTGST charged in ${findIndiaState(regime.placeOfSupply)?.name ?? regime.placeOfSupply}, which levies SGST`
              : null;
  if (wrongHead !== null) {
    findings.push({
      rule: "wrong-tax-type",
      severity: "error",
      field: "amounts",
      message: wrongHead,
      fix: "Decide the tax heads by the supplier's State and the place of supply, then recompute.",
    });
  }
}

function checkMsmeTerms(invoice: Invoice, context: VerificationContext, findings: Finding[]): void {
  const msme = context.supplierMsme;
  const terms = invoice.terms;
  if (msme === undefined || terms === undefined) return;
  const protectedSupplier =
    (msme.category === "micro" || msme.category === "small") &&
    msme.udyamRegistered &&
    msme.isTrader !== true;
  if (!protectedSupplier) return;
  if (terms.agreedInWriting && terms.creditDays > MSMED_MAX_AGREED_DAYS) {
    findings.push({
      rule: "msme-terms-beyond-45-days",
      severity: "warning",
      field: "terms.creditDays",
      message: `${terms.creditDays} days of credit: the MSMED Act s.15 caps agreed terms at ${MSMED_MAX_AGREED_DAYS} days from acceptance, and interest at three times the bank rate runs after that (s.16)`,
      fix: `Agree ${MSMED_MAX_AGREED_DAYS} days or fewer; the due date is the 45th day after acceptance in any case.`,
    });
  } else if (!terms.agreedInWriting && terms.creditDays > MSMED_DEFAULT_DAYS) {
    findings.push({
      rule: "msme-terms-unwritten",
      severity: "info",
      field: "terms.agreedInWriting",
      message: `without a written agreement the buyer must pay within ${MSMED_DEFAULT_DAYS} days of acceptance (MSMED Act ss.2(b), 15), not ${terms.creditDays}`,
      fix: "Record the terms in writing (purchase order or contract) if a longer period, up to 45 days, was agreed.",
    });
  }
}

function checkEinvoice(invoice: Invoice, context: VerificationContext, findings: Finding[]): void {
  const threshold = einvoiceThresholdOn(invoice.issueDate);
  const turnover = context.highestTurnoverSince2017Paise;
  const required =
    EINVOICE_SUPPLY_TYPES.has(invoice.supplyType) &&
    context.einvoiceExempt !== true &&
    threshold !== null &&
    turnover !== undefined &&
    turnover > threshold.turnoverAbovePaise;
  if (required && invoice.einvoice === undefined) {
    findings.push({
      rule: "einvoice-irn-missing",
      severity: "error",
      field: "einvoice.irn",
      message: `aggregate turnover above ${rupees(threshold.turnoverAbovePaise)} makes this ${invoice.supplyType} invoice an e-invoice from ${threshold.from} (Notification ${threshold.notification}); without an IRN it is not a valid invoice (rule 48(5))`,
      fix: "Report the invoice to the IRP and record the IRN before sending it.",
    });
  }
  if (required && /^[0/-]/.test(invoice.number)) {
    findings.push({
      rule: "einvoice-number-format",
      severity: "error",
      field: "number",
      message: `the IRP refuses document numbers starting with 0, / or - ("${invoice.number}")`,
      fix: "Use a number series that starts with a letter or a digit 1-9.",
    });
  }
  if (invoice.einvoice !== undefined) {
    const expected = computeIrn({
      supplierGstin: invoice.supplier.gstin,
      financialYear: financialYearOf(invoice.issueDate),
      documentType: "INV",
      documentNumber: invoice.number,
    });
    if (expected !== invoice.einvoice.irn) {
      findings.push({
        rule: "einvoice-irn-mismatch",
        severity: "error",
        field: "einvoice.irn",
        message:
          "the IRN is not the hash of this invoice's supplier GSTIN, financial year and number: it belongs to another document",
        fix: "Record the IRN the IRP returned for this invoice.",
      });
    }
  }
}

function checkDuplicates(invoice: Invoice, context: VerificationContext, findings: Finding[]): void {
  if (context.existingInvoices === undefined) return;
  const existing = context.existingInvoices.map((entry) =>
    isFingerprint(entry) ? entry : summarizeInvoiceForDuplicates(entry),
  );
  const matches = findLikelyDuplicateInvoices({
    candidate: summarizeInvoiceForDuplicates(invoice),
    existing,
    windowDays: context.duplicateWindowDays ?? DEFAULT_DUPLICATE_WINDOW_DAYS,
  });
  for (const match of matches) {
    const sameNumber = match.reasons.includes("same-number");
    findings.push({
      rule: "duplicate-invoice",
      severity: sameNumber ? "error" : "warning",
      field: sameNumber ? "number" : "lines",
      message: sameNumber
        ? `invoice number ${invoice.number} is already used by ${match.invoiceId} in financial year ${financialYearOf(invoice.issueDate)} (rule 46(b))`
        : `looks like ${match.invoiceNumber} (${match.reasons.join(", ")}, ${match.daysApart} days apart)`,
      fix: sameNumber
        ? "Give the invoice the next number of its series."
        : "Check it is not the same supply billed twice.",
      related: { invoiceId: match.invoiceId, invoiceNumber: match.invoiceNumber, score: match.score },
    });
  }
}

/** Runs every rule on an invoice and reports all findings; never throws for a bad invoice. */
export function verifyInvoice(options: {
  invoice: Invoice;
  context?: VerificationContext;
}): VerificationReport {
  const { invoice } = options;
  const context = options.context ?? {};
  const findings: Finding[] = [];
  checkParties(invoice, findings);
  checkLines(invoice, context, findings);

  let tax: DocumentTax | null = null;
  try {
    tax = calculateInvoiceTax({
      invoice,
      ...(context.extraRatesBasisPoints !== undefined
        ? { extraRatesBasisPoints: context.extraRatesBasisPoints }
        : {}),
    });
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
  }
  if (tax !== null && invoice.amounts !== undefined) compareAmounts(invoice, invoice.amounts, tax, findings);
  checkMsmeTerms(invoice, context, findings);
  checkEinvoice(invoice, context, findings);
  if (invoice.dueDate !== undefined && invoice.dueDate < invoice.issueDate) {
    findings.push({
      rule: "due-date-before-issue",
      severity: "warning",
      field: "dueDate",
      message: `due date ${invoice.dueDate} is before the invoice date ${invoice.issueDate}`,
      fix: "Set the due date from the credit terms.",
    });
  }
  checkDuplicates(invoice, context, findings);

  const errors = findings.filter((finding) => finding.severity === "error").length;
  const warnings = findings.filter((finding) => finding.severity === "warning").length;
  return { ok: errors === 0, errors, warnings, findings };
}
