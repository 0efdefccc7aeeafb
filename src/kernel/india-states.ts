/**
 * Indian States and Union Territories with their GST state codes.
 *
 * The two-digit code is the first two characters of a GSTIN and the place-of-supply code of GST returns and of the
 * e-invoice ("Pos", "Stcd"). Union Territories without a legislature levy UTGST instead of SGST on intra-UT supplies
 * (CGST Act s.2(114) and UTGST Act s.2(8)); Delhi, Puducherry and Jammu and Kashmir have legislatures and levy SGST.
 */

export type IndiaStateKind = "state" | "union-territory" | "special";

/** Whether new registrations still carry the code ("active") or it only survives on older GSTINs ("legacy"). */
export type IndiaStateStatus = "active" | "legacy";

export interface IndiaState {
  /** Two-digit GST code, zero-padded ("07"). */
  code: string;
  name: string;
  kind: IndiaStateKind;
  /** True only for Union Territories without a legislature, where the local tax head is UTGST. */
  levyUtgst: boolean;
  status: IndiaStateStatus;
  /** The code may appear as the first two characters of a GSTIN. */
  gstinPrefix: boolean;
  /** The code may be used as a place of supply. */
  placeOfSupply: boolean;
  note?: string;
}

function entry(
  code: string,
  name: string,
  kind: IndiaStateKind,
  extra: Partial<Omit<IndiaState, "code" | "name" | "kind">> = {},
): IndiaState {
  return {
    code,
    name,
    kind,
    levyUtgst: false,
    status: "active",
    gstinPrefix: true,
    placeOfSupply: true,
    ...extra,
  };
}

/** Every GST region code in use, in code order. */
export const INDIA_STATES: readonly IndiaState[] = Object.freeze([
  entry("01", "Jammu and Kashmir", "union-territory", {
    note: "a State until 30 October 2019; a Union Territory with a legislature since, so SGST applies",
  }),
  entry("02", "Himachal Pradesh", "state"),
  entry("03", "Punjab", "state"),
  entry("04", "Chandigarh", "union-territory", { levyUtgst: true }),
  entry("05", "Uttarakhand", "state"),
  entry("06", "Haryana", "state"),
  entry("07", "Delhi", "union-territory", { note: "has a legislature, so SGST applies" }),
  entry("08", "Rajasthan", "state"),
  entry("09", "Uttar Pradesh", "state"),
  entry("10", "Bihar", "state"),
  entry("11", "Sikkim", "state"),
  entry("12", "Arunachal Pradesh", "state"),
  entry("13", "Nagaland", "state"),
  entry("14", "Manipur", "state"),
  entry("15", "Mizoram", "state"),
  entry("16", "Tripura", "state"),
  entry("17", "Meghalaya", "state"),
  entry("18", "Assam", "state"),
  entry("19", "West Bengal", "state"),
  entry("20", "Jharkhand", "state"),
  entry("21", "Odisha", "state"),
  entry("22", "Chhattisgarh", "state"),
  entry("23", "Madhya Pradesh", "state"),
  entry("24", "Gujarat", "state"),
  entry("25", "Daman and Diu", "union-territory", {
    levyUtgst: true,
    status: "legacy",
    note: "merged into 26 with effect from 26 January 2020; older GSTINs still carry 25",
  }),
  entry("26", "Dadra and Nagar Haveli and Daman and Diu", "union-territory", {
    levyUtgst: true,
    note: "Dadra and Nagar Haveli alone before 26 January 2020",
  }),
  entry("27", "Maharashtra", "state"),
  entry("28", "Andhra Pradesh (before division)", "state", {
    status: "legacy",
    note: "pre-2014 Andhra Pradesh; today's Andhra Pradesh is 37",
  }),
  entry("29", "Karnataka", "state"),
  entry("30", "Goa", "state"),
  entry("31", "Lakshadweep", "union-territory", { levyUtgst: true }),
  entry("32", "Kerala", "state"),
  entry("33", "Tamil Nadu", "state"),
  entry("34", "Puducherry", "union-territory", { note: "has a legislature, so SGST applies" }),
  entry("35", "Andaman and Nicobar Islands", "union-territory", { levyUtgst: true }),
  entry("36", "Telangana", "state"),
  entry("37", "Andhra Pradesh", "state"),
  entry("38", "Ladakh", "union-territory", { levyUtgst: true }),
  entry("96", "Other Countries", "special", {
    gstinPrefix: false,
    note: "place of supply outside India (exports); never the prefix of a GSTIN",
  }),
  entry("97", "Other Territory", "special", {
    levyUtgst: true,
    note: "territories outside States and Union Territories (e.g. offshore areas); UTGST applies",
  }),
  entry("99", "Centre Jurisdiction", "special", {
    placeOfSupply: false,
    note: "registrations under central jurisdiction, e.g. OIDAR suppliers; not a place of supply",
  }),
]);

const STATES_BY_CODE: ReadonlyMap<string, IndiaState> = new Map(
  INDIA_STATES.map((state) => [state.code, state]),
);

/** The code used as place of supply for supplies to a place outside India. */
export const OUTSIDE_INDIA_CODE = "96";

/** Looks a region up by its two-digit code; accepts "7" as "07". Returns undefined for unknown codes. */
export function findIndiaState(code: string): IndiaState | undefined {
  const trimmed = code.trim();
  const padded = /^\d$/.test(trimmed) ? `0${trimmed}` : trimmed;
  return STATES_BY_CODE.get(padded);
}

/** True when the code is a known GST region code that may be used as a place of supply. */
export function isPlaceOfSupplyCode(code: string): boolean {
  return findIndiaState(code)?.placeOfSupply === true;
}

/** True when the code may begin a GSTIN. */
export function isGstinStateCode(code: string): boolean {
  return findIndiaState(code)?.gstinPrefix === true;
}

/** The tax head levied next to CGST on an intra-State/UT supply in that region: UTGST in UTs without legislature. */
export function localTaxHeadFor(code: string): "SGST" | "UTGST" {
  return findIndiaState(code)?.levyUtgst === true ? "UTGST" : "SGST";
}
