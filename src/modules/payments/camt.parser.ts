import { AppError, type FieldIssue } from "../../kernel/app-error.ts";
import { isIsoDate, type IsoDate } from "./calendar-date.ts";
import { decimalToMinor } from "./currency.ts";
import {
  attribute,
  child,
  children,
  readXml,
  textAt,
  textsOf,
  type XmlNode,
} from "../../platform/formats/xml-tree.ts";

/**
 * ISO 20022 bank-to-customer cash management messages: camt.053 statements, camt.052 account reports and camt.054
 * debit/credit notifications, versions .001.02 to .001.13 (element names that changed between versions, e.g.
 * Dbtr/Nm vs Dbtr/Pty/Nm, BIC vs BICFI, BICOrBEI vs AnyBIC, Sts vs Sts/Cd, are read in either form).
 */

export type CamtMessageType = "camt.052" | "camt.053" | "camt.054";
export type CreditDebit = "CRDT" | "DBIT";

export interface CamtAddress {
  lines: string[];
  streetName?: string;
  buildingNumber?: string;
  postCode?: string;
  townName?: string;
  country?: string;
}

export interface CamtParty {
  name?: string;
  address?: CamtAddress;
  bic?: string;
  otherId?: string;
  otherIssuer?: string;
  /** Account of the party (debtor account for the debtor, creditor account for the creditor). */
  account?: { iban?: string; otherId?: string; identification: string; currency?: string };
}

export interface CamtAgent {
  bic?: string;
  name?: string;
  clearingMemberId?: string;
}

export interface CamtBankTransactionCode {
  domain?: { code: string; family?: string; subFamily?: string };
  proprietary?: { code: string; issuer?: string };
}

export interface CamtReferences {
  messageId?: string;
  accountServicerReference?: string;
  paymentInformationId?: string;
  instructionId?: string;
  endToEndId?: string;
  uetr?: string;
  transactionId?: string;
  mandateId?: string;
  chequeNumber?: string;
  clearingSystemReference?: string;
  proprietary: Array<{ type: string; reference: string }>;
}

export interface CamtStructuredRemittance {
  creditorReference?: { reference: string; code?: string; proprietary?: string; issuer?: string };
  additionalInformation?: string;
}

export interface CamtTransactionDetail {
  references: CamtReferences;
  amountMinor?: bigint;
  /** Signed by the entry's credit/debit indicator. */
  signedAmountMinor?: bigint;
  currency?: string;
  creditDebit: CreditDebit;
  bankTransactionCode?: CamtBankTransactionCode;
  debtor?: CamtParty;
  creditor?: CamtParty;
  ultimateDebtor?: CamtParty;
  ultimateCreditor?: CamtParty;
  initiatingParty?: CamtParty;
  debtorAgent?: CamtAgent;
  creditorAgent?: CamtAgent;
  remittance: { unstructured: string[]; structured: CamtStructuredRemittance[] };
  additionalInformation?: string;
}

export interface CamtDate {
  /** Calendar date as written (the date part of a date-time). */
  date: IsoDate;
  /** The instant in UTC when a date-time with an offset was given. */
  dateTime?: string;
}

export interface CamtEntry {
  reference?: string;
  amountMinor: bigint;
  signedAmountMinor: bigint;
  currency: string;
  creditDebit: CreditDebit;
  reversal: boolean;
  status: string;
  bookingDate?: CamtDate;
  valueDate?: CamtDate;
  accountServicerReference?: string;
  bankTransactionCode?: CamtBankTransactionCode;
  batch?: { messageId?: string; paymentInformationId?: string; numberOfTransactions?: number };
  additionalInformation?: string;
  details: CamtTransactionDetail[];
}

export interface CamtBalance {
  /** OPBD, CLBD, OPAV, CLAV, ITBD, FWAV, PRCD, ... */
  code: string;
  amountMinor: bigint;
  signedAmountMinor: bigint;
  currency: string;
  date: CamtDate;
}

export interface CamtStatement {
  id: string;
  electronicSequenceNumber?: string;
  legalSequenceNumber?: string;
  createdAt?: string;
  from?: string;
  to?: string;
  copyDuplicateIndicator?: string;
  pageNumber?: string;
  lastPage?: boolean;
  account: {
    identification: string;
    iban?: string;
    otherId?: string;
    currency?: string;
    ownerName?: string;
    servicerBic?: string;
    servicerName?: string;
  };
  balances: CamtBalance[];
  entries: CamtEntry[];
  additionalInformation?: string;
}

export interface CamtMessage {
  messageType: CamtMessageType;
  /** "001.02", "001.08", ... */
  version: string;
  groupHeader: {
    messageId: string;
    createdAt: string;
    additionalInformation?: string;
    recipient?: CamtParty;
    pageNumber?: string;
    lastPage?: boolean;
    originalBusinessQuery?: { messageId?: string; messageNameId?: string; createdAt?: string };
  };
  statements: CamtStatement[];
}

const ROOTS: Record<string, { type: CamtMessageType; record: string }> = {
  BkToCstmrStmt: { type: "camt.053", record: "Stmt" },
  BkToCstmrAcctRpt: { type: "camt.052", record: "Rpt" },
  BkToCstmrDbtCdtNtfctn: { type: "camt.054", record: "Ntfctn" },
};

/** ISO date-times with an offset become UTC instants; without one they are kept as written (local time). */
function instant(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (/(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    const parsed = new Date(text);
    if (!Number.isNaN(parsed.getTime())) return parsed.toISOString();
  }
  return text;
}

function readCamtDate(node: XmlNode | undefined, field: string, issues: FieldIssue[]): CamtDate | undefined {
  if (!node) return undefined;
  const date = textAt(node, "Dt");
  const dateTime = textAt(node, "DtTm");
  if (date !== undefined) {
    const written: string = date;
    if (!isIsoDate(date)) {
      issues.push({ field, reason: `"${written}" is not a date` });
      return undefined;
    }
    return { date };
  }
  if (dateTime !== undefined) {
    const day = dateTime.slice(0, 10);
    if (!isIsoDate(day)) {
      issues.push({ field, reason: `"${dateTime}" is not a date-time` });
      return undefined;
    }
    const utc = instant(dateTime);
    return { date: day, ...(utc ? { dateTime: utc } : {}) };
  }
  return undefined;
}

function readAmount(
  node: XmlNode | undefined,
  field: string,
  issues: FieldIssue[],
): { minor: bigint; currency: string } | undefined {
  if (!node) return undefined;
  const text = textAt(node) ?? "";
  const currency = attribute(node, "Ccy") ?? "";
  if (!/^[A-Z]{3}$/.test(currency)) {
    issues.push({ field, reason: `amount without a valid Ccy attribute` });
    return undefined;
  }
  const minor = decimalToMinor(text, currency, ".");
  if (minor === undefined) {
    issues.push({ field, reason: `"${text}" is not an amount in ${currency}` });
    return undefined;
  }
  return { minor, currency };
}

function readCreditDebit(
  node: XmlNode | undefined,
  field: string,
  issues: FieldIssue[],
): CreditDebit | undefined {
  const value = textAt(node, "CdtDbtInd");
  if (value === "CRDT" || value === "DBIT") return value;
  issues.push({ field: `${field}.CdtDbtInd`, reason: `"${value ?? ""}" is not CRDT or DBIT` });
  return undefined;
}

function readAddress(node: XmlNode | undefined): CamtAddress | undefined {
  if (!node) return undefined;
  const address: CamtAddress = { lines: textsOf(node, "AdrLine") };
  const fields: Array<[keyof Omit<CamtAddress, "lines">, string]> = [
    ["streetName", "StrtNm"],
    ["buildingNumber", "BldgNb"],
    ["postCode", "PstCd"],
    ["townName", "TwnNm"],
    ["country", "Ctry"],
  ];
  for (const [key, name] of fields) {
    const value = textAt(node, name);
    if (value !== undefined) address[key] = value;
  }
  return address;
}

function readAccount(node: XmlNode | undefined): CamtParty["account"] {
  if (!node) return undefined;
  const iban = textAt(node, "Id", "IBAN");
  const otherId = textAt(node, "Id", "Othr", "Id");
  const identification = iban ?? otherId;
  if (!identification) return undefined;
  const currency = textAt(node, "Ccy");
  return {
    identification,
    ...(iban ? { iban } : {}),
    ...(otherId ? { otherId } : {}),
    ...(currency ? { currency } : {}),
  };
}

/** Reads a party in either layout: <Dbtr><Nm/> (up to .001.07) or <Dbtr><Pty><Nm/> (.001.08 on). */
function readParty(node: XmlNode | undefined, accountNode?: XmlNode): CamtParty | undefined {
  if (!node && !accountNode) return undefined;
  const party = child(node, "Pty") ?? node;
  const organisation = child(party, "Id", "OrgId");
  const name = textAt(party, "Nm");
  const address = readAddress(child(party, "PstlAdr"));
  const bic =
    textAt(organisation, "AnyBIC") ?? textAt(organisation, "BICOrBEI") ?? textAt(organisation, "BIC");
  const otherId = textAt(organisation, "Othr", "Id") ?? textAt(party, "Id", "PrvtId", "Othr", "Id");
  const otherIssuer = textAt(organisation, "Othr", "Issr") ?? textAt(party, "Id", "PrvtId", "Othr", "Issr");
  const account = readAccount(accountNode);
  return {
    ...(name ? { name } : {}),
    ...(address ? { address } : {}),
    ...(bic ? { bic } : {}),
    ...(otherId ? { otherId } : {}),
    ...(otherIssuer ? { otherIssuer } : {}),
    ...(account ? { account } : {}),
  };
}

function readAgent(node: XmlNode | undefined): CamtAgent | undefined {
  const institution = child(node, "FinInstnId");
  if (!institution) return undefined;
  const bic = textAt(institution, "BICFI") ?? textAt(institution, "BIC");
  const name = textAt(institution, "Nm");
  const member = textAt(institution, "ClrSysMmbId", "MmbId");
  return {
    ...(bic ? { bic } : {}),
    ...(name ? { name } : {}),
    ...(member ? { clearingMemberId: member } : {}),
  };
}

function readBankTransactionCode(node: XmlNode | undefined): CamtBankTransactionCode | undefined {
  if (!node) return undefined;
  const domainCode = textAt(node, "Domn", "Cd");
  const family = textAt(node, "Domn", "Fmly", "Cd");
  const subFamily = textAt(node, "Domn", "Fmly", "SubFmlyCd");
  const proprietary = textAt(node, "Prtry", "Cd");
  const issuer = textAt(node, "Prtry", "Issr");
  if (!domainCode && !proprietary) return undefined;
  return {
    ...(domainCode
      ? { domain: { code: domainCode, ...(family ? { family } : {}), ...(subFamily ? { subFamily } : {}) } }
      : {}),
    ...(proprietary ? { proprietary: { code: proprietary, ...(issuer ? { issuer } : {}) } } : {}),
  };
}

function readReferences(node: XmlNode | undefined): CamtReferences {
  const references: CamtReferences = { proprietary: [] };
  const fields: Array<[Exclude<keyof CamtReferences, "proprietary">, string]> = [
    ["messageId", "MsgId"],
    ["accountServicerReference", "AcctSvcrRef"],
    ["paymentInformationId", "PmtInfId"],
    ["instructionId", "InstrId"],
    ["endToEndId", "EndToEndId"],
    ["uetr", "UETR"],
    ["transactionId", "TxId"],
    ["mandateId", "MndtId"],
    ["chequeNumber", "ChqNb"],
    ["clearingSystemReference", "ClrSysRef"],
  ];
  for (const [key, name] of fields) {
    const value = textAt(node, name);
    if (value !== undefined) references[key] = value;
  }
  for (const proprietary of children(node, "Prtry")) {
    const type = textAt(proprietary, "Tp");
    const reference = textAt(proprietary, "Ref");
    if (type !== undefined && reference !== undefined) references.proprietary.push({ type, reference });
  }
  return references;
}

function readRemittance(node: XmlNode | undefined): CamtTransactionDetail["remittance"] {
  const structured = children(node, "Strd").map((block): CamtStructuredRemittance => {
    const reference = child(block, "CdtrRefInf");
    const ref = textAt(reference, "Ref");
    const code = textAt(reference, "Tp", "CdOrPrtry", "Cd");
    const proprietary = textAt(reference, "Tp", "CdOrPrtry", "Prtry");
    const issuer = textAt(reference, "Tp", "Issr");
    const additional = textsOf(block, "AddtlRmtInf");
    return {
      ...(ref !== undefined
        ? {
            creditorReference: {
              reference: ref,
              ...(code ? { code } : {}),
              ...(proprietary ? { proprietary } : {}),
              ...(issuer ? { issuer } : {}),
            },
          }
        : {}),
      ...(additional.length > 0 ? { additionalInformation: additional.join(" ") } : {}),
    };
  });
  return { unstructured: textsOf(node, "Ustrd"), structured };
}

function readDetail(
  node: XmlNode,
  entry: { creditDebit: CreditDebit },
  field: string,
  issues: FieldIssue[],
): CamtTransactionDetail {
  const amount = readAmount(
    child(node, "Amt") ?? child(node, "AmtDtls", "TxAmt", "Amt"),
    `${field}.Amt`,
    issues,
  );
  const parties = child(node, "RltdPties");
  const agents = child(node, "RltdAgts");
  const debtor = readParty(child(parties, "Dbtr"), child(parties, "DbtrAcct"));
  const creditor = readParty(child(parties, "Cdtr"), child(parties, "CdtrAcct"));
  const ultimateDebtor = readParty(child(parties, "UltmtDbtr"));
  const ultimateCreditor = readParty(child(parties, "UltmtCdtr"));
  const initiatingParty = readParty(child(parties, "InitgPty"));
  const debtorAgent = readAgent(child(agents, "DbtrAgt"));
  const creditorAgent = readAgent(child(agents, "CdtrAgt"));
  const code = readBankTransactionCode(child(node, "BkTxCd"));
  const additional = textAt(node, "AddtlTxInf");
  return {
    references: readReferences(child(node, "Refs")),
    ...(amount
      ? {
          amountMinor: amount.minor,
          signedAmountMinor: entry.creditDebit === "CRDT" ? amount.minor : -amount.minor,
          currency: amount.currency,
        }
      : {}),
    // a transaction detail belongs to its entry: banks fill TxDtls/CdtDbtInd inconsistently, the entry decides
    creditDebit: entry.creditDebit,
    ...(code ? { bankTransactionCode: code } : {}),
    ...(debtor ? { debtor } : {}),
    ...(creditor ? { creditor } : {}),
    ...(ultimateDebtor ? { ultimateDebtor } : {}),
    ...(ultimateCreditor ? { ultimateCreditor } : {}),
    ...(initiatingParty ? { initiatingParty } : {}),
    ...(debtorAgent ? { debtorAgent } : {}),
    ...(creditorAgent ? { creditorAgent } : {}),
    remittance: readRemittance(child(node, "RmtInf")),
    ...(additional ? { additionalInformation: additional } : {}),
  };
}

function readEntry(node: XmlNode, field: string, issues: FieldIssue[]): CamtEntry | undefined {
  const before = issues.length;
  const amount = readAmount(child(node, "Amt"), `${field}.Amt`, issues);
  const creditDebit = readCreditDebit(node, field, issues);
  const status = textAt(node, "Sts", "Cd") ?? textAt(node, "Sts", "Prtry") ?? textAt(node, "Sts");
  if (!status) issues.push({ field: `${field}.Sts`, reason: "entry status is missing" });
  const bookingDate = readCamtDate(child(node, "BookgDt"), `${field}.BookgDt`, issues);
  const valueDate = readCamtDate(child(node, "ValDt"), `${field}.ValDt`, issues);
  if (!amount || !creditDebit || !status || issues.length > before) return undefined;
  const reversal = textAt(node, "RvslInd") === "true";
  const batch = child(node, "NtryDtls", "Btch");
  const code = readBankTransactionCode(child(node, "BkTxCd"));
  const reference = textAt(node, "NtryRef");
  const servicerReference = textAt(node, "AcctSvcrRef");
  const additional = textAt(node, "AddtlNtryInf");
  const count = textAt(batch, "NbOfTxs");
  const details = children(child(node, "NtryDtls"), "TxDtls").map((detail, index) =>
    readDetail(detail, { creditDebit }, `${field}.TxDtls.${index}`, issues),
  );
  return {
    ...(reference ? { reference } : {}),
    amountMinor: amount.minor,
    signedAmountMinor: creditDebit === "CRDT" ? amount.minor : -amount.minor,
    currency: amount.currency,
    creditDebit,
    reversal,
    status,
    ...(bookingDate ? { bookingDate } : {}),
    ...(valueDate ? { valueDate } : {}),
    ...(servicerReference ? { accountServicerReference: servicerReference } : {}),
    ...(code ? { bankTransactionCode: code } : {}),
    ...(batch
      ? {
          batch: {
            ...(textAt(batch, "MsgId") ? { messageId: textAt(batch, "MsgId") } : {}),
            ...(textAt(batch, "PmtInfId") ? { paymentInformationId: textAt(batch, "PmtInfId") } : {}),
            ...(count && /^\d+$/.test(count) ? { numberOfTransactions: Number(count) } : {}),
          },
        }
      : {}),
    ...(additional ? { additionalInformation: additional } : {}),
    details,
  };
}

function readStatement(node: XmlNode, field: string, issues: FieldIssue[]): CamtStatement | undefined {
  const id = textAt(node, "Id");
  if (!id) issues.push({ field: `${field}.Id`, reason: "statement id is missing" });
  const accountNode = child(node, "Acct");
  const account = readAccount(accountNode);
  if (!account)
    issues.push({ field: `${field}.Acct`, reason: "account identification (IBAN or Othr/Id) is missing" });
  const balances: CamtBalance[] = [];
  children(node, "Bal").forEach((balance, index) => {
    const at = `${field}.Bal.${index}`;
    const code = textAt(balance, "Tp", "CdOrPrtry", "Cd") ?? textAt(balance, "Tp", "CdOrPrtry", "Prtry");
    const amount = readAmount(child(balance, "Amt"), `${at}.Amt`, issues);
    const creditDebit = readCreditDebit(balance, at, issues);
    const date = readCamtDate(child(balance, "Dt"), `${at}.Dt`, issues);
    if (!code) issues.push({ field: `${at}.Tp`, reason: "balance type is missing" });
    if (!date) issues.push({ field: `${at}.Dt`, reason: "balance date is missing" });
    if (code && amount && creditDebit && date) {
      balances.push({
        code,
        amountMinor: amount.minor,
        signedAmountMinor: creditDebit === "CRDT" ? amount.minor : -amount.minor,
        currency: amount.currency,
        date,
      });
    }
  });
  const entries = children(node, "Ntry")
    .map((entry, index) => readEntry(entry, `${field}.Ntry.${index}`, issues))
    .filter((entry): entry is CamtEntry => entry !== undefined);
  if (!id || !account) return undefined;
  const pagination = child(node, "StmtPgntn") ?? child(node, "RptPgntn") ?? child(node, "NtfctnPgntn");
  const lastPage = textAt(pagination, "LastPgInd");
  const created = instant(textAt(node, "CreDtTm"));
  const from = instant(textAt(node, "FrToDt", "FrDtTm"));
  const to = instant(textAt(node, "FrToDt", "ToDtTm"));
  const optional = (key: string, value: string | undefined): Record<string, string> =>
    value ? { [key]: value } : {};
  return {
    id,
    ...optional("electronicSequenceNumber", textAt(node, "ElctrncSeqNb")),
    ...optional("legalSequenceNumber", textAt(node, "LglSeqNb")),
    ...optional("createdAt", created),
    ...optional("from", from),
    ...optional("to", to),
    ...optional("copyDuplicateIndicator", textAt(node, "CpyDplctInd")),
    ...optional("pageNumber", textAt(pagination, "PgNb")),
    ...(lastPage ? { lastPage: lastPage === "true" } : {}),
    account: {
      ...account,
      ...optional("ownerName", textAt(accountNode, "Ownr", "Nm") ?? textAt(accountNode, "Ownr", "Pty", "Nm")),
      ...optional(
        "servicerBic",
        textAt(accountNode, "Svcr", "FinInstnId", "BICFI") ??
          textAt(accountNode, "Svcr", "FinInstnId", "BIC"),
      ),
      ...optional("servicerName", textAt(accountNode, "Svcr", "FinInstnId", "Nm")),
    },
    balances,
    entries,
    ...optional(
      "additionalInformation",
      textAt(node, "AddtlStmtInf") ?? textAt(node, "AddtlRptInf") ?? textAt(node, "AddtlNtfctnInf"),
    ),
  };
}

/**
 * Parses a camt.052/053/054 document. Anything malformed (XML, amounts, indicators, dates, missing ids) refuses the
 * whole file with INVALID_INPUT, naming the element path of every problem (e.g. "Stmt.0.Ntry.3.Amt").
 */
export function parseCamt(input: string | Uint8Array): CamtMessage {
  const text = (
    typeof input === "string" ? input : new TextDecoder("utf-8", { fatal: false }).decode(input)
  ).replace(/^\uFEFF/, "");
  const tree = readXml(text, "camt");
  const document = child(tree, "Document");
  const rootName = Object.keys(document ?? {}).find((name) => name in ROOTS);
  const root = rootName ? ROOTS[rootName] : undefined;
  if (!document || !rootName || !root) {
    throw AppError.invalidInput([{ field: "file", reason: "not a camt.052, camt.053 or camt.054 document" }]);
  }
  const namespace = /urn:iso:std:iso:20022:tech:xsd:camt\.(05[234])\.(\d{3}\.\d{2})/.exec(text);
  if (namespace && `camt.${namespace[1] ?? ""}` !== root.type) {
    throw AppError.invalidInput([
      {
        field: "file",
        reason: `namespace camt.${namespace[1] ?? ""} does not match the ${rootName} element`,
      },
    ]);
  }
  const body = child(document, rootName);
  const header = child(body, "GrpHdr");
  const issues: FieldIssue[] = [];
  const messageId = textAt(header, "MsgId");
  const createdAt = instant(textAt(header, "CreDtTm"));
  if (!messageId) issues.push({ field: "GrpHdr.MsgId", reason: "message id is missing" });
  if (!createdAt) issues.push({ field: "GrpHdr.CreDtTm", reason: "creation time is missing" });
  const statements = children(body, root.record)
    .map((record, index) => readStatement(record, `${root.record}.${index}`, issues))
    .filter((statement): statement is CamtStatement => statement !== undefined);
  if (children(body, root.record).length === 0)
    issues.push({ field: root.record, reason: "no statement, report or notification in the file" });
  if (issues.length > 0 || !messageId || !createdAt)
    throw AppError.invalidInput(issues, `camt file refused: ${issues.length} problem(s)`);
  const recipient = readParty(child(header, "MsgRcpt"));
  const query = child(header, "OrgnlBizQry");
  const pagination = child(header, "MsgPgntn");
  const lastPage = textAt(pagination, "LastPgInd");
  const queryCreated = instant(textAt(query, "CreDtTm"));
  return {
    messageType: root.type,
    version: namespace?.[2] ?? "unknown",
    groupHeader: {
      messageId,
      createdAt,
      ...(textAt(header, "AddtlInf") ? { additionalInformation: textAt(header, "AddtlInf") } : {}),
      ...(recipient ? { recipient } : {}),
      ...(textAt(pagination, "PgNb") ? { pageNumber: textAt(pagination, "PgNb") } : {}),
      ...(lastPage ? { lastPage: lastPage === "true" } : {}),
      ...(query
        ? {
            originalBusinessQuery: {
              ...(textAt(query, "MsgId") ? { messageId: textAt(query, "MsgId") } : {}),
              ...(textAt(query, "MsgNmId") ? { messageNameId: textAt(query, "MsgNmId") } : {}),
              ...(queryCreated ? { createdAt: queryCreated } : {}),
            },
          }
        : {}),
    },
    statements,
  };
}
