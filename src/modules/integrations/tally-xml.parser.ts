import { AppError, type FieldIssue } from "../../kernel/app-error.ts";
import { checkGstin } from "../../kernel/gstin.ts";
import { checkPan } from "../../kernel/pan.ts";
import type { Paise } from "../../kernel/money.ts";
import { compositeId, externalIdKey } from "./external-id.ts";
import type {
  BillAllocation,
  ImportedCreditNote,
  ImportedCustomer,
  ImportedInvoice,
  ImportedInvoiceLine,
  ImportedPayment,
} from "./imported-records.ts";
import { EMAIL_PATTERN, normaliseIndianPhone, readImportDate, toStateCode } from "./import-values.ts";
import { child, children, readXml, textAt, type XmlNode } from "../../platform/formats/xml-tree.ts";

/**
 * Tally (TallyPrime / Tally.ERP 9) XML exports: ENVELOPE/BODY/IMPORTDATA/REQUESTDATA/TALLYMESSAGE holding VOUCHER,
 * LEDGER and GROUP elements (Day Book and master exports use the same elements, sometimes directly under
 * ENVELOPE/BODY/DATA). Facts relied on, as Tally writes them:
 * - The sign of AMOUNT decides the side: negative = debit, positive = credit; every voucher nets to zero.
 *   ISDEEMEDPOSITIVE is not trusted (it disagrees with the sign on discount, other-charge and TDS lines).
 * - ISPARTYLEDGER on receipts sometimes marks the bank line: the party is PARTYLEDGERNAME, else the credited line.
 * - Files are UTF-16LE with a BOM, or UTF-8 with or without one; they carry &#4; markers and raw control
 *   characters that strict XML refuses, so these are removed first.
 * - Re-import keys: GUID, else REMOTEID, else VCHKEY, else voucher type + date + number + party + amount.
 */

export interface TallyImportOptions {
  /** Ledger groups whose ledgers are customers (sub-groups found in the file are included). */
  customerGroups?: string[];
  /** Voucher type names per kind, when a company renamed them beyond recognition. */
  voucherTypes?: { sales?: string[]; receipt?: string[]; creditNote?: string[] };
}

export interface TallyLedger {
  externalId: string;
  name: string;
  parent?: string;
  isCustomer: boolean;
}

export interface TallySkipped {
  externalId?: string;
  voucherType?: string;
  number?: string;
  date?: string;
  reason: string;
}

export interface TallyImport {
  company?: string;
  ledgers: TallyLedger[];
  customers: ImportedCustomer[];
  invoices: ImportedInvoice[];
  payments: ImportedPayment[];
  creditNotes: ImportedCreditNote[];
  skipped: TallySkipped[];
}

/** Decodes bytes by BOM (UTF-16LE, UTF-16BE, UTF-8), falling back to UTF-16LE when every other byte is zero. */
export function decodeTallyBytes(input: string | Uint8Array): string {
  if (typeof input === "string") return input.replace(/^\uFEFF/, "");
  const bytes = input;
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le").decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be").decode(bytes.subarray(2));
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return new TextDecoder("utf-8").decode(bytes.subarray(3));
  if (bytes.length >= 4 && bytes[1] === 0 && bytes[3] === 0 && bytes[0] !== 0)
    return new TextDecoder("utf-16le").decode(bytes);
  return new TextDecoder("utf-8").decode(bytes);
}

const controlRange = (from: number, to: number): string =>
  `${String.fromCharCode(from)}-${String.fromCharCode(to)}`;
/** C0 control characters other than tab, line feed and carriage return. */
const CONTROL_CHARACTERS = new RegExp(
  `[${controlRange(0, 8)}${controlRange(11, 12)}${controlRange(14, 31)}]`,
  "g",
);

/** Removes what Tally writes but XML forbids: control-character references (&#4;) and raw control characters. */
export function sanitiseTallyXml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (reference, digits: string) => {
      const code = Number(digits);
      return code < 32 && code !== 9 && code !== 10 && code !== 13 ? "" : reference;
    })
    .replace(/&#x([0-9a-f]+);/gi, (reference, hex: string) => {
      const code = Number.parseInt(hex, 16);
      return code < 32 && code !== 9 && code !== 10 && code !== 13 ? "" : reference;
    })
    .replace(CONTROL_CHARACTERS, "");
}

const clean = (text: string | undefined): string | undefined => {
  const value = text?.replace(/\s+/g, " ").trim();
  return value === undefined || value === "" ? undefined : value;
};

/** Tally amounts: "-118000.00", "59000.4", "-$100.00 @ ₹ 83.00/$ = -₹ 8300.00" (the rupee value after "="). */
function readAmount(text: string | undefined): Paise | undefined {
  if (text === undefined) return undefined;
  const value = (text.includes("=") ? (text.split("=").pop() ?? "") : text).replace(/[₹,\s]|Rs\.?/g, "");
  const match = /^(-)?(\d+)(?:\.(\d{1,2}))?$/.exec(value);
  if (!match) return undefined;
  const paise = BigInt(match[2] ?? "0") * 100n + BigInt((match[3] ?? "").padEnd(2, "0") || "0");
  return match[1] ? -paise : paise;
}

const yes = (text: string | undefined): boolean => (text ?? "").trim().toLowerCase() === "yes";

/** Every element named `name` anywhere below `node` (TALLYMESSAGE nesting varies by export). */
function collect(node: XmlNode | undefined, name: string, into: XmlNode[] = []): XmlNode[] {
  if (!node) return into;
  for (const [key, value] of Object.entries(node)) {
    if (!Array.isArray(value)) continue;
    for (const item of value) {
      if (key === name) into.push(item);
      else collect(item, name, into);
    }
  }
  return into;
}

interface Entry {
  ledger: string;
  amount: Paise;
  isParty: boolean;
  bills: BillAllocation[];
  creditDays?: number;
  bankType?: string;
  instrument?: string;
}

interface InventoryEntry {
  item: string;
  amount: Paise;
  quantity?: string;
  hsn?: string;
}

function readBills(entry: XmlNode): BillAllocation[] {
  return children(entry, "BILLALLOCATIONS.LIST")
    .map((bill) => {
      const reference = clean(textAt(bill, "NAME"));
      const amount = readAmount(textAt(bill, "AMOUNT"));
      const kind = clean(textAt(bill, "BILLTYPE"));
      return reference && amount !== undefined
        ? { reference, ...(kind ? { kind } : {}), amountPaise: amount < 0n ? -amount : amount }
        : undefined;
    })
    .filter((bill): bill is BillAllocation => bill !== undefined);
}

function attributeOf(node: XmlNode, name: string): string | undefined {
  const value = node[`@_${name}`];
  return typeof value === "string" ? value : undefined;
}

type VoucherKind = "sales" | "receipt" | "credit-note";

function classify(type: string, options: TallyImportOptions): VoucherKind | undefined {
  const configured = options.voucherTypes;
  const lower = type.toLowerCase();
  if (configured?.sales?.some((name) => name.toLowerCase() === lower)) return "sales";
  if (configured?.receipt?.some((name) => name.toLowerCase() === lower)) return "receipt";
  if (configured?.creditNote?.some((name) => name.toLowerCase() === lower)) return "credit-note";
  if (/order|quotation|delivery|challan|proforma/.test(lower)) return undefined;
  if (/credit note|sales return/.test(lower)) return "credit-note";
  if (/receipt/.test(lower)) return "receipt";
  if (/sales|tax invoice|^invoice/.test(lower)) return "sales";
  return undefined;
}

const TAX = {
  cgst: /\bCGST\b/i,
  sgst: /\b(SGST|UTGST)\b/i,
  igst: /\bIGST\b/i,
  cess: /\bCESS\b/i,
  roundOff: /ROUND(ING|ED)?[\s-]*OFF|ROUNDING/i,
  tds: /\bTDS\b|TAX DEDUCTED/i,
  gstTds: /GST\s*TDS|TDS\s*(ON\s*)?GST|\bTDS\b.*\b(CGST|SGST|IGST)\b/i,
};

/**
 * Reads a Tally XML export into neutral customers, invoices, receipts and credit notes with external ids. The file
 * is refused only when it is not XML at all; everything else is reported per record: skipped vouchers with the
 * reason (cancelled, optional, unknown type, no party, unreadable date or amounts, not a customer's receipt) and
 * findings on imported records (malformed GSTIN, voucher not netting to zero).
 */
export function parseTallyXml(input: string | Uint8Array, options: TallyImportOptions = {}): TallyImport {
  const text = sanitiseTallyXml(decodeTallyBytes(input));
  const tree = readXml(text, "Tally XML");
  const envelope = child(tree, "ENVELOPE");
  if (!envelope)
    throw AppError.invalidInput([{ field: "file", reason: "not a Tally export: no ENVELOPE element" }]);
  const company = clean(collect(envelope, "SVCURRENTCOMPANY").map((node) => textAt(node))[0]);

  // groups: a ledger is a customer when its parent is a customer group or a sub-group of one
  const groupParents = new Map<string, string>();
  for (const group of collect(envelope, "GROUP")) {
    const name = clean(attributeOf(group, "NAME") ?? textAt(group, "NAME"));
    const parent = clean(textAt(group, "PARENT"));
    if (name && parent) groupParents.set(name.toLowerCase(), parent.toLowerCase());
  }
  const customerGroups = new Set(
    (options.customerGroups ?? ["Sundry Debtors"]).map((group) => group.toLowerCase()),
  );
  const isCustomerGroup = (group: string | undefined): boolean => {
    let current = group?.toLowerCase();
    for (let depth = 0; current && depth < 20; depth += 1) {
      if (customerGroups.has(current)) return true;
      current = groupParents.get(current);
    }
    return false;
  };

  const ledgers: TallyLedger[] = [];
  const customers: ImportedCustomer[] = [];
  const ledgerGroup = new Map<string, string | undefined>();
  for (const ledger of collect(envelope, "LEDGER")) {
    const name = clean(
      attributeOf(ledger, "NAME") ?? textAt(ledger, "LANGUAGENAME.LIST", "NAME.LIST", "NAME"),
    );
    if (!name) continue;
    const parent = clean(textAt(ledger, "PARENT"));
    const guid = clean(textAt(ledger, "GUID"));
    const externalId = externalIdKey({
      source: "tally",
      entity: "ledger",
      id: guid ?? compositeId(["LEDGER", name]),
    });
    const isCustomer = isCustomerGroup(parent);
    ledgerGroup.set(name.toLowerCase(), parent);
    ledgers.push({ externalId, name, ...(parent ? { parent } : {}), isCustomer });
    if (!isCustomer) continue;
    const findings: FieldIssue[] = [];
    const gstinText = clean(
      textAt(ledger, "LEDGSTREGDETAILS.LIST", "GSTIN") ??
        textAt(ledger, "PARTYGSTIN") ??
        textAt(ledger, "GSTREGISTRATIONNUMBER"),
    );
    let gstin: string | undefined;
    if (gstinText) {
      const check = checkGstin(gstinText, "gstin");
      if (check.ok) gstin = check.value.gstin;
      else
        findings.push(
          ...check.issues.map((issue) => ({
            field: issue.field,
            reason: `${issue.reason} ("${gstinText}")`,
          })),
        );
    }
    const panText = clean(textAt(ledger, "INCOMETAXNUMBER"));
    let pan: string | undefined;
    if (panText) {
      const check = checkPan(panText, "pan");
      if (check.ok) pan = check.value.pan;
      else findings.push(...check.issues);
    }
    const stateText = clean(
      textAt(ledger, "LEDSTATENAME") ??
        textAt(ledger, "STATENAME") ??
        textAt(ledger, "LEDGSTREGDETAILS.LIST", "STATE"),
    );
    const stateCode = stateText ? toStateCode(stateText) : undefined;
    if (stateText && !stateCode)
      findings.push({ field: "state", reason: `"${stateText}" is not an Indian state` });
    const emailText = clean(textAt(ledger, "EMAIL"));
    if (emailText && !EMAIL_PATTERN.test(emailText))
      findings.push({ field: "email", reason: `"${emailText}" is not an e-mail address` });
    const phoneText = clean(textAt(ledger, "LEDGERMOBILE") ?? textAt(ledger, "LEDGERPHONE"));
    const phone = phoneText ? normaliseIndianPhone(phoneText) : undefined;
    if (phoneText && !phone)
      findings.push({ field: "phone", reason: `"${phoneText}" is not an Indian phone number` });
    const pincode = clean(textAt(ledger, "PINCODE"));
    if (pincode && !/^[1-9]\d{5}$/.test(pincode))
      findings.push({ field: "pincode", reason: `"${pincode}" is not a PIN code` });
    const credit = /^(\d{1,4})\s*days?$/i.exec(clean(textAt(ledger, "BILLCREDITPERIOD")) ?? "");
    const opening = readAmount(textAt(ledger, "OPENINGBALANCE"));
    customers.push({
      externalId: externalIdKey({
        source: "tally",
        entity: "customer",
        id: guid ?? compositeId(["LEDGER", name]),
      }),
      source: "tally",
      name,
      ...(gstin ? { gstin } : {}),
      ...(pan ? { pan } : gstin && /^\d{2}[A-Z]{5}\d{4}[A-Z]/.test(gstin) ? { pan: gstin.slice(2, 12) } : {}),
      ...(emailText && EMAIL_PATTERN.test(emailText) ? { email: emailText.toLowerCase() } : {}),
      ...(phone ? { phone } : {}),
      ...(stateCode ? { stateCode } : gstin ? { stateCode: gstin.slice(0, 2) } : {}),
      addressLines: children(child(ledger, "ADDRESS.LIST"), "ADDRESS")
        .map((line) => clean(textAt(line)))
        .filter((line): line is string => line !== undefined),
      ...(pincode && /^[1-9]\d{5}$/.test(pincode) ? { pincode } : {}),
      ...(credit ? { creditDays: Number(credit[1]) } : {}),
      // Tally: negative opening balance = debit = the customer owes us
      ...(opening !== undefined && opening !== 0n ? { openingBalancePaise: -opening } : {}),
      ...(parent ? { group: parent } : {}),
      findings,
    });
  }

  const result: TallyImport = {
    ...(company ? { company } : {}),
    ledgers,
    customers,
    invoices: [],
    payments: [],
    creditNotes: [],
    skipped: [],
  };
  for (const voucher of collect(envelope, "VOUCHER"))
    readVoucher(voucher, options, ledgerGroup, isCustomerGroup, result);
  return result;
}

function readVoucher(
  voucher: XmlNode,
  options: TallyImportOptions,
  ledgerGroup: Map<string, string | undefined>,
  isCustomerGroup: (group: string | undefined) => boolean,
  result: TallyImport,
): void {
  const type = clean(attributeOf(voucher, "VCHTYPE") ?? textAt(voucher, "VOUCHERTYPENAME")) ?? "";
  const number = clean(textAt(voucher, "VOUCHERNUMBER")) ?? "";
  const dateText = clean(textAt(voucher, "DATE")) ?? "";
  const date = readImportDate(dateText, "yyyyMMdd");
  const guid =
    clean(textAt(voucher, "GUID")) ??
    clean(attributeOf(voucher, "REMOTEID")) ??
    clean(attributeOf(voucher, "VCHKEY"));
  const skip = (reason: string, externalId?: string): void => {
    result.skipped.push({
      ...(externalId ? { externalId } : {}),
      ...(type ? { voucherType: type } : {}),
      ...(number ? { number } : {}),
      ...(date ? { date } : {}),
      reason,
    });
  };
  const kind = classify(type, options);
  if (!kind) return skip(`voucher type "${type}" is not imported`);
  if (yes(textAt(voucher, "ISCANCELLED"))) return skip("cancelled voucher");
  if (yes(textAt(voucher, "ISOPTIONAL"))) return skip("optional (memorandum) voucher");
  if ((attributeOf(voucher, "ACTION") ?? "").toLowerCase() === "delete") return skip("deletion request");
  if (!date) return skip(`"${dateText}" is not a date YYYYMMDD`);

  const findings: FieldIssue[] = [];
  const entries: Entry[] = [];
  for (const list of ["ALLLEDGERENTRIES.LIST", "LEDGERENTRIES.LIST"]) {
    for (const node of children(voucher, list)) {
      const ledger = clean(textAt(node, "LEDGERNAME"));
      const amount = readAmount(textAt(node, "AMOUNT"));
      if (!ledger) continue;
      if (amount === undefined) {
        findings.push({
          field: `entries.${ledger}`,
          reason: `"${textAt(node, "AMOUNT") ?? ""}" is not an amount`,
        });
        continue;
      }
      const bank = child(node, "BANKALLOCATIONS.LIST");
      const bankType = clean(textAt(bank, "TRANSACTIONTYPE"));
      const instrument = clean(textAt(bank, "INSTRUMENTNUMBER"));
      const credit = /^(\d{1,4})\s*days?$/i.exec(
        clean(textAt(node, "BILLALLOCATIONS.LIST", "BILLCREDITPERIOD")) ?? "",
      );
      entries.push({
        ledger,
        amount,
        isParty: yes(textAt(node, "ISPARTYLEDGER")),
        bills: readBills(node),
        ...(credit ? { creditDays: Number(credit[1]) } : {}),
        ...(bankType ? { bankType } : {}),
        ...(instrument ? { instrument } : {}),
      });
    }
  }
  const inventory: InventoryEntry[] = [];
  for (const list of ["ALLINVENTORYENTRIES.LIST", "INVENTORYENTRIES.LIST"]) {
    for (const node of children(voucher, list)) {
      const amount = readAmount(textAt(node, "AMOUNT"));
      if (amount === undefined) continue;
      const quantity = clean(textAt(node, "BILLEDQTY"))?.replace(/^([\d.]+).*$/, "$1");
      const hsn = clean(textAt(node, "GSTHSNNAME"));
      inventory.push({
        item: clean(textAt(node, "STOCKITEMNAME")) ?? "item",
        amount,
        ...(quantity ? { quantity } : {}),
        ...(hsn ? { hsn } : {}),
      });
    }
  }
  if (entries.length === 0)
    return skip(
      "voucher without ledger entries",
      guid ? externalIdKey({ source: "tally", entity: "voucher", id: guid }) : undefined,
    );
  const net =
    entries.reduce((sum, entry) => sum + entry.amount, 0n) +
    inventory.reduce((sum, entry) => sum + entry.amount, 0n);
  if (net !== 0n)
    findings.push({
      field: "amount",
      reason: `the voucher does not net to zero (off by ${net < 0n ? "-" : ""}₹${(net < 0n ? -net : net) / 100n}.${String((net < 0n ? -net : net) % 100n).padStart(2, "0")})`,
    });

  const partyName = clean(textAt(voucher, "PARTYLEDGERNAME"));
  const isBankOrCash = (ledger: string): boolean =>
    /bank|cash/i.test(ledgerGroup.get(ledger.toLowerCase()) ?? "");
  // the party: PARTYLEDGERNAME; else the ISPARTYLEDGER line that is not a bank; else the debited (sales) or credited line
  const party =
    (partyName
      ? entries.find((entry) => entry.ledger.toLowerCase() === partyName.toLowerCase())
      : undefined) ??
    entries.find((entry) => entry.isParty && !isBankOrCash(entry.ledger)) ??
    (kind === "sales"
      ? entries.filter((entry) => entry.amount < 0n)
      : entries.filter((entry) => entry.amount > 0n)
    ).sort((a, b) =>
      (b.amount < 0n ? -b.amount : b.amount) > (a.amount < 0n ? -a.amount : a.amount) ? 1 : -1,
    )[0];
  if (!party) return skip("no party ledger");
  const partyAmount = party.amount < 0n ? -party.amount : party.amount;
  const group = ledgerGroup.get(party.ledger.toLowerCase());
  const known = ledgerGroup.has(party.ledger.toLowerCase());
  if (known && !isCustomerGroup(group))
    return skip(`party "${party.ledger}" is under "${group ?? "no group"}", not a customer group`);
  if (!known)
    findings.push({
      field: "party",
      reason: `ledger "${party.ledger}" is not among the masters in the file; its group is unknown`,
    });
  const amountText = (partyAmount / 100n).toString() + "." + String(partyAmount % 100n).padStart(2, "0");
  const id = guid ?? compositeId([type, date, number, party.ledger, amountText]);
  const customerRef = result.customers.find(
    (customer) => customer.name.toLowerCase() === party.ledger.toLowerCase(),
  )?.externalId;
  const narration = clean(textAt(voucher, "NARRATION"));
  const others = entries.filter((entry) => entry !== party);

  if (kind === "sales") {
    if (party.amount >= 0n)
      findings.push({ field: "amount", reason: "the party is not debited on this sales voucher" });
    const sum = (pattern: RegExp): Paise =>
      others.filter((entry) => pattern.test(entry.ledger)).reduce((total, entry) => total + entry.amount, 0n);
    const cgst = sum(TAX.cgst);
    const sgst = sum(TAX.sgst);
    const igst = sum(TAX.igst);
    const cess = sum(TAX.cess);
    const roundOff = sum(TAX.roundOff);
    const taxable = partyAmount - cgst - sgst - igst - cess - roundOff;
    const lines: ImportedInvoiceLine[] =
      inventory.length > 0
        ? inventory.map((entry) => ({
            description: entry.item,
            ...(entry.hsn ? { hsnOrSac: entry.hsn } : {}),
            ...(entry.quantity ? { quantity: entry.quantity } : {}),
            taxableValuePaise: entry.amount,
          }))
        : others
            .filter(
              (entry) =>
                !Object.values(TAX).some((pattern) => pattern.test(entry.ledger)) && entry.amount > 0n,
            )
            .map((entry) => ({ description: entry.ledger, taxableValuePaise: entry.amount }));
    const gstinText = clean(textAt(voucher, "PARTYGSTIN"));
    const gstinCheck = gstinText ? checkGstin(gstinText, "customerGstin") : undefined;
    if (gstinCheck && !gstinCheck.ok) findings.push(...gstinCheck.issues);
    const placeText = clean(textAt(voucher, "PLACEOFSUPPLY"));
    const placeOfSupply = placeText ? toStateCode(placeText) : undefined;
    const bill = party.bills.find((allocation) => (allocation.kind ?? "").toLowerCase() === "new ref");
    const dueDate =
      party.creditDays !== undefined
        ? new Date(Date.parse(`${date}T00:00:00Z`) + party.creditDays * 86_400_000).toISOString().slice(0, 10)
        : undefined;
    result.invoices.push({
      externalId: externalIdKey({ source: "tally", entity: "invoice", id }),
      source: "tally",
      number: number || bill?.reference || "",
      ...(customerRef ? { customerExternalId: customerRef } : {}),
      customerName: party.ledger,
      ...(gstinCheck?.ok ? { customerGstin: gstinCheck.value.gstin } : {}),
      issueDate: date,
      ...(dueDate ? { dueDate } : {}),
      currency: "INR",
      taxableValuePaise: taxable,
      cgstPaise: cgst,
      sgstPaise: sgst,
      igstPaise: igst,
      cessPaise: cess,
      roundOffPaise: roundOff,
      totalPaise: partyAmount,
      ...(placeOfSupply ? { placeOfSupply } : {}),
      lines,
      findings,
    });
    if (!number && !bill) findings.push({ field: "number", reason: "the voucher has no number" });
    return;
  }

  if (kind === "credit-note") {
    if (party.amount <= 0n)
      findings.push({ field: "amount", reason: "the party is not credited on this credit note" });
    result.creditNotes.push({
      externalId: externalIdKey({ source: "tally", entity: "credit-note", id }),
      source: "tally",
      number,
      date,
      customerName: party.ledger,
      ...(customerRef ? { customerExternalId: customerRef } : {}),
      amountPaise: partyAmount,
      allocations: party.bills,
      ...(narration ? { narration } : {}),
      findings,
    });
    return;
  }

  // receipt: money in = debits on bank/cash ledgers (or every debit that is not a deduction when groups are unknown)
  if (party.amount <= 0n)
    findings.push({ field: "amount", reason: "the party is not credited on this receipt" });
  const debits = others.filter((entry) => entry.amount < 0n);
  const isDeduction = (entry: Entry): boolean => TAX.tds.test(entry.ledger) || TAX.gstTds.test(entry.ledger);
  const money = debits.filter((entry) =>
    ledgerGroup.has(entry.ledger.toLowerCase()) ? isBankOrCash(entry.ledger) : !isDeduction(entry),
  );
  const incomeTaxTds = debits.filter((entry) => TAX.tds.test(entry.ledger) && !TAX.gstTds.test(entry.ledger));
  const received = -money.reduce((sum, entry) => sum + entry.amount, 0n);
  const tds = -incomeTaxTds.reduce((sum, entry) => sum + entry.amount, 0n);
  const bank = money.find((entry) => entry.bankType || entry.instrument);
  const method = bank?.bankType
    ? bank.bankType.toLowerCase().replace(/^e-fund transfer$/, "neft")
    : money.some((entry) => /cash/i.test(ledgerGroup.get(entry.ledger.toLowerCase()) ?? entry.ledger))
      ? "cash"
      : undefined;
  result.payments.push({
    externalId: externalIdKey({ source: "tally", entity: "payment", id }),
    source: "tally",
    date,
    amountPaise: received,
    tdsPaise: tds,
    ...(method ? { method } : {}),
    ...(bank?.instrument ? { reference: bank.instrument } : {}),
    customerName: party.ledger,
    ...(customerRef ? { customerExternalId: customerRef } : {}),
    settledPaise: partyAmount,
    allocations: party.bills,
    ...(narration ? { narration } : {}),
    findings,
  });
}
