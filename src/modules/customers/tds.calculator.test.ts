import { describe, expect, it } from "vitest";
import { isAppError } from "../../kernel/app-error.ts";
import { ZTdsProfile } from "./customer.schemas.ts";
import { calculateExpectedDeductions } from "./tds.calculator.ts";

const incomeTaxOnly = ZTdsProfile.parse({
  incomeTax: { section: "194C", rateBasisPoints: 200, tan: "PNES12345A" },
});
const government = ZTdsProfile.parse({
  incomeTax: { section: "194J", rateBasisPoints: 1000, tan: "PNEM12345B", base: "gross" },
  gst: { deductorCategory: "government-department" },
});

const invoice = {
  taxableValuePaise: 5_00_000_00n,
  gstPaise: 90_000_00n,
  invoiceTotalPaise: 5_90_000_00n,
  supplierStateCode: "27",
  placeOfSupply: "27",
  recipientStateCode: "27",
};

describe("calculateExpectedDeductions", () => {
  it("deducts income-tax TDS on the value before GST by default", () => {
    const result = calculateExpectedDeductions({ ...invoice, tds: incomeTaxOnly });
    expect(result.incomeTax).toEqual({
      section: "194C",
      base: "excluding-gst",
      basePaise: 5_00_000_00n,
      rateBasisPoints: 200,
      amountPaise: 10_000_00n,
    });
    expect(result.gst).toBeNull();
    expect(result.netReceivablePaise).toBe(5_80_000_00n);
  });

  it("deducts on the gross amount and adds GST TDS 1% + 1% within a State", () => {
    const result = calculateExpectedDeductions({ ...invoice, tds: government });
    expect(result.incomeTax?.amountPaise).toBe(59_000_00n);
    expect(result.gst).toMatchObject({
      applies: true,
      cgstPaise: 5_000_00n,
      sgstOrUtgstPaise: 5_000_00n,
      igstPaise: 0n,
      localHead: "SGST",
    });
    expect(result.totalPaise).toBe(69_000_00n);
    expect(result.netReceivablePaise).toBe(5_21_000_00n);
  });

  it("uses IGST 2% across States and UTGST in Chandigarh", () => {
    const inter = calculateExpectedDeductions({ ...invoice, tds: government, supplierStateCode: "29" });
    expect(inter.gst).toMatchObject({ applies: true, igstPaise: 10_000_00n, cgstPaise: 0n });
    const ut = calculateExpectedDeductions({
      ...invoice,
      tds: government,
      supplierStateCode: "04",
      placeOfSupply: "04",
      recipientStateCode: "04",
    });
    expect(ut.gst?.localHead).toBe("UTGST");
  });

  it("skips GST TDS within the ₹2.5 lakh threshold and outside the recipient's State", () => {
    const small = calculateExpectedDeductions({
      ...invoice,
      tds: government,
      taxableValuePaise: 2_50_000_00n,
    });
    expect(small.gst).toMatchObject({
      applies: false,
      reason: "contract-value-within-threshold",
      amountPaise: 0n,
    });
    const contract = calculateExpectedDeductions({
      ...invoice,
      tds: government,
      taxableValuePaise: 1_00_000_00n,
      contractValuePaise: 3_00_000_00n,
    });
    expect(contract.gst?.amountPaise).toBe(2_000_00n);
    const outside = calculateExpectedDeductions({
      ...invoice,
      tds: government,
      supplierStateCode: "29",
      placeOfSupply: "29",
    });
    expect(outside.gst).toMatchObject({ applies: false, reason: "supply-outside-recipient-state" });
  });

  it("rounds half up to the paisa and refuses negative amounts", () => {
    const result = calculateExpectedDeductions({ ...invoice, tds: incomeTaxOnly, taxableValuePaise: 125n });
    expect(result.incomeTax?.amountPaise).toBe(3n);
    try {
      calculateExpectedDeductions({ ...invoice, tds: incomeTaxOnly, gstPaise: -1n, contractValuePaise: -5n });
      expect.unreachable();
    } catch (error) {
      expect(isAppError(error) && error.issues).toEqual([
        { field: "gstPaise", reason: "must not be negative" },
        { field: "contractValuePaise", reason: "must not be negative" },
      ]);
    }
  });
});
