import { sql } from "kysely";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildEventRegistry, buildModuleConsumers } from "../../src/app/modules.ts";
import { testContactProtection } from "../../src/modules/customers/contact-protection.testing.ts";
import { createCustomersModule } from "../../src/modules/customers/index.ts";
import { integrationsModule } from "../../src/modules/integrations/index.ts";
import { ZImportFileRequest } from "../../src/modules/integrations/import-file.reader.ts";
import { createImportService, type ImportService } from "../../src/modules/integrations/import.service.ts";
import {
  createInvoicingServices,
  invoicingModule,
  type InvoicingServices,
} from "../../src/modules/invoicing/index.ts";
import { TEST_SUPPLIER } from "../../src/modules/invoicing/invoice-wire.fixtures.testing.ts";
import {
  createPaymentsModule,
  createPaymentsServices,
  type PaymentsServices,
} from "../../src/modules/payments/index.ts";
import { listDeadLetters, replayDeadLetters } from "../../src/platform/events/dead-letters.ts";
import type { EventBus } from "../../src/platform/events/event-bus.port.ts";
import { waitFor, waitForDrainedBus } from "../../src/platform/events/event-bus.testing.ts";
import { createPostgresEventBus } from "../../src/platform/events/postgres-event.bus.ts";
import type { ModuleContext } from "../../src/platform/modules/module.contract.ts";
import { createTenant } from "../support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";

/**
 * Tally XML and Zoho Books JSON imported through the integrations module and turned into issued invoices (with their
 * lines), credit notes and receipts by the modules' bus consumers, on a real database through the PostgreSQL bus.
 * Also what happens when an imported record arrives before what it depends on: an invoice before its customer
 * (retried, a dead letter, replayed once the customer is imported) and a receipt before the invoice it names
 * (recorded unallocated after its retries, with the reason audited).
 */

let database: TestDatabase;
let bus: EventBus;
let imports: ImportService;
let invoicing: InvoicingServices;
let payments: PaymentsServices;
const protection = testContactProtection();

const NOW = Date.parse("2025-08-25T06:00:00Z");
const SHARMA_GSTIN = "27AABCS1429B1ZU";
const MEHTA_GSTIN = "29AAACM4512K1ZG";

function metaOf(tenantId: string) {
  return { tenantId, actor: "user:neha" };
}

async function newTenant(name: string): Promise<string> {
  const tenantId = await createTenant(database.owner, name);
  await invoicing.invoices.updateSettings({ changes: { supplier: TEST_SUPPLIER } }, metaOf(tenantId));
  return tenantId;
}

beforeAll(async () => {
  database = await createTestDatabase();
  const events = buildEventRegistry([
    createCustomersModule({ protection }),
    invoicingModule,
    createPaymentsModule(),
    integrationsModule,
  ]);
  const context: ModuleContext = { database, events, logger: pino({ level: "silent" }), now: () => NOW };
  imports = createImportService({ db: database.app, events, now: () => NOW });
  invoicing = createInvoicingServices({ db: database.app, events, now: () => NOW });
  payments = createPaymentsServices({ db: database.app, events, now: () => NOW });
  bus = createPostgresEventBus({
    owner: database.owner,
    databaseUrl: database.url,
    pollIntervalMs: 100,
    retryBackoff: { initialMs: 5, maxMs: 50 },
    maxAttempts: 3,
  });
  for (const consumer of buildModuleConsumers(context, protection)) bus.subscribe(consumer);
  await bus.start();
});

afterAll(async () => {
  await bus?.stop();
  await database?.drop();
});

const drained = () => waitForDrainedBus(bus);

async function count(tenantId: string, table: string): Promise<number> {
  const result = await sql<{ count: string }>`
    select count(*)::text as count from ${sql.table(table)} where tenant_id = ${tenantId}`.execute(
    database.owner,
  );
  return Number(result.rows[0]?.count ?? "0");
}

async function audits(tenantId: string, action: string) {
  const result = await sql<{ entity_id: string; metadata: Record<string, unknown> }>`
    select entity_id, metadata from audit_log where tenant_id = ${tenantId} and action = ${action}
    order by entity_id`.execute(database.owner);
  return result.rows;
}

async function invoiceByNumber(tenantId: string, number: string) {
  const page = await invoicing.invoices.list(tenantId, { limit: 10, search: number });
  const found = page.items.find((invoice) => invoice.number === number);
  if (!found) throw new Error(`invoice ${number} was not recorded`);
  return invoicing.invoices.get(tenantId, found.id);
}

async function customerId(tenantId: string, gstin: string): Promise<string> {
  const result = await sql<{ id: string }>`
    select id from customers where tenant_id = ${tenantId} and gstin = ${gstin}`.execute(database.owner);
  const id = result.rows[0]?.id;
  if (id === undefined) throw new Error(`no customer with GSTIN ${gstin}`);
  return id;
}

function sum(values: string[]): string {
  return values.reduce((total, value) => total + BigInt(value), 0n).toString();
}

/** The customers as a CSV file: Tally ledgers carry no city, so the buyers' addresses come from here. */
function customersCsv() {
  return ZImportFileRequest.parse({
    format: "csv",
    entity: "customers",
    content: [
      "Id,Name,GSTIN,State,Address,City,PIN",
      `C-1,Sharma Steel Traders Private Limited,${SHARMA_GSTIN},27,14 Bhosari MIDC,Pune,411026`,
      `C-2,Mehta Auto Components Private Limited,${MEHTA_GSTIN},29,"Plot 22, Peenya Industrial Area",Bengaluru,560058`,
    ].join("\n"),
    mapping: {
      externalId: "Id",
      name: "Name",
      gstin: "GSTIN",
      state: "State",
      addressLine1: "Address",
      city: "City",
      pincode: "PIN",
    },
    mode: "valid-rows-only",
    fileName: "customers.csv",
  });
}

function tally(vouchers: string[]) {
  const content = [
    "<ENVELOPE><HEADER><TALLYREQUEST>Import Data</TALLYREQUEST></HEADER><BODY><IMPORTDATA>",
    "<REQUESTDESC><REPORTNAME>Vouchers</REPORTNAME></REQUESTDESC><REQUESTDATA>",
    ...vouchers.map((voucher) => `<TALLYMESSAGE xmlns:UDF="TallyUDF">${voucher}</TALLYMESSAGE>`),
    "</REQUESTDATA></IMPORTDATA></BODY></ENVELOPE>",
  ].join("\n");
  return ZImportFileRequest.parse({
    format: "tally-xml",
    content,
    mode: "valid-rows-only",
    fileName: "daybook.xml",
  });
}

function ledger(name: string, amount: string, inner = ""): string {
  return `<ALLLEDGERENTRIES.LIST><LEDGERNAME>${name}</LEDGERNAME><AMOUNT>${amount}</AMOUNT>${inner}</ALLLEDGERENTRIES.LIST>`;
}

function bill(name: string, type: string, amount: string): string {
  return `<BILLALLOCATIONS.LIST><NAME>${name}</NAME><BILLTYPE>${type}</BILLTYPE><AMOUNT>${amount}</AMOUNT></BILLALLOCATIONS.LIST>`;
}

const SHARMA = "Sharma Steel Traders Private Limited";
const MEHTA = "Mehta Auto Components Private Limited";

/** Within Maharashtra, in invoice view: two stock items with HSN, 18%, rounded to the rupee. */
const TALLY_INVOICE_1 = `
  <VOUCHER VCHTYPE="Sales" ACTION="Create" OBJVIEW="Invoice Voucher View">
    <GUID>7d1e0c52-0000-4000-8000-0000000000a1</GUID>
    <DATE>20250715</DATE>
    <VOUCHERTYPENAME>Sales</VOUCHERTYPENAME>
    <VOUCHERNUMBER>KF/T/001</VOUCHERNUMBER>
    <PARTYLEDGERNAME>${SHARMA}</PARTYLEDGERNAME>
    <PARTYGSTIN>${SHARMA_GSTIN}</PARTYGSTIN>
    <PLACEOFSUPPLY>Maharashtra</PLACEOFSUPPLY>
    <ALLINVENTORYENTRIES.LIST>
      <STOCKITEMNAME>Hex bolts M12 x 50</STOCKITEMNAME>
      <GSTHSNNAME>73181500</GSTHSNNAME>
      <AMOUNT>60000.00</AMOUNT>
      <BILLEDQTY> 600 NOS</BILLEDQTY>
    </ALLINVENTORYENTRIES.LIST>
    <ALLINVENTORYENTRIES.LIST>
      <STOCKITEMNAME>MS angles 50 x 50</STOCKITEMNAME>
      <GSTHSNNAME>7216</GSTHSNNAME>
      <AMOUNT>40000.55</AMOUNT>
      <BILLEDQTY> 1.25 MT</BILLEDQTY>
    </ALLINVENTORYENTRIES.LIST>
    ${ledger(SHARMA, "-118001.00", bill("KF/T/001", "New Ref", "-118001.00"))}
    ${ledger("Output CGST 9%", "9000.05")}
    ${ledger("Output SGST 9%", "9000.05")}
    ${ledger("Rounding Off", "0.35")}
  </VOUCHER>`;

/** To Karnataka, in accounting view: IGST 18% on a service. */
const TALLY_INVOICE_2 = `
  <VOUCHER VCHTYPE="Sales" ACTION="Create" OBJVIEW="Accounting Voucher View">
    <GUID>7d1e0c52-0000-4000-8000-0000000000a2</GUID>
    <DATE>20250802</DATE>
    <VOUCHERTYPENAME>Sales</VOUCHERTYPENAME>
    <VOUCHERNUMBER>KF/T/002</VOUCHERNUMBER>
    <PARTYLEDGERNAME>${MEHTA}</PARTYLEDGERNAME>
    <PARTYGSTIN>${MEHTA_GSTIN}</PARTYGSTIN>
    <PLACEOFSUPPLY>Karnataka</PLACEOFSUPPLY>
    ${ledger(MEHTA, "-59000.00")}
    ${ledger("Erection Services", "50000.00")}
    ${ledger("Output IGST 18%", "9000.00")}
  </VOUCHER>`;

function tallyCreditNote(guid: string, number: string, date: string, invoice: string, amount: string) {
  return `
  <VOUCHER VCHTYPE="Credit Note" ACTION="Create" OBJVIEW="Accounting Voucher View">
    <GUID>${guid}</GUID>
    <DATE>${date}</DATE>
    <VOUCHERTYPENAME>Credit Note</VOUCHERTYPENAME>
    <VOUCHERNUMBER>${number}</VOUCHERNUMBER>
    <PARTYLEDGERNAME>${SHARMA}</PARTYLEDGERNAME>
    <NARRATION>Rate difference on ${invoice}</NARRATION>
    ${ledger(SHARMA, amount, bill(invoice, "Agst Ref", amount))}
    ${ledger("Sales Returns", `-${amount}`)}
  </VOUCHER>`;
}

describe("Tally XML: invoices, credit notes and a receipt ahead of its invoice", () => {
  let tenantId: string;

  beforeAll(async () => {
    tenantId = await newTenant("Kulkarni Fasteners Tally");
    await imports.importFile(metaOf(tenantId), customersCsv());
    await drained();
    expect(await count(tenantId, "customer_import_links")).toBe(2);
  });

  it("records sales vouchers as issued invoices, to the paisa, with payments' receivables", async () => {
    await imports.importFile(metaOf(tenantId), tally([TALLY_INVOICE_1, TALLY_INVOICE_2]));
    await drained();

    const first = await invoiceByNumber(tenantId, "KF/T/001");
    expect(first).toMatchObject({
      status: "issued",
      issueDate: "2025-07-15",
      placeOfSupply: "27",
      buyer: { customerId: await customerId(tenantId, SHARMA_GSTIN), gstin: SHARMA_GSTIN },
      amounts: {
        taxableValuePaise: "10000055",
        cgstPaise: "900005",
        sgstPaise: "900005",
        igstPaise: "0",
        cessPaise: "0",
        roundOffPaise: "35",
        totalPaise: "11800100",
      },
    });
    // Every line at the 18% the voucher charged, and the lines add up to the voucher's taxable value and taxes.
    expect(first.lines.map((line) => line.gstRateBasisPoints)).toEqual(first.lines.map(() => 1800));
    expect(sum(first.lines.map((line) => line.amounts.taxableValuePaise))).toBe("10000055");
    expect(sum(first.lines.map((line) => line.amounts.cgstPaise))).toBe("900005");

    const second = await invoiceByNumber(tenantId, "KF/T/002");
    expect(second).toMatchObject({
      status: "issued",
      placeOfSupply: "29",
      buyer: { customerId: await customerId(tenantId, MEHTA_GSTIN) },
      amounts: {
        taxableValuePaise: "5000000",
        cgstPaise: "0",
        sgstPaise: "0",
        igstPaise: "900000",
        roundOffPaise: "0",
        totalPaise: "5900000",
      },
    });
    expect(await payments.payments.getReceivable(tenantId, first.id)).toMatchObject({
      totalPaise: "11800100",
      openPaise: "11800100",
    });
    expect(await audits(tenantId, "invoice.import-skipped")).toEqual([]);
  });

  it("records an imported credit note against the invoice it names, split into taxable value and tax", async () => {
    const invoice = await invoiceByNumber(tenantId, "KF/T/001");
    await imports.importFile(
      metaOf(tenantId),
      tally([
        tallyCreditNote(
          "7d1e0c52-0000-4000-8000-0000000000c1",
          "CN/T/001",
          "20250801",
          "KF/T/001",
          "5900.00",
        ),
      ]),
    );
    await drained();

    const notes = await invoicing.invoices.notes(tenantId, invoice.id, "credit");
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({
      number: "CN/T/001",
      issueDate: "2025-08-01",
      amounts: {
        taxableValuePaise: "500000",
        cgstPaise: "45000",
        sgstPaise: "45000",
        igstPaise: "0",
        totalPaise: "590000",
      },
    });
    expect(notes[0]?.lines.map((line) => line.gstRateBasisPoints)).toEqual([1800]);
    expect((await invoicing.invoices.get(tenantId, invoice.id)).settlement).toMatchObject({
      creditedPaise: "590000",
      outstandingPaise: "11210100",
    });
    expect(await payments.payments.getReceivable(tenantId, invoice.id)).toMatchObject({
      openPaise: "11210100",
    });
    expect(await audits(tenantId, "invoice.import-skipped")).toEqual([]);
  });

  it("skips a credit note whose amount does not split exactly at the invoice's rate, with the reason", async () => {
    const invoice = await invoiceByNumber(tenantId, "KF/T/001");
    // ₹99.05: ₹83.94 + 2 x ₹7.55 = ₹99.04 and ₹83.95 + 2 x ₹7.56 = ₹99.07; no taxable value gives ₹99.05 at 18%.
    await imports.importFile(
      metaOf(tenantId),
      tally([
        tallyCreditNote("7d1e0c52-0000-4000-8000-0000000000c2", "CN/T/002", "20250805", "KF/T/001", "99.05"),
      ]),
    );
    await drained();

    expect(await invoicing.invoices.notes(tenantId, invoice.id, "credit")).toHaveLength(1);
    const skips = await audits(tenantId, "invoice.import-skipped");
    expect(skips.map((row) => row.entity_id)).toEqual([
      "tally:credit-note:7d1e0c52-0000-4000-8000-0000000000c2",
    ]);
    expect(skips[0]?.metadata).toMatchObject({
      reason: "₹99.05 does not split into taxable value and tax at the invoice's rate",
      issues: [{ field: "record.amountPaise" }],
    });
    expect((await invoicing.invoices.get(tenantId, invoice.id)).settlement).toMatchObject({
      creditedPaise: "590000",
      outstandingPaise: "11210100",
    });
    expect(await count(tenantId, "event_dead_letters")).toBe(0);
  });

  it("records a receipt naming an invoice that does not exist yet unallocated, after its retries, and says why", async () => {
    await imports.importFile(
      metaOf(tenantId),
      tally([
        `<VOUCHER VCHTYPE="Receipt" ACTION="Create" OBJVIEW="Accounting Voucher View">
          <GUID>7d1e0c52-0000-4000-8000-0000000000b1</GUID>
          <DATE>20250820</DATE>
          <VOUCHERTYPENAME>Receipt</VOUCHERTYPENAME>
          <VOUCHERNUMBER>31</VOUCHERNUMBER>
          <PARTYLEDGERNAME>${SHARMA}</PARTYLEDGERNAME>
          ${ledger(SHARMA, "25000.00", bill("KF/T/009", "Agst Ref", "25000.00"))}
          ${ledger(
            "HDFC Bank Current A/c",
            "-25000.00",
            "<BANKALLOCATIONS.LIST><TRANSACTIONTYPE>NEFT</TRANSACTIONTYPE><INSTRUMENTNUMBER>HDFCN52025082031</INSTRUMENTNUMBER><AMOUNT>-25000.00</AMOUNT></BANKALLOCATIONS.LIST>",
          )}
        </VOUCHER>`,
      ]),
    );
    await drained();

    const receipts = await sql<{
      id: string;
      external_id: string;
      customer_id: string | null;
      amount_paise: string;
      allocated_cash_paise: string;
      method: string;
    }>`
      select id, external_id, customer_id, amount_paise::text, allocated_cash_paise::text, method from payments
      where tenant_id = ${tenantId}`.execute(database.owner);
    expect(receipts.rows.map(({ id: _id, ...row }) => row)).toEqual([
      {
        external_id: "tally:payment:7d1e0c52-0000-4000-8000-0000000000b1",
        customer_id: await customerId(tenantId, SHARMA_GSTIN),
        amount_paise: "2500000",
        allocated_cash_paise: "0",
        method: "neft",
      },
    ]);
    expect(await count(tenantId, "payment_allocations")).toBe(0);
    const notAllocated = await audits(tenantId, "payment.import-not-allocated");
    expect(notAllocated.map((row) => row.entity_id)).toEqual([receipts.rows[0]?.id]);
    expect(notAllocated[0]?.metadata).toMatchObject({
      externalId: "tally:payment:7d1e0c52-0000-4000-8000-0000000000b1",
      reasons: ["invoices not known to payments: KF/T/009"],
    });
    expect(await audits(tenantId, "payment.import-skipped")).toEqual([]);
    expect(await count(tenantId, "event_dead_letters")).toBe(0);
    // The open invoices are untouched.
    const invoice = await invoiceByNumber(tenantId, "KF/T/001");
    expect(await payments.payments.getReceivable(tenantId, invoice.id)).toMatchObject({
      openPaise: "11210100",
    });
  });
});

const ZOHO_CONTACTS = {
  code: 0,
  message: "success",
  contacts: [
    {
      contact_id: "460000000090001",
      contact_name: SHARMA,
      contact_type: "customer",
      gst_no: SHARMA_GSTIN,
      place_of_contact: "MH",
      payment_terms: 30,
      billing_address: { address: "14 Bhosari MIDC", city: "Pune", zip: "411026", country: "India" },
    },
    {
      contact_id: "460000000090002",
      contact_name: MEHTA,
      contact_type: "customer",
      gst_no: MEHTA_GSTIN,
      place_of_contact: "KA",
      billing_address: {
        address: "Plot 22, Peenya Industrial Area",
        city: "Bengaluru",
        zip: "560058",
        country: "India",
      },
    },
  ],
};

/** Within Maharashtra at two rates (18% goods, 5% transport), partly paid before the import. */
const ZOHO_INVOICE_1 = {
  invoice_id: "460000000091001",
  invoice_number: "ZB-2025-001",
  date: "2025-07-20",
  due_date: "2025-08-19",
  status: "partially_paid",
  customer_id: "460000000090001",
  customer_name: SHARMA,
  currency_code: "INR",
  place_of_supply: "MH",
  gst_no: SHARMA_GSTIN,
  line_items: [
    {
      name: "Hex bolts M12 x 50",
      hsn_or_sac: "73181500",
      rate: 100,
      quantity: 600,
      item_total: 60000,
      tax_percentage: 18,
    },
    {
      name: "Goods transport",
      hsn_or_sac: "996511",
      rate: 15000.5,
      quantity: 1,
      item_total: 15000.5,
      tax_percentage: 5,
    },
  ],
  sub_total: 75000.5,
  taxes: [
    { tax_name: "CGST9 (9%)", tax_amount: 5400 },
    { tax_name: "SGST9 (9%)", tax_amount: 5400 },
    { tax_name: "CGST2.5 (2.5%)", tax_amount: 375.01 },
    { tax_name: "SGST2.5 (2.5%)", tax_amount: 375.01 },
  ],
  tax_total: 11550.02,
  adjustment: 0.48,
  total: 86551,
  balance: 36551,
};

/** To Karnataka, IGST 18% on a service, rounded to the rupee. */
const ZOHO_INVOICE_2 = {
  invoice_id: "460000000091002",
  invoice_number: "ZB-2025-002",
  date: "2025-08-02",
  due_date: "2025-09-01",
  status: "sent",
  customer_id: "460000000090002",
  customer_name: MEHTA,
  currency_code: "INR",
  place_of_supply: "KA",
  gst_no: MEHTA_GSTIN,
  line_items: [
    {
      name: "Erection services",
      hsn_or_sac: "995421",
      rate: 49999.66,
      quantity: 1,
      item_total: 49999.66,
      tax_percentage: 18,
    },
  ],
  sub_total: 49999.66,
  taxes: [{ tax_name: "IGST18 (18%)", tax_amount: 8999.94 }],
  tax_total: 8999.94,
  adjustment: 0.4,
  total: 59000,
  balance: 59000,
};

function zoho(entity: "customers" | "invoices", payload: unknown) {
  return ZImportFileRequest.parse({
    format: "zoho-books-json",
    entity,
    content: JSON.stringify(payload),
    mode: "valid-rows-only",
    fileName: `zoho-${entity}.json`,
  });
}

async function expectZohoInvoice1(tenantId: string) {
  const invoice = await invoiceByNumber(tenantId, "ZB-2025-001");
  expect(invoice).toMatchObject({
    status: "partially_paid",
    issueDate: "2025-07-20",
    placeOfSupply: "27",
    buyer: { customerId: await customerId(tenantId, SHARMA_GSTIN), gstin: SHARMA_GSTIN },
    amounts: {
      taxableValuePaise: "7500050",
      cgstPaise: "577501",
      sgstPaise: "577501",
      igstPaise: "0",
      cessPaise: "0",
      roundOffPaise: "48",
      totalPaise: "8655100",
    },
  });
  expect(
    invoice.lines.map((line) => ({
      description: line.description,
      hsnSac: line.hsnSac,
      rate: line.gstRateBasisPoints,
      taxable: line.amounts.taxableValuePaise,
      cgst: line.amounts.cgstPaise,
      sgst: line.amounts.sgstPaise,
    })),
  ).toEqual([
    {
      description: "Hex bolts M12 x 50 (quantity 600)",
      hsnSac: "73181500",
      rate: 1800,
      taxable: "6000000",
      cgst: "540000",
      sgst: "540000",
    },
    {
      description: "Goods transport",
      hsnSac: "996511",
      rate: 500,
      taxable: "1500050",
      cgst: "37501",
      sgst: "37501",
    },
  ]);
  // ₹50,000 paid before the import: invoicing's settlement and payments' receivable agree.
  expect(invoice.settlement).toMatchObject({ outstandingPaise: "3655100" });
  await waitFor("payments to take the settlement before the import", async () => {
    const receivable = await payments.payments.getReceivable(tenantId, invoice.id);
    return receivable.openPaise === "3655100" ? true : undefined;
  });
  return invoice;
}

describe("Zoho Books JSON: invoices with their lines", () => {
  let tenantId: string;

  beforeAll(async () => {
    tenantId = await newTenant("Kulkarni Fasteners Zoho");
  });

  it("records invoices with line items (HSN/SAC and rates) as issued invoices with those lines, to the paisa", async () => {
    await imports.importFile(metaOf(tenantId), zoho("customers", ZOHO_CONTACTS));
    await drained();
    await imports.importFile(
      metaOf(tenantId),
      zoho("invoices", { code: 0, message: "success", invoices: [ZOHO_INVOICE_1, ZOHO_INVOICE_2] }),
    );
    await drained();

    await expectZohoInvoice1(tenantId);
    const second = await invoiceByNumber(tenantId, "ZB-2025-002");
    expect(second).toMatchObject({
      status: "issued",
      placeOfSupply: "29",
      buyer: { customerId: await customerId(tenantId, MEHTA_GSTIN) },
      amounts: {
        taxableValuePaise: "4999966",
        cgstPaise: "0",
        igstPaise: "899994",
        roundOffPaise: "40",
        totalPaise: "5900000",
      },
    });
    expect(second.lines).toMatchObject([
      {
        description: "Erection services",
        hsnSac: "995421",
        gstRateBasisPoints: 1800,
        amounts: { taxableValuePaise: "4999966", igstPaise: "899994" },
      },
    ]);
    expect(await audits(tenantId, "invoice.import-skipped")).toEqual([]);
    expect(await count(tenantId, "event_dead_letters")).toBe(0);
  });
});

describe("an imported invoice whose customer is not linked yet", () => {
  let tenantId: string;

  beforeAll(async () => {
    tenantId = await newTenant("Kulkarni Fasteners Late Customers");
  });

  it("is retried, becomes a dead letter, and is recorded when replayed after the customer is imported", async () => {
    await imports.importFile(
      metaOf(tenantId),
      zoho("invoices", { code: 0, message: "success", invoices: [ZOHO_INVOICE_1] }),
    );
    const letters = await waitFor("the invoice to become a dead letter", async () => {
      const open = (await listDeadLetters({ db: database.owner, consumer: "invoicing-imports" })).filter(
        (letter) => letter.tenantId === tenantId,
      );
      return open.length > 0 ? open : undefined;
    });
    await drained();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ eventType: "import.invoice-accepted", attempts: 3 });
    expect(letters[0]?.error).toContain(
      `customer "${SHARMA}" of imported invoice ZB-2025-001 is not linked yet`,
    );
    expect(await count(tenantId, "invoices")).toBe(0);
    expect(await audits(tenantId, "invoice.import-skipped")).toEqual([]);

    await imports.importFile(metaOf(tenantId), zoho("customers", ZOHO_CONTACTS));
    await drained();
    expect(await count(tenantId, "invoices")).toBe(0);

    const replay = await replayDeadLetters({
      db: database.owner,
      consumer: "invoicing-imports",
      ids: letters.map((letter) => letter.id),
    });
    expect(replay).toEqual({ replayed: letters.map((letter) => letter.id), missingEvents: [] });
    await drained();

    await expectZohoInvoice1(tenantId);
    expect(await count(tenantId, "invoices")).toBe(1);
    const open = (await listDeadLetters({ db: database.owner, consumer: "invoicing-imports" })).filter(
      (letter) => letter.tenantId === tenantId,
    );
    expect(open).toEqual([]);
    expect(await audits(tenantId, "invoice.import-skipped")).toEqual([]);
  });
});
