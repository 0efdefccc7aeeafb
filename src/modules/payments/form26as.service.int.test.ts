import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant } from "../../../test/support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { TRACES_26AS_MAPPING } from "./form26as.parser.ts";
import { createForm26asService, type Form26asService } from "./form26as.service.ts";
import { createPaymentService, type PaymentService } from "./payment.service.ts";
import {
  ZImport26asInput,
  ZRecordPaymentInput,
  ZReconcile26asInput,
  ZRegisterPayerInput,
  ZRegisterReceivableInput,
} from "./payments.schemas.ts";
import { newUuid, outboxEvents, testPaymentsDeps } from "./payments.testing.ts";

let database: TestDatabase;
let payments: PaymentService;
let form26as: Form26asService;
let tenantId: string;

const meta = () => ({ tenantId, actor: "user:kavya" });
const acme = newUuid();
const bharat = newUuid();

const HEADER =
  "Sr. No.,Name of Deductor,TAN of Deductor,Section,Transaction Date,Status of Booking,Date of Booking,Remarks,Amount Paid / Credited,Tax Deducted,TDS Deposited";
const FILE = [
  "Form 26AS - Annual Tax Statement",
  "",
  HEADER,
  '1,ACME INFRA PRIVATE LIMITED,MUMA12345B,194C,15-Jul-2025,F,31-Oct-2025,,"1,00,000.00","2,000.00","2,000.00"',
  '2,HDFC BANK LTD,MUMH03189E,194A,31-Mar-2026,F,31-May-2026,,"12,000.00","1,200.00","1,200.00"',
].join("\n");

async function settleWithTds(customerId: string, reference: string, receivedOn: string): Promise<void> {
  const invoiceId = newUuid();
  await payments.registerReceivable(
    meta(),
    ZRegisterReceivableInput.parse({
      invoiceId,
      invoiceNumber: `INV/${reference.slice(-4)}`,
      customerId,
      issueDate: "2025-07-01",
      dueDate: "2025-07-10",
      totalPaise: "11800000",
      taxableValuePaise: "10000000",
    }),
  );
  await payments.record(
    meta(),
    ZRecordPaymentInput.parse({
      customerId,
      method: "neft",
      reference,
      payer: { name: "Deductor" },
      receivedOn,
      amountPaise: "11600000",
      allocations: [{ invoiceId, cashPaise: "11600000", incomeTaxTdsPaise: "200000", tdsSection: "194C" }],
    }),
  );
}

beforeAll(async () => {
  database = await createTestDatabase();
  tenantId = await createTenant(database.owner, "Deducted Traders");
  const deps = testPaymentsDeps(database);
  payments = createPaymentService(deps);
  form26as = createForm26asService(deps);
  await payments.registerPayer(
    meta(),
    ZRegisterPayerInput.parse({
      customerId: acme,
      name: "Acme Infra Private Limited",
      tdsProfile: { section: "194C", tan: "MUMA12345B" },
    }),
  );
  await payments.registerPayer(
    meta(),
    ZRegisterPayerInput.parse({
      customerId: bharat,
      name: "Bharat Steel Works",
      tdsProfile: { section: "194C", tan: "DELB11111C" },
    }),
  );
  await settleWithTds(acme, "HDFC000000000101", "2025-07-15");
  await settleWithTds(bharat, "HDFC000000000102", "2025-08-05");
});

afterAll(async () => {
  await database?.drop();
});

describe("Form 26AS", () => {
  it("refuses a file with any bad row, naming row, field and reason, and writes nothing", async () => {
    const bad = [HEADER, '1,,MUMA1234B,194C,15-Jul-2025,F,,,"1,000.00","20.00",'].join("\n");
    const error = await form26as
      .importCredits(
        meta(),
        ZImport26asInput.parse({ content: bad, mapping: TRACES_26AS_MAPPING, saveAs: "traces" }),
      )
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "INVALID_INPUT" });
    expect((error as { issues: Array<{ field: string }> }).issues.map((issue) => issue.field)).toEqual([
      "rows.2.deductorName",
      "rows.2.tan",
    ]);
    const imports = await sql<{ count: string }>`
      select count(*)::text as count from form26as_imports where tenant_id = ${tenantId}`.execute(
      database.owner,
    );
    expect(imports.rows[0]?.count).toBe("0");
    expect(await form26as.listMappings(tenantId)).toEqual([]);
  });

  it("imports with a mapping saved on the way, and replaces a year's credits on the next download", async () => {
    const first = await form26as.importCredits(
      meta(),
      ZImport26asInput.parse({
        content: FILE,
        mapping: TRACES_26AS_MAPPING,
        saveAs: "traces",
        fileName: "26as.csv",
      }),
    );
    expect(first).toMatchObject({ creditCount: 2, financialYears: ["2025-26"], replacedCount: 0 });
    expect((await form26as.listMappings(tenantId)).map((mapping) => mapping.name)).toEqual(["traces"]);
    const second = await form26as.importCredits(
      meta(),
      ZImport26asInput.parse({ content: FILE, mappingName: "traces" }),
    );
    expect(second).toMatchObject({ creditCount: 2, replacedCount: 2 });
    await expect(
      form26as.importCredits(meta(), ZImport26asInput.parse({ content: FILE, mappingName: "unknown" })),
    ).rejects.toMatchObject({ code: "INVALID_INPUT", issues: [{ field: "mappingName" }] });
  });

  it("reconciles per quarter, marks the ledger, and announces an overdue gap once", async () => {
    const report = await form26as.reconcile(meta(), ZReconcile26asInput.parse({ asOf: "2025-12-01" }));
    const q2 = report.quarters.find(
      (quarter) => quarter.quarter === "Q2" && quarter.financialYear === "2025-26",
    );
    expect(q2?.matched).toEqual([
      expect.objectContaining({
        tan: "MUMA12345B",
        section: "194C",
        claimedPaise: "200000",
        creditedPaise: "200000",
      }),
    ]);
    expect(q2?.claimedNotCredited).toEqual([
      expect.objectContaining({ tan: "DELB11111C", claimedPaise: "200000", overdue: true }),
    ]);
    expect(report.missingCredits).toEqual([
      expect.objectContaining({
        tan: "DELB11111C",
        customerId: bharat,
        missingPaise: "200000",
        returnDueDate: "2025-10-31",
      }),
    ]);
    expect(report.reportedCount).toBe(1);

    const acmePosition = await payments.tdsPosition(tenantId, { customerId: acme });
    expect(acmePosition.rows[0]).toMatchObject({ creditedPaise: "200000", pendingPaise: "0" });
    const bharatPosition = await payments.tdsPosition(tenantId, { customerId: bharat });
    expect(bharatPosition.rows[0]).toMatchObject({ creditedPaise: "0", pendingPaise: "200000" });

    const again = await form26as.reconcile(meta(), ZReconcile26asInput.parse({ asOf: "2025-12-02" }));
    expect(again.reportedCount).toBe(0);
    const events = await outboxEvents(database, tenantId, "tds.credit-missing");
    expect(events).toHaveLength(1);
    expect(events[0]?.data).toMatchObject({
      tan: "DELB11111C",
      section: "194C",
      quarter: "Q2",
      missingPaise: "200000",
    });

    const before = await form26as.report(tenantId, ZReconcile26asInput.parse({ asOf: "2025-10-01" }));
    expect(before.missingCredits).toEqual([]);
  });
});
