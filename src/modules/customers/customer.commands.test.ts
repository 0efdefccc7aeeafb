import { describe, expect, it } from "vitest";
import { AppError, isAppError } from "../../kernel/app-error.ts";
import type { FieldIssue } from "../../kernel/app-error.ts";
import {
  createCustomer,
  parseCustomerProfile,
  recordConsent,
  recordOptOut,
  updateCustomer,
} from "./customer.commands.ts";
import { CUSTOMER_EVENT_SCHEMAS } from "./customer.events.ts";
import type { CustomerEvent } from "./customer.events.ts";

const NOW = new Date("2025-10-01T09:30:00.000Z");
const LATER = new Date("2025-10-05T12:00:00.000Z");

function baseProfile(): Record<string, unknown> {
  return {
    legalName: "  Sharma   Traders Private Limited ",
    gstin: "27aapfu0939f1zv",
    stateCode: "27",
    billingAddress: { line1: "12 MG Road", city: "Pune", pinCode: "411001", stateCode: "27" },
    contacts: [
      {
        name: "Anita Sharma",
        role: "Accounts",
        email: "Accounts@Sharma.example",
        phone: "020 2567 1234",
        isPrimary: true,
      },
      { name: "Ravi", whatsapp: "98765 43210" },
    ],
    preferredLanguage: "mr",
    creditTerms: { days: 30, agreedInWriting: true },
    tags: ["Key Account", "key-account", "pune"],
    msme: { category: "small", udyamNumber: "udyam-mh-19-0067990" },
    tds: {
      incomeTax: { section: "194C", rateBasisPoints: 200, tan: "pnes12345a" },
    },
  };
}

function issuesOf(run: () => unknown): FieldIssue[] {
  try {
    run();
  } catch (error) {
    if (isAppError(error) && error.code === "INVALID_INPUT") return error.issues;
    throw error;
  }
  throw new Error("expected an INVALID_INPUT AppError");
}

function expectValidEvents(events: CustomerEvent[]): void {
  for (const event of events) {
    expect(CUSTOMER_EVENT_SCHEMAS[event.type].safeParse(event.payload).success).toBe(true);
  }
}

describe("parseCustomerProfile", () => {
  it("normalises and fills the PAN from the GSTIN", () => {
    const profile = parseCustomerProfile(baseProfile());
    expect(profile.legalName).toBe("Sharma Traders Private Limited");
    expect(profile.gstin).toBe("27AAPFU0939F1ZV");
    expect(profile.pan).toBe("AAPFU0939F");
    expect(profile.contacts[0]?.email).toBe("accounts@sharma.example");
    expect(profile.contacts[0]?.phone).toBe("+912025671234");
    expect(profile.contacts[1]?.whatsapp).toBe("+919876543210");
    expect(profile.tags).toEqual(["key-account", "pune"]);
    expect(profile.msme?.udyamNumber).toBe("UDYAM-MH-19-0067990");
    expect(profile.tds?.incomeTax?.tan).toBe("PNES12345A");
    expect(profile.tds?.incomeTax?.base).toBe("excluding-gst");
    expect(profile.consents).toEqual({});
  });

  it("accepts a customer abroad without GSTIN", () => {
    const profile = parseCustomerProfile({
      legalName: "Acme Inc",
      stateCode: "96",
      billingAddress: { line1: "1 Main St", city: "Austin", stateCode: "96", country: "us" },
      contacts: [{ email: "ap@acme.example", phone: "+1 512 555 0100" }],
    });
    expect(profile.pan).toBeUndefined();
    expect(profile.billingAddress?.country).toBe("US");
    expect(profile.preferredLanguage).toBe("en");
  });

  it("names every bad field at once", () => {
    const issues = issuesOf(() =>
      parseCustomerProfile({
        ...baseProfile(),
        legalName: "X",
        gstin: "27AAPFU0939F1ZO",
        preferredLanguage: "fr",
        contacts: [{ name: "Nobody" }, { email: "not-an-email", whatsapp: "+91 22 2567 1234" }],
        creditTerms: { days: 30.5 },
        tags: ["bad tag!"],
        msme: { category: "tiny", udyamNumber: "UDYAM-MH-00-12" },
        tds: { incomeTax: { section: "194Z", rateBasisPoints: 0, tan: "PNE123456A" } },
        notes: 42,
      }),
    );
    const fields = issues.map((issue) => issue.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        "legalName",
        "gstin",
        "preferredLanguage",
        "contacts.0",
        "contacts.1.email",
        "contacts.1.whatsapp",
        "creditTerms.days",
        "tags.0",
        "msme.category",
        "msme.udyamNumber",
        "tds.incomeTax.section",
        "tds.incomeTax.rateBasisPoints",
        "tds.incomeTax.tan",
        "notes",
      ]),
    );
    expect(issues.find((issue) => issue.field === "gstin")?.reason).toBe(
      "check character is 'O' but characters 1-14 give 'V'",
    );
    expect(issues.find((issue) => issue.field === "contacts.1.whatsapp")?.reason).toBe(
      "an Indian mobile number starts with 6, 7, 8 or 9 after +91",
    );
    expect(issues.find((issue) => issue.field === "contacts.0")?.reason).toBe(
      "a contact needs an e-mail, a phone or a WhatsApp number",
    );
  });

  it("refuses a PAN that is not the GSTIN's and a state that is not the GSTIN's", () => {
    const issues = issuesOf(() =>
      parseCustomerProfile({ ...baseProfile(), pan: "AAKFD7113K", stateCode: "29" }),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        { field: "pan", reason: "does not match the PAN inside the GSTIN (AAPFU0939F)" },
        { field: "stateCode", reason: "the GSTIN is registered in state 27 (Maharashtra)" },
        {
          field: "billingAddress.stateCode",
          reason:
            "differs from the customer's state code; a GSTIN is per state, so record the branch as its own customer",
        },
      ]),
    );
  });

  it("reports cross-field problems together with single-field ones", () => {
    const issues = issuesOf(() =>
      parseCustomerProfile({ ...baseProfile(), pan: "AAKFD7113K", legalName: "" }),
    );
    expect(issues.map((issue) => issue.field)).toEqual(expect.arrayContaining(["legalName", "pan"]));
  });

  it("checks addresses, the primary contact and the TDS details", () => {
    const issues = issuesOf(() =>
      parseCustomerProfile({
        ...baseProfile(),
        billingAddress: { line1: "x", city: "Pune", stateCode: "96" },
        contacts: [
          { email: "a@b.example", isPrimary: true },
          { email: "c@d.example", isPrimary: true },
        ],
        tds: {
          incomeTax: { section: "other", rateBasisPoints: 100, tan: "PNES12345A" },
          gst: { deductorCategory: "public-sector-undertaking", deductorGstin: "27AAPFU0939F1ZV" },
        },
      }),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        { field: "billingAddress.stateCode", reason: "96 (Other Countries) is only for addresses abroad" },
        { field: "billingAddress.pinCode", reason: "an address in India needs a PIN code" },
        { field: "contacts", reason: "at most one contact may be primary" },
        { field: "tds.incomeTax.sectionLabel", reason: 'name the section when it is "other"' },
        { field: "tds.gst.deductorGstin", reason: "a GST TDS registration has 'D' as 14th character" },
      ]),
    );
  });

  it("accepts a government buyer deducting GST TDS with its TDS registration", () => {
    const profile = parseCustomerProfile({
      legalName: "Municipal Corporation of Pune",
      stateCode: "27",
      tds: {
        incomeTax: { section: "194J", rateBasisPoints: 1000, tan: "PNEM12345B", base: "gross" },
        gst: { deductorCategory: "local-authority", deductorGstin: "27PNEM12345B1DZ" },
      },
    });
    expect(profile.tds?.gst?.deductorCategory).toBe("local-authority");
    expect(profile.tds?.incomeTax?.base).toBe("gross");
  });
});

describe("createCustomer / updateCustomer", () => {
  it("creates version 1 and emits customer.created", () => {
    const { customer, events } = createCustomer({ id: "cus_1", profile: baseProfile(), now: NOW });
    expect(customer).toMatchObject({ id: "cus_1", version: 1, createdAt: NOW.toISOString() });
    expect(events).toEqual([
      {
        type: "customer.created",
        payload: {
          customerId: "cus_1",
          legalName: "Sharma Traders Private Limited",
          gstin: "27AAPFU0939F1ZV",
          pan: "AAPFU0939F",
          stateCode: "27",
          preferredLanguage: "mr",
          createdAt: NOW.toISOString(),
        },
      },
    ]);
    expectValidEvents(events);
  });

  it("refuses an empty id", () => {
    expect(issuesOf(() => createCustomer({ id: " ", profile: baseProfile(), now: NOW }))).toEqual([
      { field: "id", reason: "must not be empty" },
    ]);
  });

  it("updates only what changed and lists the changed fields", () => {
    const { customer } = createCustomer({ id: "cus_1", profile: baseProfile(), now: NOW });
    const { customer: updated, events } = updateCustomer({
      customer,
      changes: {
        creditTerms: { days: 45, agreedInWriting: true },
        notes: "Pays on the 10th",
        tags: ["key-account", "pune"],
      },
      now: LATER,
      expectedVersion: 1,
    });
    expect(updated.version).toBe(2);
    expect(updated.creditTerms?.days).toBe(45);
    expect(updated.createdAt).toBe(NOW.toISOString());
    expect(events).toEqual([
      {
        type: "customer.updated",
        payload: {
          customerId: "cus_1",
          changedFields: ["creditTerms", "notes"],
          version: 2,
          updatedAt: LATER.toISOString(),
        },
      },
    ]);
    expectValidEvents(events);
  });

  it("emits nothing when nothing changed", () => {
    const { customer } = createCustomer({ id: "cus_1", profile: baseProfile(), now: NOW });
    const result = updateCustomer({
      customer,
      changes: { legalName: "Sharma Traders Private Limited" },
      now: LATER,
    });
    expect(result.events).toEqual([]);
    expect(result.customer).toBe(customer);
  });

  it("clears a field with null and re-derives the PAN from a new GSTIN", () => {
    const { customer } = createCustomer({ id: "cus_1", profile: baseProfile(), now: NOW });
    const { customer: updated } = updateCustomer({
      customer,
      changes: { notes: null, msme: null, gstin: "29AAGCB7383J1Z4", stateCode: "29", billingAddress: null },
      now: LATER,
    });
    expect(updated.msme).toBeUndefined();
    expect(updated.pan).toBe("AAGCB7383J");
    const { customer: withoutGstin } = updateCustomer({
      customer: updated,
      changes: { gstin: null },
      now: LATER,
    });
    expect(withoutGstin.gstin).toBeUndefined();
    expect(withoutGstin.pan).toBe("AAGCB7383J");
  });

  it("refuses system fields, unknown fields and a stale version", () => {
    const { customer } = createCustomer({ id: "cus_1", profile: baseProfile(), now: NOW });
    expect(
      issuesOf(() => updateCustomer({ customer, changes: { id: "x", colour: "red" }, now: LATER })),
    ).toEqual([
      { field: "id", reason: "is managed by the system and cannot be changed" },
      { field: "colour", reason: "is not a customer profile field" },
    ]);
    try {
      updateCustomer({ customer, changes: { notes: "x" }, now: LATER, expectedVersion: 3 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe("CONFLICT");
    }
  });

  it("validates the merged profile as a whole", () => {
    const { customer } = createCustomer({ id: "cus_1", profile: baseProfile(), now: NOW });
    expect(
      issuesOf(() => updateCustomer({ customer, changes: { stateCode: "29" }, now: LATER })).map(
        (i) => i.field,
      ),
    ).toEqual(expect.arrayContaining(["stateCode", "billingAddress.stateCode"]));
  });
});

describe("consent", () => {
  it("records an opt-out with timestamp and source and emits customer.opted-out", () => {
    const { customer } = createCustomer({ id: "cus_1", profile: baseProfile(), now: NOW });
    const { customer: updated, events } = recordOptOut({
      customer,
      channel: "whatsapp",
      at: "2025-10-04T18:45:00+05:30",
      source: "stop-keyword",
      evidence: "wamid.HBgM",
      now: LATER,
    });
    expect(updated.consents.whatsapp).toEqual({
      status: "withdrawn",
      at: "2025-10-04T18:45:00+05:30",
      source: "stop-keyword",
      evidence: "wamid.HBgM",
    });
    expect(events.map((event) => event.type)).toEqual(["customer.updated", "customer.opted-out"]);
    expect(events[1]?.payload).toEqual({
      customerId: "cus_1",
      channel: "whatsapp",
      at: "2025-10-04T18:45:00+05:30",
      source: "stop-keyword",
      evidence: "wamid.HBgM",
    });
    expectValidEvents(events);
  });

  it("does not emit opted-out twice and refuses an older record than the one on file", () => {
    const { customer } = createCustomer({ id: "cus_1", profile: baseProfile(), now: NOW });
    const first = recordOptOut({
      customer,
      channel: "email",
      at: "2025-10-03T10:00:00Z",
      source: "unsubscribe-link",
      now: LATER,
    });
    const again = recordOptOut({
      customer: first.customer,
      channel: "email",
      at: "2025-10-04T10:00:00Z",
      source: "email-reply",
      now: LATER,
    });
    expect(again.events.map((event) => event.type)).toEqual(["customer.updated"]);
    expect(
      issuesOf(() =>
        recordConsent({
          customer: again.customer,
          channel: "email",
          status: "granted",
          at: "2025-10-02T10:00:00Z",
          source: "web-form",
          now: LATER,
        }),
      ),
    ).toEqual([{ field: "consent.at", reason: "is older than the consent on file (2025-10-04T10:00:00Z)" }]);
  });

  it("refuses a future timestamp and a malformed source", () => {
    const { customer } = createCustomer({ id: "cus_1", profile: baseProfile(), now: NOW });
    expect(
      issuesOf(() =>
        recordConsent({
          customer,
          channel: "sms",
          status: "granted",
          at: "2026-01-01T00:00:00Z",
          source: "web-form",
          now: NOW,
        }),
      ),
    ).toEqual([{ field: "consent.at", reason: "lies in the future" }]);
    expect(
      issuesOf(() =>
        recordConsent({
          customer,
          channel: "sms",
          status: "granted",
          at: "yesterday",
          source: "pigeon" as never,
          now: NOW,
        }),
      ).map((issue) => issue.field),
    ).toEqual(["consent.at", "consent.source"]);
  });
});
