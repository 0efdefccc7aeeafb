import type { Kysely } from "kysely";
import type { DB } from "../../platform/db/schema.ts";
import type { EventTypeRegistry } from "../../platform/events/event-outbox.ts";
import type { ContactProtection } from "./contact-protection.ts";
import { createCustomerService } from "./customer.service.ts";

/** Demo customers, keyed by a stable name; the invoicing demo uses the same keys for its buyers. */
export const DEMO_CUSTOMERS: ReadonlyArray<{ key: string; profile: Record<string, unknown> }> = [
  {
    key: "sharma-steel",
    profile: {
      legalName: "Sharma Steel Traders Private Limited",
      tradeName: "Sharma Steel",
      gstin: "27AABCS1429B1ZU",
      stateCode: "27",
      billingAddress: { line1: "14 Bhosari MIDC", city: "Pune", pinCode: "411026", stateCode: "27" },
      contacts: [
        {
          name: "Anil Sharma",
          role: "Accounts",
          email: "accounts@sharmasteel.example",
          phone: "020 2712 3456",
          isPrimary: true,
        },
        { name: "Ravi Deshmukh", role: "Purchase", whatsapp: "98220 12345" },
      ],
      preferredLanguage: "mr",
      creditTerms: { days: 30, agreedInWriting: true },
      tags: ["key-account", "steel"],
      segment: "Manufacturing",
      msme: { category: "small", udyamNumber: "UDYAM-MH-26-0012345" },
      tds: { incomeTax: { section: "194C", rateBasisPoints: 200, tan: "PNES12345A" } },
    },
  },
  {
    key: "mehta-auto",
    profile: {
      legalName: "Mehta Auto Components Private Limited",
      gstin: "29AAACM4512K1ZG",
      stateCode: "29",
      billingAddress: {
        line1: "Plot 22, Peenya Industrial Area",
        city: "Bengaluru",
        pinCode: "560058",
        stateCode: "29",
      },
      contacts: [
        {
          name: "Kavya Mehta",
          role: "Finance",
          email: "payables@mehtaauto.example",
          whatsapp: "98450 67890",
          isPrimary: true,
        },
      ],
      preferredLanguage: "kn",
      creditTerms: { days: 45, agreedInWriting: true },
      tags: ["automotive"],
      segment: "Automotive",
      tds: { incomeTax: { section: "194Q", rateBasisPoints: 10, tan: "BLRM23456B" } },
    },
  },
  {
    key: "gupta-electricals",
    profile: {
      legalName: "Gupta Electricals",
      gstin: "07AAFFG2345L1ZC",
      stateCode: "07",
      billingAddress: {
        line1: "118 Lajpat Rai Market",
        city: "New Delhi",
        pinCode: "110006",
        stateCode: "07",
      },
      contacts: [{ name: "Suresh Gupta", phone: "011 2386 4512", whatsapp: "98110 23456", isPrimary: true }],
      preferredLanguage: "hi",
      creditTerms: { days: 15, agreedInWriting: false },
      tags: ["retail"],
      segment: "Distribution",
    },
  },
  {
    key: "patel-polymers",
    profile: {
      legalName: "Patel Polymers Private Limited",
      gstin: "24AACCP7788Q1ZH",
      stateCode: "24",
      billingAddress: { line1: "GIDC Estate, Phase II", city: "Vapi", pinCode: "396195", stateCode: "24" },
      contacts: [
        {
          name: "Hetal Patel",
          email: "hetal@patelpolymers.example",
          phone: "0260 243 1122",
          isPrimary: true,
        },
      ],
      preferredLanguage: "gu",
      creditTerms: { days: 30, agreedInWriting: true },
      tags: ["plastics"],
      segment: "Manufacturing",
      msme: { category: "medium" },
    },
  },
  {
    key: "rao-agro",
    profile: {
      legalName: "Rao Agro Foods Private Limited",
      gstin: "33AADCR5566M1ZZ",
      stateCode: "33",
      billingAddress: {
        line1: "45 Ambattur Industrial Estate",
        city: "Chennai",
        pinCode: "600058",
        stateCode: "33",
      },
      contacts: [
        {
          name: "K. Srinivasa Rao",
          email: "accounts@raoagro.example",
          whatsapp: "98400 12345",
          isPrimary: true,
        },
      ],
      preferredLanguage: "ta",
      creditTerms: { days: 60, agreedInWriting: true },
      tags: ["food"],
      segment: "FMCG",
      consents: {
        whatsapp: {
          status: "withdrawn",
          at: "2025-09-15T10:00:00+05:30",
          source: "stop-keyword",
          evidence: "demo",
        },
      },
    },
  },
  {
    key: "bengal-jute",
    profile: {
      legalName: "Bengal Jute Mills Limited",
      gstin: "19AAECB9911D1ZQ",
      stateCode: "19",
      billingAddress: { line1: "7 Strand Road", city: "Kolkata", pinCode: "700001", stateCode: "19" },
      contacts: [
        { name: "Debasish Banerjee", role: "Stores", email: "stores@bengaljute.example", isPrimary: true },
      ],
      preferredLanguage: "bn",
      creditTerms: { days: 30, agreedInWriting: true },
      tags: ["psu"],
      segment: "Public sector",
      tds: {
        incomeTax: { section: "194C", rateBasisPoints: 200, tan: "CALB12345C" },
        gst: { deductorCategory: "public-sector-undertaking" },
      },
    },
  },
];

/**
 * Creates the demo customers for a tenant; running it again changes nothing (each is keyed by an import
 * reference `demo/<key>`). Returns the customer id of each demo key.
 */
export async function seedDemoCustomers(deps: {
  db: Kysely<DB>;
  events: EventTypeRegistry;
  now(): number;
  tenantId: string;
  /** The platform's field cipher and blind index (contacts are stored encrypted). */
  protection: ContactProtection;
}): Promise<Record<string, string>> {
  const service = createCustomerService({
    db: deps.db,
    events: deps.events,
    now: () => deps.now(),
    protection: deps.protection,
  });
  const ids: Record<string, string> = {};
  for (const demo of DEMO_CUSTOMERS) {
    const result = await service.create(
      { profile: demo.profile, allowDuplicate: true, external: { source: "demo", id: demo.key } },
      { tenantId: deps.tenantId, actor: "system:demo-data" },
    );
    ids[demo.key] = result.customer.id;
  }
  return ids;
}
