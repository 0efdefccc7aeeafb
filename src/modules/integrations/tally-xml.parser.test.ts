import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "../../kernel/app-error.ts";
import { planReimport } from "./external-id.ts";
import { decodeTallyBytes, parseTallyXml, sanitiseTallyXml } from "./tally-xml.parser.ts";

const fixture = readFileSync(
  fileURLToPath(new URL("./__fixtures__/tally-daybook.xml", import.meta.url)),
  "utf8",
);

describe("parseTallyXml on a Day Book with masters", () => {
  const result = parseTallyXml(fixture);

  it("reads the company and customer ledgers (incl. a sub-group of Sundry Debtors), with findings", () => {
    expect(result.company).toBe("Prapti Demo Steels Pvt Ltd");
    expect(result.ledgers.map((ledger) => [ledger.name, ledger.isCustomer])).toEqual([
      ["Acme Infra Pvt Ltd", true],
      ["PWD Division 4 Pune", true],
      ["Beta Traders", true],
      ["HDFC Bank Current A/c", false],
      ["Loan from Director", false],
    ]);
    const [acme, pwd, beta] = result.customers;
    expect(acme).toEqual({
      externalId: "tally:customer:9f3c1a20-5b7e-4c1d-9a51-000000000101",
      source: "tally",
      name: "Acme Infra Pvt Ltd",
      gstin: "27AAPFU0939F1ZV",
      pan: "AAPFU0939F",
      email: "accounts@acme.example",
      phone: "+919876543210",
      stateCode: "27",
      addressLines: ["Plot 12, MIDC Industrial Area", "Andheri East, Mumbai"],
      pincode: "400093",
      creditDays: 45,
      openingBalancePaise: 2_500_000n,
      group: "Sundry Debtors",
      findings: [],
    });
    expect(pwd).toMatchObject({
      gstin: "27PNEP12345A1DV",
      group: "Sundry Debtors - Government",
      stateCode: "27",
    });
    expect(pwd?.pan).toBeUndefined();
    expect(beta?.gstin).toBeUndefined();
    expect(beta?.findings).toEqual([
      { field: "gstin", reason: 'a GSTIN has 15 characters, got 14 ("29AAGCG4576J1Z")' },
    ]);
  });

  it("reads a sales invoice in invoice view: party debit is the total, taxes by ledger, inventory lines", () => {
    const invoice = result.invoices.find((item) => item.number === "INV/2025-26/0042");
    expect(invoice).toEqual({
      externalId: "tally:invoice:9f3c1a20-5b7e-4c1d-9a51-00000000a042",
      source: "tally",
      number: "INV/2025-26/0042",
      customerExternalId: "tally:customer:9f3c1a20-5b7e-4c1d-9a51-000000000101",
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
      placeOfSupply: "27",
      lines: [
        {
          description: "MS Structural Fabrication",
          hsnOrSac: "7308",
          quantity: "2",
          taxableValuePaise: 10_000_000n,
        },
      ],
      findings: [],
    });
  });

  it("reads an accounting-view sales voucher with IGST and rounding off, and flags one that does not net to zero", () => {
    const interState = result.invoices.find((item) => item.number === "INV/2025-26/0043");
    expect(interState).toMatchObject({
      totalPaise: 5_900_040n,
      igstPaise: 900_000n,
      roundOffPaise: 40n,
      taxableValuePaise: 5_000_000n,
      placeOfSupply: "29",
    });
    expect(interState?.lines).toEqual([
      { description: "Freight and Erection Services", taxableValuePaise: 5_000_000n },
    ]);
    const unbalanced = result.invoices.find((item) => item.number === "INV/2025-26/0045");
    expect(unbalanced?.findings).toEqual([
      { field: "amount", reason: "the voucher does not net to zero (off by -₹100.00)" },
    ]);
  });

  it("reads receipts by the sign of AMOUNT: bank money, TDS and GST TDS apart, even with misleading flags", () => {
    const acme = result.payments.find((payment) => payment.customerName === "Acme Infra Pvt Ltd");
    expect(acme).toMatchObject({
      externalId: "tally:payment:9f3c1a20-5b7e-4c1d-9a51-00000000b012",
      date: "2025-08-20",
      amountPaise: 11_600_000n,
      tdsPaise: 200_000n,
      settledPaise: 11_800_000n,
      method: "neft",
      reference: "CITIN25201114659",
      allocations: [{ reference: "INV/2025-26/0042", kind: "Agst Ref", amountPaise: 11_800_000n }],
      findings: [],
    });
    const pwd = result.payments.find((payment) => payment.customerName === "PWD Division 4 Pune");
    expect(pwd).toMatchObject({ amountPaise: 57_000_000n, tdsPaise: 1_000_000n, settledPaise: 59_000_000n });
    expect(pwd?.externalId).toMatch(/^tally:payment:h-[0-9a-f]{32}$/);
  });

  it("reads a credit note against an invoice", () => {
    expect(result.creditNotes).toEqual([
      expect.objectContaining({
        externalId: "tally:credit-note:9f3c1a20-5b7e-4c1d-9a51-00000000c003",
        number: "CN/2025-26/003",
        date: "2025-08-25",
        customerName: "Beta Traders",
        amountPaise: 590_000n,
        allocations: [{ reference: "INV/2025-26/0043", kind: "Agst Ref", amountPaise: 590_000n }],
      }),
    ]);
  });

  it("skips cancelled vouchers, other voucher types and receipts from non-customers, saying why", () => {
    expect(result.skipped).toEqual([
      {
        voucherType: "Receipt",
        number: "13",
        date: "2025-09-01",
        reason: 'party "Loan from Director" is under "Unsecured Loans", not a customer group',
      },
      { voucherType: "Sales", number: "INV/2025-26/0044", date: "2025-09-10", reason: "cancelled voucher" },
      {
        voucherType: "Sales Order",
        number: "SO/17",
        date: "2025-09-13",
        reason: 'voucher type "Sales Order" is not imported',
      },
    ]);
  });

  it("re-import is idempotent on GUIDs and composite keys", () => {
    const again = parseTallyXml(fixture);
    const known = new Set(result.payments.map((payment) => payment.externalId));
    expect(planReimport({ incoming: again.payments, existingExternalIds: known }).create).toEqual([]);
  });
});

describe("Tally file quirks", () => {
  it("reads UTF-16LE with a BOM and CRLF line ends, UTF-8 with a BOM, and raw control characters", () => {
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from(
        fixture
          .replace(/\n/g, "\r\n")
          .replace("&#4; Maharashtra</LEDSTATENAME>", "\u0004 Maharashtra</LEDSTATENAME>"),
        "utf16le",
      ),
    ]);
    const fromUtf16 = parseTallyXml(utf16);
    expect(fromUtf16.invoices).toHaveLength(3);
    expect(fromUtf16.customers[0]?.stateCode).toBe("27");
    const utf8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(fixture, "utf8")]);
    expect(parseTallyXml(utf8).payments).toHaveLength(2);
    const noBom = Buffer.from(fixture, "utf16le");
    expect(decodeTallyBytes(noBom).startsWith("<ENVELOPE>")).toBe(true);
    expect(sanitiseTallyXml("<A>&#4;x&#x5;y&#65;\u0005</A>")).toBe("<A>xy&#65;</A>");
  });

  it("accepts renamed voucher types by configuration and other customer groups", () => {
    const renamed = fixture
      .replaceAll('VCHTYPE="Receipt"', 'VCHTYPE="Bank In"')
      .replaceAll("<VOUCHERTYPENAME>Receipt</VOUCHERTYPENAME>", "<VOUCHERTYPENAME>Bank In</VOUCHERTYPENAME>");
    expect(parseTallyXml(renamed).payments).toHaveLength(0);
    expect(parseTallyXml(renamed, { voucherTypes: { receipt: ["Bank In"] } }).payments).toHaveLength(2);
    const onlyGovernment = parseTallyXml(fixture, { customerGroups: ["Sundry Debtors - Government"] });
    expect(onlyGovernment.customers.map((customer) => customer.name)).toEqual(["PWD Division 4 Pune"]);
  });

  it("refuses what is not a Tally export, and never throws anything but AppError", () => {
    expect(() => parseTallyXml("<HTML></HTML>")).toThrow(/no ENVELOPE/);
    expect(() => parseTallyXml("<ENVELOPE><BODY>")).toThrow(AppError);
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom(
              "<ENVELOPE>",
              "</ENVELOPE>",
              "<VOUCHER>",
              "</VOUCHER>",
              "<AMOUNT>",
              "</AMOUNT>",
              "<DATE>20250101</DATE>",
              "<LEDGERNAME>x</LEDGERNAME>",
              "<ALLLEDGERENTRIES.LIST>",
              "</ALLLEDGERENTRIES.LIST>",
              "&#4;",
              "-1.5",
            ),
            fc.string({ maxLength: 6 }),
          ),
          { maxLength: 30 },
        ),
        (parts) => {
          try {
            parseTallyXml(parts.join(""));
          } catch (error) {
            expect(error).toBeInstanceOf(AppError);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
