/** Printed labels of the tax invoice in English and Hindi. */
export type InvoicePdfLanguage = "en" | "hi";

export interface InvoicePdfLabels {
  title: string;
  copies: { original: string; duplicate: string; triplicate: string };
  supplier: string;
  billTo: string;
  shipTo: string;
  sameAsBilling: string;
  gstin: string;
  unregistered: string;
  state: string;
  code: string;
  invoiceNumber: string;
  invoiceDate: string;
  dueDate: string;
  placeOfSupply: string;
  reverseCharge: string;
  yes: string;
  no: string;
  irn: string;
  ackNumber: string;
  ackDate: string;
  serial: string;
  description: string;
  hsnSac: string;
  quantity: string;
  rate: string;
  discount: string;
  taxableValue: string;
  gstRate: string;
  cgst: string;
  sgst: string;
  utgst: string;
  igst: string;
  cess: string;
  amount: string;
  taxSummary: string;
  taxRate: string;
  totalTax: string;
  nonTaxableCharges: string;
  roundOff: string;
  invoiceTotal: string;
  amountInWords: string;
  taxInWords: string;
  forSupplier: (name: string) => string;
  authorisedSignatory: string;
  page: (page: number, pages: number) => string;
  continued: string;
  einvoiceQr: string;
  paymentQr: string;
  notes: string;
  exportEndorsement: { withPayment: string; withoutPayment: string };
  sezEndorsement: { withPayment: string; withoutPayment: string };
  deemedExport: string;
  country: string;
  shippingBill: string;
  port: string;
  computerGenerated: string;
}

/**
 * Rule 46 proviso: export and SEZ invoices carry these endorsements in the prescribed English words, which are printed
 * on both language versions.
 */
const EXPORT_WITH_PAYMENT = "SUPPLY MEANT FOR EXPORT ON PAYMENT OF INTEGRATED TAX";
const EXPORT_WITHOUT_PAYMENT =
  "SUPPLY MEANT FOR EXPORT UNDER BOND OR LETTER OF UNDERTAKING WITHOUT PAYMENT OF INTEGRATED TAX";
const SEZ_WITH_PAYMENT =
  "SUPPLY TO SEZ UNIT OR SEZ DEVELOPER FOR AUTHORISED OPERATIONS ON PAYMENT OF INTEGRATED TAX";
const SEZ_WITHOUT_PAYMENT =
  "SUPPLY TO SEZ UNIT OR SEZ DEVELOPER FOR AUTHORISED OPERATIONS UNDER BOND OR LETTER OF UNDERTAKING WITHOUT PAYMENT OF INTEGRATED TAX";

export const INVOICE_PDF_LABELS: Readonly<Record<InvoicePdfLanguage, InvoicePdfLabels>> = {
  en: {
    title: "TAX INVOICE",
    copies: {
      original: "Original for recipient",
      duplicate: "Duplicate for transporter",
      triplicate: "Triplicate for supplier",
    },
    supplier: "Supplier",
    billTo: "Bill to (recipient)",
    shipTo: "Ship to (delivery address)",
    sameAsBilling: "Same as billing address",
    gstin: "GSTIN",
    unregistered: "Unregistered",
    state: "State",
    code: "Code",
    invoiceNumber: "Invoice No.",
    invoiceDate: "Invoice date",
    dueDate: "Due date",
    placeOfSupply: "Place of supply",
    reverseCharge: "Tax payable on reverse charge",
    yes: "Yes",
    no: "No",
    irn: "IRN",
    ackNumber: "Ack. No.",
    ackDate: "Ack. date",
    serial: "#",
    description: "Description",
    hsnSac: "HSN/SAC",
    quantity: "Qty",
    rate: "Rate (₹)",
    discount: "Discount",
    taxableValue: "Taxable value",
    gstRate: "GST %",
    cgst: "CGST",
    sgst: "SGST",
    utgst: "UTGST",
    igst: "IGST",
    cess: "Cess",
    amount: "Amount (₹)",
    taxSummary: "Tax summary",
    taxRate: "Rate",
    totalTax: "Total tax",
    nonTaxableCharges: "Non-taxable charges",
    roundOff: "Round off",
    invoiceTotal: "Invoice total",
    amountInWords: "Amount in words",
    taxInWords: "Tax in words",
    forSupplier: (name) => `For ${name}`,
    authorisedSignatory: "Authorised signatory",
    page: (page, pages) => `Page ${page} of ${pages}`,
    continued: "continued",
    einvoiceQr: "e-invoice QR code",
    paymentQr: "Scan to pay",
    notes: "Notes",
    exportEndorsement: { withPayment: EXPORT_WITH_PAYMENT, withoutPayment: EXPORT_WITHOUT_PAYMENT },
    sezEndorsement: { withPayment: SEZ_WITH_PAYMENT, withoutPayment: SEZ_WITHOUT_PAYMENT },
    deemedExport: "Deemed export (CGST Act s.147)",
    country: "Country of destination",
    shippingBill: "Shipping bill",
    port: "Port",
    computerGenerated: "This is a computer-generated invoice.",
  },
  hi: {
    title: "कर बीजक",
    copies: {
      original: "प्राप्तकर्ता के लिए मूल प्रति",
      duplicate: "परिवहनकर्ता के लिए दूसरी प्रति",
      triplicate: "आपूर्तिकर्ता के लिए तीसरी प्रति",
    },
    supplier: "आपूर्तिकर्ता",
    billTo: "प्राप्तकर्ता (बिल का पता)",
    shipTo: "डिलीवरी का पता",
    sameAsBilling: "बिल के पते के समान",
    gstin: "जीएसटीआईएन",
    unregistered: "अपंजीकृत",
    state: "राज्य",
    code: "कोड",
    invoiceNumber: "बीजक संख्या",
    invoiceDate: "बीजक दिनांक",
    dueDate: "देय तिथि",
    placeOfSupply: "आपूर्ति का स्थान",
    reverseCharge: "रिवर्स चार्ज पर कर देय",
    yes: "हाँ",
    no: "नहीं",
    irn: "आईआरएन",
    ackNumber: "पावती संख्या",
    ackDate: "पावती दिनांक",
    serial: "क्र.",
    description: "विवरण",
    hsnSac: "एचएसएन/एसएसी",
    quantity: "मात्रा",
    rate: "दर (₹)",
    discount: "छूट",
    taxableValue: "कर योग्य मूल्य",
    gstRate: "जीएसटी %",
    cgst: "सीजीएसटी",
    sgst: "एसजीएसटी",
    utgst: "यूटीजीएसटी",
    igst: "आईजीएसटी",
    cess: "उपकर",
    amount: "राशि (₹)",
    taxSummary: "कर सारांश",
    taxRate: "दर",
    totalTax: "कुल कर",
    nonTaxableCharges: "गैर-कर योग्य प्रभार",
    roundOff: "पूर्णांकन",
    invoiceTotal: "बीजक की कुल राशि",
    amountInWords: "राशि शब्दों में",
    taxInWords: "कर शब्दों में",
    forSupplier: (name) => `कृते ${name}`,
    authorisedSignatory: "अधिकृत हस्ताक्षरकर्ता",
    page: (page, pages) => `पृष्ठ ${page} / ${pages}`,
    continued: "जारी",
    einvoiceQr: "ई-इनवॉइस क्यूआर कोड",
    paymentQr: "भुगतान के लिए स्कैन करें",
    notes: "टिप्पणी",
    exportEndorsement: {
      withPayment: `एकीकृत कर के भुगतान पर निर्यात हेतु आपूर्ति\n${EXPORT_WITH_PAYMENT}`,
      withoutPayment: `बॉन्ड या वचन-पत्र के अधीन, एकीकृत कर के भुगतान के बिना निर्यात हेतु आपूर्ति\n${EXPORT_WITHOUT_PAYMENT}`,
    },
    sezEndorsement: {
      withPayment: `एकीकृत कर के भुगतान पर एसईज़ेड इकाई या विकासकर्ता को आपूर्ति\n${SEZ_WITH_PAYMENT}`,
      withoutPayment: `बॉन्ड या वचन-पत्र के अधीन, एकीकृत कर के भुगतान के बिना एसईज़ेड इकाई या विकासकर्ता को आपूर्ति\n${SEZ_WITHOUT_PAYMENT}`,
    },
    deemedExport: "मानित निर्यात (सीजीएसटी अधिनियम धारा 147)",
    country: "गंतव्य देश",
    shippingBill: "शिपिंग बिल",
    port: "बंदरगाह",
    computerGenerated: "यह कंप्यूटर द्वारा बनाया गया बीजक है।",
  },
};

/** Hindi names of States and Union Territories, for the place of supply on Hindi invoices. */
export const STATE_NAMES_HI: Readonly<Record<string, string>> = {
  "01": "जम्मू और कश्मीर",
  "02": "हिमाचल प्रदेश",
  "03": "पंजाब",
  "04": "चंडीगढ़",
  "05": "उत्तराखंड",
  "06": "हरियाणा",
  "07": "दिल्ली",
  "08": "राजस्थान",
  "09": "उत्तर प्रदेश",
  "10": "बिहार",
  "11": "सिक्किम",
  "12": "अरुणाचल प्रदेश",
  "13": "नागालैंड",
  "14": "मणिपुर",
  "15": "मिज़ोरम",
  "16": "त्रिपुरा",
  "17": "मेघालय",
  "18": "असम",
  "19": "पश्चिम बंगाल",
  "20": "झारखंड",
  "21": "ओडिशा",
  "22": "छत्तीसगढ़",
  "23": "मध्य प्रदेश",
  "24": "गुजरात",
  "25": "दमन और दीव",
  "26": "दादरा और नगर हवेली और दमन और दीव",
  "27": "महाराष्ट्र",
  "28": "आंध्र प्रदेश (विभाजन से पहले)",
  "29": "कर्नाटक",
  "30": "गोवा",
  "31": "लक्षद्वीप",
  "32": "केरल",
  "33": "तमिलनाडु",
  "34": "पुडुचेरी",
  "35": "अंडमान और निकोबार द्वीपसमूह",
  "36": "तेलंगाना",
  "37": "आंध्र प्रदेश",
  "38": "लद्दाख",
  "96": "अन्य देश",
  "97": "अन्य क्षेत्र",
  "99": "केंद्र क्षेत्राधिकार",
};
