import { AppError } from "../../kernel/app-error.ts";
import { addDays, type IsoDate } from "./calendar-date.ts";
import type { TdsProfile } from "./tds.calculator.ts";
import type {
  MatchableCustomer,
  MatchableInvoice,
  ReconciliationLine,
  ReconciliationProposal,
  ReconciliationResult,
} from "./reconciliation.matcher.ts";

/**
 * A synthetic but realistic reconciliation workload with known truth, for tests and benchmarks: customers with
 * Indian business names (some with TDS profiles, some government buyers deducting GST TDS), GST invoices numbered
 * INV/2025-26/NNNNN, and credit lines as banks print them (NEFT/RTGS/IMPS/UPI narrations with truncated names and
 * invoice numbers typed in different ways). The mix: exact payments, payments net of TDS (a share at an unexpected
 * rate), short payments within the default tolerance, one payment for several invoices, and noise.
 */

export type ScenarioGroup = "exact" | "tds" | "short-payment" | "multi-invoice" | "noise";

export interface ScenarioTruth {
  lineId: string;
  group: ScenarioGroup;
  customerId?: string;
  invoiceIds: string[];
  /** TDS deducted at a rate other than the customer's profile: must be proposed but never auto-applied. */
  unexpectedRate?: boolean;
  /** The payment is net of TDS (always for group "tds", sometimes for "multi-invoice"). */
  withTds?: boolean;
}

export interface ReconciliationScenario {
  seed: number;
  customers: MatchableCustomer[];
  invoices: MatchableInvoice[];
  lines: ReconciliationLine[];
  truth: ScenarioTruth[];
}

export interface ScenarioMix {
  exact: number;
  tds: number;
  shortPayment: number;
  multiInvoice: number;
  noise: number;
}

export const DEFAULT_SCENARIO_MIX: ScenarioMix = {
  exact: 0.35,
  tds: 0.25,
  shortPayment: 0.1,
  multiInvoice: 0.15,
  noise: 0.15,
};

/** Mulberry32: small, fast, deterministic. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const FIRST = [
  "SHREE",
  "SRI",
  "JAI",
  "OM",
  "NEW",
  "ROYAL",
  "GLOBAL",
  "UNITED",
  "PRIME",
  "NATIONAL",
  "BHARAT",
  "SUPREME",
  "CITY",
  "STAR",
  "GOLDEN",
  "SUNRISE",
  "VIJAY",
  "LAXMI",
  "GANESH",
  "BALAJI",
  "SAI",
  "KRISHNA",
  "DURGA",
  "AMBIKA",
  "MAHAVIR",
  "PATEL",
  "SHARMA",
  "GUPTA",
  "AGARWAL",
  "MEHTA",
  "REDDY",
  "IYER",
  "NAIR",
  "KUMAR",
  "SINGH",
  "JOSHI",
  "DESAI",
  "KAPOOR",
  "CHOPRA",
  "BANSAL",
];
const SECOND = [
  "ACME",
  "APEX",
  "VERTEX",
  "ORBIT",
  "NOVA",
  "ZENITH",
  "PIONEER",
  "SUMMIT",
  "HORIZON",
  "MATRIX",
  "FUSION",
  "QUANTUM",
  "TRIDENT",
  "EAGLE",
  "LOTUS",
  "TULSI",
  "KAVERI",
  "GANGA",
  "HIMALAYA",
  "SAHYADRI",
  "NARMADA",
  "INDUS",
  "DECCAN",
  "KONKAN",
  "MALABAR",
  "COROMANDEL",
  "VINDHYA",
  "ARAVALI",
  "SATPURA",
  "NILGIRI",
];
const TRADE = [
  "TRADERS",
  "ENTERPRISES",
  "INDUSTRIES",
  "ENGINEERING",
  "TEXTILES",
  "STEELS",
  "AGENCIES",
  "LOGISTICS",
  "INFRA",
  "PHARMA",
  "FOODS",
  "ELECTRICALS",
  "CONSTRUCTIONS",
  "POLYMERS",
  "CHEMICALS",
  "AUTOMOTIVE",
  "SYSTEMS",
  "SOLUTIONS",
  "EXPORTS",
  "PACKAGING",
];
const LEGAL = ["PVT LTD", "PRIVATE LIMITED", "LLP", "", "& CO", "LIMITED", "PVT. LTD."];
const BANKS = ["HDFC", "ICIC", "SBIN", "UTIB", "KKBK", "PUNB", "BARB", "CNRB", "YESB", "IDIB"];
const GST_RATES = [500, 1200, 1800, 1800, 1800, 1800, 2800];

export function generateReconciliationScenario(options: {
  seed: number;
  lines: number;
  invoices: number;
  customers: number;
  mix?: Partial<ScenarioMix>;
}): ReconciliationScenario {
  const { seed } = options;
  if (
    !Number.isInteger(options.customers) ||
    options.customers < 1 ||
    !Number.isInteger(options.invoices) ||
    options.invoices < options.customers
  ) {
    throw AppError.invalidInput([
      { field: "invoices", reason: "need at least one customer and one invoice per customer" },
    ]);
  }
  if (!Number.isInteger(options.lines) || options.lines < 0 || options.lines > options.invoices) {
    throw AppError.invalidInput([
      { field: "lines", reason: "must be a whole number no larger than the number of invoices" },
    ]);
  }
  const rand = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const between = (low: number, high: number): number => low + Math.floor(rand() * (high - low + 1));
  const mix = { ...DEFAULT_SCENARIO_MIX, ...options.mix };

  const names = new Set<string>();
  const customers: MatchableCustomer[] = [];
  const payeeNames: string[] = [];
  for (let index = 0; customers.length < options.customers; index += 1) {
    const core =
      rand() < 0.5 ? `${pick(FIRST)} ${pick(SECOND)} ${pick(TRADE)}` : `${pick(SECOND)} ${pick(TRADE)}`;
    if (names.has(core)) continue;
    names.add(core);
    const legal = pick(LEGAL);
    const id = `cust-${String(customers.length + 1).padStart(5, "0")}`;
    let tdsProfile: TdsProfile | undefined;
    if (rand() < 0.35) {
      const roll = rand();
      const base = rand() < 0.85 ? ("before-gst" as const) : ("gross" as const);
      tdsProfile =
        roll < 0.55
          ? { section: "194C", base }
          : roll < 0.7
            ? { section: "194J", nature: "technical-services", base }
            : roll < 0.8
              ? { section: "194J", nature: "professional-services", base }
              : roll < 0.88
                ? { section: "194H", base }
                : { section: "194Q", base };
      if (tdsProfile.section === "194C" && rand() < 0.2) tdsProfile.deductsGstTds = true;
    }
    const vpa =
      rand() < 0.3
        ? `${core
            .toLowerCase()
            .replace(/[^a-z]/g, "")
            .slice(0, 12)}${index % 97}@ok${pick(["hdfcbank", "icici", "axis", "sbi"])}`
        : undefined;
    customers.push({
      id,
      name: `${core} ${legal}`.trim(),
      ...(vpa ? { vpas: [vpa] } : {}),
      ...(tdsProfile ? { tdsProfile } : {}),
    });
    payeeNames.push(core);
  }

  const start = Date.UTC(2025, 3, 1) / 86_400_000;
  const dateOf = (day: number): IsoDate => new Date(day * 86_400_000).toISOString().slice(0, 10);
  const invoices: MatchableInvoice[] = [];
  const byCustomer = new Map<string, MatchableInvoice[]>();
  for (let index = 0; index < options.invoices; index += 1) {
    // every customer gets at least one invoice; the rest go preferably to the first third (bigger accounts)
    const customer =
      index < customers.length
        ? customers[index]
        : customers[
            rand() < 0.5
              ? Math.floor(rand() * Math.ceil(customers.length / 3))
              : Math.floor(rand() * customers.length)
          ];
    if (!customer) continue;
    const taxable = between(5_000_00, 5_00_000_00);
    const rate = pick(GST_RATES);
    const interState = rand() < 0.5;
    const tax = interState
      ? Math.round((taxable * rate) / 10_000)
      : 2 * Math.round((taxable * rate) / 20_000);
    const total = taxable + tax;
    const issueDay = start + between(0, 300);
    const invoice: MatchableInvoice = {
      id: `inv-${String(index + 1).padStart(6, "0")}`,
      number: `INV/2025-26/${String(index + 1).padStart(5, "0")}`,
      customerId: customer.id,
      totalPaise: BigInt(total),
      openPaise: BigInt(total),
      taxableValuePaise: BigInt(taxable),
      issueDate: dateOf(issueDay),
      dueDate: dateOf(issueDay + pick([15, 30, 45, 60])),
      interState,
    };
    invoices.push(invoice);
    const list = byCustomer.get(customer.id) ?? [];
    list.push(invoice);
    byCustomer.set(customer.id, list);
  }

  const used = new Set<string>();
  const customerById = new Map(
    customers.map((customer, position) => [
      customer.id,
      { customer, payee: payeeNames[position] ?? customer.name },
    ]),
  );
  const freeInvoice = (
    filter: (invoice: MatchableInvoice) => boolean = () => true,
  ): MatchableInvoice | undefined => {
    for (let attempt = 0; attempt < 40; attempt += 1) {
      const invoice = invoices[Math.floor(rand() * invoices.length)];
      if (invoice && !used.has(invoice.id) && filter(invoice)) return invoice;
    }
    return invoices.find((invoice) => !used.has(invoice.id) && filter(invoice));
  };
  const tdsOf = (invoice: MatchableInvoice, rateBp: number, gross: boolean): number => {
    const base = Number(gross ? invoice.totalPaise : invoice.taxableValuePaise);
    return Math.round((base * rateBp) / 10_000);
  };
  const profileRate = (profile: TdsProfile, issueDate: IsoDate): number => {
    if (profile.section === "194C") return 200;
    if (profile.section === "194J") return profile.nature === "technical-services" ? 200 : 1000;
    if (profile.section === "194H") return issueDate >= "2024-10-01" ? 200 : 500;
    if (profile.section === "194I") return profile.nature === "rent-land-building" ? 1000 : 200;
    return 10;
  };
  const invoiceText = (number: string): string => {
    const serial = number.split("/").pop() ?? number;
    const short = String(Number(serial));
    return pick([
      number,
      `INV-2025-26-${short}`,
      `INV 2025-26 ${serial}`,
      `INV/2025-2026/${serial}`,
      `INV2025-26/${short}`,
      `BILL NO INV/2025-26/${serial}`,
    ]);
  };
  const truncatedName = (payee: string, length: number): string => payee.slice(0, length).trim();
  const narrationFor = (
    payee: string,
    customer: MatchableCustomer,
    numbers: string[],
    withName: boolean,
  ): { narration: string; utr?: string; vpa?: string } => {
    const remark =
      numbers.length > 0
        ? numbers.map(invoiceText).join(" ")
        : pick(["PAYMENT", "BILL PAYMENT", "SETTLEMENT", "TRF", "INVOICE PAYMENT"]);
    const name = withName
      ? truncatedName(payee, between(14, 35))
      : pick(["ACCOUNTS DEPT", "A C PAYEE", "TREASURY", "VENDOR PAYMENT"]);
    const bank = pick(BANKS);
    const ifsc = `${bank}0${String(between(0, 999_999)).padStart(6, "0")}`;
    const style = rand();
    if (style < 0.45) {
      const utr = `${bank}N${String(between(20_000, 29_999))}${String(between(100_000, 999_999))}`;
      return { narration: `NEFT CR-${ifsc}-${name}-${remark}`, utr };
    }
    if (style < 0.6) {
      const utr = `${bank}R52025${String(between(1_000_000_000_000, 9_999_999_999_999)).slice(0, 13)}`;
      return { narration: `RTGS CR-${ifsc}-${name}-${utr}`, utr };
    }
    const rrn = String(between(400_000_000_000, 599_999_999_999));
    if (style < 0.8) {
      const vpa =
        customer.vpas?.[0] ??
        `${payee
          .toLowerCase()
          .replace(/[^a-z]/g, "")
          .slice(0, 10)}@oksbi`;
      return { narration: `UPI-${name}-${vpa.toUpperCase()}-${bank}0000001-${rrn}-${remark}`, utr: rrn, vpa };
    }
    return {
      narration: `IMPS-${rrn}-${name}-${bank}-XXXX${String(between(1000, 9999))}-${remark}`,
      utr: rrn,
    };
  };

  const lines: ReconciliationLine[] = [];
  const truth: ScenarioTruth[] = [];
  const weights: Array<[ScenarioGroup, number]> = [
    ["exact", mix.exact],
    ["tds", mix.tds],
    ["short-payment", mix.shortPayment],
    ["multi-invoice", mix.multiInvoice],
    ["noise", mix.noise],
  ];
  const totalWeight = weights.reduce((sum, [, weight]) => sum + weight, 0);
  const chooseGroup = (): ScenarioGroup => {
    let roll = rand() * totalWeight;
    for (const [group, weight] of weights) {
      roll -= weight;
      if (roll < 0) return group;
    }
    return "exact";
  };
  const push = (line: Omit<ReconciliationLine, "id">, fact: Omit<ScenarioTruth, "lineId">): void => {
    const id = `line-${String(lines.length + 1).padStart(6, "0")}`;
    lines.push({ id, ...line });
    truth.push({ lineId: id, ...fact });
  };
  const lineDate = (invoice: MatchableInvoice): IsoDate => addDays(invoice.issueDate, between(1, 90));

  while (lines.length < options.lines) {
    const group = chooseGroup();
    if (group === "noise") {
      const amount = between(1_00, 3_00_000_00) + 37;
      const kind = rand();
      const narration =
        kind < 0.3
          ? `INT.PD:${String(between(10_000_000, 99_999_999))}:01-${pick(["APR", "JUL", "OCT"])}-2025 TO 30-${pick(["JUN", "SEP", "DEC"])}-2025`
          : kind < 0.5
            ? `CASH DEPOSIT BY SELF ${pick(["PUNE", "SURAT", "INDORE"])} BRANCH`
            : kind < 0.7
              ? `REFUND-${pick(["GST", "ELECTRICITY DEPOSIT", "TENDER EMD"])}-${String(between(100_000, 999_999))}`
              : `NEFT CR-${pick(BANKS)}0${String(between(0, 999_999)).padStart(6, "0")}-${pick(["RAMESH", "SURESH", "ANITA", "PRIYA", "RAJ"])} ${pick(["VERMA", "YADAV", "PILLAI", "GHOSH"])}-LOAN REPAYMENT`;
      push(
        { date: dateOf(start + between(0, 330)), amountPaise: BigInt(amount), narration },
        { group, invoiceIds: [] },
      );
      continue;
    }
    if (group === "multi-invoice") {
      const anchor = freeInvoice(
        (invoice) =>
          (byCustomer.get(invoice.customerId)?.filter((other) => !used.has(other.id)).length ?? 0) >= 2,
      );
      if (!anchor) continue;
      // customers clear their oldest bills first: take the oldest-due unpaid invoices of the anchor's customer
      const unpaid = (byCustomer.get(anchor.customerId) ?? [])
        .filter((invoice) => !used.has(invoice.id))
        .sort((a, b) => a.dueDate.localeCompare(b.dueDate) || a.id.localeCompare(b.id));
      const chosen = unpaid.slice(0, Math.min(unpaid.length, between(2, 4)));
      const entry = customerById.get(anchor.customerId);
      if (!entry) continue;
      const profile = entry.customer.tdsProfile;
      const withTds = profile !== undefined && !profile.deductsGstTds && rand() < 0.5;
      let amount = 0;
      for (const invoice of chosen) {
        used.add(invoice.id);
        amount +=
          Number(invoice.openPaise) -
          (withTds && profile
            ? tdsOf(invoice, profileRate(profile, invoice.issueDate), profile.base === "gross")
            : 0);
      }
      const latest = chosen.reduce(
        (max, invoice) => (invoice.issueDate > max ? invoice.issueDate : max),
        chosen[0]?.issueDate ?? anchor.issueDate,
      );
      const text = narrationFor(
        entry.payee,
        entry.customer,
        rand() < 0.3 ? chosen.map((invoice) => invoice.number) : [],
        true,
      );
      push(
        {
          date: addDays(latest, between(1, 60)),
          amountPaise: BigInt(amount),
          narration: text.narration,
          ...(text.utr ? { utr: text.utr } : {}),
          ...(text.vpa ? { payerVpa: text.vpa } : {}),
        },
        {
          group,
          customerId: anchor.customerId,
          invoiceIds: chosen.map((invoice) => invoice.id),
          ...(withTds ? { withTds } : {}),
        },
      );
      continue;
    }
    const needsProfile = group === "tds" && rand() < 0.85;
    const invoice = freeInvoice(
      (candidate) =>
        !needsProfile || customerById.get(candidate.customerId)?.customer.tdsProfile !== undefined,
    );
    if (!invoice) continue;
    const entry = customerById.get(invoice.customerId);
    if (!entry) continue;
    used.add(invoice.id);
    const open = Number(invoice.openPaise);
    let amount = open;
    let unexpectedRate = false;
    if (group === "tds") {
      const profile = entry.customer.tdsProfile;
      if (profile && needsProfile) {
        const exact = tdsOf(invoice, profileRate(profile, invoice.issueDate), profile.base === "gross");
        const deducted = pick([exact, Math.round(exact / 100) * 100, Math.ceil(exact / 100) * 100]);
        const taxable = Number(invoice.taxableValuePaise);
        const gst =
          profile.deductsGstTds && taxable > 25_000_000
            ? invoice.interState
              ? Math.round(taxable * 0.02)
              : 2 * Math.round(taxable * 0.01)
            : 0;
        amount = open - deducted - gst;
      } else {
        unexpectedRate = true;
        // a rate and base other than what the customer's profile (if any) expects
        const profile = entry.customer.tdsProfile;
        const expected = profile
          ? `${profileRate(profile, invoice.issueDate)}:${profile.base === "gross"}`
          : "";
        const choices = [100, 200, 1000]
          .flatMap((rate) => [false, true].map((gross) => ({ rate, gross })))
          .filter((choice) => `${choice.rate}:${choice.gross}` !== expected);
        const choice = pick(choices);
        amount = open - tdsOf(invoice, choice.rate, choice.gross);
      }
    } else if (group === "short-payment") {
      amount = open - between(1, Math.min(1000, Math.floor(open / 100)));
    }
    const withNumber = rand() < 0.5;
    const text = narrationFor(
      entry.payee,
      entry.customer,
      withNumber ? [invoice.number] : [],
      rand() < 0.92 || withNumber === false,
    );
    push(
      {
        date: lineDate(invoice),
        amountPaise: BigInt(amount),
        narration: text.narration,
        ...(text.utr ? { utr: text.utr } : {}),
        ...(text.vpa ? { payerVpa: text.vpa } : {}),
      },
      {
        group,
        customerId: invoice.customerId,
        invoiceIds: [invoice.id],
        ...(unexpectedRate ? { unexpectedRate } : {}),
        ...(group === "tds" ? { withTds: true } : {}),
      },
    );
  }
  return { seed, customers, invoices, lines, truth };
}

export interface GroupMetrics {
  lines: number;
  /** Lines that should be matched (not noise). */
  matchable: number;
  proposed: number;
  correct: number;
  wrong: number;
  missed: number;
  precision: number;
  recall: number;
  autoApplied: number;
  autoCorrect: number;
  autoPrecision: number;
  autoRecall: number;
}

export type MetricGroup = "with-tds" | "short-payment" | "rest" | "exact" | "multi-invoice" | "noise" | "all";

function isCorrect(proposal: ReconciliationProposal | undefined, fact: ScenarioTruth): boolean {
  if (!proposal || fact.group === "noise") return false;
  if (proposal.customerId !== fact.customerId) return false;
  const proposed = proposal.allocations.map((allocation) => allocation.invoiceId).sort();
  const expected = [...fact.invoiceIds].sort();
  return proposed.length === expected.length && proposed.every((id, position) => id === expected[position]);
}

/**
 * Precision and recall of the matcher's best proposals (and of those it would auto-apply) per group: payments with
 * TDS, short payments, and the rest (exact, several invoices, noise), plus finer groups.
 */
export function evaluateReconciliation(options: {
  scenario: ReconciliationScenario;
  result: ReconciliationResult;
}): Record<MetricGroup, GroupMetrics> {
  const proposals = new Map(options.result.matches.map((match) => [match.lineId, match.proposal]));
  const empty = (): Omit<GroupMetrics, "precision" | "recall" | "autoPrecision" | "autoRecall"> => ({
    lines: 0,
    matchable: 0,
    proposed: 0,
    correct: 0,
    wrong: 0,
    missed: 0,
    autoApplied: 0,
    autoCorrect: 0,
  });
  const groups: Record<MetricGroup, ReturnType<typeof empty>> = {
    "with-tds": empty(),
    "short-payment": empty(),
    rest: empty(),
    exact: empty(),
    "multi-invoice": empty(),
    noise: empty(),
    all: empty(),
  };
  for (const fact of options.scenario.truth) {
    const proposal = proposals.get(fact.lineId);
    const correct = isCorrect(proposal, fact);
    const targets: MetricGroup[] = ["all"];
    if (fact.withTds === true) targets.push("with-tds");
    else if (fact.group === "short-payment") targets.push("short-payment");
    else targets.push("rest");
    if (fact.group === "exact" || fact.group === "multi-invoice" || fact.group === "noise")
      targets.push(fact.group);
    for (const target of targets) {
      const metrics = groups[target];
      metrics.lines += 1;
      if (fact.group !== "noise") metrics.matchable += 1;
      if (proposal) metrics.proposed += 1;
      if (correct) metrics.correct += 1;
      else if (proposal) metrics.wrong += 1;
      if (!correct && fact.group !== "noise") metrics.missed += 1;
      if (proposal?.autoApplicable) {
        metrics.autoApplied += 1;
        if (correct) metrics.autoCorrect += 1;
      }
    }
  }
  const ratio = (numerator: number, denominator: number): number =>
    denominator === 0 ? 1 : Math.round((numerator / denominator) * 10_000) / 10_000;
  const result = {} as Record<MetricGroup, GroupMetrics>;
  for (const [name, metrics] of Object.entries(groups) as Array<[MetricGroup, ReturnType<typeof empty>]>) {
    result[name] = {
      ...metrics,
      precision: ratio(metrics.correct, metrics.proposed),
      recall: ratio(metrics.correct, metrics.matchable),
      autoPrecision: ratio(metrics.autoCorrect, metrics.autoApplied),
      autoRecall: ratio(metrics.autoCorrect, metrics.matchable),
    };
  }
  return result;
}
