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
import type { EventBus } from "../../src/platform/events/event-bus.port.ts";
import { waitForDrainedBus } from "../../src/platform/events/event-bus.testing.ts";
import { rowToCloudEvent } from "../../src/platform/events/event-outbox.ts";
import { createPostgresEventBus } from "../../src/platform/events/postgres-event.bus.ts";
import type { ModuleContext } from "../../src/platform/modules/module.contract.ts";
import { createTenant } from "../support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";

/**
 * CSV files of customers, invoices and receipts imported through the integrations module, and turned into
 * customers, issued invoices (and payments' receivables) and receipts by the modules' bus consumers, on a real
 * database through the PostgreSQL bus. Importing the same files again, or handing every event over a second time,
 * changes nothing; a record the target module cannot take is skipped with its reason and leaves nothing behind.
 */

let database: TestDatabase;
let tenantId: string;
let bus: EventBus;
let imports: ImportService;
let invoicing: InvoicingServices;
let payments: PaymentsServices;
let context: ModuleContext;
const protection = testContactProtection();

const NOW = Date.parse("2025-08-25T06:00:00Z");
const meta = { tenantId: "", actor: "user:neha" };

const CUSTOMERS = {
  mapping: {
    externalId: "Id",
    name: "Name",
    gstin: "GSTIN",
    state: "State",
    addressLine1: "Address",
    city: "City",
    pincode: "PIN",
    email: "Email",
    phone: "Phone",
    creditDays: "Credit Days",
  },
  rows: [
    "Id,Name,GSTIN,State,Address,City,PIN,Email,Phone,Credit Days",
    "C-1,Sharma Steel Traders Private Limited,27AABCS1429B1ZU,27,14 Bhosari MIDC,Pune,411026,accounts@sharma.example,9876543210,30",
    'C-2,Mehta Auto Components Private Limited,29AAACM4512K1ZG,29,"Plot 22, Peenya Industrial Area",Bengaluru,560058,,,45',
    // Valid for the CSV reader (only a name is required) but not for the customers module: no GSTIN, no state.
    "C-3,Nameless Stores,,,,,,,,",
  ],
};

const INVOICES = {
  mapping: {
    externalId: "Ref",
    number: "Invoice No",
    customer: "Customer",
    customerGstin: "Customer GSTIN",
    issueDate: "Invoice Date",
    dueDate: "Due Date",
    taxableValue: "Taxable Value",
    cgst: "CGST",
    sgst: "SGST",
    igst: "IGST",
    roundOff: "Round Off",
    total: "Invoice Value",
    balance: "Balance",
  },
  rows: [
    "Ref,Invoice No,Customer,Customer GSTIN,Invoice Date,Due Date,Taxable Value,CGST,SGST,IGST,Round Off,Invoice Value,Balance",
    // Within Maharashtra at 18%, unpaid; the customer named by its id in the customers file.
    'I-1,KF/25-26/101,C-1,,15/07/2025,14/08/2025,"1,00,000.00","9,000.00","9,000.00",0,0,"1,18,000.00","1,18,000.00"',
    // To Karnataka at 18% IGST, rounded to the rupee (s.170), Rs 10,000 of it paid before the import.
    'I-2,KF/25-26/102,Mehta Auto Components Private Limited,29AAACM4512K1ZG,20/07/2025,03/09/2025,"12,345.67",0,0,"2,222.22",0.11,"14,568.00","4,568.00"',
    // 7% is no GST rate: invoicing cannot record it as the source states it.
    'I-3,KF/25-26/103,C-1,,25/07/2025,,"10,000.00",350.00,350.00,0,0,"10,700.00",',
  ],
};

const RECEIPTS = {
  mapping: {
    externalId: "Ref",
    date: "Date",
    amount: "Amount",
    customer: "Customer",
    method: "Method",
    reference: "Reference",
    invoiceNumber: "Invoice",
  },
  rows: [
    "Ref,Date,Amount,Customer,Method,Reference,Invoice",
    'R-1,20/08/2025,"50,000.00",Sharma Steel Traders Private Limited,NEFT,HDFCN52025082012,KF/25-26/101',
    'R-2,22/08/2025,"4,568.00",Mehta Auto Components Private Limited,UPI,523412345678,',
    // The CSV reader wants a reference; payments wants a UPI reference to be the 12-digit RRN.
    "R-3,23/08/2025,1000.00,Sharma Steel Traders Private Limited,UPI,12345,",
  ],
};

function request(entity: "customers" | "invoices" | "payments", file: { mapping: object; rows: string[] }) {
  return ZImportFileRequest.parse({
    format: "csv",
    entity,
    content: file.rows.join("\n"),
    mapping: file.mapping,
    mode: "valid-rows-only",
    fileName: `${entity}.csv`,
  });
}

beforeAll(async () => {
  database = await createTestDatabase();
  tenantId = await createTenant(database.owner, "Kulkarni Fasteners");
  meta.tenantId = tenantId;
  const events = buildEventRegistry([
    createCustomersModule({ protection }),
    invoicingModule,
    createPaymentsModule(),
    integrationsModule,
  ]);
  context = { database, events, logger: pino({ level: "silent" }), now: () => NOW };
  imports = createImportService({ db: database.app, events, now: () => NOW });
  invoicing = createInvoicingServices({ db: database.app, events, now: () => NOW });
  payments = createPaymentsServices({ db: database.app, events, now: () => NOW });
  await invoicing.invoices.updateSettings({ changes: { supplier: TEST_SUPPLIER } }, meta);
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

async function count(table: string, where = sql`true`): Promise<number> {
  const result = await sql<{ count: string }>`
    select count(*)::text as count from ${sql.table(table)} where tenant_id = ${tenantId} and ${where}`.execute(
    database.owner,
  );
  return Number(result.rows[0]?.count ?? "0");
}

async function counts() {
  return {
    customers: await count("customers"),
    links: await count("customer_import_links"),
    invoices: await count("invoices"),
    settlements: await count("invoice_settlements"),
    receivables: await count("payment_receivables"),
    receipts: await count("payments"),
    allocations: await count("payment_allocations"),
    events: await count("event_outbox"),
    deadLetters: await count("event_dead_letters"),
  };
}

async function skipAudits(action: string) {
  const result = await sql<{ entity_id: string; metadata: { reason: string; issues: { field: string }[] } }>`
    select entity_id, metadata from audit_log where tenant_id = ${tenantId} and action = ${action}
    order by entity_id`.execute(database.owner);
  return result.rows;
}

async function importAll(): Promise<void> {
  await imports.importFile(meta, request("customers", CUSTOMERS));
  await drained();
  await imports.importFile(meta, request("invoices", INVOICES));
  await drained();
  await imports.importFile(meta, request("payments", RECEIPTS));
  await drained();
}

async function invoiceByNumber(number: string) {
  const page = await invoicing.invoices.list(tenantId, { limit: 10, search: number });
  const found = page.items.find((invoice) => invoice.number === number);
  if (!found) throw new Error(`invoice ${number} was not recorded`);
  return invoicing.invoices.get(tenantId, found.id);
}

describe("importing customers, invoices and receipts from CSV", () => {
  let first: Awaited<ReturnType<typeof counts>>;

  it("ends with customers, issued invoices, receivables and receipts, to the paisa", async () => {
    await importAll();
    first = await counts();

    const customers = await sql<{ id: string; legal_name: string; gstin: string; credit_days: number }>`
      select id, legal_name, gstin, credit_days from customers where tenant_id = ${tenantId}
      order by legal_name`.execute(database.owner);
    expect(customers.rows.map((row) => [row.legal_name, row.gstin, row.credit_days])).toEqual([
      ["Mehta Auto Components Private Limited", "29AAACM4512K1ZG", 45],
      ["Sharma Steel Traders Private Limited", "27AABCS1429B1ZU", 30],
    ]);
    const sharmaId = customers.rows.find((row) => row.gstin === "27AABCS1429B1ZU")?.id;
    const mehtaId = customers.rows.find((row) => row.gstin === "29AAACM4512K1ZG")?.id;

    const first101 = await invoiceByNumber("KF/25-26/101");
    expect(first101).toMatchObject({
      status: "partially_paid",
      issueDate: "2025-07-15",
      dueDates: { contractual: "2025-08-14", applicable: "2025-08-14" },
      buyer: { customerId: sharmaId, gstin: "27AABCS1429B1ZU" },
      amounts: {
        taxableValuePaise: "10000000",
        cgstPaise: "900000",
        sgstPaise: "900000",
        igstPaise: "0",
        roundOffPaise: "0",
        totalPaise: "11800000",
      },
    });
    const second102 = await invoiceByNumber("KF/25-26/102");
    expect(second102).toMatchObject({
      status: "partially_paid",
      buyer: { customerId: mehtaId },
      amounts: {
        taxableValuePaise: "1234567",
        igstPaise: "222222",
        roundOffPaise: "11",
        totalPaise: "1456800",
      },
    });

    // Payments' view: Rs 50,000 of R-1 allocated to 101; 102 open for what the source said was unpaid.
    expect(await payments.payments.getReceivable(tenantId, first101.id)).toMatchObject({
      customerId: sharmaId,
      totalPaise: "11800000",
      openPaise: "6800000",
    });
    expect(await payments.payments.getReceivable(tenantId, second102.id)).toMatchObject({
      customerId: mehtaId,
      totalPaise: "1456800",
      openPaise: "456800",
    });
    // And invoicing's, after payments' allocation came back as a settlement.
    expect((await invoicing.invoices.get(tenantId, first101.id)).settlement).toMatchObject({
      outstandingPaise: "6800000",
    });
    expect((await invoicing.invoices.get(tenantId, second102.id)).settlement).toMatchObject({
      outstandingPaise: "456800",
    });

    const receipts = await sql<{
      external_id: string;
      customer_id: string | null;
      amount_paise: string;
      allocated_cash_paise: string;
      method: string;
    }>`
      select external_id, customer_id, amount_paise::text, allocated_cash_paise::text, method from payments
      where tenant_id = ${tenantId} order by external_id`.execute(database.owner);
    expect(receipts.rows).toEqual([
      {
        external_id: "csv:payment:R-1",
        customer_id: sharmaId,
        amount_paise: "5000000",
        allocated_cash_paise: "5000000",
        method: "neft",
      },
      {
        external_id: "csv:payment:R-2",
        customer_id: mehtaId,
        amount_paise: "456800",
        allocated_cash_paise: "0",
        method: "upi",
      },
    ]);
    expect(first).toMatchObject({
      customers: 2,
      links: 2,
      invoices: 2,
      receivables: 2,
      receipts: 2,
      allocations: 1,
      deadLetters: 0,
    });
  });

  it("skips what the target module cannot take, with the reason, and writes nothing of it", async () => {
    const customerSkips = await skipAudits("customer.import-skipped");
    expect(customerSkips.map((row) => row.entity_id)).toEqual(["csv:customer:C-3"]);
    expect(customerSkips[0]?.metadata.issues.map((issue) => issue.field)).toContain("stateCode");

    const invoiceSkips = await skipAudits("invoice.import-skipped");
    expect(invoiceSkips.map((row) => row.entity_id)).toEqual(["csv:invoice:I-3"]);
    expect(invoiceSkips[0]?.metadata.reason).toContain("not a GST rate in force on 2025-07-25");
    const drafts = await sql<{ number: string }>`
      select number from invoices where tenant_id = ${tenantId} and number = 'KF/25-26/103'`.execute(
      database.owner,
    );
    expect(drafts.rows).toEqual([]);

    const receiptSkips = await skipAudits("payment.import-skipped");
    expect(receiptSkips.map((row) => row.entity_id)).toEqual(["csv:payment:R-3"]);
    expect(receiptSkips[0]?.metadata.issues.map((issue) => issue.field)).toContain("reference");
  });

  it("changes nothing when the same files are imported again", async () => {
    await importAll();
    expect(await counts()).toEqual(first);
  });

  it("changes nothing when every import event is delivered a second time", async () => {
    const before = await counts();
    const audits = await count("audit_log");
    const rows = await database.owner
      .selectFrom("event_outbox")
      .select(["sequence", "id", "tenant_id", "type", "source", "subject", "time", "data"])
      .where("tenant_id", "=", tenantId)
      .orderBy("sequence")
      .execute();
    const consumers = buildModuleConsumers(context, protection);
    for (const row of rows) {
      const event = rowToCloudEvent(row);
      for (const consumer of consumers) {
        if (consumer.types === "*" || consumer.types.includes(event.type)) {
          await consumer.handle(event, { attempt: 9, signal: new AbortController().signal });
        }
      }
    }
    expect(await counts()).toEqual(before);
    expect(await count("audit_log")).toBe(audits);
  });
});
