import { AppError, type FieldIssue } from "../../kernel/app-error.ts";
import type { Paise } from "../../kernel/money.ts";
import { formatBasisPoints, formatInr } from "./amounts.ts";
import { isIsoDate, type IsoDate } from "./calendar-date.ts";
import { invoiceNumberKeys, invoiceNumberRuns } from "./invoice-number.ts";
import { partyNameTokens, tokenMatch } from "./party-name.ts";
import { DEFAULT_SHORT_PAYMENT_TOLERANCE, type ShortPaymentTolerance } from "./short-payment.policy.ts";
import { effectiveTdsBasisPoints, findTdsRate, type TdsBase, type TdsProfile } from "./tds.calculator.ts";
import { COMMON_TDS_BASIS_POINTS, TDS_SECTIONS, type PayeeKind, type TdsSection } from "./tds-rates.data.ts";

/** What the matcher needs to know about an open invoice. */
export interface MatchableInvoice {
  id: string;
  number: string;
  customerId: string;
  totalPaise: Paise;
  openPaise: Paise;
  taxableValuePaise: Paise;
  issueDate: IsoDate;
  dueDate: IsoDate;
  /** Value (excluding tax) of the contract the invoice belongs to, for the GST TDS threshold; defaults to the taxable value. */
  contractValuePaise?: Paise;
  interState?: boolean;
}

export interface MatchableCustomer {
  id: string;
  name: string;
  aliases?: string[];
  vpas?: string[];
  /** Account numbers in plaintext. */
  accountNumbers?: string[];
  /** Blind indexes of account numbers stored encrypted, compared with a line's `payerAccountIndex`. */
  accountIndexes?: string[];
  tdsProfile?: TdsProfile;
}

/** A credit on the bank statement (or a gateway receipt) to be matched. */
export interface ReconciliationLine {
  id: string;
  date: IsoDate;
  amountPaise: Paise;
  narration: string;
  utr?: string;
  references?: string[];
  payerName?: string;
  payerVpa?: string;
  payerAccount?: string;
  /** Blind index of `payerAccount`, compared with customers' `accountIndexes`. */
  payerAccountIndex?: string;
}

/** A reference we expect on an incoming payment: a payment-link reference, a UTR from a remittance advice. */
export interface ExpectedReceipt {
  reference: string;
  customerId: string;
  invoiceIds: string[];
}

export interface MatcherSettings {
  /** Proposals at or above this confidence may be applied without a person (tenant setting). */
  autoApplyThreshold: number;
  shortPaymentTolerance: ShortPaymentTolerance;
  /** Our own status as payee (decides 194C 1% vs 2%). */
  payeeKind: PayeeKind;
  commonTdsBasisPoints: readonly number[];
  maxSubsetSize: number;
  maxInvoicesPerSubsetSearch: number;
  minimumConfidence: number;
  maxAlternatives: number;
}

export const DEFAULT_MATCHER_SETTINGS: MatcherSettings = {
  autoApplyThreshold: 0.9,
  shortPaymentTolerance: DEFAULT_SHORT_PAYMENT_TOLERANCE,
  payeeKind: "other",
  commonTdsBasisPoints: COMMON_TDS_BASIS_POINTS,
  maxSubsetSize: 4,
  maxInvoicesPerSubsetSearch: 32,
  minimumConfidence: 0.3,
  maxAlternatives: 3,
};

export interface ProposedAllocation {
  invoiceId: string;
  invoiceNumber: string;
  cashPaise: Paise;
  incomeTaxTdsPaise: Paise;
  gstTdsPaise: Paise;
  writeOffPaise: Paise;
  tdsSection?: TdsSection;
  writeOffReason?: string;
}

export type ProposalFlag =
  | "tds"
  | "gst-tds"
  | "unexpected-tds-rate"
  | "short-payment"
  | "partial-payment"
  | "overpayment"
  | "multi-invoice"
  | "amount-only"
  | "ambiguous"
  | "paid-before-invoice";

export interface ReconciliationProposal {
  lineId: string;
  customerId: string;
  allocations: ProposedAllocation[];
  /** Cash beyond what the invoices need, to keep as customer credit. */
  creditPaise: Paise;
  confidence: number;
  reason: string;
  evidence: string[];
  flags: ProposalFlag[];
  autoApplicable: boolean;
}

export interface LineMatch {
  lineId: string;
  proposal?: ReconciliationProposal;
  alternatives: ReconciliationProposal[];
  note?: string;
}

export interface ReconciliationResult {
  matches: LineMatch[];
  autoApplicableCount: number;
  proposedCount: number;
  unmatchedCount: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Internal, number-based representation (paise fit easily in a double; bigint only at the edges)

interface Hypothesis {
  key: string;
  kind: "none" | "tds";
  basisPoints: number;
  base: TdsBase;
  withGst: boolean;
  expected: boolean;
  section?: TdsSection;
}

const NONE: Hypothesis = {
  key: "none",
  kind: "none",
  basisPoints: 0,
  base: "before-gst",
  withGst: false,
  expected: true,
};

interface Inv {
  index: number;
  source: MatchableInvoice;
  customer: number;
  open: number;
  total: number;
  taxable: number;
  issue: number;
  due: number;
  gstTds: number;
  /** Statutory rate of the customer's profile for this invoice's date, 0 without a profile. */
  profileBp: number;
}

interface Cust {
  index: number;
  source: MatchableCustomer;
  tokens: string[];
  weights: number[];
  invoices: number[];
  profile?: Hypothesis;
  subsetCache: Map<string, SubsetCache>;
  hypotheses?: { basic: Hypothesis[]; all: Hypothesis[] };
  /** The customer's invoices sorted by open balance, for range lookups. */
  byOpen?: { opens: Float64Array; members: Int32Array };
}

interface SubsetCache {
  members: number[];
  values: number[];
  pairSums: Float64Array;
  pairA: Int32Array;
  pairB: Int32Array;
}

interface Settlement {
  customer: number;
  invoices: number[];
  hypothesis: Hypothesis;
  kind: "exact" | "tds" | "short" | "partial" | "overpayment";
  cash: number[];
  tds: number[];
  gst: number[];
  writeOff: number[];
  credit: number;
  amountEvidence: number;
}

function bp(amount: number, basisPoints: number): number {
  if (basisPoints === 0) return 0;
  const product = amount * basisPoints;
  if (Number.isSafeInteger(product)) return Math.round(product / 10_000);
  const exact = (BigInt(amount) * BigInt(basisPoints) * 2n + 10_000n) / 20_000n;
  return Number(exact);
}

const toNumber = (value: Paise): number => Number(value);
const epochDays = new Map<string, number>();

/** Days since 1970-01-01 of a YYYY-MM-DD date, NaN when it is not a real date (memoised: dates repeat a lot). */
function epochDay(date: IsoDate): number {
  let day = epochDays.get(date);
  if (day === undefined) {
    day = isIsoDate(date) ? Math.floor(Date.parse(`${date}T00:00:00Z`) / 86_400_000) : Number.NaN;
    if (epochDays.size > 100_000) epochDays.clear();
    epochDays.set(date, day);
  }
  return day;
}

function lowerBound(values: Float64Array | number[], target: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((values[middle] ?? 0) < target) low = middle + 1;
    else high = middle;
  }
  return low;
}

const SECTION_OF_RATE: Record<number, TdsSection> = {
  10: "194Q",
  100: "194C",
  200: "194C",
  500: "194H",
  1000: "194J",
};

/** Adds an invoice under a key; true when the key is new. */
function addToIndex(index: Map<string, number | number[]>, key: string, invoice: number): boolean {
  const existing = index.get(key);
  if (existing === undefined) {
    index.set(key, invoice);
    return true;
  }
  if (typeof existing === "number") index.set(key, [existing, invoice]);
  else existing.push(invoice);
  return false;
}

function makeInvoice(
  source: MatchableInvoice,
  index: number,
  customer: Cust,
  settings: MatcherSettings,
  profileRates: Map<string, number>,
): Inv {
  const taxable = toNumber(source.taxableValuePaise);
  let profileBp = 0;
  let gstTds = 0;
  if (customer.profile) {
    const profile = customer.source.tdsProfile;
    if (profile?.rateBasisPoints !== undefined && profile.panFurnished !== false)
      profileBp = profile.rateBasisPoints;
    else {
      const noPan = profile?.panFurnished === false;
      const key = `${customer.profile.section ?? ""}|${profile?.nature ?? ""}|${source.issueDate}|${noPan ? "no-pan" : ""}`;
      let rate = profileRates.get(key);
      if (rate === undefined) {
        const section = customer.profile.section ?? "194C";
        rate = effectiveTdsBasisPoints({
          section,
          on: source.issueDate,
          statutoryBasisPoints: findTdsRate({
            section,
            payee: settings.payeeKind,
            on: source.issueDate,
            ...(profile?.nature ? { nature: profile.nature } : {}),
          }).basisPoints,
          panFurnished: !noPan,
        }).basisPoints;
        profileRates.set(key, rate);
      }
      profileBp = rate;
    }
    const contract = source.contractValuePaise === undefined ? taxable : toNumber(source.contractValuePaise);
    if (customer.profile.withGst && contract > 25_000_000)
      gstTds = source.interState ? bp(taxable, 200) : 2 * bp(taxable, 100);
  }
  return {
    index,
    source,
    customer: customer.index,
    open: toNumber(source.openPaise),
    total: toNumber(source.totalPaise),
    taxable,
    issue: epochDay(source.issueDate),
    due: epochDay(source.dueDate),
    gstTds,
    profileBp,
  };
}

function runCount(key: string): number {
  let count = 1;
  for (let position = 0; position < key.length; position += 1)
    if (key.charCodeAt(position) === 124) count += 1;
  return count;
}

function addPrefixes(key: string, into: Set<string>): void {
  let end = key.lastIndexOf("|");
  while (end > 0) {
    const prefix = key.slice(0, end);
    if (into.has(prefix)) break;
    into.add(prefix);
    end = prefix.lastIndexOf("|");
  }
}

/** Positions of `values` in ascending order (packed numeric sort when the values allow it). */
function sortedOrder(values: readonly number[], _hint: number): number[] {
  const count = values.length;
  const width = 2 ** Math.ceil(Math.log2(Math.max(2, count)));
  const largest = values.reduce((max, value) => Math.max(max, value), 0);
  const smallest = values.reduce((min, value) => Math.min(min, value), 0);
  if (smallest >= 0 && largest * width < Number.MAX_SAFE_INTEGER) {
    const packed = new Float64Array(count);
    for (let position = 0; position < count; position += 1)
      packed[position] = (values[position] ?? 0) * width + position;
    packed.sort();
    return Array.from(packed, (value) => value % width);
  }
  return values.map((_, position) => position).sort((a, b) => (values[a] ?? 0) - (values[b] ?? 0));
}

/** Pre-computed indexes over open invoices and customers; build once per run (or reuse across runs). */
export interface ReconciliationIndex {
  readonly invoices: Inv[];
  readonly customers: Cust[];
  readonly settings: MatcherSettings;
  readonly customerById: Map<string, number>;
  readonly invoiceById: Map<string, number>;
  /** Invoice-number key -> invoice (a number) or invoices (an array, when several share the key). */
  readonly fullKeyIndex: Map<string, number | number[]>;
  readonly numericKeyIndex: Map<string, number | number[]>;
  /** Every proper prefix of a key ("INV", "INV|2025", ...), to stop scanning a narration early. */
  readonly keyPrefixes: Set<string>;
  readonly numericPrefixes: Set<string>;
  readonly maxFullRuns: number;
  readonly maxNumericRuns: number;
  readonly tokenIndex: Map<string, number[]>;
  readonly prefixIndex: Map<string, number[]>;
  readonly bigramIndex: Map<string, number[]>;
  readonly tokenWeight: Map<string, number>;
  readonly vpaIndex: Map<string, number>;
  readonly accountIndex: Map<string, number>;
  readonly referenceIndex: Map<string, ExpectedReceipt>;
  readonly targetValues: Float64Array;
  readonly targetInvoice: Int32Array;
  readonly targetHypothesis: Uint8Array;
}

function fieldAt(index: number, field: string): string {
  return `invoices.${index}.${field}`;
}

function validateInputs(
  invoices: readonly MatchableInvoice[],
  customers: readonly MatchableCustomer[],
): void {
  const issues: FieldIssue[] = [];
  const customerIds = new Set<string>();
  customers.forEach((customer, index) => {
    if (customerIds.has(customer.id))
      issues.push({ field: `customers.${index}.id`, reason: `duplicate customer id ${customer.id}` });
    customerIds.add(customer.id);
    const profile = customer.tdsProfile;
    if (profile && !TDS_SECTIONS.includes(profile.section))
      issues.push({ field: `customers.${index}.tdsProfile.section`, reason: "unknown TDS section" });
    else if (
      profile &&
      profile.rateBasisPoints === undefined &&
      (profile.section === "194J" || profile.section === "194I") &&
      !profile.nature
    ) {
      issues.push({
        field: `customers.${index}.tdsProfile.nature`,
        reason: `section ${profile.section} needs the nature of payment`,
      });
    }
  });
  const invoiceIds = new Set<string>();
  invoices.forEach((invoice, index) => {
    if (invoiceIds.has(invoice.id))
      issues.push({ field: fieldAt(index, "id"), reason: `duplicate invoice id ${invoice.id}` });
    invoiceIds.add(invoice.id);
    if (!customerIds.has(invoice.customerId))
      issues.push({ field: fieldAt(index, "customerId"), reason: `unknown customer ${invoice.customerId}` });
    if (invoice.openPaise < 0n || invoice.openPaise > invoice.totalPaise)
      issues.push({ field: fieldAt(index, "openPaise"), reason: "must lie between zero and the total" });
    if (invoice.taxableValuePaise < 0n || invoice.taxableValuePaise > invoice.totalPaise) {
      issues.push({
        field: fieldAt(index, "taxableValuePaise"),
        reason: "must lie between zero and the total",
      });
    }
    if (invoice.totalPaise > 9_000_000_000_000n)
      issues.push({ field: fieldAt(index, "totalPaise"), reason: "above ₹9,00,00,00,000 per invoice" });
    if (Number.isNaN(epochDay(invoice.issueDate)))
      issues.push({ field: fieldAt(index, "issueDate"), reason: "must be YYYY-MM-DD" });
    if (Number.isNaN(epochDay(invoice.dueDate)))
      issues.push({ field: fieldAt(index, "dueDate"), reason: "must be YYYY-MM-DD" });
  });
  if (issues.length > 0)
    throw AppError.invalidInput(issues, `reconciliation input refused: ${issues.length} problem(s)`);
}

/** Builds the indexes: invoice-number keys, amounts (open and net of expected TDS), name tokens, VPAs, references. */
export function buildReconciliationIndex(options: {
  invoices: readonly MatchableInvoice[];
  customers: readonly MatchableCustomer[];
  expectedReceipts?: readonly ExpectedReceipt[];
  settings?: Partial<MatcherSettings>;
}): ReconciliationIndex {
  const settings: MatcherSettings = { ...DEFAULT_MATCHER_SETTINGS, ...options.settings };
  settings.maxInvoicesPerSubsetSearch = Math.max(
    2,
    Math.min(64, Math.floor(settings.maxInvoicesPerSubsetSearch)),
  );
  settings.maxSubsetSize = Math.max(1, Math.min(4, Math.floor(settings.maxSubsetSize)));
  validateInputs(options.invoices, options.customers);
  const customerById = new Map<string, number>();
  const documentFrequency = new Map<string, number>();
  const customers: Cust[] = options.customers.map((customer, index) => {
    customerById.set(customer.id, index);
    const tokens = [
      ...new Set([customer.name, ...(customer.aliases ?? [])].flatMap((name) => partyNameTokens(name))),
    ];
    for (const token of tokens) documentFrequency.set(token, (documentFrequency.get(token) ?? 0) + 1);
    const profile = customer.tdsProfile;
    const hypothesis: Hypothesis | undefined = profile
      ? {
          key: `profile:${profile.section}:${profile.base ?? "before-gst"}:${profile.deductsGstTds ? "gst" : ""}`,
          kind: "tds",
          basisPoints: profile.rateBasisPoints ?? -1,
          base: profile.base ?? "before-gst",
          withGst: profile.deductsGstTds === true,
          expected: true,
          section: profile.section,
        }
      : undefined;
    return {
      index,
      source: customer,
      tokens,
      weights: [],
      invoices: [],
      ...(hypothesis ? { profile: hypothesis } : {}),
      subsetCache: new Map(),
    };
  });
  const tokenWeight = new Map<string, number>();
  const total = Math.max(1, customers.length);
  for (const [token, frequency] of documentFrequency)
    tokenWeight.set(token, token.length * Math.log(1 + total / frequency));
  const tokenIndex = new Map<string, number[]>();
  const prefixIndex = new Map<string, number[]>();
  const bigramIndex = new Map<string, number[]>();
  const vpaIndex = new Map<string, number>();
  const accountIndex = new Map<string, number>();
  for (const customer of customers) {
    customer.weights = customer.tokens.map((token) => tokenWeight.get(token) ?? token.length);
    for (const token of customer.tokens) {
      if (token.length < 2) continue;
      const list = tokenIndex.get(token) ?? [];
      list.push(customer.index);
      tokenIndex.set(token, list);
      if (token.length >= 4) {
        const prefix = token.slice(0, 4);
        const byPrefix = prefixIndex.get(prefix) ?? [];
        byPrefix.push(customer.index);
        prefixIndex.set(prefix, byPrefix);
      }
    }
    for (const name of [customer.source.name, ...(customer.source.aliases ?? [])]) {
      const tokens = partyNameTokens(name);
      for (let position = 0; position + 1 < tokens.length; position += 1) {
        const next = tokens[position + 1] ?? "";
        if (next.length < 3) continue;
        const key = `${tokens[position] ?? ""} ${next.slice(0, 3)}`;
        const list = bigramIndex.get(key) ?? [];
        if (!list.includes(customer.index)) list.push(customer.index);
        bigramIndex.set(key, list);
      }
    }
    for (const vpa of customer.source.vpas ?? []) vpaIndex.set(vpa.trim().toLowerCase(), customer.index);
    for (const account of customer.source.accountNumbers ?? [])
      accountIndex.set(account.replace(/\D/g, ""), customer.index);
    // Blind indexes are hex: the "#" keeps them apart from plaintext digits.
    for (const key of customer.source.accountIndexes ?? []) accountIndex.set(`#${key}`, customer.index);
  }

  const invoiceById = new Map<string, number>();
  const fullKeyIndex = new Map<string, number | number[]>();
  const numericKeyIndex = new Map<string, number | number[]>();
  const keyPrefixes = new Set<string>();
  const numericPrefixes = new Set<string>();
  let maxFullRuns = 1;
  let maxNumericRuns = 1;
  const invoices: Inv[] = [];
  const targetValue: number[] = [];
  const targetOf: number[] = [];
  const targetKind: number[] = [];
  const profileRates = new Map<string, number>();
  for (const source of options.invoices) {
    if (source.openPaise <= 0n) continue;
    const customerIndex = customerById.get(source.customerId) ?? 0;
    const customer = customers[customerIndex];
    if (!customer) continue;
    const invoice = makeInvoice(source, invoices.length, customer, settings, profileRates);
    invoices.push(invoice);
    invoiceById.set(source.id, invoice.index);
    customer.invoices.push(invoice.index);
    const keys = invoiceNumberKeys(source.number);
    if (keys.full) {
      if (addToIndex(fullKeyIndex, keys.full, invoice.index)) addPrefixes(keys.full, keyPrefixes);
      maxFullRuns = Math.max(maxFullRuns, runCount(keys.full));
    }
    if (keys.numeric) {
      if (addToIndex(numericKeyIndex, keys.numeric, invoice.index))
        addPrefixes(keys.numeric, numericPrefixes);
      maxNumericRuns = Math.max(maxNumericRuns, runCount(keys.numeric));
    }
    targetValue.push(invoice.open);
    targetOf.push(invoice.index);
    targetKind.push(0);
    if (customer.profile && invoice.profileBp > 0) {
      const base = customer.profile.base === "gross" ? invoice.total : invoice.taxable;
      const exact = bp(base, invoice.profileBp);
      const rounded = Math.round(exact / 100) * 100;
      const ceiling = Math.ceil(exact / 100) * 100;
      targetValue.push(invoice.open - exact - invoice.gstTds);
      targetOf.push(invoice.index);
      targetKind.push(1);
      if (rounded !== exact) {
        targetValue.push(invoice.open - rounded - invoice.gstTds);
        targetOf.push(invoice.index);
        targetKind.push(1);
      }
      if (ceiling !== exact && ceiling !== rounded) {
        targetValue.push(invoice.open - ceiling - invoice.gstTds);
        targetOf.push(invoice.index);
        targetKind.push(1);
      }
    }
  }
  for (const customer of customers)
    customer.invoices.sort((a, b) => (invoices[a]?.due ?? 0) - (invoices[b]?.due ?? 0) || a - b);
  const order = sortedOrder(targetValue, invoices.length);
  const referenceIndex = new Map<string, ExpectedReceipt>();
  for (const receipt of options.expectedReceipts ?? [])
    referenceIndex.set(receipt.reference.trim().toUpperCase().replace(/\s+/g, ""), receipt);
  return {
    invoices,
    customers,
    settings,
    customerById,
    invoiceById,
    fullKeyIndex,
    numericKeyIndex,
    keyPrefixes,
    numericPrefixes,
    maxFullRuns,
    maxNumericRuns,
    tokenIndex,
    prefixIndex,
    bigramIndex,
    tokenWeight,
    vpaIndex,
    accountIndex,
    referenceIndex,
    targetValues: Float64Array.from(order, (position) => targetValue[position] ?? 0),
    targetInvoice: Int32Array.from(order, (position) => targetOf[position] ?? 0),
    targetHypothesis: Uint8Array.from(order, (position) => targetKind[position] ?? 0),
  };
}

// ---------------------------------------------------------------------------------------------------------------

function allowance(settings: MatcherSettings, open: number): number {
  const tolerance = settings.shortPaymentTolerance;
  const fixed = toNumber(tolerance.maxPaise);
  const percentage = bp(Math.max(0, open), tolerance.maxBasisPoints);
  return tolerance.combine === "higher" ? Math.max(fixed, percentage) : Math.min(fixed, percentage);
}

function deductionsOf(invoice: Inv, hypothesis: Hypothesis): { tds: number; gst: number; base: number } {
  if (hypothesis.kind === "none") return { tds: 0, gst: 0, base: 0 };
  const rate = hypothesis.basisPoints >= 0 ? hypothesis.basisPoints : invoice.profileBp;
  const base = hypothesis.base === "gross" ? invoice.total : invoice.taxable;
  // only the open part of a partly paid invoice still carries its deduction, scaled to what is open
  const scale = invoice.open < invoice.total ? invoice.open / invoice.total : 1;
  const scaledBase = scale === 1 ? base : Math.round(base * scale);
  const gst = hypothesis.withGst ? (scale === 1 ? invoice.gstTds : Math.round(invoice.gstTds * scale)) : 0;
  return { tds: bp(scaledBase, rate), gst, base: scaledBase };
}

/** Tries to settle exactly `members` with `amount` under one deduction hypothesis. */
function settle(
  index: ReconciliationIndex,
  members: number[],
  amount: number,
  hypothesis: Hypothesis,
): Settlement | undefined {
  const k = members.length;
  let openSum = 0;
  for (const member of members) openSum += index.invoices[member]?.open ?? 0;
  const limit = allowance(index.settings, openSum);
  if (hypothesis.kind === "none") {
    const difference = openSum - amount;
    if (difference < 0 || difference > limit) return undefined;
    const cash = members.map((member) => index.invoices[member]?.open ?? 0);
    const writeOff = new Array<number>(k).fill(0);
    // the shortfall is written off on the last invoice, the cash on it reduced by the same
    if (difference > 0) {
      cash[k - 1] = (cash[k - 1] ?? 0) - difference;
      writeOff[k - 1] = difference;
    }
    return {
      customer: index.invoices[members[0] ?? 0]?.customer ?? 0,
      invoices: members,
      hypothesis,
      kind: difference === 0 ? "exact" : "short",
      cash,
      tds: new Array<number>(k).fill(0),
      gst: new Array<number>(k).fill(0),
      writeOff,
      credit: 0,
      amountEvidence:
        difference === 0 ? (k === 1 ? 0.65 : 0.62 - 0.04 * (k - 2)) : k === 1 ? 0.62 : 0.5 - 0.05 * (k - 2),
    };
  }
  let exactTds = 0;
  let gstSum = 0;
  const parts = members.map((member) => {
    const part = deductionsOf(index.invoices[member] as Inv, hypothesis);
    exactTds += part.tds;
    gstSum += part.gst;
    return part;
  });
  if (exactTds <= 0) return undefined;
  const claimed = openSum - gstSum - amount;
  if (claimed < 0) return undefined;
  let incomeTax = claimed;
  let shortfall = 0;
  const roundedOk =
    k === 1
      ? claimed === exactTds ||
        claimed === Math.round(exactTds / 100) * 100 ||
        claimed === Math.ceil(exactTds / 100) * 100
      : Math.abs(claimed - exactTds) <= 100 * k;
  if (!roundedOk) {
    shortfall = claimed - exactTds;
    if (shortfall <= 0 || shortfall > limit) return undefined;
    incomeTax = exactTds;
  }
  const tds = parts.map((part) => part.tds);
  tds[k - 1] = (tds[k - 1] ?? 0) + (incomeTax - exactTds);
  if ((tds[k - 1] ?? 0) < 0) return undefined;
  const gst = parts.map((part) => part.gst);
  const writeOff = new Array<number>(k).fill(0);
  writeOff[k - 1] = shortfall;
  const cash = members.map(
    (member, position) =>
      (index.invoices[member]?.open ?? 0) -
      (tds[position] ?? 0) -
      (gst[position] ?? 0) -
      (writeOff[position] ?? 0),
  );
  if (cash.some((value) => value < 0)) return undefined;
  const base = hypothesis.expected ? 0.63 : 0.45;
  return {
    customer: index.invoices[members[0] ?? 0]?.customer ?? 0,
    invoices: members,
    hypothesis,
    kind: shortfall > 0 ? "short" : "tds",
    cash,
    tds,
    gst,
    writeOff,
    credit: 0,
    amountEvidence: (shortfall > 0 ? base - 0.08 : base) - (k > 1 ? 0.04 * (k - 1) : 0),
  };
}

/** Settles invoices named by the payer even when the amount does not fit: partial payment or overpayment. */
function settleLoosely(index: ReconciliationIndex, members: number[], amount: number): Settlement {
  const invoices = members
    .map((member) => index.invoices[member] as Inv)
    .sort((a, b) => a.due - b.due || a.index - b.index);
  const openSum = invoices.reduce((sum, invoice) => sum + invoice.open, 0);
  const cash: number[] = [];
  let remaining = amount;
  for (const invoice of invoices) {
    const part = Math.min(invoice.open, remaining);
    cash.push(part);
    remaining -= part;
  }
  const used = invoices
    .map((invoice, position) => ({ invoice, cash: cash[position] ?? 0 }))
    .filter((entry) => entry.cash > 0);
  return {
    customer: invoices[0]?.customer ?? 0,
    invoices: used.map((entry) => entry.invoice.index),
    hypothesis: NONE,
    kind: amount > openSum ? "overpayment" : "partial",
    cash: used.map((entry) => entry.cash),
    tds: used.map(() => 0),
    gst: used.map(() => 0),
    writeOff: used.map(() => 0),
    credit: Math.max(0, amount - openSum),
    amountEvidence: 0,
  };
}

function hypothesesFor(index: ReconciliationIndex, customer: Cust, includeCommon: boolean): Hypothesis[] {
  customer.hypotheses ??= {
    basic: buildHypotheses(index, customer, false),
    all: buildHypotheses(index, customer, true),
  };
  return includeCommon ? customer.hypotheses.all : customer.hypotheses.basic;
}

function buildHypotheses(index: ReconciliationIndex, customer: Cust, includeCommon: boolean): Hypothesis[] {
  const list: Hypothesis[] = [NONE];
  if (customer.profile) list.push(customer.profile);
  if (!includeCommon) return list;
  const bases: TdsBase[] = ["before-gst", "gross"];
  const profileGst = customer.profile?.withGst === true;
  for (const rate of index.settings.commonTdsBasisPoints) {
    for (const base of bases) {
      for (const withGst of profileGst ? [true, false] : [false]) {
        if (
          customer.profile &&
          base === customer.profile.base &&
          withGst === customer.profile.withGst &&
          customer.profile.basisPoints === rate
        )
          continue;
        list.push({
          key: `common:${rate}:${base}:${withGst ? "gst" : ""}`,
          kind: "tds",
          basisPoints: rate,
          base,
          withGst,
          expected: false,
          section: customer.profile?.section ?? SECTION_OF_RATE[rate] ?? "194C",
        });
      }
    }
  }
  return list;
}

function subsetCache(index: ReconciliationIndex, customer: Cust, hypothesis: Hypothesis): SubsetCache {
  const cached = customer.subsetCache.get(hypothesis.key);
  if (cached) return cached;
  const members = customer.invoices.slice(0, index.settings.maxInvoicesPerSubsetSearch);
  const values = members.map((member) => {
    const invoice = index.invoices[member] as Inv;
    const parts = deductionsOf(invoice, hypothesis);
    return invoice.open - parts.tds - parts.gst;
  });
  const n = values.length;
  const count = (n * (n - 1)) / 2;
  const pairSums = new Float64Array(count);
  const pairA = new Int32Array(count);
  const pairB = new Int32Array(count);
  const largest = values.reduce((max, value) => Math.max(max, value), 0);
  if (largest * 2 * 4096 < Number.MAX_SAFE_INTEGER && values.every((value) => value >= 0)) {
    // sort (sum, a, b) packed into one double: native numeric sort, no comparator calls
    const packed = new Float64Array(count);
    let position = 0;
    for (let a = 0; a < n; a += 1) {
      for (let b = a + 1; b < n; b += 1)
        packed[position++] = ((values[a] ?? 0) + (values[b] ?? 0)) * 4096 + a * 64 + b;
    }
    packed.sort();
    for (let entry = 0; entry < count; entry += 1) {
      const value = packed[entry] ?? 0;
      const sum = Math.floor(value / 4096);
      const rest = value - sum * 4096;
      pairSums[entry] = sum;
      pairA[entry] = rest >> 6;
      pairB[entry] = rest & 63;
    }
  } else {
    const pairs: Array<[number, number, number]> = [];
    for (let a = 0; a < n; a += 1)
      for (let b = a + 1; b < n; b += 1) pairs.push([(values[a] ?? 0) + (values[b] ?? 0), a, b]);
    pairs.sort((x, y) => x[0] - y[0]);
    pairs.forEach(([sum, a, b], entry) => {
      pairSums[entry] = sum;
      pairA[entry] = a;
      pairB[entry] = b;
    });
  }
  const cache: SubsetCache = { members, values, pairSums, pairA, pairB };
  customer.subsetCache.set(hypothesis.key, cache);
  return cache;
}

/**
 * Combinations of 2..maxSize of the customer's invoices whose net values sum into [low, high], from sorted pair
 * sums: pairs by binary search, triples as one value + a pair, quadruples as pair + pair (bounded by `limit`).
 */
function findSubsets(
  cache: SubsetCache,
  low: number,
  high: number,
  maxSize: number,
  limit: number,
): number[][] {
  const found: number[][] = [];
  const { pairSums, pairA, pairB, values } = cache;
  const count = pairSums.length;
  if (count === 0 || maxSize < 2) return found;
  for (
    let position = lowerBound(pairSums, low);
    position < count && (pairSums[position] ?? Infinity) <= high;
    position += 1
  ) {
    found.push([pairA[position] ?? 0, pairB[position] ?? 0]);
    if (found.length >= limit) return found;
  }
  if (maxSize >= 3) {
    for (let first = 0; first < values.length; first += 1) {
      const value = values[first] ?? 0;
      const top = high - value;
      for (
        let position = lowerBound(pairSums, low - value);
        position < count && (pairSums[position] ?? Infinity) <= top;
        position += 1
      ) {
        const a = pairA[position] ?? 0;
        if (a <= first) continue;
        found.push([first, a, pairB[position] ?? 0]);
        if (found.length >= limit) return found;
      }
    }
  }
  if (maxSize >= 4) {
    const largest = pairSums[count - 1] ?? 0;
    const seen = new Set<number>();
    for (let outer = lowerBound(pairSums, low - largest); outer < count; outer += 1) {
      const sum = pairSums[outer] ?? 0;
      if (sum * 2 > high) break;
      const a = pairA[outer] ?? 0;
      const b = pairB[outer] ?? 0;
      const top = high - sum;
      for (
        let inner = Math.max(outer + 1, lowerBound(pairSums, low - sum));
        inner < count && (pairSums[inner] ?? Infinity) <= top;
        inner += 1
      ) {
        const c = pairA[inner] ?? 0;
        const d = pairB[inner] ?? 0;
        if (c === a || c === b || d === a || d === b) continue;
        const key =
          (1 << a) +
          (1 << b) +
          (1 << c) +
          (1 << d) +
          (a >= 31 || b >= 31 || c >= 31 || d >= 31 ? 2 ** 40 * (a * 64 ** 3 + b * 64 ** 2 + c * 64 + d) : 0);
        if (seen.has(key)) continue;
        seen.add(key);
        found.push([a, b, c, d].sort((x, y) => x - y));
        if (found.length >= limit) return found;
      }
    }
  }
  return found;
}

interface CustomerEvidence {
  name: number;
  vpa: boolean;
  invoiceHits: Map<number, number>;
  reference?: ExpectedReceipt;
  amountHits: Array<{ invoice: number; hypothesis: number }>;
}

function addCandidates(candidates: Set<number>, list: number[] | undefined, rare: number): void {
  if (list && list.length <= rare) for (const customer of list) candidates.add(customer);
}

function scoreNames(index: ReconciliationIndex, tokens: string[]): Map<number, number> {
  const candidates = new Set<number>();
  const rare = Math.max(12, Math.min(40, index.customers.length * 0.01));
  for (let position = 0; position < tokens.length; position += 1) {
    const token = tokens[position] ?? "";
    if (token.length < 3 || /^\d+$/.test(token)) continue;
    addCandidates(candidates, index.tokenIndex.get(token), rare);
    if (token.length >= 4) addCandidates(candidates, index.prefixIndex.get(token.slice(0, 4)), rare);
    const next = tokens[position + 1];
    if (next !== undefined && next.length >= 3)
      addCandidates(candidates, index.bigramIndex.get(`${token} ${next.slice(0, 3)}`), rare);
  }
  const scores = new Map<number, number>();
  if (candidates.size > 200) return scores;
  for (const candidate of candidates) {
    const customer = index.customers[candidate];
    if (!customer) continue;
    let total = 0;
    let covered = 0;
    for (let position = 0; position < customer.tokens.length; position += 1) {
      const token = customer.tokens[position] ?? "";
      const weight = customer.weights[position] ?? token.length;
      total += weight;
      let best = 0;
      for (const text of tokens) {
        const match = tokenMatch(token, text);
        if (match > best) best = match;
        if (best === 1) break;
      }
      covered += weight * best;
    }
    const score = total === 0 ? 0 : covered / total;
    if (score >= 0.6) scores.set(candidate, score);
  }
  return scores;
}

function noteHits(
  hits: Map<number, number>,
  invoices: number | number[] | undefined,
  strength: number,
): void {
  if (invoices === undefined) return;
  if (typeof invoices === "number") {
    const previous = hits.get(invoices);
    if (previous === undefined || previous < strength) hits.set(invoices, strength);
    return;
  }
  for (const invoice of invoices) {
    const previous = hits.get(invoice);
    if (previous === undefined || previous < strength) hits.set(invoice, strength);
  }
}

function invoiceNumberHits(index: ReconciliationIndex, text: string): Map<number, number> {
  const hits = new Map<number, number>();
  const runs = invoiceNumberRuns(text);
  for (let start = 0; start < runs.length; start += 1) {
    const first = runs[start] ?? "";
    if (first.length >= 6) noteHits(hits, index.fullKeyIndex.get(first), 0.6);
    let key = first;
    for (let length = 2; length <= index.maxFullRuns && start + length <= runs.length; length += 1) {
      if (!index.keyPrefixes.has(key)) break;
      key = `${key}|${runs[start + length - 1] ?? ""}`;
      noteHits(hits, index.fullKeyIndex.get(key), 0.75);
    }
  }
  const digits = runs.filter((run) => run.charCodeAt(0) <= 57);
  for (let start = 0; start < digits.length; start += 1) {
    let key = digits[start] ?? "";
    noteHits(hits, index.numericKeyIndex.get(key), 0.35);
    for (let length = 2; length <= index.maxNumericRuns && start + length <= digits.length; length += 1) {
      if (!index.numericPrefixes.has(key)) break;
      key = `${key}|${digits[start + length - 1] ?? ""}`;
      noteHits(hits, index.numericKeyIndex.get(key), 0.6);
    }
  }
  return hits;
}

function sum(values: number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

function describe(index: ReconciliationIndex, lineAmount: number, settlement: Settlement): string {
  const invoices = settlement.invoices.map((member) => index.invoices[member] as Inv);
  const opens = invoices
    .map((invoice) => `${invoice.source.number} ${formatInr(BigInt(invoice.open))}`)
    .join(" + ");
  const tds = sum(settlement.tds);
  const gst = sum(settlement.gst);
  const writeOff = sum(settlement.writeOff);
  const amount = formatInr(BigInt(lineAmount));
  if (settlement.kind === "partial")
    return `${amount} part-pays ${opens}; ${formatInr(BigInt(sum(invoices.map((invoice) => invoice.open)) - lineAmount))} stays open`;
  if (settlement.kind === "overpayment")
    return `${amount} pays ${opens} in full; ${formatInr(BigInt(settlement.credit))} kept as customer credit`;
  let text = `${amount} = ${opens}`;
  if (tds > 0) {
    const hypothesis = settlement.hypothesis;
    const base = invoices.reduce((total, invoice) => total + deductionsOf(invoice, hypothesis).base, 0);
    const rate = hypothesis.basisPoints >= 0 ? hypothesis.basisPoints : (invoices[0]?.profileBp ?? 0);
    const section = hypothesis.expected && hypothesis.section ? ` u/s ${hypothesis.section}` : "";
    const note = hypothesis.expected ? "" : `, not the customer's expected rate`;
    text += ` − ${formatInr(BigInt(tds))} TDS (${formatBasisPoints(rate)}${section} on ${formatInr(BigInt(base))}${note})`;
  }
  if (gst > 0) text += ` − ${formatInr(BigInt(gst))} GST TDS (2% u/s 51 CGST Act)`;
  if (writeOff > 0) text += ` − ${formatInr(BigInt(writeOff))} short payment written off`;
  return text;
}

function toProposal(
  index: ReconciliationIndex,
  line: ReconciliationLine,
  lineAmount: number,
  settlement: Settlement,
  evidence: CustomerEvidence,
  lineDay: number,
): ReconciliationProposal {
  const invoices = settlement.invoices.map((member) => index.invoices[member] as Inv);
  const probabilities: number[] = [];
  const evidenceText: string[] = [];
  const flags = new Set<ProposalFlag>();
  if (
    evidence.reference &&
    settlement.invoices.every((member) =>
      evidence.reference?.invoiceIds.includes(index.invoices[member]?.source.id ?? ""),
    )
  ) {
    probabilities.push(0.9);
    evidenceText.push(`reference ${evidence.reference.reference}`);
  }
  const hitStrengths = settlement.invoices.map((member) => evidence.invoiceHits.get(member) ?? 0);
  const named = hitStrengths.filter((strength) => strength > 0);
  if (named.length > 0) {
    const strength = Math.min(...named) * (named.length === hitStrengths.length ? 1 : 0.6);
    probabilities.push(strength);
    evidenceText.push(
      named.length === 1 ? "invoice number in narration" : `${named.length} invoice numbers in narration`,
    );
  }
  if (evidence.name > 0) {
    probabilities.push(0.72 * evidence.name);
    evidenceText.push(
      `payer name ${Math.round(evidence.name * 100)}% like ${index.customers[settlement.customer]?.source.name ?? ""}`,
    );
  }
  if (evidence.vpa) {
    probabilities.push(0.75);
    evidenceText.push("known payer account or UPI address");
  }
  if (settlement.amountEvidence > 0) probabilities.push(settlement.amountEvidence);
  const earliestIssue = Math.min(...invoices.map((invoice) => invoice.issue));
  const latestDue = Math.max(...invoices.map((invoice) => invoice.due));
  let penalty = 1;
  if (lineDay < earliestIssue - 3) {
    penalty *= 0.6;
    flags.add("paid-before-invoice");
  } else if (lineDay <= latestDue + 180) {
    probabilities.push(0.1);
  }
  const strongEvidence = evidenceText.length > 0;
  let confidence =
    (1 - probabilities.reduce((product, probability) => product * (1 - probability), 1)) * penalty;
  if (!strongEvidence) {
    flags.add("amount-only");
    confidence = Math.min(confidence, 0.7);
  }
  if (settlement.kind === "tds" || (settlement.kind === "short" && settlement.hypothesis.kind === "tds"))
    flags.add("tds");
  if (settlement.gst.some((value) => value > 0)) flags.add("gst-tds");
  if (settlement.hypothesis.kind === "tds" && !settlement.hypothesis.expected)
    flags.add("unexpected-tds-rate");
  if (settlement.kind === "short") flags.add("short-payment");
  if (settlement.kind === "partial") flags.add("partial-payment");
  if (settlement.kind === "overpayment") flags.add("overpayment");
  if (settlement.invoices.length > 1) flags.add("multi-invoice");
  const section = settlement.hypothesis.section;
  return {
    lineId: line.id,
    customerId: index.customers[settlement.customer]?.source.id ?? "",
    allocations: invoices.map((invoice, position) => ({
      invoiceId: invoice.source.id,
      invoiceNumber: invoice.source.number,
      cashPaise: BigInt(settlement.cash[position] ?? 0),
      incomeTaxTdsPaise: BigInt(settlement.tds[position] ?? 0),
      gstTdsPaise: BigInt(settlement.gst[position] ?? 0),
      writeOffPaise: BigInt(settlement.writeOff[position] ?? 0),
      ...((settlement.tds[position] ?? 0) > 0 && section ? { tdsSection: section } : {}),
      ...((settlement.writeOff[position] ?? 0) > 0
        ? { writeOffReason: "short payment within tolerance" }
        : {}),
    })),
    creditPaise: BigInt(settlement.credit),
    confidence: Math.round(Math.min(0.99, confidence) * 1000) / 1000,
    // written only for the proposals kept (see proposalsForLine): formatting amounts is the costly part
    reason: "",
    evidence: evidenceText,
    flags: [...flags],
    autoApplicable: false,
  };
}

function settlementKey(settlement: Settlement): string {
  return `${settlement.customer}:${[...settlement.invoices].sort((a, b) => a - b).join(",")}`;
}

function evidenceFor(evidence: Map<number, CustomerEvidence>, customer: number): CustomerEvidence {
  let found = evidence.get(customer);
  if (!found) {
    found = { name: 0, vpa: false, invoiceHits: new Map(), amountHits: [] };
    evidence.set(customer, found);
  }
  return found;
}

interface Candidate {
  settlement: Settlement;
  evidence: CustomerEvidence;
}

function consider(
  settlements: Map<string, Candidate>,
  settlement: Settlement | undefined,
  evidence: CustomerEvidence,
): boolean {
  if (!settlement) return false;
  const key = settlementKey(settlement);
  const existing = settlements.get(key);
  if (!existing || existing.settlement.amountEvidence < settlement.amountEvidence)
    settlements.set(key, { settlement, evidence });
  return true;
}

function evidenceWeight(found: CustomerEvidence): number {
  return (
    (found.reference ? 3 : 0) +
    (found.invoiceHits.size > 0 ? 2 : 0) +
    found.name +
    (found.vpa ? 1 : 0) +
    (found.amountHits.length > 0 ? 0.5 : 0)
  );
}

/** Open amounts of a settlement's invoices, sorted: equal lists mean interchangeable invoices (identical bills). */
function openSignature(index: ReconciliationIndex, settlement: Settlement): string {
  return settlement.invoices
    .map((member) => index.invoices[member]?.open ?? 0)
    .sort((a, b) => a - b)
    .join(",");
}

function sortByOpen(
  index: ReconciliationIndex,
  customer: Cust,
): { opens: Float64Array; members: Int32Array } {
  const members = Int32Array.from(customer.invoices).sort(
    (a, b) => (index.invoices[a]?.open ?? 0) - (index.invoices[b]?.open ?? 0),
  );
  return { opens: Float64Array.from(members, (member) => index.invoices[member]?.open ?? 0), members };
}

/** Cheap arithmetic test whether one invoice could settle under a hypothesis, before building a settlement. */
function mightFit(index: ReconciliationIndex, invoice: Inv, amount: number, hypothesis: Hypothesis): boolean {
  const limit = allowance(index.settings, invoice.open);
  if (hypothesis.kind === "none") {
    const difference = invoice.open - amount;
    return difference >= 0 && difference <= limit;
  }
  const rate = hypothesis.basisPoints >= 0 ? hypothesis.basisPoints : invoice.profileBp;
  const base = hypothesis.base === "gross" ? invoice.total : invoice.taxable;
  const scaled = invoice.open < invoice.total ? base * (invoice.open / invoice.total) : base;
  const tds = (scaled * rate) / 10_000;
  const gst = hypothesis.withGst ? invoice.gstTds : 0;
  const claimed = invoice.open - gst - amount;
  return claimed >= tds - 101 && claimed <= tds + 101 + limit;
}

function isIdentified(found: CustomerEvidence): boolean {
  return found.reference !== undefined || found.invoiceHits.size > 0 || found.name > 0 || found.vpa;
}

/** Named invoices, amount hits and single-invoice fits for one customer; true when a strong single fit was found. */
function searchSingles(
  index: ReconciliationIndex,
  customer: Cust,
  found: CustomerEvidence,
  amount: number,
  settlements: Map<string, Candidate>,
): boolean {
  const identified = isIdentified(found);
  const hypotheses = hypothesesFor(index, customer, identified);
  const named = found.reference
    ? found.reference.invoiceIds
        .map((id) => index.invoiceById.get(id))
        .filter((member): member is number => member !== undefined)
    : [...found.invoiceHits.keys()];
  let strong = false;
  if (named.length > 0) {
    let fitted = false;
    for (const hypothesis of hypotheses)
      fitted = consider(settlements, settle(index, named, amount, hypothesis), found) || fitted;
    if (named.length > 1) {
      for (const member of named)
        for (const hypothesis of hypotheses)
          fitted = consider(settlements, settle(index, [member], amount, hypothesis), found) || fitted;
    }
    if (!fitted) consider(settlements, settleLoosely(index, named, amount), found);
    strong = true;
  }
  if (!identified) {
    // an amount alone proves little: only exact fits (plain or net of the expected TDS) are worth showing
    for (const hit of found.amountHits) {
      const settlement = settle(
        index,
        [hit.invoice],
        amount,
        hit.hypothesis === 1 && customer.profile ? customer.profile : NONE,
      );
      if (settlement && settlement.kind !== "short") consider(settlements, settlement, found);
    }
    return false;
  }
  // the largest open balance this amount can settle: the highest rate considered on the gross, plus 2% GST TDS
  const highestRate =
    Math.max(...index.settings.commonTdsBasisPoints, customer.source.tdsProfile?.rateBasisPoints ?? 0, 1000) +
    200;
  const ceiling =
    amount / (1 - Math.min(9000, highestRate) / 10_000) + allowance(index.settings, amount * 2) + 500;
  const byOpen = (customer.byOpen ??= sortByOpen(index, customer));
  for (let position = lowerBound(byOpen.opens, amount); position < byOpen.opens.length; position += 1) {
    if ((byOpen.opens[position] ?? Infinity) > ceiling) break;
    const member = byOpen.members[position] ?? 0;
    const invoice = index.invoices[member];
    if (!invoice) continue;
    for (const hypothesis of hypotheses) {
      if (!mightFit(index, invoice, amount, hypothesis)) continue;
      if (
        consider(settlements, settle(index, [member], amount, hypothesis), found) &&
        (found.name >= 0.8 || found.vpa)
      )
        strong = true;
    }
  }
  return strong;
}

/** Combinations of the customer's invoices (expected deductions first, then common rates when the evidence is strong). */
function searchSubsets(
  index: ReconciliationIndex,
  customer: Cust,
  found: CustomerEvidence,
  amount: number,
  settlements: Map<string, Candidate>,
): void {
  if (customer.invoices.length < 2 || index.settings.maxSubsetSize < 2) return;
  const hypotheses = hypothesesFor(index, customer, true);
  const passes = [hypotheses.filter((hypothesis) => hypothesis.expected)];
  if (found.reference !== undefined || found.invoiceHits.size > 0) {
    passes.push(
      hypotheses.filter(
        (hypothesis) => !hypothesis.expected && hypothesis.base === "before-gst" && !hypothesis.withGst,
      ),
    );
  }
  const rounding = 100 * index.settings.maxSubsetSize;
  for (const pass of passes) {
    let matched = false;
    for (const hypothesis of pass) {
      const cache = subsetCache(index, customer, hypothesis);
      const slack = hypothesis.kind === "tds" ? rounding : 0;
      const combinations = findSubsets(
        cache,
        amount - slack,
        amount + slack + allowance(index.settings, amount),
        index.settings.maxSubsetSize,
        24,
      );
      for (const combination of combinations) {
        const members = combination.map((position) => cache.members[position] ?? 0);
        matched = consider(settlements, settle(index, members, amount, hypothesis), found) || matched;
      }
    }
    if (matched) return;
  }
}

/** A UPI address among the narration's parts (banks separate parts with "-", "/", "*", "|" or ":"). */
function findVpa(narration: string): string | undefined {
  for (const part of narration.split(/[\s/|*:-]+/))
    if (/^[A-Za-z0-9._]{2,}@[A-Za-z][A-Za-z0-9.]{1,63}$/.test(part)) return part;
  return undefined;
}

function oldestDue(index: ReconciliationIndex, settlement: Settlement): number {
  let oldest = Infinity;
  for (const member of settlement.invoices) oldest = Math.min(oldest, index.invoices[member]?.due ?? 0);
  return oldest;
}

function proposalsForLine(index: ReconciliationIndex, line: ReconciliationLine): ReconciliationProposal[] {
  const amount = toNumber(line.amountPaise);
  if (amount <= 0) return [];
  const lineDay = epochDay(line.date);
  const text = `${line.narration} ${line.payerName ?? ""} ${(line.references ?? []).join(" ")}`;
  const evidence = new Map<number, CustomerEvidence>();
  if (index.referenceIndex.size > 0) {
    const tokens = new Set([
      ...(text.toUpperCase().match(/[A-Z0-9][A-Z0-9_-]{5,}/g) ?? []),
      (line.utr ?? "").toUpperCase(),
    ]);
    for (const token of tokens) {
      const receipt = index.referenceIndex.get(token);
      const customer = receipt ? index.customerById.get(receipt.customerId) : undefined;
      if (receipt && customer !== undefined) evidenceFor(evidence, customer).reference = receipt;
    }
  }
  for (const [invoice, strength] of invoiceNumberHits(index, text)) {
    const customer = index.invoices[invoice]?.customer;
    if (customer !== undefined) evidenceFor(evidence, customer).invoiceHits.set(invoice, strength);
  }
  for (const [customer, score] of scoreNames(index, partyNameTokens(text)))
    evidenceFor(evidence, customer).name = score;
  const vpa = (line.payerVpa ?? findVpa(line.narration) ?? "").toLowerCase();
  const byVpa = vpa ? index.vpaIndex.get(vpa) : undefined;
  if (byVpa !== undefined) evidenceFor(evidence, byVpa).vpa = true;
  const account = line.payerAccount?.replace(/\D/g, "");
  const byAccount =
    (account ? index.accountIndex.get(account) : undefined) ??
    (line.payerAccountIndex ? index.accountIndex.get(`#${line.payerAccountIndex}`) : undefined);
  if (byAccount !== undefined) evidenceFor(evidence, byAccount).vpa = true;
  // invoices whose open balance, or balance net of the customer's expected TDS, equals the amount
  const from = lowerBound(index.targetValues, amount);
  const to = lowerBound(index.targetValues, amount + 1);
  if (to - from <= 12) {
    for (let position = from; position < to; position += 1) {
      const invoice = index.targetInvoice[position] ?? 0;
      const customer = index.invoices[invoice]?.customer;
      if (customer !== undefined)
        evidenceFor(evidence, customer).amountHits.push({
          invoice,
          hypothesis: index.targetHypothesis[position] ?? 0,
        });
    }
  }

  const settlements = new Map<string, Candidate>();
  const ranked = [...evidence.entries()]
    .sort((a, b) => evidenceWeight(b[1]) - evidenceWeight(a[1]))
    .slice(0, 8);
  let strongSingle = false;
  for (const [customerIndex, found] of ranked) {
    const customer = index.customers[customerIndex];
    if (customer && searchSingles(index, customer, found, amount, settlements)) strongSingle = true;
  }
  // several invoices in one payment: only when no invoice alone fits well, and only for the two best-identified customers
  if (!strongSingle) {
    let searched = 0;
    for (const [customerIndex, found] of ranked) {
      if (searched >= 2) break;
      const customer = index.customers[customerIndex];
      if (!customer || !isIdentified(found)) continue;
      searched += 1;
      searchSubsets(index, customer, found, amount, settlements);
    }
  }
  const scored = [...settlements.values()]
    .map(({ settlement, evidence: found }) => ({
      settlement,
      proposal: toProposal(index, line, amount, settlement, found, lineDay),
    }))
    .filter(({ proposal }) => proposal.confidence >= index.settings.minimumConfidence);
  scored.sort(
    (a, b) =>
      b.proposal.confidence - a.proposal.confidence ||
      a.settlement.invoices.length - b.settlement.invoices.length ||
      oldestDue(index, a.settlement) - oldestDue(index, b.settlement),
  );
  const best = scored[0];
  if (best) {
    // identical bills of one customer are interchangeable (the oldest is taken); anything else close is a rival
    const signature = openSignature(index, best.settlement);
    const rival = scored.find(
      (candidate) =>
        candidate !== best &&
        best.proposal.confidence - candidate.proposal.confidence < 0.05 &&
        !(
          candidate.settlement.customer === best.settlement.customer &&
          candidate.settlement.kind === best.settlement.kind &&
          openSignature(index, candidate.settlement) === signature
        ),
    );
    if (rival) {
      best.proposal.flags.push("ambiguous");
      best.proposal.confidence = Math.round(best.proposal.confidence * 0.85 * 1000) / 1000;
      best.proposal.reason += `; another candidate fits almost as well (${rival.proposal.allocations.map((allocation) => allocation.invoiceNumber).join(", ")})`;
    }
  }
  const kept = scored.slice(0, 1 + index.settings.maxAlternatives + 4);
  for (const { settlement, proposal } of kept) {
    const suffix = proposal.reason;
    proposal.reason = `${describe(index, amount, settlement)}${proposal.evidence.length > 0 ? `; ${proposal.evidence.join("; ")}` : "; amount only"}${suffix}`;
  }
  for (const { proposal } of kept) {
    proposal.autoApplicable =
      proposal.confidence >= index.settings.autoApplyThreshold &&
      !proposal.flags.includes("unexpected-tds-rate") &&
      !proposal.flags.includes("ambiguous") &&
      !proposal.flags.includes("amount-only");
  }
  return kept.map(({ proposal }) => proposal);
}

/**
 * Proposes, for each credit line, how it settles open invoices: by expected reference, invoice numbers in the
 * narration, payer name / UPI address / account, amount (exact, net of the customer's expected TDS, net of a
 * common TDS rate on the value before GST or the gross, within the short-payment tolerance, or a combination of up
 * to four of one customer's invoices), and date. Each proposal carries a confidence in [0, 1], a plain-language
 * reason and flags; it is auto-applicable only at or above the tenant's threshold and never when it relies on an
 * unexpected TDS rate, is ambiguous, or rests on the amount alone. Lines are then served best-first so two lines
 * never consume the same open balance.
 */
export function matchReconciliation(options: {
  lines: readonly ReconciliationLine[];
  invoices?: readonly MatchableInvoice[];
  customers?: readonly MatchableCustomer[];
  expectedReceipts?: readonly ExpectedReceipt[];
  settings?: Partial<MatcherSettings>;
  index?: ReconciliationIndex;
}): ReconciliationResult {
  const index =
    options.index ??
    buildReconciliationIndex({
      invoices: options.invoices ?? [],
      customers: options.customers ?? [],
      ...(options.expectedReceipts ? { expectedReceipts: options.expectedReceipts } : {}),
      ...(options.settings ? { settings: options.settings } : {}),
    });
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  options.lines.forEach((line, position) => {
    if (seen.has(line.id))
      issues.push({ field: `lines.${position}.id`, reason: `duplicate line id ${line.id}` });
    seen.add(line.id);
    if (!isIsoDate(line.date)) issues.push({ field: `lines.${position}.date`, reason: "must be YYYY-MM-DD" });
    if (line.amountPaise <= 0n)
      issues.push({ field: `lines.${position}.amountPaise`, reason: "a credit line must be more than zero" });
  });
  if (issues.length > 0)
    throw AppError.invalidInput(issues, `reconciliation input refused: ${issues.length} problem(s)`);

  const perLine = options.lines.map((line) => ({ line, proposals: proposalsForLine(index, line) }));
  const remaining = new Map<string, bigint>();
  const order = perLine
    .map((entry, position) => ({ entry, position }))
    .sort(
      (a, b) =>
        (b.entry.proposals[0]?.confidence ?? 0) - (a.entry.proposals[0]?.confidence ?? 0) ||
        a.position - b.position,
    );
  const matches: LineMatch[] = new Array<LineMatch>(perLine.length);
  for (const { entry, position } of order) {
    let chosen: ReconciliationProposal | undefined;
    let displaced = false;
    for (const proposal of entry.proposals) {
      const fits = proposal.allocations.every((allocation) => {
        const invoice = index.invoices[index.invoiceById.get(allocation.invoiceId) ?? -1];
        const open = remaining.get(allocation.invoiceId) ?? BigInt(invoice?.open ?? 0);
        const settled =
          allocation.cashPaise +
          allocation.incomeTaxTdsPaise +
          allocation.gstTdsPaise +
          allocation.writeOffPaise;
        return (
          settled <= open &&
          (open === BigInt(invoice?.open ?? 0) ||
            settled === open ||
            proposal.flags.includes("partial-payment"))
        );
      });
      if (fits) {
        chosen = proposal;
        break;
      }
      displaced = true;
    }
    if (chosen) {
      for (const allocation of chosen.allocations) {
        const invoice = index.invoices[index.invoiceById.get(allocation.invoiceId) ?? -1];
        const open = remaining.get(allocation.invoiceId) ?? BigInt(invoice?.open ?? 0);
        remaining.set(
          allocation.invoiceId,
          open -
            allocation.cashPaise -
            allocation.incomeTaxTdsPaise -
            allocation.gstTdsPaise -
            allocation.writeOffPaise,
        );
      }
      if (displaced) {
        chosen.autoApplicable = false;
        chosen.reason += "; a better-matching line took the first candidate";
      }
    }
    const alternatives = entry.proposals
      .filter((proposal) => proposal !== chosen)
      .slice(0, index.settings.maxAlternatives);
    matches[position] = {
      lineId: entry.line.id,
      ...(chosen ? { proposal: chosen } : {}),
      alternatives,
      ...(chosen
        ? {}
        : {
            note:
              entry.proposals.length > 0
                ? "every candidate invoice was taken by a better-matching line"
                : "no open invoice fits this credit",
          }),
    };
  }
  const proposedCount = matches.filter((match) => match.proposal).length;
  return {
    matches,
    proposedCount,
    autoApplicableCount: matches.filter((match) => match.proposal?.autoApplicable).length,
    unmatchedCount: matches.length - proposedCount,
  };
}
