import { describe, expect, it } from "vitest";
import { parseRupees } from "../../kernel/money.ts";
import { matchReconciliation, type MatchableInvoice } from "./reconciliation.matcher.ts";
import { computeIncomeTaxTds, effectiveTdsBasisPoints, findNoPanRate } from "./tds.calculator.ts";
import type { TdsNature, TdsSection } from "./tds-rates.data.ts";

const rupees = (text: string): bigint => parseRupees(text);

/**
 * Section 206AA vectors: without a PAN the deductor applies the higher of the section's rate and 20% (5% for
 * 194Q, second proviso, from 1 Jul 2021), from 1 Apr 2010; a s.197 certificate (rate override) needs a PAN and
 * does not lower it.
 */
const VECTORS: Array<{
  name: string;
  section: TdsSection;
  nature?: TdsNature;
  payee?: "individual-or-huf" | "other";
  on: string;
  base: string;
  panFurnished: boolean;
  rateBasisPoints?: number;
  basisPoints: number;
  tds: string;
  section206AA: boolean;
}> = [
  {
    name: "194C company, PAN furnished: 2%",
    section: "194C",
    on: "2025-08-01",
    base: "1,00,000",
    panFurnished: true,
    basisPoints: 200,
    tds: "2,000",
    section206AA: false,
  },
  {
    name: "194C company, no PAN: 20%",
    section: "194C",
    on: "2025-08-01",
    base: "1,00,000",
    panFurnished: false,
    basisPoints: 2000,
    tds: "20,000",
    section206AA: true,
  },
  {
    name: "194C individual, no PAN: 20% (not twice 1%)",
    section: "194C",
    payee: "individual-or-huf",
    on: "2025-08-01",
    base: "50,000",
    panFurnished: false,
    basisPoints: 2000,
    tds: "10,000",
    section206AA: true,
  },
  {
    name: "194J professional services 10%, no PAN: 20%",
    section: "194J",
    nature: "professional-services",
    on: "2024-11-15",
    base: "75,000",
    panFurnished: false,
    basisPoints: 2000,
    tds: "15,000",
    section206AA: true,
  },
  {
    name: "194H on 2024-09-30 (5%), no PAN: 20%",
    section: "194H",
    on: "2024-09-30",
    base: "12,345.67",
    panFurnished: false,
    basisPoints: 2000,
    tds: "2,469.13",
    section206AA: true,
  },
  {
    name: "194Q 0.1%, no PAN: 5% (second proviso)",
    section: "194Q",
    on: "2025-08-01",
    base: "4,56,789.50",
    panFurnished: false,
    basisPoints: 500,
    tds: "22,839.48",
    section206AA: true,
  },
  {
    name: "194C on 2010-03-31, before s.206AA: the section's 2%",
    section: "194C",
    on: "2010-03-31",
    base: "1,00,000",
    panFurnished: false,
    basisPoints: 200,
    tds: "2,000",
    section206AA: false,
  },
  {
    name: "194C on 2010-04-01, the first day of s.206AA: 20%",
    section: "194C",
    on: "2010-04-01",
    base: "1,00,000",
    panFurnished: false,
    basisPoints: 2000,
    tds: "20,000",
    section206AA: true,
  },
  {
    name: "s.197 certificate at 0.5% without a PAN: still 20%",
    section: "194C",
    on: "2025-08-01",
    base: "1,00,000",
    panFurnished: false,
    rateBasisPoints: 50,
    basisPoints: 2000,
    tds: "20,000",
    section206AA: true,
  },
  {
    name: "s.197 certificate at 0.5% with a PAN: 0.5%",
    section: "194C",
    on: "2025-08-01",
    base: "1,00,000",
    panFurnished: true,
    rateBasisPoints: 50,
    basisPoints: 50,
    tds: "500",
    section206AA: false,
  },
];

describe("section 206AA (no PAN)", () => {
  for (const vector of VECTORS) {
    it(vector.name, () => {
      const base = rupees(vector.base);
      const tds = computeIncomeTaxTds({
        section: vector.section,
        ...(vector.nature ? { nature: vector.nature } : {}),
        payee: vector.payee ?? "other",
        on: vector.on,
        taxableValuePaise: base,
        grossPaise: base,
        panFurnished: vector.panFurnished,
        ...(vector.rateBasisPoints !== undefined ? { rateBasisPoints: vector.rateBasisPoints } : {}),
      });
      expect(tds.basisPoints).toBe(vector.basisPoints);
      expect(tds.exactPaise).toBe(rupees(vector.tds));
      expect(tds.section206AA).toBe(vector.section206AA);
    });
  }

  it("says so in the description", () => {
    const tds = computeIncomeTaxTds({
      section: "194C",
      payee: "other",
      on: "2025-08-01",
      taxableValuePaise: rupees("1,00,000"),
      grossPaise: rupees("1,18,000"),
      panFurnished: false,
    });
    expect(tds.description).toBe("20% u/s 194C (s.206AA, no PAN) on ₹1,00,000");
  });

  it("finds the rate in force by date and section", () => {
    expect(findNoPanRate({ section: "194C", on: "2010-03-31" })).toBeUndefined();
    expect(findNoPanRate({ section: "194Q", on: "2025-04-01" })?.basisPoints).toBe(500);
    expect(findNoPanRate({ section: "194J", on: "2025-04-01" })?.basisPoints).toBe(2000);
    expect(
      effectiveTdsBasisPoints({ section: "194J", on: "2025-04-01", statutoryBasisPoints: 1000 }),
    ).toEqual({ basisPoints: 1000, section206AA: false });
  });

  it("the matcher expects 20% from a customer the business gave no PAN", () => {
    const taxable = rupees("1,00,000");
    const invoices: MatchableInvoice[] = [
      {
        id: "i1",
        customerId: "nopan",
        number: "INV/2025-26/0301",
        totalPaise: rupees("1,18,000"),
        openPaise: rupees("1,18,000"),
        taxableValuePaise: taxable,
        issueDate: "2025-06-10",
        dueDate: "2025-07-10",
      },
    ];
    const result = matchReconciliation({
      lines: [
        {
          id: "l1",
          date: "2025-07-20",
          amountPaise: rupees("98,000"),
          narration: "NEFT CR-HDFC0000123-NOPAN WORKS LTD-INV-2025-26-301",
        },
      ],
      invoices,
      customers: [
        { id: "nopan", name: "Nopan Works Limited", tdsProfile: { section: "194C", panFurnished: false } },
      ],
    });
    expect(result.matches[0]?.proposal?.allocations).toEqual([
      expect.objectContaining({
        invoiceId: "i1",
        cashPaise: rupees("98,000"),
        incomeTaxTdsPaise: rupees("20,000"),
        tdsSection: "194C",
      }),
    ]);
  });
});
