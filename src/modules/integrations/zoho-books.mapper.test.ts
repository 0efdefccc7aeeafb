import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "../../kernel/app-error.ts";
import { compositeId, externalIdKey, planReimport } from "./external-id.ts";
import { mapZohoContacts, mapZohoInvoices } from "./zoho-books.mapper.ts";

const load = (name: string): unknown =>
  JSON.parse(
    readFileSync(fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url)), "utf8"),
  ) as unknown;

describe("mapZohoInvoices", () => {
  const result = mapZohoInvoices(load("zoho-invoices.json"));

  it("maps an intra-state invoice: rupees to paise, CGST/SGST from the tax list, state code, lines", () => {
    expect(result.invoices[0]).toEqual({
      externalId: "zoho-books:invoice:460000000051001",
      source: "zoho-books",
      number: "INV-000042",
      customerExternalId: "zoho-books:customer:460000000026049",
      customerName: "Acme Infra Pvt Ltd",
      customerGstin: "27AAPFU0939F1ZV",
      issueDate: "2025-07-15",
      dueDate: "2025-08-29",
      currency: "INR",
      taxableValuePaise: 10_000_000n,
      cgstPaise: 900_000n,
      sgstPaise: 900_000n,
      igstPaise: 0n,
      cessPaise: 0n,
      roundOffPaise: 0n,
      totalPaise: 11_800_000n,
      balancePaise: 6_800_000n,
      status: "partially_paid",
      placeOfSupply: "27",
      lines: [
        {
          description: "MS Structural Fabrication",
          hsnOrSac: "7308",
          quantity: "2",
          taxableValuePaise: 10_000_000n,
          taxRateBasisPoints: 1800,
        },
      ],
      findings: [],
    });
  });

  it("maps an inter-state invoice with an adjustment (round-off) exactly", () => {
    expect(result.invoices[1]).toMatchObject({
      igstPaise: 899_994n,
      roundOffPaise: 40n,
      taxableValuePaise: 4_999_966n,
      totalPaise: 5_900_000n,
      placeOfSupply: "29",
      customerGstin: "29AAGCG4576J1Z2",
    });
  });

  it("skips void invoices and rejects malformed ones with every issue", () => {
    expect(result.skipped).toEqual([
      { externalId: "zoho-books:invoice:460000000051003", reason: "void invoice" },
    ]);
    expect(result.rejected).toEqual([
      {
        index: 3,
        externalId: "zoho-books:invoice:460000000051004",
        issues: [
          { field: "invoices.3.date", reason: '"05/08/2025" is not a date yyyy-mm-dd' },
          {
            field: "invoices.3.total",
            reason: '"11,80.005" is not an amount in rupees with at most two decimals',
          },
        ],
      },
    ]);
  });

  it("accepts a single-invoice response and refuses error responses and other shapes", () => {
    const single = mapZohoInvoices({
      code: 0,
      invoice: (load("zoho-invoices.json") as { invoices: unknown[] }).invoices[0],
    });
    expect(single.invoices).toHaveLength(1);
    expect(() => mapZohoInvoices({ code: 1002, message: "Invoice does not exist." })).toThrow(/error 1002/);
    expect(() => mapZohoInvoices("nope")).toThrow(AppError);
    expect(() => mapZohoInvoices({ code: 0 })).toThrow(/neither "invoice" nor "invoices"/);
  });

  it("never throws anything but AppError on arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        for (const payload of [value, { invoices: [value] }, { contacts: [value] }]) {
          try {
            mapZohoInvoices(payload);
            mapZohoContacts(payload);
          } catch (error) {
            expect(error).toBeInstanceOf(AppError);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("mapZohoContacts", () => {
  const result = mapZohoContacts(load("zoho-contacts.json"));

  it("maps customers, skips vendors, rejects contacts without id", () => {
    expect(result.customers[0]).toEqual({
      externalId: "zoho-books:customer:460000000026049",
      source: "zoho-books",
      name: "Acme Infra Pvt Ltd",
      gstin: "27AAPFU0939F1ZV",
      pan: "AAPFU0939F",
      email: "accounts@acme.example",
      phone: "+919876543210",
      stateCode: "27",
      addressLines: ["Plot 12, MIDC Industrial Area", "Andheri East"],
      city: "Mumbai",
      pincode: "400093",
      creditDays: 45,
      group: "customer",
      findings: [],
    });
    expect(result.customers[1]?.gstin).toBeUndefined();
    expect(result.customers[1]?.findings[0]?.field).toBe("contacts.1.gst_no");
    expect(result.skipped).toEqual([
      { externalId: "zoho-books:customer:460000000026077", reason: "vendor contact" },
    ]);
    expect(result.rejected).toEqual([
      { index: 3, issues: [{ field: "contacts.3.contact_id", reason: "missing" }] },
    ]);
  });

  it("invoices point at the customers by the same external id", () => {
    const invoices = mapZohoInvoices(load("zoho-invoices.json")).invoices;
    const ids = new Set(result.customers.map((customer) => customer.externalId));
    expect(
      invoices.every(
        (invoice) => invoice.customerExternalId !== undefined && ids.has(invoice.customerExternalId),
      ),
    ).toBe(true);
  });
});

describe("external ids", () => {
  it("are stable, source-scoped and case-insensitive for system ids", () => {
    expect(externalIdKey({ source: "tally", entity: "voucher", id: " ABC-def " })).toBe(
      "tally:voucher:abc-def",
    );
    expect(externalIdKey({ source: "csv", entity: "invoice", id: "Inv-1" })).toBe("csv:invoice:Inv-1");
    expect(compositeId(["Sales", "2025-07-15", "42"])).toBe(compositeId([" sales ", "2025-07-15", "42"]));
    expect(compositeId(["Sales", "2025-07-15", "42"])).not.toBe(compositeId(["Sales", "2025-07-15", "43"]));
  });

  it("plans creates, updates and in-batch duplicates", () => {
    const plan = planReimport({
      incoming: [{ externalId: "a" }, { externalId: "b" }, { externalId: "a" }],
      existingExternalIds: new Set(["b"]),
    });
    expect(plan).toEqual({
      create: [{ externalId: "a" }],
      update: [{ externalId: "b" }],
      duplicates: [{ externalId: "a" }],
    });
  });
});
