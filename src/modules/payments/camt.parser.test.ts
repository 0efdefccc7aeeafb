import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sharedPath } from "../../../test/support/shared-path.ts";
import { AppError } from "../../kernel/app-error.ts";
import {
  parseCamt,
  type CamtAgent,
  type CamtBankTransactionCode,
  type CamtDate,
  type CamtParty,
  type CamtTransactionDetail,
} from "./camt.parser.ts";

const folder = (name: string): string => sharedPath("reference/india/bank_statements/camt", name);

type Dump = Record<string, unknown> & { __CLASS__?: string };

const RECURSIVE = "__RECURSIVITY__";
const asDump = (value: unknown): Dump => value as Dump;
const className = (value: unknown): string => (asDump(value).__CLASS__ ?? "").split("\\").pop() ?? "";

/** genkgo/camt dumps repeat the first element of a list as "__RECURSIVITY__"; put the single-value getter back. */
function resolved(list: unknown, first: unknown): Dump[] {
  return ((list as unknown[] | null) ?? []).map((item) =>
    item === RECURSIVE ? asDump(first) : asDump(item),
  );
}

const emptyToUndefined = (value: unknown): unknown => (value === "" || value === null ? undefined : value);

function expectMoney(actual: { signed?: bigint; currency?: string }, money: unknown): void {
  if (money === null) {
    expect(actual.signed).toBeUndefined();
    return;
  }
  const dump = asDump(money);
  expect(actual.signed).toBe(BigInt(String(dump.getAmount)));
  expect(actual.currency).toBe(asDump(dump.getCurrency).getCode);
}

function expectDate(actual: CamtDate | string | undefined, expected: unknown): void {
  if (expected === null) {
    expect(actual).toBeUndefined();
    return;
  }
  const instant = Date.parse(String(asDump(expected)["0"]));
  if (typeof actual === "string") expect(Date.parse(actual)).toBe(instant);
  else if (actual?.dateTime) expect(Date.parse(actual.dateTime)).toBe(instant);
  else expect(Date.parse(`${actual?.date ?? "none"}T00:00:00Z`)).toBe(instant);
}

function expectCode(actual: CamtBankTransactionCode | undefined, expected: unknown): void {
  const dump = asDump(expected ?? {});
  const domain = dump.getDomain ? asDump(dump.getDomain) : undefined;
  const proprietary = dump.getProprietary ? asDump(dump.getProprietary) : undefined;
  if (!domain && !proprietary) {
    expect(actual).toBeUndefined();
    return;
  }
  expect(actual?.domain?.code).toBe(domain?.getCode);
  if (domain) {
    const family = asDump(domain.getFamily);
    expect(actual?.domain?.family).toBe(family.getCode);
    expect(actual?.domain?.subFamily).toBe(family.getSubFamilyCode);
  }
  expect(actual?.proprietary?.code).toBe(proprietary?.getCode);
  if (proprietary) expect(actual?.proprietary?.issuer).toBe(emptyToUndefined(proprietary.getIssuer));
}

function expectParty(actual: CamtParty | undefined, expected: Dump): void {
  expect(actual, `party ${className(expected.getRelatedPartyType)}`).toBeDefined();
  const type = asDump(expected.getRelatedPartyType);
  expect(actual?.name).toBe(emptyToUndefined(type.getName));
  const account = expected.getAccount ? asDump(expected.getAccount) : undefined;
  expect(actual?.account?.identification).toBe(account?.getIdentification);
  const address = type.getAddress ? asDump(type.getAddress) : undefined;
  if (address) {
    expect(actual?.address?.lines ?? []).toEqual(address.getAddressLines);
    expect(actual?.address?.country).toBe(emptyToUndefined(address.getCountry));
    expect(actual?.address?.streetName).toBe(emptyToUndefined(address.getStreetName));
    expect(actual?.address?.buildingNumber).toBe(emptyToUndefined(address.getBuildingNumber));
    expect(actual?.address?.postCode).toBe(emptyToUndefined(address.getPostCode));
    expect(actual?.address?.townName).toBe(emptyToUndefined(address.getTownName));
  }
  const identification = type.getIdentification ? asDump(type.getIdentification) : undefined;
  if (identification) {
    expect(actual?.otherId).toBe(emptyToUndefined(identification.getOtherId));
    expect(actual?.otherIssuer).toBe(emptyToUndefined(identification.getOtherIssuer));
    expect(actual?.bic).toBe(emptyToUndefined(identification.getBic));
  }
}

function expectDetail(actual: CamtTransactionDetail | undefined, expected: Dump): void {
  if (!actual) throw new Error("missing transaction detail");
  expectMoney({ signed: actual.signedAmountMinor, currency: actual.currency }, expected.getAmount);
  expect(actual.creditDebit).toBe(expected.getCreditDebitIndicator);
  expectCode(actual.bankTransactionCode, expected.getBankTransactionCode);
  const reference = asDump(expected.getReference);
  expect(actual.references.endToEndId).toBe(emptyToUndefined(reference.getEndToEndId));
  expect(actual.references.instructionId).toBe(emptyToUndefined(reference.getInstructionId));
  expect(actual.references.paymentInformationId).toBe(emptyToUndefined(reference.getPaymentInformationId));
  expect(actual.references.transactionId).toBe(emptyToUndefined(reference.getTransactionId));
  expect(actual.references.mandateId).toBe(emptyToUndefined(reference.getMandateId));
  expect(actual.references.accountServicerReference).toBe(
    emptyToUndefined(reference.getAccountServicerReference),
  );
  expect(actual.references.proprietary).toEqual(
    ((reference.getProprietaries as Dump[] | null) ?? []).map((item) => ({
      type: item.getType,
      reference: item.getReference,
    })),
  );
  const parties = resolved(expected.getRelatedParties, expected.getRelatedParty);
  for (const party of parties) {
    const role = className(party.getRelatedPartyType);
    const mine = {
      Creditor: actual.creditor,
      Debtor: actual.debtor,
      UltimateCreditor: actual.ultimateCreditor,
      UltimateDebtor: actual.ultimateDebtor,
    }[role];
    expectParty(mine, party);
  }
  expect(parties.length).toBe(
    [actual.creditor, actual.debtor, actual.ultimateCreditor, actual.ultimateDebtor].filter(Boolean).length,
  );
  const agents = resolved(expected.getRelatedAgents, expected.getRelatedAgent);
  for (const agent of agents) {
    const type = asDump(agent.getRelatedAgentType);
    const mine: CamtAgent | undefined =
      className(type) === "CreditorAgent" ? actual.creditorAgent : actual.debtorAgent;
    expect(mine?.bic).toBe(emptyToUndefined(type.getBIC));
  }
  const remittance = expected.getRemittanceInformation
    ? asDump(expected.getRemittanceInformation)
    : undefined;
  if (!remittance) {
    expect(actual.remittance).toEqual({ unstructured: [], structured: [] });
    return;
  }
  const unstructured = resolved(remittance.getUnstructuredBlocks, remittance.getUnstructuredBlock).map(
    (block) => block.getMessage,
  );
  expect(actual.remittance.unstructured).toEqual(unstructured);
  const structured = resolved(remittance.getStructuredBlocks, remittance.getStructuredBlock);
  expect(actual.remittance.structured).toHaveLength(structured.length);
  structured.forEach((block, index) => {
    const reference =
      block.getCreditorReferenceInformation === RECURSIVE
        ? remittance.getCreditorReferenceInformation
        : block.getCreditorReferenceInformation;
    const mine = actual.remittance.structured[index];
    const ref = asDump(reference);
    expect(mine?.creditorReference?.reference).toBe(ref.getRef);
    expect(mine?.creditorReference?.code).toBe(emptyToUndefined(ref.getCode));
    expect(mine?.creditorReference?.proprietary).toBe(emptyToUndefined(ref.getProprietary));
    expect(mine?.additionalInformation).toBe(emptyToUndefined(block.getAdditionalRemittanceInformation));
  });
  // genkgo's "message": the first unstructured block, else the first creditor reference
  const message =
    actual.remittance.unstructured[0] ?? actual.remittance.structured[0]?.creditorReference?.reference;
  expect(message).toBe(remittance.getMessage);
}

const BALANCE_CODES: Record<string, string> = {
  opening: "OPBD",
  closing: "CLBD",
  opening_available: "OPAV",
  closing_available: "CLAV",
  interim: "ITBD",
  forward_available: "FWAV",
};

function compareWithExpected(xmlFile: string, jsonFile: string): ReturnType<typeof parseCamt> {
  const message = parseCamt(readFileSync(folder(xmlFile)));
  const expected = JSON.parse(readFileSync(folder(jsonFile), "utf8")) as Dump;
  const header = asDump(expected.getGroupHeader);
  expect(message.groupHeader.messageId).toBe(header.getMessageId);
  expectDate(message.groupHeader.createdAt, header.getCreatedOn);
  expect(message.groupHeader.additionalInformation).toBe(emptyToUndefined(header.getAdditionalInformation));
  expect(message.groupHeader.pageNumber).toBe(
    header.getPagination ? asDump(header.getPagination).getPageNumber : undefined,
  );
  const recipient = asDump(header.getMessageRecipient);
  expect(message.groupHeader.recipient?.name).toBe(recipient.getName);
  expect(message.groupHeader.recipient?.address?.country).toBe(asDump(recipient.getAddress).getCountry);
  expect(message.groupHeader.recipient?.address?.streetName).toBe(asDump(recipient.getAddress).getStreetName);
  expect(message.groupHeader.recipient?.bic).toBe(asDump(recipient.getIdentification).getBic);
  expect(message.groupHeader.recipient?.otherId).toBe(asDump(recipient.getIdentification).getOtherId);
  expect(message.groupHeader.recipient?.otherIssuer).toBe(asDump(recipient.getIdentification).getOtherIssuer);
  if (header.getOriginalBusinessQuery) {
    const query = asDump(header.getOriginalBusinessQuery);
    expect(message.groupHeader.originalBusinessQuery?.messageId).toBe(query.getMessageId);
    expect(message.groupHeader.originalBusinessQuery?.messageNameId).toBe(query.getMessageNameId);
    expectDate(message.groupHeader.originalBusinessQuery?.createdAt, query.getCreatedOn);
  }
  expect(message.statements).toHaveLength((expected.getRecords as unknown[]).length);

  for (const entryDump of expected.getEntries as Dump[]) {
    const record = asDump(entryDump.getRecord);
    const statement = message.statements.find((candidate) => candidate.id === record.getId);
    if (!statement) throw new Error(`statement ${String(record.getId)} not parsed`);
    expect(statement.electronicSequenceNumber).toBe(emptyToUndefined(record.getElectronicSequenceNumber));
    expect(statement.legalSequenceNumber).toBe(emptyToUndefined(record.getLegalSequenceNumber));
    expect(statement.copyDuplicateIndicator).toBe(emptyToUndefined(record.getCopyDuplicateIndicator));
    expect(statement.additionalInformation).toBe(emptyToUndefined(record.getAdditionalInformation));
    expect(statement.pageNumber).toBe(
      record.getPagination ? asDump(record.getPagination).getPageNumber : undefined,
    );
    expectDate(statement.createdAt, record.getCreatedOn);
    expectDate(statement.from, record.getFromDate ?? null);
    expectDate(statement.to, record.getToDate ?? null);
    expect(statement.account.identification).toBe(asDump(record.getAccount).getIdentification);
    const balances = (record.getBalances as Dump[] | undefined) ?? [];
    expect(statement.balances.map((balance) => balance.code)).toEqual(
      balances.map((balance) => BALANCE_CODES[String(balance.getType)]),
    );
    balances.forEach((balance, index) => {
      const mine = statement.balances[index];
      expectMoney({ signed: mine?.signedAmountMinor, currency: mine?.currency }, balance.getAmount);
      expectDate(mine?.date, balance.getDate);
    });

    const entry = statement.entries[Number(entryDump.getIndex)];
    if (!entry) throw new Error("missing entry");
    expectMoney({ signed: entry.signedAmountMinor, currency: entry.currency }, entryDump.getAmount);
    expect(entry.creditDebit).toBe(entryDump.getCreditDebitIndicator);
    expect(entry.reversal).toBe(entryDump.getReversalIndicator);
    expect(entry.status).toBe(entryDump.getStatus);
    expect(entry.reference).toBe(emptyToUndefined(entryDump.getReference));
    expect(entry.accountServicerReference).toBe(emptyToUndefined(entryDump.getAccountServicerReference));
    expect(entry.additionalInformation).toBe(emptyToUndefined(entryDump.getAdditionalInfo));
    expect(entry.batch?.paymentInformationId).toBe(emptyToUndefined(entryDump.getBatchPaymentId));
    expectDate(entry.bookingDate, entryDump.getBookingDate);
    expectDate(entry.valueDate, entryDump.getValueDate);
    expectCode(entry.bankTransactionCode, entryDump.getBankTransactionCode);
    const details = resolved(entryDump.getTransactionDetails, entryDump.getTransactionDetail);
    expect(entry.details).toHaveLength(details.length);
    details.forEach((detail, index) => expectDetail(entry.details[index], detail));
  }
  return message;
}

describe("parseCamt against the genkgo/camt expected parses", () => {
  it("camt.053.001.02 minimal", () => {
    const message = compareWithExpected(
      "genkgo_camt053.v2.minimal.xml",
      "genkgo_camt053.v2.minimal.expected.json",
    );
    expect(message).toMatchObject({ messageType: "camt.053", version: "001.02" });
    expect(message.statements[0]?.entries[0]?.details[0]?.amountMinor).toBeUndefined();
  });

  it("camt.053.001.02 with two statements", () => {
    const message = compareWithExpected(
      "genkgo_camt053.v2.multi.statement.xml",
      "genkgo_camt053.v2.multi.statement.expected.json",
    );
    expect(message.statements.map((statement) => statement.id)).toEqual([
      "253EURNL26VAYB8060476890",
      "254EURNL26VAYB8060476890",
    ]);
    expect(message.statements[0]?.entries[0]?.details[0]).toMatchObject({
      references: { endToEndId: "000000001" },
      creditor: { name: "Company Name 1" },
      remittance: { unstructured: ["Transaction Description 1"] },
    });
  });

  it("camt.053.001.08 with date-time booking and domain codes", () => {
    const message = compareWithExpected("genkgo_camt053.v8.xml", "genkgo_camt053.v8.expected.json");
    expect(message.version).toBe("001.08");
    expect(message.statements[0]?.entries[0]?.bookingDate).toEqual({
      date: "2014-12-31",
      dateTime: "2014-12-31T12:15:00.000Z",
    });
    expect(message.statements[0]?.account).toMatchObject({
      otherId: "NL26VAYB8060476890",
      ownerName: "FINPETROL",
      servicerName: "AAAA BANKEN",
    });
  });

  it("camt.054.001.08 notification with a batch of three transactions", () => {
    const message = compareWithExpected("genkgo_camt054.v8.xml", "genkgo_camt054.v8.expected.json");
    expect(message.messageType).toBe("camt.054");
    expect(message.statements[0]?.entries[0]?.batch).toEqual({
      messageId: "UXC06170000006",
      paymentInformationId: "UXC06170000006PI00001",
      numberOfTransactions: 2,
    });
    expect(message.statements[0]?.entries[0]?.details[0]?.initiatingParty?.name).toBe("UNIFITS");
  });
});

describe("parseCamt refusals", () => {
  const minimal = readFileSync(folder("genkgo_camt053.v2.minimal.xml"), "utf8");

  function issuesOf(text: string): string[] {
    try {
      parseCamt(text);
    } catch (error) {
      if (error instanceof AppError) return error.issues.map((issue) => `${issue.field}: ${issue.reason}`);
      throw error;
    }
    throw new Error("expected an AppError");
  }

  it("names every bad element", () => {
    const broken = minimal
      .replace('<Amt Ccy="EUR">8.85</Amt>', '<Amt Ccy="EUR">8.8.5</Amt>')
      .replace(
        "<CdtDbtInd>CRDT</CdtDbtInd>\n                <RvslInd>",
        "<CdtDbtInd>X</CdtDbtInd>\n                <RvslInd>",
      )
      .replace("<Dt>2015-01-02</Dt>", "<Dt>2015-02-30</Dt>");
    expect(issuesOf(broken)).toEqual([
      'Stmt.0.Ntry.0.Amt: "8.8.5" is not an amount in EUR',
      'Stmt.0.Ntry.0.CdtDbtInd: "X" is not CRDT or DBIT',
      'Stmt.0.Ntry.0.ValDt: "2015-02-30" is not a date',
    ]);
  });

  it("refuses malformed XML, DOCTYPEs and other documents", () => {
    expect(issuesOf("<Document><BkToCstmrStmt></Document>")[0]).toMatch(
      /^rows\.1: camt: not well-formed XML/,
    );
    expect(issuesOf('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><Document/>')).toEqual([
      "file: camt: a DOCTYPE is not allowed",
    ]);
    expect(issuesOf("<Document><Other/></Document>")).toEqual([
      "file: not a camt.052, camt.053 or camt.054 document",
    ]);
    expect(issuesOf(minimal.replace("camt.053.001.02", "camt.054.001.02"))[0]).toMatch(/does not match/);
  });

  it("never throws anything but AppError", () => {
    const pieces = [
      "<Document>",
      "</Document>",
      "<BkToCstmrStmt>",
      "</BkToCstmrStmt>",
      "<Stmt>",
      "</Stmt>",
      "<Ntry>",
      "</Ntry>",
      '<Amt Ccy="INR">',
      "</Amt>",
      "<Id>1</Id>",
      "&amp;",
      "<",
      ">",
    ];
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 5 })), { maxLength: 30 }),
        (parts) => {
          try {
            parseCamt(parts.join(""));
          } catch (error) {
            expect(error).toBeInstanceOf(AppError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
