import { ZInvoice, ZNote } from "./invoice.schemas.ts";
import type { Invoice, InvoiceInput, InvoiceLineInput, Note, NoteInput } from "./invoice.schemas.ts";

/** Test helper: GSTINs with valid check characters from the reference list. */
export const GSTINS = {
  maharashtra: "27AAPFU0939F1ZV",
  karnataka: "29AAGCB7383J1Z4",
  himachal: "02AAACI1681G3ZZ",
  chandigarh: "04AAACI1681G1ZX",
  gujarat: "24AAQCA8719H1ZC",
} as const;

export function line(overrides: Partial<InvoiceLineInput> = {}): InvoiceLineInput {
  return {
    description: "Steel fasteners",
    hsnSac: "73181500",
    quantity: "100",
    unit: "NOS",
    unitPricePaise: 1_000_00n,
    gstRateBasisPoints: 1800,
    ...overrides,
  };
}

/** Test helper: a valid intra-State B2B invoice (Maharashtra to Maharashtra) unless overridden. */
export function invoiceInput(overrides: Partial<InvoiceInput> = {}): InvoiceInput {
  return {
    id: "inv_1",
    number: "INV/2025-26/001",
    issueDate: "2025-10-01",
    supplyType: "B2B",
    placeOfSupply: "27",
    supplier: {
      legalName: "Prapti Demo Industries Private Limited",
      gstin: GSTINS.maharashtra,
      address: { line1: "Plot 7, MIDC Bhosari", city: "Pune", pinCode: "411026", stateCode: "27" },
      signatory: "R. Kulkarni",
    },
    buyer: {
      customerId: "cus_1",
      legalName: "Sharma Traders Private Limited",
      gstin: "27AAGCG4576J1Z6",
      address: { line1: "12 MG Road", city: "Mumbai", pinCode: "400001", stateCode: "27" },
    },
    lines: [line()],
    ...overrides,
  };
}

export function buildInvoice(overrides: Partial<InvoiceInput> = {}): Invoice {
  return ZInvoice.parse(invoiceInput(overrides));
}

export function buildNote(overrides: Partial<NoteInput> = {}): Note {
  return ZNote.parse({
    id: "cn_1",
    kind: "credit",
    number: "CN/2025-26/001",
    issueDate: "2025-10-10",
    invoiceId: "inv_1",
    reason: "sales-return",
    lines: [line({ quantity: "10" })],
    ...overrides,
  });
}
