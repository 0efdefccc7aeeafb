import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GSTINS, buildInvoice } from "./invoice.fixtures.testing.ts";
import type { InvoiceLineInput } from "./invoice.schemas.ts";
import { quantityToThousandths } from "./quantity.ts";
import { calculateInvoiceTax } from "./tax.calculator.ts";

const RATES_AFTER_REFORM = [0, 10, 25, 100, 150, 300, 500, 600, 750, 1800, 2800, 4000];

const arbitraryLine: fc.Arbitrary<InvoiceLineInput> = fc
  .record({
    units: fc.integer({ min: 0, max: 5_000_000 }),
    unitPricePaise: fc.bigInt({ min: 0n, max: 10_000_000_00n }),
    discountShare: fc.integer({ min: 0, max: 100 }),
    gstRateBasisPoints: fc.constantFrom(...RATES_AFTER_REFORM),
    cessRateBasisPoints: fc.constantFrom(0, 0, 0, 100, 1200, 2200),
  })
  .map(({ units, unitPricePaise, discountShare, gstRateBasisPoints, cessRateBasisPoints }) => {
    const quantity = `${Math.floor(units / 1000)}.${String(units % 1000).padStart(3, "0")}`;
    const gross = (unitPricePaise * quantityToThousandths(quantity)) / 1000n;
    return {
      description: "item",
      hsnSac: "73181500",
      quantity,
      unit: "NOS",
      unitPricePaise,
      discountPaise: (gross * BigInt(discountShare)) / 100n,
      gstRateBasisPoints,
      cessRateBasisPoints,
    };
  });

const arbitraryInvoice = fc.record({
  lines: fc.array(arbitraryLine, { minLength: 1, maxLength: 25 }),
  placeOfSupply: fc.constantFrom("27", "29", "04"),
  supplierGstin: fc.constantFrom(GSTINS.maharashtra, GSTINS.chandigarh),
  supplyType: fc.constantFrom("B2B" as const, "B2C" as const, "SEZWP" as const, "SEZWOP" as const),
  roundTotal: fc.boolean(),
  nonTaxableChargesPaise: fc.bigInt({ min: 0n, max: 1_00_000_00n }),
});

type Sample = typeof arbitraryInvoice extends fc.Arbitrary<infer T> ? T : never;

function build(sample: Sample) {
  return buildInvoice({
    supplyType: sample.supplyType,
    placeOfSupply: sample.placeOfSupply,
    supplier: {
      legalName: "Supplier Private Limited",
      gstin: sample.supplierGstin,
      address: {
        line1: "Address",
        city: "City",
        pinCode: "400001",
        stateCode: sample.supplierGstin.slice(0, 2),
      },
    },
    lines: sample.lines,
    roundTotal: sample.roundTotal,
    nonTaxableChargesPaise: sample.nonTaxableChargesPaise,
  });
}

const sum = (values: readonly bigint[]): bigint => values.reduce((total, value) => total + value, 0n);
const abs = (value: bigint): bigint => (value < 0n ? -value : value);

describe("tax calculator properties", () => {
  it("splits tax into heads that always add up to the tax total, per line and per invoice", () => {
    fc.assert(
      fc.property(arbitraryInvoice, (sample) => {
        const tax = calculateInvoiceTax({ invoice: build(sample) });
        for (const line of tax.lines) {
          const heads = line.cgstPaise + line.sgstPaise + line.utgstPaise + line.igstPaise + line.cessPaise;
          expect(heads).toBe(line.totalPaise - line.taxableValuePaise);
          if (tax.regime.kind === "intra-state") {
            expect(line.igstPaise).toBe(0n);
            expect(line.sgstPaise + line.utgstPaise).toBe(line.cgstPaise);
          } else {
            expect(line.cgstPaise + line.sgstPaise + line.utgstPaise).toBe(0n);
          }
        }
        expect(tax.cgstPaise + tax.sgstPaise + tax.utgstPaise + tax.igstPaise + tax.cessPaise).toBe(
          tax.taxPaise,
        );
        expect(sum(tax.lines.map((line) => line.cgstPaise))).toBe(tax.cgstPaise);
        expect(sum(tax.lines.map((line) => line.igstPaise))).toBe(tax.igstPaise);
        expect(
          sum(tax.rates.map((rate) => rate.cgstPaise + rate.sgstPaise + rate.utgstPaise + rate.igstPaise)),
        ).toBe(tax.taxPaise - tax.cessPaise);
      }),
      { numRuns: 400 },
    );
  });

  it("loses no paisa between line totals, round-off and the invoice total", () => {
    fc.assert(
      fc.property(arbitraryInvoice, (sample) => {
        const invoice = build(sample);
        const tax = calculateInvoiceTax({ invoice });
        const linesTotal = sum(tax.lines.map((line) => line.totalPaise));
        expect(linesTotal + tax.nonTaxableChargesPaise).toBe(tax.totalBeforeRoundOffPaise);
        expect(tax.totalBeforeRoundOffPaise + tax.roundOffPaise).toBe(tax.totalPaise);
        expect(sum(tax.lines.map((line) => line.taxableValuePaise))).toBe(tax.taxableValuePaise);
        if (sample.roundTotal) {
          expect(tax.totalPaise % 100n).toBe(0n);
          expect(tax.roundOffPaise >= -49n && tax.roundOffPaise <= 50n).toBe(true);
        } else {
          expect(tax.roundOffPaise).toBe(0n);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("keeps every line within one paisa of its exact tax and each rate's tax correctly rounded", () => {
    fc.assert(
      fc.property(arbitraryInvoice, (sample) => {
        const invoice = build(sample);
        const tax = calculateInvoiceTax({ invoice });
        if (tax.regime.zeroRated) {
          expect(tax.taxPaise).toBe(0n);
          return;
        }
        const intra = tax.regime.kind === "intra-state";
        const denominator = intra ? 20_000n : 10_000n;
        for (const line of tax.lines) {
          const exactTimesDenominator = line.taxableValuePaise * BigInt(line.gstRateBasisPoints);
          const head = intra ? line.cgstPaise : line.igstPaise;
          expect(abs(head * denominator - exactTimesDenominator) < denominator).toBe(true);
        }
        for (const rate of tax.rates) {
          const exact = rate.taxableValuePaise * BigInt(rate.gstRateBasisPoints);
          const head = intra ? rate.cgstPaise : rate.igstPaise;
          expect(abs(head * denominator * 2n - exact * 2n) <= denominator).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });
});
