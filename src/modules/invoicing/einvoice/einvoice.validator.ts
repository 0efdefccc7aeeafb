import { checkGstin } from "../../../kernel/gstin.ts";
import { findIndiaState, OUTSIDE_INDIA_CODE } from "../../../kernel/india-states.ts";
import { isCalendarDate } from "../calendar-date.ts";
import type { CalendarDate } from "../calendar-date.ts";
import { checkGstRate } from "../gst-rate.validator.ts";
import { GST_RATE_SLABS } from "../gst-rates.data.ts";

/**
 * Checks an IRP request against the schema 1.1 field rules (types, mandatory fields, lengths, patterns, enumerations,
 * ranges, decimals) and the IRP's business validations (item and invoice arithmetic, tax heads for the place of
 * supply, service codes, quantities of goods, allowed rates, round-off limits, forbidden characters). Every violation
 * is returned with a JSONPath; nothing is thrown for a bad payload.
 */

export interface EinvoiceViolation {
  /** JSONPath of the offending value, e.g. "$.ItemList[0].HsnCd". */
  path: string;
  rule: string;
  severity: "error" | "warning";
  message: string;
}

export interface EinvoiceValidationOptions {
  /** Also verify GSTIN check characters; the IRP schema itself only checks the pattern (sandbox GSTINs fail it). */
  strictGstin?: boolean;
}

type Json = Record<string, unknown>;

interface FieldSpec {
  type: "string" | "number" | "object" | "array";
  required?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: RegExp;
  enum?: readonly string[];
  min?: number;
  max?: number;
  decimals?: number;
}

const EVER_VALID_RATES: ReadonlySet<number> = new Set(GST_RATE_SLABS.map((slab) => slab.basisPoints));
const GSTIN_PATTERN = /^[0-9]{2}[0-9A-Z]{13}$/;
/** The schema says upper case only; the IRP has accepted lower case since (reference sandbox vectors use it). */
const DOCUMENT_NUMBER_PATTERN = /^[A-Za-z1-9][A-Za-z0-9/-]{0,15}$/;
const DATE_PATTERN = /^[0-3][0-9]\/[0-1][0-9]\/20[1-2][0-9]$/;
const AMOUNT = { type: "number", min: 0, max: 999_999_999_999.99, decimals: 2 } as const;
/** 99999999999999.99, the schema's invoice-level maximum, as the nearest double. */
const LARGE_MAXIMUM = 1e14 - 0.01;
const LARGE_AMOUNT = { type: "number", min: 0, max: LARGE_MAXIMUM, decimals: 2 } as const;

const PARTY: Record<string, FieldSpec> = {
  Gstin: { type: "string", required: true, minLength: 15, maxLength: 15, pattern: GSTIN_PATTERN },
  LglNm: { type: "string", required: true, minLength: 3, maxLength: 100 },
  TrdNm: { type: "string", minLength: 3, maxLength: 100 },
  Addr1: { type: "string", required: true, minLength: 3, maxLength: 100 },
  Addr2: { type: "string", minLength: 3, maxLength: 100 },
  Loc: { type: "string", required: true, minLength: 3, maxLength: 50 },
  Pin: { type: "number", required: true, min: 100000, max: 999999, decimals: 0 },
  Stcd: { type: "string", required: true, minLength: 1, maxLength: 2 },
  Ph: { type: "string", minLength: 6, maxLength: 12 },
  Em: { type: "string", minLength: 6, maxLength: 100 },
};

const SCHEMA: Record<string, Record<string, FieldSpec>> = {
  $: {
    Version: { type: "string", required: true, enum: ["1.1"] },
    TranDtls: { type: "object", required: true },
    DocDtls: { type: "object", required: true },
    SellerDtls: { type: "object", required: true },
    BuyerDtls: { type: "object", required: true },
    ItemList: { type: "array", required: true },
    ValDtls: { type: "object", required: true },
  },
  TranDtls: {
    TaxSch: { type: "string", required: true, enum: ["GST"] },
    SupTyp: { type: "string", required: true, enum: ["B2B", "SEZWP", "SEZWOP", "EXPWP", "EXPWOP", "DEXP"] },
    RegRev: { type: "string", enum: ["Y", "N"] },
    EcmGstin: { type: "string", minLength: 15, maxLength: 15, pattern: GSTIN_PATTERN },
    IgstOnIntra: { type: "string", enum: ["Y", "N"] },
  },
  DocDtls: {
    Typ: { type: "string", required: true, enum: ["INV", "CRN", "DBN"] },
    No: { type: "string", required: true, minLength: 1, maxLength: 16, pattern: DOCUMENT_NUMBER_PATTERN },
    Dt: { type: "string", required: true, minLength: 10, maxLength: 10, pattern: DATE_PATTERN },
  },
  SellerDtls: PARTY,
  BuyerDtls: {
    ...PARTY,
    Gstin: {
      type: "string",
      required: true,
      minLength: 3,
      maxLength: 15,
      pattern: /^(?:[0-9]{2}[0-9A-Z]{13}|URP)$/,
    },
    Loc: { type: "string", required: true, minLength: 3, maxLength: 100 },
    Pin: { type: "number", min: 100000, max: 999999, decimals: 0 },
    Pos: { type: "string", required: true, minLength: 1, maxLength: 2 },
  },
  ShipDtls: {
    ...PARTY,
    Gstin: { type: "string", minLength: 3, maxLength: 15, pattern: /^(?:[0-9]{2}[0-9A-Z]{13}|URP)$/ },
    Loc: { type: "string", required: true, minLength: 3, maxLength: 100 },
  },
  Item: {
    SlNo: { type: "string", required: true, minLength: 1, maxLength: 6, pattern: /^[0-9]+$/ },
    PrdDesc: { type: "string", minLength: 3, maxLength: 300 },
    IsServc: { type: "string", required: true, enum: ["Y", "N"] },
    HsnCd: { type: "string", required: true, minLength: 4, maxLength: 8, pattern: /^[0-9]+$/ },
    Qty: { type: "number", min: 0, max: 9_999_999_999.999, decimals: 3 },
    FreeQty: { type: "number", min: 0, max: 9_999_999_999.999, decimals: 3 },
    Unit: { type: "string", minLength: 3, maxLength: 8 },
    UnitPrice: { type: "number", required: true, min: 0, max: 999_999_999_999.999, decimals: 3 },
    TotAmt: { ...AMOUNT, required: true },
    Discount: AMOUNT,
    PreTaxVal: AMOUNT,
    AssAmt: { ...AMOUNT, required: true },
    GstRt: { type: "number", required: true, min: 0, max: 999.999, decimals: 3 },
    IgstAmt: AMOUNT,
    CgstAmt: AMOUNT,
    SgstAmt: AMOUNT,
    CesRt: { type: "number", min: 0, max: 999.999, decimals: 3 },
    CesAmt: AMOUNT,
    CesNonAdvlAmt: AMOUNT,
    StateCesRt: { type: "number", min: 0, max: 999.999, decimals: 3 },
    StateCesAmt: AMOUNT,
    StateCesNonAdvlAmt: AMOUNT,
    OthChrg: AMOUNT,
    TotItemVal: { ...AMOUNT, required: true },
  },
  ValDtls: {
    AssVal: { ...LARGE_AMOUNT, required: true },
    CgstVal: LARGE_AMOUNT,
    SgstVal: LARGE_AMOUNT,
    IgstVal: LARGE_AMOUNT,
    CesVal: LARGE_AMOUNT,
    StCesVal: LARGE_AMOUNT,
    Discount: LARGE_AMOUNT,
    OthChrg: LARGE_AMOUNT,
    RndOffAmt: { type: "number", min: -99.99, max: 99.99, decimals: 2 },
    TotInvVal: { ...LARGE_AMOUNT, required: true },
    TotInvValFc: LARGE_AMOUNT,
  },
  PayDtls: {
    Nm: { type: "string", minLength: 1, maxLength: 100 },
    AccDet: { type: "string", minLength: 1, maxLength: 18 },
    Mode: { type: "string", minLength: 1, maxLength: 18 },
    FinInsBr: { type: "string", minLength: 1, maxLength: 11 },
    PayTerm: { type: "string", minLength: 1, maxLength: 100 },
    PayInstr: { type: "string", minLength: 1, maxLength: 100 },
    CrTrn: { type: "string", minLength: 1, maxLength: 100 },
    DirDr: { type: "string", minLength: 1, maxLength: 100 },
    CrDay: { type: "number", min: 0, max: 9999, decimals: 0 },
    PaidAmt: LARGE_AMOUNT,
    PaymtDue: LARGE_AMOUNT,
  },
  PrecDoc: {
    InvNo: { type: "string", required: true, minLength: 1, maxLength: 16, pattern: DOCUMENT_NUMBER_PATTERN },
    InvDt: { type: "string", required: true, minLength: 10, maxLength: 10, pattern: DATE_PATTERN },
  },
  ExpDtls: {
    ShipBNo: { type: "string", minLength: 1, maxLength: 20 },
    Port: { type: "string", minLength: 2, maxLength: 10 },
    ForCur: { type: "string", minLength: 3, maxLength: 16 },
    CntCode: { type: "string", minLength: 2, maxLength: 2, pattern: /^[A-Z]{2}$/ },
  },
};

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function typeOf(value: unknown): string {
  return Array.isArray(value) ? "array" : value === null ? "null" : typeof value;
}

function hasAtMostDecimals(value: number, decimals: number): boolean {
  const scaled = value * 10 ** decimals;
  return Math.abs(scaled - Math.round(scaled)) < 1e-6 * Math.max(1, Math.abs(scaled));
}

class Collector {
  readonly violations: EinvoiceViolation[] = [];

  error(path: string, rule: string, message: string): void {
    this.violations.push({ path, rule, severity: "error", message });
  }

  warning(path: string, rule: string, message: string): void {
    this.violations.push({ path, rule, severity: "warning", message });
  }

  fields(object: Json, specs: Record<string, FieldSpec>, base: string): void {
    for (const [name, spec] of Object.entries(specs)) {
      const path = `${base}.${name}`;
      const value = object[name];
      if (value === undefined || value === null) {
        if (spec.required === true) this.error(path, "required", "is mandatory");
        continue;
      }
      if (typeOf(value) !== spec.type) {
        this.error(path, "type", `must be a ${spec.type}, got ${typeOf(value)}`);
        continue;
      }
      if (typeof value === "string") {
        if (spec.minLength !== undefined && value.length < spec.minLength) {
          this.error(path, "min-length", `needs at least ${spec.minLength} characters, got ${value.length}`);
        }
        if (spec.maxLength !== undefined && value.length > spec.maxLength) {
          this.error(path, "max-length", `allows at most ${spec.maxLength} characters, got ${value.length}`);
        }
        if (spec.enum !== undefined && !spec.enum.includes(value)) {
          this.error(path, "enum", `must be one of ${spec.enum.join(", ")}, got "${value}"`);
        }
        if (spec.pattern !== undefined && !spec.pattern.test(value)) {
          this.error(path, "pattern", `"${value}" does not match ${spec.pattern.source}`);
        }
      }
      if (typeof value === "number") {
        if (!Number.isFinite(value)) this.error(path, "type", "must be a finite number");
        if (spec.min !== undefined && value < spec.min)
          this.error(path, "minimum", `must be at least ${spec.min}`);
        if (spec.max !== undefined && value > spec.max)
          this.error(path, "maximum", `must be at most ${spec.max}`);
        if (spec.decimals !== undefined && !hasAtMostDecimals(value, spec.decimals)) {
          this.error(path, "decimals", `allows at most ${spec.decimals} decimals`);
        }
      }
    }
  }

  /** The IRP refuses any string containing a double quote or a backslash. */
  characters(value: unknown, path: string): void {
    if (typeof value === "string") {
      if (/["\\]/.test(value)) this.error(path, "forbidden-character", 'must not contain " or \\');
    } else if (Array.isArray(value)) {
      value.forEach((entry, index) => {
        this.characters(entry, `${path}[${index}]`);
      });
    } else if (isObject(value)) {
      for (const [key, entry] of Object.entries(value)) this.characters(entry, `${path}.${key}`);
    }
  }
}

/** Rupee number to integer paise; NaN-safe callers check decimals first. */
function paise(value: unknown): bigint {
  return typeof value === "number" && Number.isFinite(value) ? BigInt(Math.round(value * 100)) : 0n;
}

function section(payload: Json, key: string): Json | null {
  const value = payload[key];
  return isObject(value) ? value : null;
}

function ddmmyyyyToIso(text: string): CalendarDate | null {
  const match = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text);
  if (!match) return null;
  const iso = `${match[3]}-${match[2]}-${match[1]}`;
  return isCalendarDate(iso) ? iso : null;
}

const abs = (value: bigint): bigint => (value < 0n ? -value : value);

function validateItems(
  items: unknown[],
  context: { interState: boolean; zeroRated: boolean; documentType: string; date: CalendarDate | null },
  out: Collector,
): void {
  if (items.length < 1 || items.length > 1000)
    out.error("$.ItemList", "item-count", "must hold 1 to 1000 items");
  const serials = new Map<string, number>();
  items.forEach((raw, index) => {
    const path = `$.ItemList[${index}]`;
    if (!isObject(raw)) {
      out.error(path, "type", "must be an object");
      return;
    }
    out.fields(raw, SCHEMA.Item ?? {}, path);
    const serial = raw.SlNo;
    if (typeof serial === "string") {
      const previous = serials.get(serial);
      if (previous !== undefined)
        out.error(`${path}.SlNo`, "unique-serial", `repeats the SlNo of item ${previous}`);
      serials.set(serial, index);
    }
    const code = typeof raw.HsnCd === "string" ? raw.HsnCd : "";
    if (raw.IsServc === "Y" && code !== "" && !code.startsWith("99")) {
      out.error(`${path}.HsnCd`, "service-code", "a service (IsServc Y) needs a SAC starting with 99");
    }
    if (raw.IsServc === "N" && code.startsWith("99")) {
      out.error(`${path}.IsServc`, "service-code", `HSN ${code} is a SAC: set IsServc to Y`);
    }
    if (raw.IsServc === "N") {
      if (raw.Qty === undefined) out.error(`${path}.Qty`, "goods-quantity", "is mandatory for goods");
      if (raw.Unit === undefined) out.error(`${path}.Unit`, "goods-quantity", "is mandatory for goods");
    }
    if (typeof raw.GstRt === "number") {
      const basisPoints = Math.round(raw.GstRt * 100);
      if (context.documentType === "INV" && context.date !== null) {
        const check = checkGstRate({ rateBasisPoints: basisPoints, date: context.date });
        if (!check.ok) out.error(`${path}.GstRt`, "allowed-rate", check.reason);
      } else if (!EVER_VALID_RATES.has(basisPoints)) {
        // Notes amend invoices of earlier dates, so any rate GST has had is accepted on them.
        out.error(`${path}.GstRt`, "allowed-rate", `${raw.GstRt}% has never been a GST rate`);
      }
    }

    const total = paise(raw.TotAmt);
    const discount = paise(raw.Discount);
    const assessable = paise(raw.AssAmt);
    if (raw.TotAmt !== undefined && raw.AssAmt !== undefined && assessable !== total - discount) {
      out.error(
        `${path}.AssAmt`,
        "item-assessable",
        `AssAmt must be TotAmt - Discount = ${Number(total - discount) / 100}`,
      );
    }
    if (
      context.documentType === "INV" &&
      typeof raw.Qty === "number" &&
      typeof raw.UnitPrice === "number" &&
      raw.Qty > 0
    ) {
      const expected = Math.round(raw.Qty * raw.UnitPrice * 100);
      if (Math.abs(expected - Number(total)) > 1) {
        out.warning(`${path}.TotAmt`, "item-gross", `TotAmt should be UnitPrice x Qty = ${expected / 100}`);
      }
    }
    const igst = paise(raw.IgstAmt);
    const cgst = paise(raw.CgstAmt);
    const sgst = paise(raw.SgstAmt);
    if (context.interState && cgst + sgst > 0n) {
      out.error(
        `${path}.CgstAmt`,
        "tax-head",
        "an inter-State supply (or export / SEZ supply) carries IGST, not CGST/SGST",
      );
    }
    if (!context.interState && igst > 0n) {
      out.error(`${path}.IgstAmt`, "tax-head", "an intra-State supply carries CGST + SGST, not IGST");
    }
    if (cgst !== sgst) out.error(`${path}.SgstAmt`, "tax-head", "SGST/UTGST must equal CGST");
    if (context.documentType === "INV" && typeof raw.GstRt === "number" && raw.AssAmt !== undefined) {
      const rate = BigInt(Math.round(raw.GstRt * 1000));
      // Exact tax x 100000 = AssAmt(paise) x rate(thousandths of a per cent); a stated amount is fine within one paisa.
      const denominator = context.interState ? 100_000n : 200_000n;
      const exact = assessable * rate;
      const stated = context.interState ? igst : cgst;
      const zeroAccepted = context.zeroRated && stated === 0n;
      if (!zeroAccepted && abs(stated * denominator - exact) >= denominator) {
        const head = context.interState ? "IgstAmt" : "CgstAmt";
        out.error(
          `${path}.${head}`,
          "item-tax",
          `${head} must be AssAmt x GstRt${context.interState ? "" : " / 2"} = ${Number(exact / (denominator / 100n)) / 100}`,
        );
      }
    }
    const itemTotal =
      assessable +
      igst +
      cgst +
      sgst +
      paise(raw.CesAmt) +
      paise(raw.CesNonAdvlAmt) +
      paise(raw.StateCesAmt) +
      paise(raw.StateCesNonAdvlAmt) +
      paise(raw.OthChrg);
    if (raw.TotItemVal !== undefined && paise(raw.TotItemVal) !== itemTotal) {
      out.error(
        `${path}.TotItemVal`,
        "item-total",
        `TotItemVal must be AssAmt + taxes + cess + other charges = ${Number(itemTotal) / 100}`,
      );
    }
  });
}

function validateTotals(items: Json[], values: Json, out: Collector): void {
  const sum = (...keys: string[]): bigint =>
    items.reduce((total, item) => total + keys.reduce((part, key) => part + paise(item[key]), 0n), 0n);
  const checks: Array<[string, bigint]> = [
    ["AssVal", sum("AssAmt")],
    ["CgstVal", sum("CgstAmt")],
    ["SgstVal", sum("SgstAmt")],
    ["IgstVal", sum("IgstAmt")],
    ["CesVal", sum("CesAmt", "CesNonAdvlAmt")],
    ["StCesVal", sum("StateCesAmt", "StateCesNonAdvlAmt")],
  ];
  for (const [key, expected] of checks) {
    if (values[key] === undefined && expected === 0n) continue;
    if (paise(values[key]) !== expected) {
      out.error(
        `$.ValDtls.${key}`,
        "invoice-sum",
        `must be the sum of the items = ${Number(expected) / 100}`,
      );
    }
  }
  const expectedTotal =
    paise(values.AssVal) +
    paise(values.CgstVal) +
    paise(values.SgstVal) +
    paise(values.IgstVal) +
    paise(values.CesVal) +
    paise(values.StCesVal) +
    paise(values.OthChrg) -
    paise(values.Discount) +
    paise(values.RndOffAmt);
  if (values.TotInvVal !== undefined && paise(values.TotInvVal) !== expectedTotal) {
    out.error(
      "$.ValDtls.TotInvVal",
      "invoice-total",
      `must be AssVal + taxes + cess + OthChrg - Discount + RndOffAmt = ${Number(expectedTotal) / 100}`,
    );
  }
}

/** Validates an IRP request; returns every violation found, empty when the payload is acceptable. */
export function validateEinvoicePayload(
  payload: unknown,
  options: EinvoiceValidationOptions = {},
): EinvoiceViolation[] {
  const out = new Collector();
  if (!isObject(payload)) {
    out.error("$", "type", "the payload must be a JSON object");
    return out.violations;
  }
  out.fields(payload, SCHEMA.$ ?? {}, "$");
  if ("Irn" in payload) out.error("$.Irn", "no-irn", "the IRN is generated by the IRP and must not be sent");
  out.characters(payload, "$");

  const tran = section(payload, "TranDtls");
  const doc = section(payload, "DocDtls");
  const seller = section(payload, "SellerDtls");
  const buyer = section(payload, "BuyerDtls");
  const values = section(payload, "ValDtls");
  if (tran) out.fields(tran, SCHEMA.TranDtls ?? {}, "$.TranDtls");
  if (doc) out.fields(doc, SCHEMA.DocDtls ?? {}, "$.DocDtls");
  if (seller) out.fields(seller, SCHEMA.SellerDtls ?? {}, "$.SellerDtls");
  if (buyer) out.fields(buyer, SCHEMA.BuyerDtls ?? {}, "$.BuyerDtls");
  if (values) out.fields(values, SCHEMA.ValDtls ?? {}, "$.ValDtls");
  for (const key of ["ShipDtls", "PayDtls", "ExpDtls"] as const) {
    const part = section(payload, key);
    if (part) out.fields(part, SCHEMA[key] ?? {}, `$.${key}`);
  }
  const ref = section(payload, "RefDtls");
  const preceding = ref?.PrecDocDtls;
  if (Array.isArray(preceding)) {
    preceding.forEach((entry, index) => {
      if (isObject(entry)) out.fields(entry, SCHEMA.PrecDoc ?? {}, `$.RefDtls.PrecDocDtls[${index}]`);
    });
  }

  let date: CalendarDate | null = null;
  if (doc && typeof doc.Dt === "string" && DATE_PATTERN.test(doc.Dt)) {
    date = ddmmyyyyToIso(doc.Dt);
    if (date === null) out.error("$.DocDtls.Dt", "date", `"${doc.Dt}" is not a calendar date`);
  }
  const documentType = typeof doc?.Typ === "string" ? doc.Typ : "INV";
  if (documentType !== "INV" && !Array.isArray(preceding)) {
    out.warning(
      "$.RefDtls.PrecDocDtls",
      "preceding-document",
      "a credit or debit note should name the invoice it amends",
    );
  }

  const supplyType = typeof tran?.SupTyp === "string" ? tran.SupTyp : "B2B";
  const isExport = supplyType === "EXPWP" || supplyType === "EXPWOP";
  const sellerGstin = typeof seller?.Gstin === "string" ? seller.Gstin : "";
  const buyerGstin = typeof buyer?.Gstin === "string" ? buyer.Gstin : "";
  const pos = typeof buyer?.Pos === "string" ? buyer.Pos.padStart(2, "0") : "";
  for (const [path, code] of [
    ["$.SellerDtls.Stcd", seller?.Stcd],
    ["$.BuyerDtls.Stcd", buyer?.Stcd],
    ["$.BuyerDtls.Pos", buyer?.Pos],
  ] as const) {
    if (typeof code === "string" && code !== "" && findIndiaState(code) === undefined) {
      out.error(path, "state-code", `"${code}" is not a GST state code`);
    }
  }
  if (isExport) {
    if (buyerGstin !== "URP") out.error("$.BuyerDtls.Gstin", "export-buyer", 'an export buyer is "URP"');
    if (pos !== "" && pos !== OUTSIDE_INDIA_CODE)
      out.error("$.BuyerDtls.Pos", "export-pos", "the place of supply of an export is 96");
  } else {
    if (buyerGstin === "URP")
      out.error("$.BuyerDtls.Gstin", "registered-buyer", `a ${supplyType} buyer needs a GSTIN`);
    if (pos === OUTSIDE_INDIA_CODE)
      out.error("$.BuyerDtls.Pos", "domestic-pos", "96 is the place of supply of exports only");
  }
  if (sellerGstin !== "" && sellerGstin === buyerGstin) {
    out.error("$.BuyerDtls.Gstin", "same-party", "the buyer's GSTIN is the seller's");
  }
  if (options.strictGstin === true) {
    for (const [path, gstin] of [
      ["$.SellerDtls.Gstin", sellerGstin],
      ["$.BuyerDtls.Gstin", buyerGstin],
    ] as const) {
      if (gstin === "" || gstin === "URP") continue;
      const check = checkGstin(gstin);
      if (!check.ok) for (const issue of check.issues) out.error(path, "gstin", issue.reason);
    }
  }

  const interState =
    isExport ||
    supplyType === "SEZWP" ||
    supplyType === "SEZWOP" ||
    tran?.IgstOnIntra === "Y" ||
    (sellerGstin.length >= 2 && pos !== "" && sellerGstin.slice(0, 2) !== pos);
  const zeroRated = supplyType === "EXPWOP" || supplyType === "SEZWOP";
  const items = Array.isArray(payload.ItemList) ? payload.ItemList : [];
  validateItems(items, { interState, zeroRated, documentType, date }, out);
  if (values) validateTotals(items.filter(isObject), values, out);
  return out.violations;
}
