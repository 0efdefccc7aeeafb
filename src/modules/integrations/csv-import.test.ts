import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "../../kernel/app-error.ts";
import { planCsvImport, requireAcceptedImport, type CsvImportRequest } from "./csv-import.ts";
import { planReimport } from "./external-id.ts";
import type { ImportedCustomer, ImportedInvoice, ImportedPayment } from "./imported-records.ts";

const customerMapping = {
  externalId: "Customer ID",
  name: "Customer Name",
  gstin: "GSTIN/UIN",
  pan: "PAN",
  email: "Email",
  phone: "Mobile",
  state: "State",
  pincode: "PIN",
  creditDays: "Credit Days",
  openingBalance: "Opening Balance",
};

const customers = [
  "Customer ID,Customer Name,GSTIN/UIN,PAN,Email,Mobile,State,PIN,Credit Days,Opening Balance",
  'C-001,Acme Infra Pvt Ltd,27AAPFU0939F1ZV,AAPFU0939F,Accounts@Acme.example,98765 43210,MH,400093,45 days,"25,000.00"',
  "C-002,Google India,27AAGCG4576J1Z6,,ap@google.example,+91 9123456789,Maharashtra,400051,30,",
  "C-003,,27AAPFU0939F1ZX,AAPXU0939G,not-an-email,12345,Atlantis,012345,many,abc",
  "C-001,Acme Again,,,,,,,,",
  ",,,,,,,,,",
].join("\n");

function issuesOf(action: () => unknown): Array<{ field: string; reason: string }> {
  try {
    action();
  } catch (error) {
    if (error instanceof AppError) return error.issues;
    throw error;
  }
  throw new Error("expected an AppError");
}

describe("planCsvImport: customers", () => {
  it("reports every bad cell per row, skips blank rows and flags duplicate ids", () => {
    const plan = planCsvImport({
      entity: "customers",
      text: customers,
      mapping: customerMapping,
      mode: "all-or-nothing",
    });
    expect(plan.accepted).toBe(false);
    expect(plan.records).toEqual([]);
    expect(plan.summary).toEqual({ total: 4, valid: 2, invalid: 2 });
    expect(plan.rows.map((row) => [row.rowNumber, row.valid])).toEqual([
      [2, true],
      [3, true],
      [4, false],
      [5, false],
    ]);
    expect(plan.rows[2]?.issues.map((issue) => issue.field)).toEqual([
      "rows.4.name",
      "rows.4.gstin",
      "rows.4.pan",
      "rows.4.email",
      "rows.4.phone",
      "rows.4.state",
      "rows.4.pincode",
      "rows.4.creditDays",
      "rows.4.openingBalance",
    ]);
    expect(plan.rows[3]?.issues).toEqual([{ field: "rows.5.externalId", reason: "same record as line 2" }]);
    expect(() => requireAcceptedImport(plan)).toThrow(/import refused: 2 of 4 rows/);
  });

  it("imports the good rows in valid-rows-only mode, normalised", () => {
    const plan = planCsvImport({
      entity: "customers",
      text: customers,
      mapping: customerMapping,
      mode: "valid-rows-only",
    });
    expect(plan.accepted).toBe(true);
    const [acme, google] = plan.records as ImportedCustomer[];
    expect(acme).toEqual({
      externalId: "csv:customer:C-001",
      source: "csv",
      name: "Acme Infra Pvt Ltd",
      gstin: "27AAPFU0939F1ZV",
      pan: "AAPFU0939F",
      email: "accounts@acme.example",
      phone: "+919876543210",
      stateCode: "27",
      addressLines: [],
      pincode: "400093",
      creditDays: 45,
      openingBalancePaise: 2_500_000n,
      findings: [],
    });
    expect(google).toMatchObject({ pan: "AAGCG4576J", stateCode: "27", phone: "+919123456789" });
  });

  it("checks the PAN against the GSTIN and the state against the GSTIN", () => {
    const text = ["Customer Name,GSTIN/UIN,PAN,State", "Acme,27AAPFU0939F1ZV,AAKFD7113K,KA"].join("\n");
    const plan = planCsvImport({
      entity: "customers",
      text,
      mapping: { name: "Customer Name", gstin: "GSTIN/UIN", pan: "PAN", state: "State" },
      mode: "all-or-nothing",
    });
    expect(plan.issues).toEqual([
      { field: "rows.2.pan", reason: "does not match characters 3-12 of the GSTIN (AAPFU0939F)" },
      { field: "rows.2.state", reason: "the GSTIN is registered in state 27" },
    ]);
  });

  it("refuses a mapping with unknown fields, missing required fields or columns not in the file", () => {
    expect(
      issuesOf(() =>
        planCsvImport({
          entity: "customers",
          text: customers,
          mapping: { colour: "Customer Name" },
          mode: "all-or-nothing",
        }),
      ),
    ).toEqual([
      { field: "mapping.colour", reason: "not a field of customers" },
      { field: "mapping.name", reason: "required: legal or trade name" },
    ]);
    expect(
      issuesOf(() =>
        planCsvImport({
          entity: "customers",
          text: customers,
          mapping: { name: "Name", email: "E-mail" },
          mode: "all-or-nothing",
        }),
      ),
    ).toEqual([
      { field: "columns.name", reason: 'column "Name" not found in the header row' },
      { field: "columns.email", reason: 'column "E-mail" not found in the header row' },
    ]);
  });
});

describe("planCsvImport: invoices and payments", () => {
  const invoiceMapping = {
    number: "Invoice No",
    customer: "Customer",
    issueDate: "Invoice Date",
    dueDate: "Due Date",
    taxableValue: "Taxable Value",
    cgst: "CGST",
    sgst: "SGST",
    igst: "IGST",
    roundOff: "Round Off",
    total: "Invoice Value",
    balance: "Balance",
    placeOfSupply: "Place of Supply",
  };

  it("validates GST arithmetic and dates", () => {
    const text = [
      "Invoice No,Customer,Invoice Date,Due Date,Taxable Value,CGST,SGST,IGST,Round Off,Invoice Value,Balance,Place of Supply",
      'INV/2025-26/0042,Acme Infra,15/07/2025,29/08/2025,"1,00,000.00","9,000.00","9,000.00",,,"1,18,000.00","68,000.00",27',
      "INV/2025-26/0043,Beta Traders,02-08-2025,01-09-2025,49999.66,,,8999.94,0.40,59000.00,,KA",
      "INV/2025-26/0044,Acme Infra,2025-08-05,2025-07-01,1000,90,80,180,5.00,2000,3000,Narnia",
    ].join("\n");
    const plan = planCsvImport({
      entity: "invoices",
      text,
      mapping: invoiceMapping,
      mode: "valid-rows-only",
    });
    const [first, second] = plan.records as ImportedInvoice[];
    expect(first).toMatchObject({
      number: "INV/2025-26/0042",
      issueDate: "2025-07-15",
      dueDate: "2025-08-29",
      totalPaise: 11_800_000n,
      balancePaise: 6_800_000n,
      placeOfSupply: "27",
    });
    expect(second).toMatchObject({
      igstPaise: 899_994n,
      roundOffPaise: 40n,
      totalPaise: 5_900_000n,
      placeOfSupply: "29",
    });
    expect(plan.rows[2]?.issues.map((issue) => issue.field)).toEqual([
      "rows.4.placeOfSupply",
      "rows.4.sgst",
      "rows.4.igst",
      "rows.4.roundOff",
      "rows.4.total",
      "rows.4.balance",
      "rows.4.dueDate",
    ]);
  });

  it("payments: references for bank receipts, the s.269ST cash limit, TDS kept apart", () => {
    const text = [
      "Date,Amount,Customer,Mode,UTR,Invoice,TDS",
      '20/07/2025,"1,16,000.00",Acme Infra,NEFT,CITIN25201114659,INV/2025-26/0042,"2,000.00"',
      "21/07/2025,5000,Beta Traders,UPI,,INV/2025-26/0043,",
      '22/07/2025,"2,50,000",Gamma,Cash,,,',
      "23/07/2025,100,Delta,Bitcoin,x,,",
    ].join("\n");
    const plan = planCsvImport({
      entity: "payments",
      text,
      mapping: {
        date: "Date",
        amount: "Amount",
        customer: "Customer",
        method: "Mode",
        reference: "UTR",
        invoiceNumber: "Invoice",
        tds: "TDS",
      },
      mode: "valid-rows-only",
    });
    expect(plan.records as ImportedPayment[]).toEqual([
      expect.objectContaining({
        date: "2025-07-20",
        amountPaise: 11_600_000n,
        tdsPaise: 200_000n,
        settledPaise: 11_800_000n,
        method: "neft",
        reference: "CITIN25201114659",
        allocations: [{ reference: "INV/2025-26/0042", amountPaise: 11_800_000n }],
      }),
    ]);
    expect(plan.issues).toEqual([
      { field: "rows.3.reference", reason: "a UPI receipt needs its reference" },
      { field: "rows.4.amount", reason: "cash receipts of ₹2,00,000 or more are barred by s.269ST" },
      { field: "rows.5.method", reason: '"Bitcoin" is not one of UPI, NEFT, RTGS, IMPS, cheque, cash, card' },
    ]);
  });

  it("re-importing the same file gives the same external ids, so nothing is created twice", () => {
    const request: CsvImportRequest = {
      entity: "customers",
      text: customers,
      mapping: customerMapping,
      mode: "valid-rows-only",
    };
    const first = planCsvImport(request).records;
    const again = planCsvImport(request).records;
    const plan = planReimport({
      incoming: again,
      existingExternalIds: new Set(first.map((record) => record.externalId)),
    });
    expect(plan.create).toEqual([]);
    expect(plan.update).toHaveLength(first.length);
  });

  it("never throws anything but AppError on arbitrary text", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 300 }),
        fc.constantFrom<"customers" | "invoices" | "payments">("customers", "invoices", "payments"),
        (noise, entity) => {
          const mapping: Record<string, string> =
            entity === "customers"
              ? { name: "Name" }
              : entity === "invoices"
                ? { number: "N", customer: "C", issueDate: "D", taxableValue: "T", total: "V" }
                : { date: "D", amount: "A", customer: "C" };
          const header = Object.values(mapping).join(",");
          try {
            const plan = planCsvImport({
              entity,
              text: `${header}\n${noise}`,
              mapping,
              mode: "valid-rows-only",
            });
            expect(plan.summary.valid + plan.summary.invalid).toBe(plan.summary.total);
          } catch (error) {
            expect(error).toBeInstanceOf(AppError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
