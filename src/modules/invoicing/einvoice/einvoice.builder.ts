import { AppError } from "../../../kernel/app-error.ts";
import type { FieldIssue } from "../../../kernel/app-error.ts";
import { OUTSIDE_INDIA_CODE } from "../../../kernel/india-states.ts";
import type { Paise } from "../../../kernel/money.ts";
import { formatDayMonthYear } from "../calendar-date.ts";
import type { Invoice, InvoiceAddress, Note } from "../invoice.schemas.ts";
import { calculateNote } from "../note.calculator.ts";
import { calculateOutstanding } from "../settlement.ts";
import { calculateInvoiceTax } from "../tax.calculator.ts";
import type { DocumentTax } from "../tax.calculator.ts";
import type { EinvoiceItem, EinvoiceParty, EinvoicePayload } from "./einvoice.types.ts";

/**
 * Builds the IRP request (schema 1.1) from an invoice, or from a credit/debit note and its invoice. Amounts come from
 * the same calculator as the printed invoice, converted from paise to rupees at the very end. UTGST travels in the
 * SGST fields, the only ones the schema has. Exports go to "URP" with place of supply and state 96 and PIN 999999.
 * B2C invoices are not e-invoices and are refused.
 */

/** Paise to rupees as a JSON number: 11800050n -> 118000.5. Exact for any amount below 2^53 paise. */
export function paiseToRupees(paise: Paise): number {
  return Number(paise) / 100;
}

function address(party: {
  legalName: string;
  tradeName?: string | undefined;
  address: InvoiceAddress;
}): Omit<EinvoiceParty, "Gstin"> {
  const abroad = party.address.stateCode === OUTSIDE_INDIA_CODE;
  return {
    LglNm: party.legalName,
    ...(party.tradeName !== undefined ? { TrdNm: party.tradeName } : {}),
    Addr1: party.address.line1,
    ...(party.address.line2 !== undefined ? { Addr2: party.address.line2 } : {}),
    Loc: party.address.city,
    ...(party.address.pinCode !== undefined
      ? { Pin: Number(party.address.pinCode) }
      : abroad
        ? { Pin: 999999 }
        : {}),
    Stcd: party.address.stateCode,
  };
}

function items(
  document: { lines: Invoice["lines"] },
  tax: DocumentTax,
  issues: FieldIssue[],
): EinvoiceItem[] {
  return tax.lines.map((computed, index) => {
    const line = document.lines[index];
    if (line === undefined) throw new Error("line and tax out of step");
    if (line.hsnSac === undefined || line.hsnSac.length < 4) {
      issues.push({
        field: `lines.${index}.hsnSac`,
        reason: "the IRP needs an HSN/SAC code of at least 4 digits",
      });
    }
    if (!computed.isService && line.unit === undefined) {
      issues.push({ field: `lines.${index}.unit`, reason: "the IRP needs the unit (UQC) of goods" });
    }
    return {
      SlNo: String(index + 1),
      PrdDesc: line.description,
      IsServc: computed.isService ? "Y" : "N",
      HsnCd: line.hsnSac ?? "",
      Qty: Number(line.quantity),
      ...(line.unit !== undefined ? { Unit: line.unit } : {}),
      UnitPrice: paiseToRupees(line.unitPricePaise),
      TotAmt: paiseToRupees(computed.grossPaise),
      Discount: paiseToRupees(computed.discountPaise),
      AssAmt: paiseToRupees(computed.taxableValuePaise),
      GstRt: computed.gstRateBasisPoints / 100,
      IgstAmt: paiseToRupees(computed.igstPaise),
      CgstAmt: paiseToRupees(computed.cgstPaise),
      SgstAmt: paiseToRupees(computed.sgstPaise + computed.utgstPaise),
      CesRt: computed.cessRateBasisPoints / 100,
      CesAmt: paiseToRupees(computed.cessPaise),
      CesNonAdvlAmt: 0,
      TotItemVal: paiseToRupees(computed.totalPaise),
    };
  });
}

function build(options: {
  invoice: Invoice;
  type: "INV" | "CRN" | "DBN";
  number: string;
  date: Invoice["issueDate"];
  lines: Invoice["lines"];
  tax: DocumentTax;
  payDue: Paise;
}): EinvoicePayload {
  const { invoice, tax } = options;
  const issues: FieldIssue[] = [];
  if (invoice.supplyType === "B2C") {
    issues.push({ field: "supplyType", reason: "B2C invoices are not reported to the IRP" });
  }
  const isExport = invoice.supplyType === "EXPWP" || invoice.supplyType === "EXPWOP";
  if (!isExport && invoice.buyer.gstin === undefined) {
    issues.push({
      field: "buyer.gstin",
      reason: `a ${invoice.supplyType} e-invoice needs the buyer's GSTIN`,
    });
  }
  if (invoice.supplier.address.pinCode === undefined) {
    issues.push({ field: "supplier.address.pinCode", reason: "the IRP needs the supplier's PIN code" });
  }
  const itemList = items({ lines: options.lines }, tax, issues);
  if (issues.length > 0) throw AppError.invalidInput(issues);
  if (invoice.supplyType === "B2C") throw new Error("unreachable");

  const payload: EinvoicePayload = {
    Version: "1.1",
    TranDtls: {
      TaxSch: "GST",
      SupTyp: invoice.supplyType,
      RegRev: invoice.reverseCharge ? "Y" : "N",
      IgstOnIntra: invoice.igstOnIntra ? "Y" : "N",
    },
    DocDtls: { Typ: options.type, No: options.number, Dt: formatDayMonthYear(options.date) },
    SellerDtls: {
      Gstin: invoice.supplier.gstin,
      ...address(invoice.supplier),
      ...(invoice.supplier.phone !== undefined
        ? { Ph: invoice.supplier.phone.replace(/\D/g, "").slice(-12) }
        : {}),
      ...(invoice.supplier.email !== undefined ? { Em: invoice.supplier.email } : {}),
    },
    BuyerDtls: {
      Gstin: isExport ? "URP" : (invoice.buyer.gstin ?? ""),
      ...address(invoice.buyer),
      Pos: invoice.placeOfSupply,
      ...(isExport ? { Stcd: OUTSIDE_INDIA_CODE } : {}),
      ...(invoice.buyer.phone !== undefined ? { Ph: invoice.buyer.phone.replace(/\D/g, "").slice(-12) } : {}),
      ...(invoice.buyer.email !== undefined ? { Em: invoice.buyer.email } : {}),
    },
    ItemList: itemList,
    ValDtls: {
      AssVal: paiseToRupees(tax.taxableValuePaise),
      CgstVal: paiseToRupees(tax.cgstPaise),
      SgstVal: paiseToRupees(tax.sgstPaise + tax.utgstPaise),
      IgstVal: paiseToRupees(tax.igstPaise),
      CesVal: paiseToRupees(tax.cessPaise),
      Discount: 0,
      OthChrg: paiseToRupees(tax.nonTaxableChargesPaise),
      RndOffAmt: paiseToRupees(tax.roundOffPaise),
      TotInvVal: paiseToRupees(tax.totalPaise),
    },
    PayDtls: {
      ...(invoice.terms !== undefined && options.type === "INV" ? { CrDay: invoice.terms.creditDays } : {}),
      PaidAmt: paiseToRupees(options.type === "INV" ? invoice.settlement.paidPaise : 0n),
      PaymtDue: paiseToRupees(options.payDue),
    },
  };
  if (invoice.shipTo !== undefined) {
    payload.ShipDtls = {
      Gstin: isExport ? "URP" : (invoice.buyer.gstin ?? "URP"),
      ...address({
        legalName: invoice.shipTo.name ?? invoice.buyer.legalName,
        address: invoice.shipTo.address,
      }),
    };
  }
  if (options.type !== "INV") {
    payload.RefDtls = {
      PrecDocDtls: [{ InvNo: invoice.number, InvDt: formatDayMonthYear(invoice.issueDate) }],
    };
  }
  if (invoice.export !== undefined) {
    payload.ExpDtls = {
      CntCode: invoice.export.countryCode,
      ...(invoice.export.shippingBillNumber !== undefined
        ? { ShipBNo: invoice.export.shippingBillNumber }
        : {}),
      ...(invoice.export.shippingBillDate !== undefined
        ? { ShipBDt: formatDayMonthYear(invoice.export.shippingBillDate) }
        : {}),
      ...(invoice.export.portCode !== undefined ? { Port: invoice.export.portCode } : {}),
      ...(invoice.export.foreignCurrency !== undefined ? { ForCur: invoice.export.foreignCurrency } : {}),
    };
  }
  return payload;
}

/** The IRP request for an invoice. */
export function buildEinvoicePayload(options: { invoice: Invoice }): EinvoicePayload {
  const { invoice } = options;
  const tax = calculateInvoiceTax({ invoice });
  return build({
    invoice,
    type: "INV",
    number: invoice.number,
    date: invoice.issueDate,
    lines: invoice.lines,
    tax,
    payDue: calculateOutstanding({ totalPaise: tax.totalPaise, settlement: invoice.settlement }),
  });
}

/** The IRP request for a credit note (CRN) or debit note (DBN), referring to its invoice. */
export function buildNoteEinvoicePayload(options: {
  invoice: Invoice;
  note: Note;
  priorNotes?: readonly Note[];
}): EinvoicePayload {
  const { invoice, note } = options;
  const { tax } = calculateNote({
    invoice,
    note,
    ...(options.priorNotes !== undefined ? { priorNotes: options.priorNotes } : {}),
  });
  return build({
    invoice,
    type: note.kind === "credit" ? "CRN" : "DBN",
    number: note.number,
    date: note.issueDate,
    lines: note.lines,
    tax,
    payDue: tax.totalPaise,
  });
}
