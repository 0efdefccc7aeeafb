import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import PDFDocument from "pdfkit";
import QRCode from "qrcode";
import { findIndiaState } from "../../../kernel/india-states.ts";
import { formatRupees } from "../../../kernel/money.ts";
import type { Paise } from "../../../kernel/money.ts";
import { amountInWords } from "../amount-in-words.ts";
import { addDays } from "../calendar-date.ts";
import { formatRate } from "../gst-rate.validator.ts";
import type { Invoice, InvoiceAddress } from "../invoice.schemas.ts";
import { calculateInvoiceTax } from "../tax.calculator.ts";
import type { DocumentTax } from "../tax.calculator.ts";
import { INVOICE_PDF_LABELS, STATE_NAMES_HI } from "./invoice-pdf.labels.ts";
import type { InvoicePdfLabels, InvoicePdfLanguage } from "./invoice-pdf.labels.ts";

/**
 * A4 tax invoice with the particulars of CGST Rules rule 46: supplier name, address and GSTIN; a serial number of up
 * to 16 characters and the date; recipient name, address and GSTIN (or state for an unregistered recipient); delivery
 * address; HSN/SAC, description, quantity and unit, value, discount, taxable value; rate and amount of each tax head;
 * place of supply with the State's name; whether tax is payable on reverse charge; and the supplier's signature
 * line. It adds the round-off (CGST s.170), the total in words, the export/SEZ endorsement of the rule 46 proviso, the
 * e-invoice IRN and QR code when present (rule 48(4)), and an optional payment QR code.
 * One font (Noto Sans Devanagari) covers Latin, Devanagari and the rupee sign; pdfkit shapes Devanagari through
 * fontkit's OpenType layout, so conjuncts and vowel signs render correctly.
 */

export type InvoiceCopy = "original" | "duplicate" | "triplicate";

export interface InvoicePdfFonts {
  regular: string | Buffer;
  bold: string | Buffer;
}

export interface RenderedInvoicePdf {
  bytes: Buffer;
  pageCount: number;
}

const require = createRequire(import.meta.url);
const FONT_PACKAGE = "@expo-google-fonts/noto-sans-devanagari";
let defaultFonts: { regular: Buffer; bold: Buffer } | null = null;

/** The full Noto Sans Devanagari TTFs (Devanagari, Latin and ₹ in one font), read once. */
function loadDefaultFonts(): { regular: Buffer; bold: Buffer } {
  defaultFonts ??= {
    regular: readFileSync(require.resolve(`${FONT_PACKAGE}/400Regular/NotoSansDevanagari_400Regular.ttf`)),
    bold: readFileSync(require.resolve(`${FONT_PACKAGE}/700Bold/NotoSansDevanagari_700Bold.ttf`)),
  };
  return defaultFonts;
}

const PAGE = { width: 595.28, height: 841.89, margin: 32 };
const CONTENT_WIDTH = PAGE.width - 2 * PAGE.margin;
const FOOTER_HEIGHT = 18;
const BOTTOM = PAGE.height - PAGE.margin - FOOTER_HEIGHT;
const COLOURS = { text: "#111111", muted: "#555555", rule: "#9a9a9a", fill: "#ececec" };
const REGULAR = "Noto";
const BOLD = "NotoBold";

type Doc = InstanceType<typeof PDFDocument>;

interface TextStyle {
  size?: number;
  bold?: boolean;
  align?: "left" | "center" | "right";
  colour?: string;
}

function style(doc: Doc, options: TextStyle): void {
  doc
    .font(options.bold === true ? BOLD : REGULAR)
    .fontSize(options.size ?? 8)
    .fillColor(options.colour ?? COLOURS.text);
}

function heightOf(doc: Doc, text: string, width: number, options: TextStyle = {}): number {
  style(doc, options);
  return doc.heightOfString(text, { width, lineGap: 0.5 });
}

/** Writes text in a box and returns its height. */
function write(doc: Doc, text: string, x: number, y: number, width: number, options: TextStyle = {}): number {
  style(doc, options);
  doc.text(text, x, y, { width, align: options.align ?? "left", lineGap: 0.5 });
  return doc.heightOfString(text, { width, lineGap: 0.5 });
}

function hline(doc: Doc, y: number, x1 = PAGE.margin, x2 = PAGE.margin + CONTENT_WIDTH): void {
  doc.lineWidth(0.5).strokeColor(COLOURS.rule).moveTo(x1, y).lineTo(x2, y).stroke();
}

function box(doc: Doc, x: number, y: number, width: number, height: number): void {
  doc.lineWidth(0.5).strokeColor(COLOURS.rule).rect(x, y, width, height).stroke();
}

function money(paise: Paise): string {
  return formatRupees(paise);
}

function stateName(code: string, language: InvoicePdfLanguage): string {
  if (language === "hi") return STATE_NAMES_HI[code] ?? code;
  return findIndiaState(code)?.name ?? code;
}

function addressLines(
  address: InvoiceAddress,
  labels: InvoicePdfLabels,
  language: InvoicePdfLanguage,
): string[] {
  const cityLine = address.pinCode === undefined ? address.city : `${address.city} - ${address.pinCode}`;
  const lines = [address.line1, ...(address.line2 !== undefined ? [address.line2] : []), cityLine];
  if (address.country !== "IN") lines.push(address.country);
  lines.push(
    `${labels.state}: ${stateName(address.stateCode, language)}, ${labels.code}: ${address.stateCode}`,
  );
  return lines;
}

/** Draws a QR code as vector squares (runs of dark modules per row), with a two-module quiet zone. */
function drawQr(doc: Doc, text: string, x: number, y: number, size: number): void {
  const code = QRCode.create(text, { errorCorrectionLevel: "M" });
  const count = code.modules.size;
  const module = size / (count + 4);
  doc.save();
  doc.rect(x, y, size, size).fill("#ffffff");
  for (let row = 0; row < count; row += 1) {
    let start = -1;
    for (let column = 0; column <= count; column += 1) {
      const dark = column < count && Boolean(code.modules.get(row, column));
      if (dark && start < 0) start = column;
      if (!dark && start >= 0) {
        doc.rect(x + (start + 2) * module, y + (row + 2) * module, (column - start) * module, module);
        start = -1;
      }
    }
  }
  doc.fill("#000000");
  doc.restore();
}

interface Column {
  key: string;
  header: string;
  width: number;
  align: "left" | "right" | "center";
}

interface RenderContext {
  doc: Doc;
  invoice: Invoice;
  tax: DocumentTax;
  labels: InvoicePdfLabels;
  language: InvoicePdfLanguage;
  copy: InvoiceCopy;
}

function endorsementOf(context: RenderContext): string | null {
  const { invoice, labels } = context;
  switch (invoice.supplyType) {
    case "EXPWP":
      return labels.exportEndorsement.withPayment;
    case "EXPWOP":
      return labels.exportEndorsement.withoutPayment;
    case "SEZWP":
      return labels.sezEndorsement.withPayment;
    case "SEZWOP":
      return labels.sezEndorsement.withoutPayment;
    case "DEXP":
      return labels.deemedExport;
    case "B2B":
    case "B2C":
      return null;
  }
}

function drawTitle(context: RenderContext, y: number, continued: boolean): number {
  const { doc, labels, invoice } = context;
  const titleHeight = write(doc, labels.title, PAGE.margin, y, CONTENT_WIDTH, {
    size: 15,
    bold: true,
    align: "center",
  });
  write(doc, labels.copies[context.copy], PAGE.margin, y + 4, CONTENT_WIDTH, {
    size: 7.5,
    align: "right",
    colour: COLOURS.muted,
  });
  let next = y + titleHeight + 2;
  if (continued) {
    next += write(
      doc,
      `${labels.invoiceNumber} ${invoice.number} (${labels.continued})`,
      PAGE.margin,
      next,
      CONTENT_WIDTH,
      {
        size: 8,
        align: "center",
        colour: COLOURS.muted,
      },
    );
    return next + 4;
  }
  const endorsement = endorsementOf(context);
  if (endorsement !== null) {
    next +=
      write(doc, endorsement, PAGE.margin + 20, next, CONTENT_WIDTH - 40, {
        size: 7.5,
        bold: true,
        align: "center",
      }) + 2;
  }
  return next + 4;
}

function drawParties(context: RenderContext, top: number): number {
  const { doc, invoice, labels, language } = context;
  const half = CONTENT_WIDTH / 2;
  const pad = 5;
  const innerWidth = half - 2 * pad;
  const left = PAGE.margin;
  const right = PAGE.margin + half;

  // Supplier on the left, invoice particulars on the right.
  let y = top + pad;
  y += write(doc, labels.supplier, left + pad, y, innerWidth, { size: 7, colour: COLOURS.muted });
  y += write(doc, invoice.supplier.legalName, left + pad, y, innerWidth, { size: 10, bold: true });
  if (invoice.supplier.tradeName !== undefined)
    y += write(doc, invoice.supplier.tradeName, left + pad, y, innerWidth, { size: 8 });
  for (const text of addressLines(invoice.supplier.address, labels, language))
    y += write(doc, text, left + pad, y, innerWidth);
  y += write(doc, `${labels.gstin}: ${invoice.supplier.gstin}`, left + pad, y, innerWidth, { bold: true });
  const contact = [invoice.supplier.phone, invoice.supplier.email]
    .filter((value) => value !== undefined)
    .join("  ");
  if (contact !== "") y += write(doc, contact, left + pad, y, innerWidth, { size: 7.5 });
  const leftBottom = y;

  const pos = `${stateName(invoice.placeOfSupply, language)} (${invoice.placeOfSupply})`;
  const dueDate =
    invoice.dueDate ?? (invoice.terms ? addDays(invoice.issueDate, invoice.terms.creditDays) : undefined);
  const meta: Array<[string, string]> = [
    [labels.invoiceNumber, invoice.number],
    [labels.invoiceDate, formatDate(invoice.issueDate)],
    ...(dueDate !== undefined ? ([[labels.dueDate, formatDate(dueDate)]] as Array<[string, string]>) : []),
    [labels.placeOfSupply, pos],
    [labels.reverseCharge, invoice.reverseCharge ? labels.yes : labels.no],
  ];
  if (invoice.export !== undefined) {
    meta.push([labels.country, invoice.export.countryCode]);
    if (invoice.export.shippingBillNumber !== undefined) {
      const date =
        invoice.export.shippingBillDate === undefined
          ? ""
          : ` / ${formatDate(invoice.export.shippingBillDate)}`;
      meta.push([labels.shippingBill, `${invoice.export.shippingBillNumber}${date}`]);
    }
    if (invoice.export.portCode !== undefined) meta.push([labels.port, invoice.export.portCode]);
  }
  if (invoice.einvoice?.ackNumber !== undefined) meta.push([labels.ackNumber, invoice.einvoice.ackNumber]);
  if (invoice.einvoice?.ackDate !== undefined) meta.push([labels.ackDate, invoice.einvoice.ackDate]);
  let ry = top + pad;
  const labelWidth = innerWidth * 0.45;
  for (const [label, value] of meta) {
    const height = Math.max(
      write(doc, label, right + pad, ry, labelWidth, { size: 7.5, colour: COLOURS.muted }),
      write(doc, value, right + pad + labelWidth, ry, innerWidth - labelWidth, { size: 8, bold: true }),
    );
    ry += height + 1;
  }
  if (invoice.einvoice !== undefined) {
    ry += write(doc, `${labels.irn}: ${invoice.einvoice.irn}`, right + pad, ry, innerWidth, { size: 6.5 });
  }
  const bottom = Math.max(leftBottom, ry) + pad;
  box(doc, left, top, half, bottom - top);
  box(doc, right, top, half, bottom - top);

  // Recipient and delivery address.
  const second = bottom;
  y = second + pad;
  y += write(doc, labels.billTo, left + pad, y, innerWidth, { size: 7, colour: COLOURS.muted });
  y += write(doc, invoice.buyer.legalName, left + pad, y, innerWidth, { size: 9.5, bold: true });
  if (invoice.buyer.tradeName !== undefined)
    y += write(doc, invoice.buyer.tradeName, left + pad, y, innerWidth);
  for (const text of addressLines(invoice.buyer.address, labels, language))
    y += write(doc, text, left + pad, y, innerWidth);
  y += write(
    doc,
    `${labels.gstin}: ${invoice.buyer.gstin ?? labels.unregistered}`,
    left + pad,
    y,
    innerWidth,
    { bold: true },
  );

  ry = second + pad;
  ry += write(doc, labels.shipTo, right + pad, ry, innerWidth, { size: 7, colour: COLOURS.muted });
  if (invoice.shipTo === undefined) {
    ry += write(doc, labels.sameAsBilling, right + pad, ry, innerWidth);
  } else {
    ry += write(doc, invoice.shipTo.name ?? invoice.buyer.legalName, right + pad, ry, innerWidth, {
      size: 9,
      bold: true,
    });
    for (const text of addressLines(invoice.shipTo.address, labels, language))
      ry += write(doc, text, right + pad, ry, innerWidth);
  }
  const end = Math.max(y, ry) + pad;
  box(doc, left, second, half, end - second);
  box(doc, right, second, half, end - second);
  return end + 8;
}

function formatDate(date: string): string {
  return `${date.slice(8, 10)}-${date.slice(5, 7)}-${date.slice(0, 4)}`;
}

const CELL_PAD = 3;

/** Item table columns; widths are fitted to the header words and the widest value, the description takes the rest. */
function itemColumns(context: RenderContext, rows: ReadonlyArray<Record<string, string>>): Column[] {
  const { doc, labels, tax, invoice } = context;
  const intra = tax.regime.kind === "intra-state";
  const hasDiscount = invoice.lines.some((line) => line.discountPaise > 0n);
  const hasCess = tax.cessPaise > 0n;
  const columns: Column[] = [
    { key: "serial", header: labels.serial, width: 14, align: "center" },
    { key: "description", header: labels.description, width: 0, align: "left" },
    { key: "hsn", header: labels.hsnSac, width: 36, align: "center" },
    { key: "quantity", header: labels.quantity, width: 34, align: "right" },
    { key: "rate", header: labels.rate, width: 36, align: "right" },
    ...(hasDiscount
      ? [{ key: "discount", header: labels.discount, width: 34, align: "right" as const }]
      : []),
    { key: "taxable", header: labels.taxableValue, width: 40, align: "right" },
    { key: "gstRate", header: labels.gstRate, width: 22, align: "right" },
    ...(intra
      ? [
          { key: "cgst", header: labels.cgst, width: 36, align: "right" as const },
          {
            key: "local",
            header: tax.regime.localHead === "UTGST" ? labels.utgst : labels.sgst,
            width: 36,
            align: "right" as const,
          },
        ]
      : [{ key: "igst", header: labels.igst, width: 40, align: "right" as const }]),
    ...(hasCess ? [{ key: "cess", header: labels.cess, width: 32, align: "right" as const }] : []),
    { key: "total", header: labels.amount, width: 44, align: "right" },
  ];
  for (const column of columns) {
    if (column.key === "description") continue;
    style(doc, { size: 7.5, bold: true });
    // A header word must never be split: a break inside a Devanagari cluster detaches its vowel sign.
    const headerWord = Math.max(...column.header.split(/[\s/]+/).map((word) => doc.widthOfString(word)));
    style(doc, { size: 7.5 });
    const widest = Math.max(0, ...rows.map((row) => doc.widthOfString(row[column.key] ?? "")));
    column.width = Math.ceil(
      Math.max(column.width, headerWord + 2 * CELL_PAD + 1, widest + 2 * CELL_PAD + 1),
    );
  }
  const fixed = columns.reduce((sum, column) => sum + column.width, 0);
  const description = columns.find((column) => column.key === "description");
  if (description) description.width = CONTENT_WIDTH - fixed;
  return columns;
}

function drawRow(
  doc: Doc,
  columns: Column[],
  values: Record<string, string>,
  y: number,
  options: TextStyle & { fill?: boolean },
): number {
  let height = 0;
  for (const column of columns) {
    height = Math.max(height, heightOf(doc, values[column.key] ?? "", column.width - 2 * CELL_PAD, options));
  }
  height += 2 * CELL_PAD;
  if (options.fill === true) {
    doc.save();
    doc.rect(PAGE.margin, y, CONTENT_WIDTH, height).fill(COLOURS.fill);
    doc.restore();
  }
  let x = PAGE.margin;
  for (const column of columns) {
    write(doc, values[column.key] ?? "", x + CELL_PAD, y + CELL_PAD, column.width - 2 * CELL_PAD, {
      ...options,
      align: column.align,
    });
    x += column.width;
  }
  return height;
}

function rowHeight(doc: Doc, columns: Column[], values: Record<string, string>, options: TextStyle): number {
  let height = 0;
  for (const column of columns) {
    height = Math.max(height, heightOf(doc, values[column.key] ?? "", column.width - 2 * CELL_PAD, options));
  }
  return height + 2 * CELL_PAD;
}

function drawColumnRules(doc: Doc, columns: Column[], top: number, bottom: number): void {
  let x = PAGE.margin;
  for (const column of columns) {
    doc.lineWidth(0.5).strokeColor(COLOURS.rule).moveTo(x, top).lineTo(x, bottom).stroke();
    x += column.width;
  }
  doc.moveTo(x, top).lineTo(x, bottom).stroke();
}

function newPage(context: RenderContext): number {
  context.doc.addPage();
  return drawTitle(context, PAGE.margin, true);
}

function itemRows(context: RenderContext): Array<Record<string, string>> {
  const { invoice, tax } = context;
  return tax.lines.map((computed, index) => {
    const line = invoice.lines[index];
    return {
      serial: String(index + 1),
      description: line?.description ?? "",
      hsn: line?.hsnSac ?? "",
      quantity: line?.unit === undefined ? (line?.quantity ?? "") : `${line.quantity} ${line.unit}`,
      rate: money(line?.unitPricePaise ?? 0n),
      discount: computed.discountPaise > 0n ? money(computed.discountPaise) : "",
      taxable: money(computed.taxableValuePaise),
      gstRate: formatRate(computed.gstRateBasisPoints).replace("%", ""),
      cgst: money(computed.cgstPaise),
      local: money(computed.sgstPaise + computed.utgstPaise),
      igst: money(computed.igstPaise),
      cess: money(computed.cessPaise),
      total: money(computed.totalPaise),
    };
  });
}

function drawItems(context: RenderContext, start: number): number {
  const { doc } = context;
  const rows = itemRows(context);
  const columns = itemColumns(context, rows);
  const headerValues = Object.fromEntries(columns.map((column) => [column.key, column.header]));
  const headerStyle: TextStyle = { size: 7.5, bold: true };
  const bodyStyle: TextStyle = { size: 7.5 };

  let y = start;
  let tableTop = y;
  const header = (): void => {
    tableTop = y;
    hline(doc, y);
    y += drawRow(doc, columns, headerValues, y, { ...headerStyle, fill: true });
    hline(doc, y);
  };
  header();
  for (const values of rows) {
    const height = rowHeight(doc, columns, values, bodyStyle);
    if (y + height > BOTTOM) {
      drawColumnRules(doc, columns, tableTop, y);
      hline(doc, y);
      y = newPage(context);
      header();
    }
    y += drawRow(doc, columns, values, y, bodyStyle);
    hline(doc, y);
  }
  drawColumnRules(doc, columns, tableTop, y);
  return y + 8;
}

function ensureSpace(context: RenderContext, y: number, needed: number): number {
  return y + needed > BOTTOM ? newPage(context) : y;
}

function drawSummary(context: RenderContext, start: number): number {
  const { doc, tax, labels } = context;
  const intra = tax.regime.kind === "intra-state";
  const local = tax.regime.localHead === "UTGST" ? labels.utgst : labels.sgst;
  const leftWidth = CONTENT_WIDTH * 0.58;
  const rightX = PAGE.margin + leftWidth + 12;
  const rightWidth = CONTENT_WIDTH - leftWidth - 12;

  const summaryColumns: Column[] = [
    { key: "rate", header: labels.taxRate, width: 0.16 * leftWidth, align: "right" },
    { key: "taxable", header: labels.taxableValue, width: 0.3 * leftWidth, align: "right" },
    ...(intra
      ? [
          { key: "cgst", header: labels.cgst, width: 0.27 * leftWidth, align: "right" as const },
          { key: "local", header: local, width: 0.27 * leftWidth, align: "right" as const },
        ]
      : [{ key: "igst", header: labels.igst, width: 0.54 * leftWidth, align: "right" as const }]),
  ];
  const totals: Array<[string, Paise, boolean]> = [
    [labels.taxableValue, tax.taxableValuePaise, false],
    ...(intra
      ? ([
          [labels.cgst, tax.cgstPaise, false],
          [local, tax.sgstPaise + tax.utgstPaise, false],
        ] as Array<[string, Paise, boolean]>)
      : ([[labels.igst, tax.igstPaise, false]] as Array<[string, Paise, boolean]>)),
    ...(tax.cessPaise > 0n ? ([[labels.cess, tax.cessPaise, false]] as Array<[string, Paise, boolean]>) : []),
    ...(tax.nonTaxableChargesPaise > 0n
      ? ([[labels.nonTaxableCharges, tax.nonTaxableChargesPaise, false]] as Array<[string, Paise, boolean]>)
      : []),
    [labels.roundOff, tax.roundOffPaise, false],
    [`${labels.invoiceTotal} (₹)`, tax.totalPaise, true],
  ];
  const needed = 16 * Math.max(tax.rates.length + 2, totals.length) + 10;
  let y = ensureSpace(context, start, needed);
  const top = y;

  // Tax summary by rate, on the left.
  write(doc, labels.taxSummary, PAGE.margin, y, leftWidth, { size: 8, bold: true });
  y += 12;
  const tableWidth = summaryColumns.reduce((sum, column) => sum + column.width, 0);
  const drawSummaryRow = (values: Record<string, string>, textStyle: TextStyle): void => {
    let x = PAGE.margin;
    let height = 0;
    for (const column of summaryColumns) {
      height = Math.max(
        height,
        heightOf(doc, values[column.key] ?? "", column.width - 2 * CELL_PAD, textStyle),
      );
    }
    if (textStyle.bold === true) {
      doc.save();
      doc.rect(PAGE.margin, y, tableWidth, height + 2 * CELL_PAD).fill(COLOURS.fill);
      doc.restore();
    }
    for (const column of summaryColumns) {
      write(doc, values[column.key] ?? "", x + CELL_PAD, y + CELL_PAD, column.width - 2 * CELL_PAD, {
        ...textStyle,
        align: column.align,
      });
      x += column.width;
    }
    y += height + 2 * CELL_PAD;
    hline(doc, y, PAGE.margin, PAGE.margin + tableWidth);
  };
  hline(doc, y, PAGE.margin, PAGE.margin + tableWidth);
  drawSummaryRow(Object.fromEntries(summaryColumns.map((column) => [column.key, column.header])), {
    size: 7.5,
    bold: true,
  });
  for (const rate of tax.rates) {
    drawSummaryRow(
      {
        rate: formatRate(rate.gstRateBasisPoints),
        taxable: money(rate.taxableValuePaise),
        cgst: money(rate.cgstPaise),
        local: money(rate.sgstPaise + rate.utgstPaise),
        igst: money(rate.igstPaise),
      },
      { size: 7.5 },
    );
  }
  const leftBottom = y;

  // Totals, on the right.
  let ry = top;
  for (const [label, amount, strong] of totals) {
    const textStyle: TextStyle = { size: strong ? 9.5 : 8, bold: strong };
    const height = heightOf(doc, label, rightWidth * 0.6, textStyle);
    if (strong) {
      doc.save();
      doc.rect(rightX, ry - 1, rightWidth, height + 4).fill(COLOURS.fill);
      doc.restore();
    }
    write(doc, label, rightX + 4, ry + 1, rightWidth * 0.6, textStyle);
    write(doc, money(amount), rightX + rightWidth * 0.6, ry + 1, rightWidth * 0.4 - 4, {
      ...textStyle,
      align: "right",
    });
    ry += height + 4;
    hline(doc, ry - 1, rightX, rightX + rightWidth);
  }
  return Math.max(leftBottom, ry) + 8;
}

function drawWords(context: RenderContext, start: number): number {
  const { doc, tax, labels, language } = context;
  const total = amountInWords({ paise: tax.totalPaise, language });
  const taxWords = amountInWords({ paise: tax.taxPaise, language });
  const needed = heightOf(doc, total, CONTENT_WIDTH - 10, { size: 8.5, bold: true }) + 40;
  let y = ensureSpace(context, start, needed);
  const top = y;
  y += 4;
  y += write(doc, labels.amountInWords, PAGE.margin + 5, y, CONTENT_WIDTH - 10, {
    size: 7,
    colour: COLOURS.muted,
  });
  y += write(doc, total, PAGE.margin + 5, y, CONTENT_WIDTH - 10, { size: 8.5, bold: true }) + 2;
  y += write(doc, `${labels.taxInWords}: ${taxWords}`, PAGE.margin + 5, y, CONTENT_WIDTH - 10, { size: 7.5 });
  y += 4;
  box(doc, PAGE.margin, top, CONTENT_WIDTH, y - top);
  return y + 8;
}

function drawClosing(
  context: RenderContext,
  start: number,
  paymentQr: { text: string; caption?: string } | undefined,
): number {
  const { doc, invoice, labels } = context;
  const qrSize = 92;
  const codes: Array<{ text: string; caption: string }> = [];
  if (invoice.einvoice?.signedQrCode !== undefined)
    codes.push({ text: invoice.einvoice.signedQrCode, caption: labels.einvoiceQr });
  if (paymentQr !== undefined)
    codes.push({ text: paymentQr.text, caption: paymentQr.caption ?? labels.paymentQr });
  const notesHeight =
    invoice.notes === undefined ? 0 : heightOf(doc, invoice.notes, CONTENT_WIDTH * 0.55, { size: 7.5 }) + 14;
  const needed = Math.max(codes.length > 0 ? qrSize + 16 : 0, notesHeight, 80);
  const y = ensureSpace(context, start, needed);

  let x = PAGE.margin;
  for (const code of codes) {
    drawQr(doc, code.text, x, y, qrSize);
    write(doc, code.caption, x, y + qrSize + 2, qrSize, {
      size: 6.5,
      align: "center",
      colour: COLOURS.muted,
    });
    x += qrSize + 12;
  }
  if (invoice.notes !== undefined) {
    const notesX = x;
    const notesWidth = PAGE.margin + CONTENT_WIDTH * 0.62 - notesX;
    let ny = y;
    ny += write(doc, labels.notes, notesX, ny, notesWidth, { size: 7, colour: COLOURS.muted });
    write(doc, invoice.notes, notesX, ny, notesWidth, { size: 7.5 });
  }

  // Signature block, bottom right.
  const signWidth = CONTENT_WIDTH * 0.36;
  const signX = PAGE.margin + CONTENT_WIDTH - signWidth;
  let sy = y;
  sy += write(doc, labels.forSupplier(invoice.supplier.legalName), signX, sy, signWidth, {
    size: 8,
    bold: true,
    align: "center",
  });
  sy += 34;
  hline(doc, sy, signX + 10, signX + signWidth - 10);
  sy += 2;
  sy += write(doc, labels.authorisedSignatory, signX, sy, signWidth, { size: 7.5, align: "center" });
  if (invoice.supplier.signatory !== undefined) {
    sy += write(doc, invoice.supplier.signatory, signX, sy, signWidth, {
      size: 7.5,
      align: "center",
      colour: COLOURS.muted,
    });
  }
  return Math.max(sy, y + needed);
}

function drawFooters(context: RenderContext): number {
  const { doc, labels } = context;
  const range = doc.bufferedPageRange();
  for (let index = 0; index < range.count; index += 1) {
    doc.switchToPage(range.start + index);
    const y = PAGE.height - PAGE.margin - FOOTER_HEIGHT + 6;
    hline(doc, y - 3);
    write(doc, labels.computerGenerated, PAGE.margin, y, CONTENT_WIDTH / 2, {
      size: 6.5,
      colour: COLOURS.muted,
    });
    write(doc, labels.page(index + 1, range.count), PAGE.margin + CONTENT_WIDTH / 2, y, CONTENT_WIDTH / 2, {
      size: 6.5,
      align: "right",
      colour: COLOURS.muted,
    });
  }
  return range.count;
}

/**
 * Renders an invoice as a PDF in English or Hindi. Amounts are computed by the tax calculator from the lines, so the
 * printed figures are the ones the e-invoice and the ledger use. `generatedAt` is written as the PDF creation date.
 */
export async function renderInvoicePdf(options: {
  invoice: Invoice;
  language: InvoicePdfLanguage;
  generatedAt: Date;
  copy?: InvoiceCopy;
  /** A payment request to print as a QR code, e.g. a UPI link built by the payments module. */
  paymentQr?: { text: string; caption?: string };
  fonts?: InvoicePdfFonts;
}): Promise<RenderedInvoicePdf> {
  const { invoice, language } = options;
  const tax = calculateInvoiceTax({ invoice });
  const labels = INVOICE_PDF_LABELS[language];
  const fonts = options.fonts ?? loadDefaultFonts();
  const doc = new PDFDocument({
    size: "A4",
    margins: { top: PAGE.margin, bottom: 0, left: PAGE.margin, right: PAGE.margin },
    bufferPages: true,
    lang: language === "hi" ? "hi-IN" : "en-IN",
    displayTitle: true,
    info: {
      Title: `${labels.title} ${invoice.number}`,
      Author: invoice.supplier.legalName,
      Subject: `${invoice.supplier.gstin} ${invoice.number} ${invoice.issueDate}`,
      CreationDate: options.generatedAt,
      ModDate: options.generatedAt,
    },
  });
  const chunks: Buffer[] = [];
  const finished = new Promise<Buffer>((resolve, reject) => {
    doc.on("data", (chunk: Buffer) => chunks.push(chunk));
    doc.on("end", () => {
      resolve(Buffer.concat(chunks));
    });
    doc.on("error", reject);
  });
  doc.registerFont(REGULAR, fonts.regular);
  doc.registerFont(BOLD, fonts.bold);

  const context: RenderContext = { doc, invoice, tax, labels, language, copy: options.copy ?? "original" };
  let y = drawTitle(context, PAGE.margin, false);
  y = drawParties(context, y);
  y = drawItems(context, y);
  y = drawSummary(context, y);
  y = drawWords(context, y);
  drawClosing(context, y, options.paymentQr);
  const pageCount = drawFooters(context);
  doc.end();
  return { bytes: await finished, pageCount };
}
