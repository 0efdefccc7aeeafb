import type { Kysely } from "kysely";
import type { DB } from "../../platform/db/schema.ts";
import type { EventTypeRegistry } from "../../platform/events/event-outbox.ts";
import type { CommandMeta } from "../../platform/audit/command-actor.ts";
import { addDays, financialYearOf, type CalendarDate } from "./calendar-date.ts";
import type { InvoiceDraftInput, InvoiceLineWireInput } from "./invoice.views.ts";
import { createInvoicingServices } from "./invoicing.services.ts";
import { indianDate } from "./invoicing.unit-of-work.ts";

/** The demo business as supplier (it matches the demo tenant's GSTIN). */
export const DEMO_SUPPLIER = {
  legalName: "Demo Traders Private Limited",
  tradeName: "Demo Traders",
  gstin: "27AAPFU0939F1ZV",
  address: { line1: "Plot 7, MIDC Bhosari", city: "Pune", pinCode: "411026", stateCode: "27" },
  email: "accounts@demo-traders.example",
  phone: "+912027120000",
  signatory: "Rohan Kulkarni",
};

/** Buyers of the demo invoices, under the same keys as the customers module's demo customers. */
const DEMO_BUYERS: Record<string, { legalName: string; gstin: string; address: Record<string, string> }> = {
  "sharma-steel": {
    legalName: "Sharma Steel Traders Private Limited",
    gstin: "27AABCS1429B1ZU",
    address: { line1: "14 Bhosari MIDC", city: "Pune", pinCode: "411026", stateCode: "27" },
  },
  "mehta-auto": {
    legalName: "Mehta Auto Components Private Limited",
    gstin: "29AAACM4512K1ZG",
    address: {
      line1: "Plot 22, Peenya Industrial Area",
      city: "Bengaluru",
      pinCode: "560058",
      stateCode: "29",
    },
  },
  "gupta-electricals": {
    legalName: "Gupta Electricals",
    gstin: "07AAFFG2345L1ZC",
    address: { line1: "118 Lajpat Rai Market", city: "New Delhi", pinCode: "110006", stateCode: "07" },
  },
  "patel-polymers": {
    legalName: "Patel Polymers Private Limited",
    gstin: "24AACCP7788Q1ZH",
    address: { line1: "GIDC Estate, Phase II", city: "Vapi", pinCode: "396195", stateCode: "24" },
  },
  "rao-agro": {
    legalName: "Rao Agro Foods Private Limited",
    gstin: "33AADCR5566M1ZZ",
    address: { line1: "45 Ambattur Industrial Estate", city: "Chennai", pinCode: "600058", stateCode: "33" },
  },
  "bengal-jute": {
    legalName: "Bengal Jute Mills Limited",
    gstin: "19AAECB9911D1ZQ",
    address: { line1: "7 Strand Road", city: "Kolkata", pinCode: "700001", stateCode: "19" },
  },
};

const line = (
  description: string,
  hsnSac: string,
  quantity: string,
  rupees: number,
  unit?: string,
): InvoiceLineWireInput => ({
  description,
  hsnSac,
  quantity,
  ...(unit !== undefined ? { unit } : {}),
  unitPricePaise: String(rupees * 100),
  gstRateBasisPoints: 1800,
});

interface DemoInvoice {
  key: string;
  buyer: string;
  /** Days before today. */
  daysAgo: number;
  creditDays: number;
  inWriting: boolean;
  lines: InvoiceLineWireInput[];
  issue: boolean;
  /** Share of the total received, in per cent, and the TDS rate withheld, in basis points of the taxable value. */
  paidPercent?: number;
  tdsBasisPoints?: number;
  gstTds?: boolean;
  dispute?: string;
}

const DEMO_INVOICES: readonly DemoInvoice[] = [
  {
    key: "invoice-1",
    buyer: "sharma-steel",
    daysAgo: 75,
    creditDays: 30,
    inWriting: true,
    lines: [
      line("MS hex bolts M16 x 60", "73181500", "2000", 42, "NOS"),
      line("Spring washers M16", "73182100", "2000", 6, "NOS"),
    ],
    issue: true,
  },
  {
    key: "invoice-2",
    buyer: "sharma-steel",
    daysAgo: 40,
    creditDays: 30,
    inWriting: true,
    lines: [line("Anchor fasteners 12 mm", "73181600", "1500", 55, "NOS")],
    issue: true,
    paidPercent: 50,
    tdsBasisPoints: 200,
  },
  {
    key: "invoice-3",
    buyer: "mehta-auto",
    daysAgo: 20,
    creditDays: 45,
    inWriting: true,
    lines: [line("Precision turned shafts", "84833000", "400", 780, "NOS")],
    issue: true,
  },
  {
    key: "invoice-4",
    buyer: "gupta-electricals",
    daysAgo: 12,
    creditDays: 15,
    inWriting: false,
    lines: [line("Cable glands 20 mm", "85369090", "600", 95, "NOS")],
    issue: true,
  },
  {
    key: "invoice-5",
    buyer: "patel-polymers",
    daysAgo: 35,
    creditDays: 30,
    inWriting: true,
    lines: [
      line("Stainless steel rivets", "73182300", "5000", 8, "NOS"),
      line("Machining charges", "998898", "1", 12500),
    ],
    issue: true,
    paidPercent: 100,
    tdsBasisPoints: 200,
  },
  {
    key: "invoice-6",
    buyer: "rao-agro",
    daysAgo: 50,
    creditDays: 60,
    inWriting: true,
    lines: [line("Conveyor chain links", "73151100", "300", 410, "NOS")],
    issue: true,
    dispute: "Customer reports 20 links with surface cracks",
  },
  {
    key: "invoice-7",
    buyer: "bengal-jute",
    daysAgo: 28,
    creditDays: 30,
    inWriting: true,
    lines: [line("Loom spares kit", "84483990", "25", 18500, "SET")],
    issue: true,
    paidPercent: 60,
    tdsBasisPoints: 200,
    gstTds: true,
  },
  {
    key: "invoice-8",
    buyer: "mehta-auto",
    daysAgo: 1,
    creditDays: 45,
    inWriting: true,
    lines: [line("Gear blanks EN8", "73269099", "250", 640, "NOS")],
    issue: false,
  },
];

/**
 * Creates the demo invoices for a tenant: some overdue, some due soon, some partly or fully paid, one disputed,
 * one draft. Running it again changes nothing: invoices are keyed by the import reference `demo/<key>`,
 * settlements by their reference. `customerIds` links buyers to the demo customers (keys of seedDemoCustomers).
 * Returns the invoice id of each demo key.
 */
export async function seedDemoInvoicing(deps: {
  db: Kysely<DB>;
  events: EventTypeRegistry;
  now(): number;
  tenantId: string;
  customerIds?: Record<string, string>;
}): Promise<Record<string, string>> {
  const services = createInvoicingServices({ db: deps.db, events: deps.events, now: () => deps.now() });
  const meta: CommandMeta = { tenantId: deps.tenantId, actor: "system:demo-data" };
  const settings = await services.invoices.getSettings(deps.tenantId);
  if (settings.supplier === null) {
    await services.invoices.updateSettings(
      { changes: { supplier: DEMO_SUPPLIER, supplierMsme: { category: "micro", udyamRegistered: true } } },
      meta,
    );
  }
  const today = indianDate(deps.now()) as CalendarDate;
  const ids: Record<string, string> = {};
  for (const [index, demo] of DEMO_INVOICES.entries()) {
    const issueDate = addDays(today, -demo.daysAgo);
    const buyer = DEMO_BUYERS[demo.buyer];
    if (buyer === undefined) continue;
    const customerId = deps.customerIds?.[demo.buyer];
    const input: InvoiceDraftInput = {
      number: `DT/${financialYearOf(issueDate).slice(2)}/${String(index + 1).padStart(4, "0")}`,
      issueDate,
      supplyType: "B2B",
      placeOfSupply: buyer.address.stateCode ?? "27",
      buyer: { ...buyer, ...(customerId !== undefined ? { customerId } : {}) } as InvoiceDraftInput["buyer"],
      lines: demo.lines,
      terms: { creditDays: demo.creditDays, agreedInWriting: demo.inWriting },
      allowDuplicate: true,
      external: { source: "demo", id: demo.key },
    };
    let invoice = (await services.invoices.createDraft(input, meta)).invoice;
    ids[demo.key] = invoice.id;
    if (demo.issue && invoice.status === "draft") {
      invoice = await services.invoices.issue({ invoiceId: invoice.id }, meta);
    }
    if (demo.paidPercent !== undefined && invoice.status !== "draft") {
      const total = BigInt(invoice.amounts.totalPaise);
      const taxable = BigInt(invoice.amounts.taxableValuePaise);
      const tds = (taxable * BigInt(demo.tdsBasisPoints ?? 0)) / 10_000n;
      const gstTds = demo.gstTds === true ? (taxable * 200n) / 10_000n : 0n;
      const settled = demo.paidPercent >= 100 ? total : (total * BigInt(demo.paidPercent)) / 100n;
      const cash = settled - tds - gstTds;
      await services.settlements.applySettlement(
        {
          invoiceId: invoice.id,
          reference: `demo-payment-${demo.key}`,
          cashPaise: cash,
          tdsPaise: tds,
          gstTdsPaise: gstTds,
          writeOffPaise: 0n,
        },
        meta,
      );
    }
    if (demo.dispute !== undefined && invoice.status === "issued") {
      await services.invoices.dispute({ invoiceId: invoice.id, reason: demo.dispute }, meta);
    }
  }
  return ids;
}
