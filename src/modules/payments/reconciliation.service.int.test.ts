import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant } from "../../../test/support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { createBankStatementService, type BankStatementService } from "./bank-statement.service.ts";
import { createPaymentService, type PaymentService } from "./payment.service.ts";
import { createPaymentSettingsService } from "./payment-settings.service.ts";
import {
  ZApplyProposalInput,
  ZBankAccountInput,
  ZImportStatementInput,
  ZRegisterPayerInput,
  ZRegisterReceivableInput,
  ZRunMatchingInput,
} from "./payments.schemas.ts";
import { newUuid, outboxEvents, testPaymentsDeps } from "./payments.testing.ts";
import { createReconciliationService, type ReconciliationService } from "./reconciliation.service.ts";
import { createUnitOfWork } from "./payments.unit-of-work.ts";

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
    ":20:STMT250818",
    ":25:50200012345678",
    ":28C:00001/001",
    ":60F:C250817INR100000,00",
    ...lines,
    "-",
  ].join("\r\n");
}

const SHARMA_LINE = [
  ":61:2508180818C116000,00NTRFNONREF//HDFCN52025081800",
  ":86:NEFT CR-ICIC0000104-SHARMA TRADERS PVT LTD-INV/2025-26/0042",
];
const GUPTA_LINE = [
  ":61:2508180818C50000,00NTRFNONREF",
  ":86:UPI-GUPTA ENTERPRISES-gupta@okicici-ICIC0000001-523412345678-INV/2025-26/0043",
];
const CHARGES_LINE = [":61:2508180818D1500,00NCHGNONREF", ":86:BANK CHARGES"];

beforeAll(async () => {
  database = await createTestDatabase();
  tenantId = await createTenant(database.owner, "Reconciling Traders");
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
});

afterAll(async () => {
  await database?.drop();
});

describe("statement import", () => {
  it("stores the lines once: the same file again writes nothing, an overlapping one only its new lines", async () => {
    const content = mt940([...SHARMA_LINE, ...CHARGES_LINE, ":62F:C250818INR214500,00"]);
    const first = await statements.importStatement(
      meta(),
      ZImportStatementInput.parse({
        bankAccountId: accountId,
        format: "mt940",
        content,
        fileName: "aug18.sta",
      }),
    );
    expect(first).toMatchObject({ duplicate: false, lineCount: 2, newLineCount: 2, creditCount: 1 });
    const again = await statements.importStatement(
      meta(),
      ZImportStatementInput.parse({ bankAccountId: accountId, format: "mt940", content }),
    );
    expect(again).toMatchObject({ duplicate: true, newLineCount: 0, statement: { id: first.statement.id } });
    const overlapping = await statements.importStatement(
      meta(),
      ZImportStatementInput.parse({
        bankAccountId: accountId,
        format: "mt940",
        content: mt940([...SHARMA_LINE, ...GUPTA_LINE, ...CHARGES_LINE, ":62F:C250818INR264500,00"]),
      }),
    );
    expect(overlapping).toMatchObject({
      duplicate: false,
      lineCount: 3,
      newLineCount: 1,
      alreadyKnownCount: 2,
    });
    const lines = await statements.listLines(tenantId, { limit: 50 });
    expect(lines.items).toHaveLength(3);
  });

  it("refuses a statement of another account, naming the content", async () => {
    const content = mt940([...SHARMA_LINE]).replace(":25:50200012345678", ":25:99999999999");
    await expect(
      statements.importStatement(
        meta(),
        ZImportStatementInput.parse({ bankAccountId: accountId, format: "mt940", content }),
      ),
    ).rejects.toMatchObject({ code: "INVALID_INPUT", issues: [{ field: "content" }] });
  });

  it("reads a CSV with the account's saved mapping and refuses a bad row naming its line", async () => {
    const csvAccount = await statements.createBankAccount(
      meta(),
      ZBankAccountInput.parse({
        name: "ICICI collections",
        accountIdentifier: "000405001234",
        csvMapping: {
          date: "Transaction Date",
          narration: "Transaction Remarks",
          reference: "Cheque Number",
          amount: { kind: "debit-credit", debit: "Debit Amount", credit: "Credit Amount" },
          dateLayouts: ["dd-MM-yyyy"],
        },
      }),
    );
    const csv = [
      "Transaction Date,Cheque Number,Transaction Remarks,Debit Amount,Credit Amount",
      '19-08-2025,,NEFT-ICIC0000104-RAO AGENCIES-INV 77,,"25,000.00"',
      "19-08-2025,,UPI/523499998888/rent,1200.00,",
    ].join("\n");
    const imported = await statements.importStatement(
      meta(),
      ZImportStatementInput.parse({ bankAccountId: csvAccount.id, format: "csv", content: csv }),
    );
    expect(imported).toMatchObject({ lineCount: 2, newLineCount: 2, creditCount: 1 });
    await expect(
      statements.importStatement(
        meta(),
        ZImportStatementInput.parse({
          bankAccountId: csvAccount.id,
          format: "csv",
          content: `${csv}\n31-02-2025,,BAD DATE,,10.00`,
        }),
      ),
    ).rejects.toMatchObject({
      code: "INVALID_INPUT",
      issues: [expect.objectContaining({ field: "rows.4.date" })],
    });
  });
});

describe("matching and review", () => {
  it("proposes, auto-applies what is safe through the allocation service, and a person accepts the rest", async () => {
    const run = await reconciliation.runMatching(meta(), ZRunMatchingInput.parse({}));
    expect(run.lineCount).toBe(3);
    const sharmaProposal = run.proposals.find((proposal) => proposal.customerId === sharma);
    expect(sharmaProposal).toMatchObject({
      allocations: [
        { invoiceId: invoice42, cashPaise: "11600000", incomeTaxTdsPaise: "200000", tdsSection: "194C" },
      ],
      autoApplicable: true,
      status: "auto-applied",
    });
    expect(run.autoAppliedCount).toBeGreaterThanOrEqual(1);
    expect((await payments.getReceivable(tenantId, invoice42)).openPaise).toBe("0");
    const position = await payments.tdsPosition(tenantId, { customerId: sharma });
    expect(position.totalReceivablePaise).toBe("200000");
    const allocated = await outboxEvents(database, tenantId, "payment.allocated");
    expect(
      allocated.some(
        (event) => (event.data.allocations as Array<{ invoiceId: string }>)[0]?.invoiceId === invoice42,
      ),
    ).toBe(true);

    const guptaProposal = run.proposals.find((proposal) => proposal.customerId === gupta);
    expect(guptaProposal?.allocations[0]?.invoiceId).toBe(invoice43);
    if (guptaProposal?.status === "proposed") {
      const accepted = await reconciliation.decide(
        meta(),
        ZApplyProposalInput.parse({ proposalId: guptaProposal.id, decision: "accept", note: "checked" }),
      );
      expect(accepted.proposal.status).toBe("accepted");
      expect(accepted.paymentId).not.toBeNull();
    }
    expect((await payments.getReceivable(tenantId, invoice43)).openPaise).toBe("0");
    const matched = await statements.listLines(tenantId, { limit: 50, status: "matched" });
    expect(matched.items).toHaveLength(2);
  });

  it("undoes an applied match exactly: the receipt is reversed, the invoice and the line are open again", async () => {
    const applied = await reconciliation.list(tenantId, { limit: 50, status: "auto-applied" });
    const proposal = applied.items.find((item) => item.customerId === sharma);
    expect(proposal).toBeDefined();
    const undone = await reconciliation.decide(
      meta(),
      ZApplyProposalInput.parse({ proposalId: proposal?.id, decision: "undo", note: "wrong customer" }),
    );
    expect(undone.proposal.status).toBe("undone");
    expect((await payments.getReceivable(tenantId, invoice42)).openPaise).toBe("11800000");
    expect((await payments.tdsPosition(tenantId, { customerId: sharma })).totalReceivablePaise).toBe("0");
    const payment = await payments.get(tenantId, undone.paymentId ?? "");
    expect(payment).toMatchObject({ status: "reversed", reversalReason: "entered-in-error" });
    const open = await statements.listLines(tenantId, { limit: 50, status: "unmatched" });
    expect(open.items.some((line) => line.id === proposal?.lineId)).toBe(true);
    await expect(
      reconciliation.decide(
        meta(),
        ZApplyProposalInput.parse({ proposalId: proposal?.id, decision: "undo" }),
      ),
    ).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("keeps everything for a person when the threshold is above the proposals' confidence; a rejected line waits", async () => {
    await createPaymentSettingsService(testPaymentsDeps(database)).update(meta(), { autoApplyThreshold: 1 });
    const run = await reconciliation.runMatching(meta(), ZRunMatchingInput.parse({}));
    expect(run.autoAppliedCount).toBe(0);
    const proposal = run.proposals.find((item) => item.customerId === sharma);
    expect(proposal?.status).toBe("proposed");
    await reconciliation.decide(
      meta(),
      ZApplyProposalInput.parse({
        proposalId: proposal?.id,
        decision: "reject",
        note: "waiting for remittance advice",
      }),
    );
    const next = await reconciliation.runMatching(meta(), ZRunMatchingInput.parse({}));
    expect(next.proposals.some((item) => item.lineId === proposal?.lineId)).toBe(false);
    const named = await reconciliation.runMatching(
      meta(),
      ZRunMatchingInput.parse({ lineIds: [proposal?.lineId], autoApply: false }),
    );
    expect(named.proposals.map((item) => item.lineId)).toEqual([proposal?.lineId]);
  });
});
