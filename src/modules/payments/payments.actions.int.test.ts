import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant } from "../../../test/support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import {
  ActionCatalog,
  parseActionInput,
  parseActionOutput,
  type ActionContext,
} from "../../platform/actions/action-catalog.ts";
import type { ModuleContext } from "../../platform/modules/module.contract.ts";
import { createPaymentsModule } from "./payments.module.ts";
import { createPaymentsServices } from "./payments.services.ts";
import { newUuid, paymentsEventRegistry, testAccountProtection } from "./payments.testing.ts";

const NOW = Date.parse("2025-12-01T10:00:00+05:30");
const protection = testAccountProtection();

let database: TestDatabase;
let catalog: ActionCatalog;
let tenantId: string;

async function call<T = Record<string, unknown>>(
  name: string,
  input: unknown,
  extra: Partial<ActionContext> = {},
): Promise<T> {
  const action = catalog.get(name);
  if (!action) throw new Error(`no action ${name}`);
  const ctx: ActionContext = {
    tenantId,
    actor: "workflow:wf-1",
    signal: new AbortController().signal,
    ...extra,
  };
  const output = await action.handler(parseActionInput(action, input), ctx);
  return parseActionOutput(action, output) as T;
}

beforeAll(async () => {
  database = await createTestDatabase();
  tenantId = await createTenant(database.owner, "Workflow Traders");
  const context: ModuleContext = {
    database,
    events: paymentsEventRegistry(),
    logger: pino({ level: "silent" }),
    now: () => NOW,
  };
  catalog = new ActionCatalog();
  catalog.registerModule(createPaymentsModule(protection).actions(context));
  await createPaymentsServices({ db: database.app, events: context.events, now: () => NOW }).settings.update(
    { tenantId, actor: "user:owner" },
    { upiVpa: "workflow@okicici", upiPayeeName: "Workflow Traders" },
  );
});

afterAll(async () => {
  await database?.drop();
});

describe("payments actions", () => {
  it("declares every action with its permission and a policy that never retries money-moving commands", () => {
    const names = catalog.actions().map((action) => action.qualifiedName);
    expect(names).toEqual(
      expect.arrayContaining([
        "payments.register-receivable",
        "payments.record",
        "payments.allocate",
        "payments.reverse",
        "payments.customer-tds-position",
        "payments.create-link",
        "payments.import-statement",
        "payments.run-matching",
        "payments.apply-proposal",
        "payments.import-26as",
        "payments.reconcile-26as",
      ]),
    );
    expect(catalog.get("payments.allocate")).toMatchObject({
      permission: "payments:write",
      policy: { retry: { maxAttempts: 1 } },
    });
    expect(catalog.get("payments.apply-proposal")?.permission).toBe("reconciliation:review");
    expect(catalog.get("payments.customer-tds-position")?.permission).toBe("payments:read");
  });

  it("settles through a workflow: receivable, receipt, allocation once per key, TDS position, reversal", async () => {
    const customerId = newUuid();
    const invoiceId = newUuid();
    await call("payments.register-payer", {
      customerId,
      name: "Municipal Corporation",
      tdsProfile: { section: "194J", nature: "professional-services", tan: "PNEM12345C" },
    });
    await call("payments.register-receivable", {
      invoiceId,
      invoiceNumber: "INV/2025-26/0900",
      customerId,
      issueDate: "2025-10-01",
      dueDate: "2025-10-31",
      totalPaise: "11800000",
      taxableValuePaise: "10000000",
    });
    const recorded = await call<{ payment: { id: string } }>("payments.record", {
      customerId,
      method: "rtgs",
      reference: "SBINR52025110312345678",
      payer: { name: "MUNICIPAL CORPORATION" },
      receivedOn: "2025-11-03",
      amountPaise: "10800000",
    });
    const input = {
      paymentId: recorded.payment.id,
      lines: [{ invoiceId, cashPaise: "10800000", incomeTaxTdsPaise: "1000000", tdsSection: "194J" }],
    };
    const first = await call("payments.allocate", input, { idempotencyKey: "wf-1:allocate" });
    const second = await call("payments.allocate", input, { idempotencyKey: "wf-1:allocate" });
    expect(second).toEqual(first);
    const position = await call<{ rows: Array<Record<string, unknown>> }>("payments.customer-tds-position", {
      customerId,
    });
    expect(position.rows).toEqual([
      expect.objectContaining({
        section: "194J",
        tan: "PNEM12345C",
        quarter: "Q3",
        receivablePaise: "1000000",
      }),
    ]);
    await expect(
      call("payments.allocate", { paymentId: recorded.payment.id, auto: true, lines: [] }),
    ).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
    const reversed = await call<{ payment: { status: string } }>("payments.reverse", {
      paymentId: recorded.payment.id,
      reason: "entered-in-error",
    });
    expect(reversed.payment.status).toBe("reversed");
  });

  it("creates a UPI link once per workflow key", async () => {
    const input = { kind: "upi", amountPaise: "50000", reference: "ADV-1", description: "Advance" };
    const first = await call<{ created: boolean; link: { id: string; url: string } }>(
      "payments.create-link",
      input,
      {
        idempotencyKey: "wf-2:link",
      },
    );
    const again = await call<{ created: boolean; link: { id: string } }>("payments.create-link", input, {
      idempotencyKey: "wf-2:link",
    });
    expect(first.created).toBe(true);
    expect(first.link.url.startsWith("upi://pay?pa=workflow@okicici")).toBe(true);
    expect(again).toMatchObject({ created: false, link: { id: first.link.id } });
    const ended = await call("payments.expire-link", { linkId: first.link.id });
    expect(await call("payments.expire-link", { linkId: first.link.id })).toEqual(ended);
  });

  it("imports a statement, matches it, and undoes a match; imports and reconciles Form 26AS", async () => {
    const customerId = newUuid();
    const invoiceId = newUuid();
    await call("payments.register-payer", { customerId, name: "Patil Agro Industries" });
    await call("payments.register-receivable", {
      invoiceId,
      invoiceNumber: "INV/2025-26/0950",
      customerId,
      issueDate: "2025-11-01",
      dueDate: "2025-11-30",
      totalPaise: "2360000",
      taxableValuePaise: "2000000",
    });
    const services = createPaymentsServices({
      db: database.app,
      events: paymentsEventRegistry(),
      now: () => NOW,
      ...protection,
    });
    const account = await services.statements.createBankAccount(
      { tenantId, actor: "user:owner" },
      { name: "Axis current", accountIdentifier: "917020012345678" },
    );
    const content = [
      ":20:S1",
      ":25:917020012345678",
      ":28C:1/1",
      ":60F:C251128INR0,00",
      ":61:2511281128C23600,00NTRFNONREF",
      ":86:NEFT CR-UTIB0000123-PATIL AGRO INDUSTRIES-INV/2025-26/0950",
      ":62F:C251128INR23600,00",
      "-",
    ].join("\r\n");
    const imported = await call("payments.import-statement", {
      bankAccountId: account.id,
      format: "mt940",
      content,
    });
    expect(imported).toMatchObject({ newLineCount: 1 });
    const run = await call<{
      proposals: Array<{ id: string; status: string; allocations: Array<{ invoiceId: string }> }>;
    }>("payments.run-matching", {});
    const proposal = run.proposals.find((item) => item.allocations[0]?.invoiceId === invoiceId);
    expect(proposal).toBeDefined();
    if (proposal?.status === "proposed") {
      await call("payments.apply-proposal", { proposalId: proposal.id, decision: "accept" });
    }
    const undone = await call<{ proposal: { status: string } }>("payments.apply-proposal", {
      proposalId: proposal?.id,
      decision: "undo",
      note: "paid for another invoice",
    });
    expect(undone.proposal.status).toBe("undone");

    const file = [
      "Name of Deductor,TAN of Deductor,Section,Transaction Date,Amount Paid / Credited,Tax Deducted",
      'MUNICIPAL CORPORATION,PNEM12345C,194J,03-Nov-2025,"1,00,000.00","10,000.00"',
    ].join("\n");
    const mapping = {
      deductorName: "Name of Deductor",
      tan: "TAN of Deductor",
      section: "Section",
      transactionDate: "Transaction Date",
      amountPaid: "Amount Paid / Credited",
      taxDeducted: "Tax Deducted",
    };
    expect(await call("payments.import-26as", { content: file, mapping, saveAs: "traces" })).toMatchObject({
      creditCount: 1,
    });
    const report = await call<{ quarters: Array<{ quarter: string; creditedNotClaimed: unknown[] }> }>(
      "payments.reconcile-26as",
      { financialYear: "2025-26" },
    );
    // The receipt that deducted this TDS was reversed above: the credit stands unclaimed.
    expect(report.quarters.find((quarter) => quarter.quarter === "Q3")?.creditedNotClaimed).toHaveLength(1);
  });
});
