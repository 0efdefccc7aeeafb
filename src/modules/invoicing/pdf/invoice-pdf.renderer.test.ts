import { describe, expect, it } from "vitest";
import { GSTINS, buildInvoice, line } from "../invoice.fixtures.testing.ts";
import type { Invoice } from "../invoice.schemas.ts";
import { extractPdfPages } from "./pdf-text.testing.ts";
import { renderInvoicePdf } from "./invoice-pdf.renderer.ts";
import type { InvoicePdfLanguage } from "./invoice-pdf.labels.ts";

const GENERATED_AT = new Date("2025-10-01T10:00:00Z");

async function render(invoice: Invoice, language: InvoicePdfLanguage = "en") {
  const rendered = await renderInvoicePdf({ invoice, language, generatedAt: GENERATED_AT });
  const pages = extractPdfPages(rendered.bytes);
  return { ...rendered, pages, text: pages.join("\n").normalize("NFD") };
}

function pageObjects(pdf: Buffer): number {
  return (pdf.toString("latin1").match(/\/Type\s*\/Page\b/g) ?? []).length;
}

describe("renderInvoicePdf in English", () => {
  it("renders one page with the rule 46 particulars", async () => {
    const { bytes, pageCount, pages, text } = await render(
      buildInvoice({ terms: { creditDays: 30 }, dueDate: "2025-10-31" }),
    );
    expect(bytes.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    expect(bytes.subarray(-6).toString("latin1")).toContain("%%EOF");
    expect(pageCount).toBe(1);
    expect(pageObjects(bytes)).toBe(1);
    expect(pages).toHaveLength(1);
    for (const expected of [
      "TAX INVOICE",
      "Original for recipient",
      "Prapti Demo Industries Private Limited",
      `GSTIN: ${GSTINS.maharashtra}`,
      "INV/2025-26/001",
      "01-10-2025",
      "31-10-2025",
      "Maharashtra (27)",
      "Tax payable on reverse charge\nNo",
      "Sharma Traders Private Limited",
      "GSTIN: 27AAGCG4576J1Z6",
      "73181500",
      "100 NOS",
      "1,00,000.00",
      "9,000.00",
      "Round off\n0.00",
      "1,18,000.00",
      "Rupees One Lakh Eighteen Thousand Only",
      "Tax in words: Rupees Eighteen Thousand Only",
      "For Prapti Demo Industries Private Limited",
      "Authorised signatory",
      "R. Kulkarni",
      "Page 1 of 1",
    ]) {
      expect(text, expected).toContain(expected);
    }
    expect(text).toContain("CGST");
    expect(text).not.toContain("IGST");
  });

  it("is deterministic for the same invoice and generation time", async () => {
    const invoice = buildInvoice();
    const first = await renderInvoicePdf({ invoice, language: "en", generatedAt: GENERATED_AT });
    const second = await renderInvoicePdf({ invoice, language: "en", generatedAt: GENERATED_AT });
    expect(first.bytes.equals(second.bytes)).toBe(true);
  });

  it("prints IGST across States, UTGST in a UT without legislature, and 'Unregistered' for B2C", async () => {
    const inter = await render(buildInvoice({ placeOfSupply: "29" }));
    expect(inter.text).toContain("IGST");
    expect(inter.text).toContain("Karnataka (29)");
    expect(inter.text).not.toContain("CGST");

    const chandigarh = await render(
      buildInvoice({
        supplyType: "B2C",
        placeOfSupply: "04",
        supplier: {
          legalName: "Chandigarh Supplier Ltd",
          gstin: GSTINS.chandigarh,
          address: { line1: "Sector 17", city: "Chandigarh", pinCode: "160017", stateCode: "04" },
        },
        buyer: {
          legalName: "Walk-in Customer",
          address: { line1: "Sector 22", city: "Chandigarh", pinCode: "160022", stateCode: "04" },
        },
      }),
    );
    expect(chandigarh.text).toContain("UTGST");
    expect(chandigarh.text).not.toContain("SGST\n");
    expect(chandigarh.text).toContain("GSTIN: Unregistered");
  });

  it("prints the export endorsement, round-off, reverse charge, e-invoice and payment QR captions", async () => {
    const exported = await renderInvoicePdf({
      invoice: buildInvoice({
        supplyType: "EXPWOP",
        placeOfSupply: "96",
        reverseCharge: false,
        buyer: {
          legalName: "Acme Inc",
          address: { line1: "1 Main St", city: "Austin", stateCode: "96", country: "US" },
        },
        export: {
          countryCode: "US",
          shippingBillNumber: "1234567",
          shippingBillDate: "2025-10-03",
          portCode: "INNSA1",
        },
        lines: [line({ quantity: "3", unitPricePaise: 333_33n })],
        einvoice: { irn: "a".repeat(64), ackNumber: "112510012345678", signedQrCode: "signed.qr.payload" },
      }),
      language: "en",
      generatedAt: GENERATED_AT,
      paymentQr: { text: "upi://pay?pa=prapti@hdfcbank&pn=Prapti&am=1000.00&cu=INR" },
    });
    const text = extractPdfPages(exported.bytes).join("\n");
    expect(text).toContain("SUPPLY MEANT FOR EXPORT UNDER BOND OR LETTER OF UNDERTAKING WITHOUT PAYMENT OF");
    expect(text).toContain("Other Countries (96)");
    expect(text).toContain("1234567 / 03-10-2025");
    expect(text).toContain("Round off\n0.01");
    expect(text).toContain("Rupees One Thousand Only");
    expect(text).toContain(`IRN: ${"a".repeat(64)}`);
    expect(text).toContain("e-invoice QR code");
    expect(text).toContain("Scan to pay");
    const reverse = await render(buildInvoice({ reverseCharge: true }));
    expect(reverse.text).toContain("Tax payable on reverse charge\nYes");
  });

  it("breaks long invoices over pages, repeating the header and numbering every page", async () => {
    const lines = Array.from({ length: 60 }, (_, index) =>
      line({
        description: `Fastener assortment lot ${index + 1}, mixed sizes, zinc plated`,
        quantity: String(index + 1),
      }),
    );
    const { bytes, pageCount, pages } = await render(buildInvoice({ lines }));
    expect(pageCount).toBeGreaterThan(1);
    expect(pageObjects(bytes)).toBe(pageCount);
    expect(pages).toHaveLength(pageCount);
    pages.forEach((page, index) => {
      expect(page).toContain(`Page ${index + 1} of ${pageCount}`);
      expect(page).toContain("Description");
      if (index > 0) expect(page).toContain("Invoice No. INV/2025-26/001 (continued)");
    });
    const all = pages.join("\n");
    for (let index = 1; index <= 60; index += 1) expect(all).toContain(`lot ${index},`);
    expect(pages.at(-1)).toContain("Invoice total");
    expect(pages[0]).not.toContain("Invoice total");
  });
});

describe("renderInvoicePdf in Hindi", () => {
  it("translates the labels and writes the amount in Hindi words", async () => {
    const { bytes, pageCount, text } = await render(
      buildInvoice({ terms: { creditDays: 30 }, dueDate: "2025-10-31" }),
      "hi",
    );
    expect(bytes.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    expect(pageCount).toBe(1);
    for (const expected of [
      "कर बीजक",
      "बीजक संख्या",
      "INV/2025-26/001",
      "जीएसटीआईएन: 27AAPFU0939F1ZV",
      "महाराष्ट्र (27)",
      "सीजीएसटी",
      "एसजीएसटी",
      "1,18,000.00",
      "रुपये एक लाख अठारह हज़ार मात्र",
      "पृष्ठ 1 / 1",
    ]) {
      expect(text, expected).toContain(expected.normalize("NFD"));
    }
    expect(text).not.toContain("TAX INVOICE");
  });

  it("prints the prescribed English endorsement next to its Hindi translation", async () => {
    const { text } = await render(buildInvoice({ supplyType: "SEZWP" }), "hi");
    expect(text).toContain("एसईज़ेड".normalize("NFD"));
    expect(text).toContain(
      "SUPPLY TO SEZ UNIT OR SEZ DEVELOPER FOR AUTHORISED OPERATIONS ON PAYMENT OF INTEGRATED TAX",
    );
    expect(text).toContain("आईजीएसटी");
  });
});
