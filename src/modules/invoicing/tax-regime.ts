import { AppError } from "../../kernel/app-error.ts";
import type { FieldIssue } from "../../kernel/app-error.ts";
import { isGstinStateCode, localTaxHeadFor, OUTSIDE_INDIA_CODE } from "../../kernel/india-states.ts";
import type { SupplyType } from "./invoice.schemas.ts";

export interface TaxRegime {
  /** Intra-State: CGST + SGST/UTGST. Inter-State: IGST. */
  kind: "intra-state" | "inter-state";
  /** The head levied with CGST on an intra-State supply in the place of supply. */
  localHead: "SGST" | "UTGST";
  /** Export or SEZ supply without payment of IGST (under bond or letter of undertaking): no tax is charged. */
  zeroRated: boolean;
  supplierStateCode: string;
  placeOfSupply: string;
  /** The provision that decided it. */
  basis: string;
}

/**
 * Decides the tax heads of a supply. The test is the supplier's location (the state code of its GSTIN) against the
 * place of supply, never the buyer's address (IGST Act ss.7-8):
 * - exports (EXPWP/EXPWOP): inter-State, place of supply outside India (s.7(5)(a));
 * - supplies to an SEZ unit or developer (SEZWP/SEZWOP): inter-State even within one State (s.7(5)(b));
 * - `igstOnIntra`: inter-State by s.7(5)(c);
 * - otherwise intra-State when supplier state and place of supply are the same (s.8), else inter-State (s.7(1), 7(3)).
 * In an intra-State supply within a Union Territory without legislature UTGST replaces SGST.
 */
export function determineTaxRegime(options: {
  supplyType: SupplyType;
  supplierGstin: string;
  placeOfSupply: string;
  igstOnIntra?: boolean;
}): TaxRegime {
  const issues: FieldIssue[] = [];
  const supplierStateCode = options.supplierGstin.trim().slice(0, 2);
  const placeOfSupply = options.placeOfSupply.trim().padStart(2, "0");
  if (!isGstinStateCode(supplierStateCode)) {
    issues.push({
      field: "supplier.gstin",
      reason: `starts with "${supplierStateCode}", which is not a GST state code`,
    });
  }
  const isExport = options.supplyType === "EXPWP" || options.supplyType === "EXPWOP";
  if (isExport && placeOfSupply !== OUTSIDE_INDIA_CODE) {
    issues.push({ field: "placeOfSupply", reason: "the place of supply of an export is outside India (96)" });
  }
  if (!isExport && placeOfSupply === OUTSIDE_INDIA_CODE) {
    issues.push({
      field: "placeOfSupply",
      reason: "96 (outside India) is only the place of supply of an export",
    });
  }
  if (issues.length > 0) throw AppError.invalidInput(issues);

  const localHead = localTaxHeadFor(placeOfSupply);
  const base = { localHead, supplierStateCode, placeOfSupply };
  switch (options.supplyType) {
    case "EXPWP":
    case "EXPWOP":
      return {
        ...base,
        kind: "inter-state",
        zeroRated: options.supplyType === "EXPWOP",
        basis: "IGST Act s.7(5)(a): supplier in India, place of supply outside India",
      };
    case "SEZWP":
    case "SEZWOP":
      return {
        ...base,
        kind: "inter-state",
        zeroRated: options.supplyType === "SEZWOP",
        basis: "IGST Act s.7(5)(b): supply to an SEZ developer or unit",
      };
    case "B2B":
    case "B2C":
    case "DEXP":
      break;
  }
  if (options.igstOnIntra === true) {
    return {
      ...base,
      kind: "inter-state",
      zeroRated: false,
      basis: "IGST Act s.7(5)(c): IGST on an intra-State supply",
    };
  }
  if (supplierStateCode === placeOfSupply) {
    return {
      ...base,
      kind: "intra-state",
      zeroRated: false,
      basis: `IGST Act s.8: supplier and place of supply both in ${placeOfSupply}`,
    };
  }
  return {
    ...base,
    kind: "inter-state",
    zeroRated: false,
    basis: `IGST Act s.7: supplier in ${supplierStateCode}, place of supply ${placeOfSupply}`,
  };
}
