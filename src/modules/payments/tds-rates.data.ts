import type { IsoDate } from "./calendar-date.ts";

/** Income-tax TDS sections that apply to what a business's customers pay it. */
export const TDS_SECTIONS = ["194C", "194J", "194H", "194I", "194Q"] as const;
export type TdsSection = (typeof TDS_SECTIONS)[number];

/**
 * Nature of the payment inside a section:
 * - 194C contract work (rate depends on whether the payee is an individual/HUF)
 * - 194J technical services (incl. call centres, film royalty) or professional services
 * - 194H commission or brokerage
 * - 194I rent for plant, machinery or equipment, or for land, building or furniture
 * - 194Q purchase of goods
 */
export type TdsNature =
  | "contract"
  | "technical-services"
  | "professional-services"
  | "commission"
  | "rent-plant-machinery"
  | "rent-land-building"
  | "purchase-of-goods";

/** Who receives the payment (us, the supplier), as TDS rules see it. */
export type PayeeKind = "individual-or-huf" | "other";

export interface TdsRate {
  section: TdsSection;
  nature: TdsNature;
  payee: PayeeKind | "any";
  basisPoints: number;
  effectiveFrom: IsoDate;
  /** Last day the rate applies; open-ended when undefined. */
  effectiveTo?: IsoDate;
  source: string;
}

/**
 * Effective-dated TDS rates. Sources: Income-tax Act, 1961 ss.194C, 194H, 194-I, 194J, 194Q as amended by
 * the Finance Act 2020 (194J 2% for technical services from 1 Apr 2020), Finance Act 2021 (194Q from 1 Jul 2021)
 * and the Finance (No. 2) Act 2024 (194H 2% from 1 Oct 2024).
 */
export const TDS_RATES: readonly TdsRate[] = [
  {
    section: "194C",
    nature: "contract",
    payee: "individual-or-huf",
    basisPoints: 100,
    effectiveFrom: "2009-10-01",
    source: "s.194C(1)",
  },
  {
    section: "194C",
    nature: "contract",
    payee: "other",
    basisPoints: 200,
    effectiveFrom: "2009-10-01",
    source: "s.194C(1)",
  },
  {
    section: "194J",
    nature: "technical-services",
    payee: "any",
    basisPoints: 1000,
    effectiveFrom: "2010-04-01",
    effectiveTo: "2020-03-31",
    source: "s.194J before the Finance Act 2020",
  },
  {
    section: "194J",
    nature: "technical-services",
    payee: "any",
    basisPoints: 200,
    effectiveFrom: "2020-04-01",
    source: "s.194J(1)(a) as amended by the Finance Act 2020",
  },
  {
    section: "194J",
    nature: "professional-services",
    payee: "any",
    basisPoints: 1000,
    effectiveFrom: "2010-04-01",
    source: "s.194J(1)(b)",
  },
  {
    section: "194H",
    nature: "commission",
    payee: "any",
    basisPoints: 500,
    effectiveFrom: "2016-06-01",
    effectiveTo: "2024-09-30",
    source: "s.194H (Finance Act 2016)",
  },
  {
    section: "194H",
    nature: "commission",
    payee: "any",
    basisPoints: 200,
    effectiveFrom: "2024-10-01",
    source: "s.194H as amended by the Finance (No. 2) Act 2024",
  },
  {
    section: "194I",
    nature: "rent-plant-machinery",
    payee: "any",
    basisPoints: 200,
    effectiveFrom: "2009-10-01",
    source: "s.194-I(a)",
  },
  {
    section: "194I",
    nature: "rent-land-building",
    payee: "any",
    basisPoints: 1000,
    effectiveFrom: "2010-04-01",
    source: "s.194-I(b)",
  },
  {
    section: "194Q",
    nature: "purchase-of-goods",
    payee: "any",
    basisPoints: 10,
    effectiveFrom: "2021-07-01",
    source: "s.194Q (Finance Act 2021)",
  },
];

/**
 * Section 206AA: a deductee who does not furnish a PAN (or whose PAN is inoperative, e.g. not linked with Aadhaar,
 * Rule 114AAA from 1 Jul 2023) suffers TDS at the higher of the rate in the section, the rate in force and the
 * rate below. Inserted by the Finance (No. 2) Act 2009 from 1 Apr 2010; for 194Q the second proviso (Finance Act
 * 2021, from 1 Jul 2021) reads five per cent for twenty. A lower-deduction certificate (s.197) needs a PAN, so it
 * does not apply here. (Twice the rate is s.206AB, for non-filers of returns: not this rule.)
 */
export interface NoPanRate {
  /** Sections the rate is for; "any" for the general rule. A section-specific rate wins over the general one. */
  sections: readonly TdsSection[] | "any";
  basisPoints: number;
  effectiveFrom: IsoDate;
  effectiveTo?: IsoDate;
  source: string;
}

export const NO_PAN_RATES: readonly NoPanRate[] = [
  {
    sections: "any",
    basisPoints: 2000,
    effectiveFrom: "2010-04-01",
    source: "s.206AA(1)(iii), inserted by the Finance (No. 2) Act 2009",
  },
  {
    sections: ["194Q"],
    basisPoints: 500,
    effectiveFrom: "2021-07-01",
    source: "s.206AA(1) second proviso, Finance Act 2021",
  },
];

/** Natures allowed in each section. */
export const SECTION_NATURES: Record<TdsSection, readonly TdsNature[]> = {
  "194C": ["contract"],
  "194J": ["technical-services", "professional-services"],
  "194H": ["commission"],
  "194I": ["rent-plant-machinery", "rent-land-building"],
  "194Q": ["purchase-of-goods"],
};

/** Rates a deductor commonly applies, used to recognise deductions made at an unexpected rate. */
export const COMMON_TDS_BASIS_POINTS: readonly number[] = [10, 100, 200, 500, 1000];

/**
 * Every section code of Chapter XVII-B/XVII-BB that can appear in Form 26AS or the AIS, as printed there.
 * A code outside this list is refused on import; codes outside TDS_SECTIONS are kept but not matched.
 */
export const KNOWN_TDS_SECTION_CODES: readonly string[] = [
  "192",
  "192A",
  "193",
  "194",
  "194A",
  "194B",
  "194BA",
  "194BB",
  "194C",
  "194D",
  "194DA",
  "194E",
  "194EE",
  "194F",
  "194G",
  "194H",
  "194I",
  "194I(A)",
  "194I(B)",
  "194IA",
  "194IB",
  "194IC",
  "194J",
  "194JA",
  "194JB",
  "194J(A)",
  "194J(B)",
  "194K",
  "194LA",
  "194LB",
  "194LBA",
  "194LBB",
  "194LBC",
  "194LC",
  "194LD",
  "194M",
  "194N",
  "194O",
  "194P",
  "194Q",
  "194R",
  "194S",
  "194T",
  "195",
  "196A",
  "196B",
  "196C",
  "196D",
];

/**
 * Maps a section code as printed by TRACES (e.g. "194JB", "194I(a)", "94C") to our section and, where the
 * code tells it, the nature. Returns `known: false` for codes that are not TDS sections at all.
 */
export function normaliseSectionCode(code: string): {
  known: boolean;
  printed: string;
  section?: TdsSection;
  nature?: TdsNature;
} {
  let printed = code
    .trim()
    .toUpperCase()
    .replace(/\s+/g, "")
    .replace(/^SEC(TION)?\.?/, "")
    .replace(/^U\/S/, "");
  if (/^9[2-6]/.test(printed)) printed = `1${printed}`;
  if (!KNOWN_TDS_SECTION_CODES.includes(printed)) return { known: false, printed };
  switch (printed) {
    case "194C":
      return { known: true, printed, section: "194C", nature: "contract" };
    case "194J":
      return { known: true, printed, section: "194J" };
    case "194JA":
    case "194J(A)":
      return { known: true, printed, section: "194J", nature: "technical-services" };
    case "194JB":
    case "194J(B)":
      return { known: true, printed, section: "194J", nature: "professional-services" };
    case "194H":
      return { known: true, printed, section: "194H", nature: "commission" };
    case "194I":
      return { known: true, printed, section: "194I" };
    case "194I(A)":
      return { known: true, printed, section: "194I", nature: "rent-plant-machinery" };
    case "194I(B)":
      return { known: true, printed, section: "194I", nature: "rent-land-building" };
    case "194Q":
      return { known: true, printed, section: "194Q", nature: "purchase-of-goods" };
    default:
      return { known: true, printed };
  }
}
