import { AppError } from "../../kernel/app-error.ts";
import type { FieldIssue } from "../../kernel/app-error.ts";
import { localTaxHeadFor } from "../../kernel/india-states.ts";
import { applyBasisPoints } from "../../kernel/money.ts";
import type { Paise } from "../../kernel/money.ts";
import type { TdsProfile, TdsSection } from "./customer.schemas.ts";

/** GST TDS rate under CGST s.51(1): one per cent CGST + one per cent SGST/UTGST, or two per cent IGST. */
const GST_TDS_IGST_BASIS_POINTS = 200n;
const GST_TDS_HALF_BASIS_POINTS = 100n;
/** s.51(1): deduction applies where the total value of supply under a contract exceeds two lakh fifty thousand rupees. */
export const GST_TDS_CONTRACT_THRESHOLD: Paise = 2_50_000_00n;

export interface ExpectedIncomeTaxTds {
  section: TdsSection;
  base: "excluding-gst" | "gross";
  basePaise: Paise;
  rateBasisPoints: number;
  amountPaise: Paise;
}

export interface ExpectedGstTds {
  applies: boolean;
  reason: "deducted" | "contract-value-within-threshold" | "supply-outside-recipient-state";
  /** CGST + SGST/UTGST halves for an intra-State supply, IGST for an inter-State one; all zero when not applicable. */
  cgstPaise: Paise;
  sgstOrUtgstPaise: Paise;
  localHead: "SGST" | "UTGST";
  igstPaise: Paise;
  amountPaise: Paise;
}

export interface ExpectedDeductions {
  incomeTax: ExpectedIncomeTaxTds | null;
  gst: ExpectedGstTds | null;
  totalPaise: Paise;
  /** What the customer should actually pay: invoice total less both deductions. */
  netReceivablePaise: Paise;
}

/**
 * What a customer is expected to withhold from an invoice, so a short payment can be matched to it.
 * Income-tax TDS: rate on the value before GST (CBDT Circular 23/2017) unless the profile says gross; the per-year
 * thresholds of each section are not applied (whether a deduction is due depends on the customer's payments to the
 * supplier during the year, which this function does not know).
 * GST TDS (CGST s.51): 2% of the taxable value when the contract's value exceeds ₹2,50,000, except where both the
 * supplier's location and the place of supply lie outside the recipient's State of registration (proviso to s.51(1)).
 * Amounts are rounded half up to the paisa.
 */
export function calculateExpectedDeductions(options: {
  tds: TdsProfile | undefined;
  taxableValuePaise: Paise;
  gstPaise: Paise;
  invoiceTotalPaise: Paise;
  supplierStateCode: string;
  placeOfSupply: string;
  recipientStateCode: string;
  /** Value of the whole contract excluding tax; defaults to this invoice's taxable value. */
  contractValuePaise?: Paise;
}): ExpectedDeductions {
  const issues: FieldIssue[] = [];
  for (const key of ["taxableValuePaise", "gstPaise", "invoiceTotalPaise"] as const) {
    if (options[key] < 0n) issues.push({ field: key, reason: "must not be negative" });
  }
  if (options.contractValuePaise !== undefined && options.contractValuePaise < 0n) {
    issues.push({ field: "contractValuePaise", reason: "must not be negative" });
  }
  if (issues.length > 0) throw AppError.invalidInput(issues);

  const incomeTaxProfile = options.tds?.incomeTax;
  let incomeTax: ExpectedIncomeTaxTds | null = null;
  if (incomeTaxProfile !== undefined) {
    const basePaise =
      incomeTaxProfile.base === "gross"
        ? options.taxableValuePaise + options.gstPaise
        : options.taxableValuePaise;
    incomeTax = {
      section: incomeTaxProfile.section,
      base: incomeTaxProfile.base,
      basePaise,
      rateBasisPoints: incomeTaxProfile.rateBasisPoints,
      amountPaise: applyBasisPoints(basePaise, BigInt(incomeTaxProfile.rateBasisPoints)),
    };
  }

  let gst: ExpectedGstTds | null = null;
  if (options.tds?.gst !== undefined) {
    const localHead = localTaxHeadFor(options.placeOfSupply);
    const contractValue = options.contractValuePaise ?? options.taxableValuePaise;
    const outsideRecipientState =
      options.supplierStateCode !== options.recipientStateCode &&
      options.placeOfSupply !== options.recipientStateCode;
    const zero: ExpectedGstTds = {
      applies: false,
      reason: "deducted",
      cgstPaise: 0n,
      sgstOrUtgstPaise: 0n,
      localHead,
      igstPaise: 0n,
      amountPaise: 0n,
    };
    if (contractValue <= GST_TDS_CONTRACT_THRESHOLD) {
      gst = { ...zero, reason: "contract-value-within-threshold" };
    } else if (outsideRecipientState) {
      gst = { ...zero, reason: "supply-outside-recipient-state" };
    } else if (options.supplierStateCode === options.placeOfSupply) {
      const half = applyBasisPoints(options.taxableValuePaise, GST_TDS_HALF_BASIS_POINTS);
      gst = { ...zero, applies: true, cgstPaise: half, sgstOrUtgstPaise: half, amountPaise: half * 2n };
    } else {
      const igst = applyBasisPoints(options.taxableValuePaise, GST_TDS_IGST_BASIS_POINTS);
      gst = { ...zero, applies: true, igstPaise: igst, amountPaise: igst };
    }
  }

  const totalPaise = (incomeTax?.amountPaise ?? 0n) + (gst?.amountPaise ?? 0n);
  return { incomeTax, gst, totalPaise, netReceivablePaise: options.invoiceTotalPaise - totalPaise };
}
