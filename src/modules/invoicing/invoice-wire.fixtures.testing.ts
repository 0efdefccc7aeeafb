import type { InvoiceDraftInput } from "./invoice.views.ts";

/** Test helper: the organisation issuing the invoices (Maharashtra). */
export const TEST_SUPPLIER = {
  legalName: "Kulkarni Fasteners Private Limited",
  gstin: "27AAPFU0939F1ZV",
  address: { line1: "Plot 7, MIDC Bhosari", city: "Pune", pinCode: "411026", stateCode: "27" },
  signatory: "R. Kulkarni",
};

/** Test helper: a buyer in Maharashtra (intra-State supply). */
export function testBuyer(customerId?: string) {
  return {
    ...(customerId !== undefined ? { customerId } : {}),
    legalName: "Sharma Steel Traders Private Limited",
    gstin: "27AABCS1429B1ZU",
    address: { line1: "14 Bhosari MIDC", city: "Pune", pinCode: "411026", stateCode: "27" },
  };
}

/**
 * Test helper: a draft of 100 fasteners at Rs 1,000 with 18% GST within Maharashtra: taxable value Rs 1,00,000,
 * CGST and SGST Rs 9,000 each, total Rs 1,18,000 (11800000 paise).
 */
export function draftInput(overrides: Partial<InvoiceDraftInput> = {}): InvoiceDraftInput {
  return {
    number: "KF/25-26/001",
    issueDate: "2025-10-01",
    supplyType: "B2B",
    placeOfSupply: "27",
    buyer: testBuyer(),
    lines: [
      {
        description: "Hex bolts M12 x 50",
        hsnSac: "73181500",
        quantity: "100",
        unit: "NOS",
        unitPricePaise: "100000",
        gstRateBasisPoints: 1800,
      },
    ],
    terms: { creditDays: 30, agreedInWriting: true },
    ...overrides,
  };
}
