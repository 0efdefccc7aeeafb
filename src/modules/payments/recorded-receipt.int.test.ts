import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant } from "../../../test/support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { createBankStatementService, type BankStatementService } from "./bank-statement.service.ts";
import { createPaymentService, type PaymentService } from "./payment.service.ts";
import {
  ZApplyProposalInput,
  ZBankAccountInput,
  ZImportStatementInput,
  ZRecordPaymentInput,
  ZRegisterPayerInput,
  ZRegisterReceivableInput,
  ZRunMatchingInput,
} from "./payments.schemas.ts";
import { newUuid, testPaymentsDeps } from "./payments.testing.ts";
import { createReconciliationService, type ReconciliationService } from "./reconciliation.service.ts";
import { createUnitOfWork } from "./payments.unit-of-work.ts";
import { matchRecordedReceipts } from "./recorded-receipt.matcher.ts";

/**
 * Money recorded by hand before the bank statement arrives: the statement line is linked to that receipt, and
 * the money is never recorded (or allocated) a second time.
 */

let database: TestDatabase;
let payments: PaymentService;
let statements: BankStatementService;
let reconciliation: ReconciliationService;
let tenantId: string;
let accountId: string;

const meta = () => ({ tenantId, actor: "user:meera" });
const sharma = newUuid();
const gupta = newUuid();
const invoice42 = newUuid();
const invoice43 = newUuid();

function mt940(lines: string[]): string {
  return [
    ":20:STMT250819",
    ":25:50200012345678",
    ":28C:00001/001",
    ":60F:C250817INR100000,00",
    ...lines,
    "-",
  ].join("\r\n");
}

async function counts() {
  const result = await sql<{ payments: string; allocations: string; credits: string }>`
    select
      (select count(*) from payments where tenant_id = ${tenantId})::text as payments,
      (select count(*) from payment_allocations where tenant_id = ${tenantId})::text as allocations,
      (select count(*) from customer_credit_entries where tenant_id = ${tenantId})::text as credits`.execute(
    database.owner,
  );
  return result.rows[0];
}

async function lineOf(narrationPart: string) {
  const result = await sql<{ id: string; status: string; payment_id: string | null }>`
    select id, status, payment_id from bank_statement_lines
    where tenant_id = ${tenantId} and narration like ${`%${narrationPart}%`}`.execute(database.owner);
  const row = result.rows[0];
  if (!row) throw new Error(`no statement line with ${narrationPart}`);
  return row;
}

beforeAll(async () => {
  database = await createTestDatabase();
  tenantId = await createTenant(database.owner, "Linking Traders");
  const deps = testPaymentsDeps(database);
  const unitOfWork = createUnitOfWork(deps);
  payments = createPaymentService(deps, unitOfWork);
  statements = createBankStatementService(deps, unitOfWork);
  reconciliation = createReconciliationService(deps, unitOfWork, payments);
  await payments.registerPayer(
    meta(),
    ZRegisterPayerInput.parse({
      customerId: sharma,
      name: "Sharma Traders Private Limited",
      tdsProfile: { section: "194C", tan: "MUMS12345A" },
    }),
  );
  await payments.registerPayer(
    meta(),
    ZRegisterPayerInput.parse({ customerId: gupta, name: "Gupta Enterprises" }),
  );
  for (const [invoiceId, number, customerId, total, taxable] of [
    [invoice42, "INV/2025-26/0042", sharma, "11800000", "10000000"],
    [invoice43, "INV/2025-26/0043", gupta, "5000000", "4237288"],
  ] as const) {
    await payments.registerReceivable(
      meta(),
      ZRegisterReceivableInput.parse({
        invoiceId,
        invoiceNumber: number,
        customerId,
        issueDate: "2025-07-20",
        dueDate: "2025-08-19",
        totalPaise: total,
        taxableValuePaise: taxable,
      }),
    );
  }
  const account = await statements.createBankAccount(
    meta(),
    ZBankAccountInput.parse({
      name: "HDFC current",
      accountIdentifier: "50200012345678",
      bankName: "HDFC Bank",
    }),
  );
  accountId = account.id;

  // Both payments are entered by hand, and allocated, before the statement is imported.
  await payments.record(
    meta(),
    ZRecordPaymentInput.parse({
      customerId: sharma,
      method: "neft",
      reference: "HDFCN52025081800",
      payer: { name: "Sharma Traders" },
      receivedOn: "2025-08-18",
      amountPaise: "11600000",
      allocations: [
        { invoiceId: invoice42, cashPaise: "11600000", incomeTaxTdsPaise: "200000", tdsSection: "194C" },
      ],
    }),
  );
  await payments.record(
    meta(),
    ZRecordPaymentInput.parse({
      customerId: gupta,
      method: "cheque",
      reference: "004512",
      cheque: { number: "004512", date: "2025-08-14" },
      payer: { name: "Gupta Enterprises" },
      receivedOn: "2025-08-16",
      amountPaise: "5000000",
      allocations: [{ invoiceId: invoice43, cashPaise: "5000000" }],
    }),
  );
  await statements.importStatement(
    meta(),
    ZImportStatementInput.parse({
      bankAccountId: accountId,
      format: "mt940",
      content: mt940([
        ":61:2508180818C116000,00NTRFNONREF//HDFCN52025081800",
        ":86:NEFT CR-ICIC0000104-SHARMA TRADERS PVT LTD-INV/2025-26/0042",
        ":61:2508190819C50000,00NCLGNONREF",
        ":86:CLG CR GUPTA ENTERPRISES",
        ":62F:C250819INR266000,00",
      ]),
    }),
  );
});

afterAll(async () => {
  await database?.drop();
});

describe("a statement line for a receipt already recorded", () => {
  it("links the line by its UTR automatically, and proposes a link by amount, payer and date", async () => {
    const before = await counts();
    const run = await reconciliation.runMatching(meta(), ZRunMatchingInput.parse({ autoApply: true }));
    expect(run.proposedCount).toBe(2);
    expect(run.autoAppliedCount).toBe(1);
    // Nothing new recorded or allocated: the invoices stay exactly as settled by hand.
    expect(await counts()).toEqual(before);
    expect((await payments.getReceivable(tenantId, invoice42)).openPaise).toBe("0");
    expect((await payments.getReceivable(tenantId, invoice43)).openPaise).toBe("0");

    const sharmaReceipt = (await payments.list(tenantId, { limit: 10, customerId: sharma })).items[0];
    const byUtr = run.proposals.find((proposal) => proposal.customerId === sharma);
    expect(byUtr).toMatchObject({
      status: "auto-applied",
      existingPaymentId: sharmaReceipt?.id,
      paymentId: sharmaReceipt?.id,
      allocations: [],
      flags: ["existing-receipt"],
    });
    expect(await lineOf("SHARMA")).toMatchObject({ status: "matched", payment_id: sharmaReceipt?.id });

    const guptaReceipt = (await payments.list(tenantId, { limit: 10, customerId: gupta })).items[0];
    const byPayer = run.proposals.find((proposal) => proposal.customerId === gupta);
    expect(byPayer).toMatchObject({
      status: "proposed",
      existingPaymentId: guptaReceipt?.id,
      autoApplicable: false,
    });
    expect(byPayer?.reason).toContain("3 days apart");
    if (!byPayer) throw new Error("no proposal for the cheque");

    // A person confirms the link: still no second receipt.
    const accepted = await reconciliation.decide(
      meta(),
      ZApplyProposalInput.parse({ proposalId: byPayer.id, decision: "accept" }),
    );
    expect(accepted.paymentId).toBe(guptaReceipt?.id);
    expect(await counts()).toEqual(before);
    expect(await lineOf("GUPTA")).toMatchObject({ status: "matched", payment_id: guptaReceipt?.id });

    // Matching again finds nothing to do.
    const again = await reconciliation.runMatching(meta(), ZRunMatchingInput.parse({ autoApply: true }));
    expect(again.lineCount).toBe(0);

    // Undoing a link only unlinks: the receipt entered by hand stands, with its allocation.
    await reconciliation.decide(
      meta(),
      ZApplyProposalInput.parse({ proposalId: byPayer.id, decision: "undo" }),
    );
    expect(await lineOf("GUPTA")).toMatchObject({ status: "unmatched", payment_id: null });
    expect((await payments.get(tenantId, guptaReceipt?.id ?? "")).status).toBe("received");
    expect((await payments.getReceivable(tenantId, invoice43)).openPaise).toBe("0");
    expect(await counts()).toEqual(before);

    // The next run proposes the same link again rather than a new receipt.
    const third = await reconciliation.runMatching(meta(), ZRunMatchingInput.parse({ autoApply: true }));
    expect(third.proposals).toEqual([
      expect.objectContaining({ customerId: gupta, existingPaymentId: guptaReceipt?.id, status: "proposed" }),
    ]);
  });
});

describe("matchRecordedReceipts", () => {
  const receipt = {
    id: "r1",
    customerId: "c1",
    receivedOn: "2025-08-16",
    amountPaise: 5000000n,
    reference: null,
    names: ["Gupta Enterprises"],
  };
  const line = { id: "l1", date: "2025-08-19", amountPaise: 5000000n, narration: "CLG CR GUPTA ENTERPRISES" };

  it("needs the same amount, the payer's name and dates at most three days apart", () => {
    expect(matchRecordedReceipts({ lines: [line], receipts: [receipt] })).toHaveLength(1);
    expect(matchRecordedReceipts({ lines: [{ ...line, date: "2025-08-20" }], receipts: [receipt] })).toEqual(
      [],
    );
    expect(
      matchRecordedReceipts({ lines: [{ ...line, amountPaise: 4999900n }], receipts: [receipt] }),
    ).toEqual([]);
    expect(
      matchRecordedReceipts({
        lines: [{ ...line, narration: "CLG CR SHARMA TRADERS" }],
        receipts: [receipt],
      }),
    ).toEqual([]);
  });

  it("uses each receipt once, and a reference with another amount only as a proposal", () => {
    const lines = [line, { ...line, id: "l2" }];
    expect(matchRecordedReceipts({ lines, receipts: [receipt] }).map((match) => match.lineId)).toEqual([
      "l1",
    ]);
    const byReference = matchRecordedReceipts({
      lines: [{ ...line, utr: "523412345678", amountPaise: 4000000n }],
      receipts: [{ ...receipt, reference: "523412345678" }],
    });
    expect(byReference).toEqual([
      expect.objectContaining({
        paymentId: "r1",
        autoApplicable: false,
        flags: ["existing-receipt", "amount-differs"],
      }),
    ]);
  });
});
