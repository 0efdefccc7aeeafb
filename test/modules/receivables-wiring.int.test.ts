import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningPrapti } from "../../src/app/runtime.ts";
import { testSecurity } from "../../src/platform/auth/auth.fixtures.testing.ts";
import {
  draftInput,
  testBuyer,
  TEST_SUPPLIER,
} from "../../src/modules/invoicing/invoice-wire.fixtures.testing.ts";
import { startInProcess } from "../support/running-prapti.ts";
import { createTenant } from "../support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";

/**
 * The whole process as `prapti serve` runs it (role all: HTTP, engine, outbox relay and the modules' bus consumers)
 * on a real database. Nothing in the test hands an event over: an invoice issued through the gateway becomes a
 * receivable in payments only because the relay and the `payments-receivables` consumer run, and the payment
 * allocated in payments marks the invoice paid only because `invoicing-settlements` runs.
 */

let database: TestDatabase;
let prapti: RunningPrapti;
let tenantId: string;
let token = "";
const PASSWORD = "a long and careful passphrase";
const ACTOR = "workflow:receivables-wiring";

async function api(method: string, path: string, body?: unknown, extra: Record<string, string> = {}) {
  const response = await fetch(`${prapti.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...extra,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, headers: response.headers, json: await response.json() };
}

/** Polls until `check` gives a value; the test's own timeout is the only limit. */
async function eventually<T>(check: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const call = <T>(action: string, input: unknown, idempotencyKey?: string): Promise<T> =>
  prapti.gateway.call<T>(action, input, {
    tenantId,
    actor: ACTOR,
    ...(idempotencyKey ? { idempotencyKey } : {}),
  });

interface InvoiceView {
  id: string;
  status: string;
  settlement: Record<string, string>;
}

beforeAll(async () => {
  database = await createTestDatabase();
  tenantId = await createTenant(database.owner, "Wiring Fasteners");
  await testSecurity(database).provisioning.provisionUser({
    email: "owner@wiring.example",
    displayName: "Owner",
    password: PASSWORD,
    memberships: [{ tenantId, role: "owner" }],
  });
  prapti = await startInProcess({ databaseUrl: database.url, executorId: "receivables-wiring" });
  const login = await fetch(`${prapti.url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "owner@wiring.example", password: PASSWORD }),
  });
  token = ((await login.json()) as { accessToken: string }).accessToken;
  const settings = await api("GET", "/api/v1/invoicing/settings");
  const saved = await api(
    "PUT",
    "/api/v1/invoicing/settings",
    { supplier: TEST_SUPPLIER },
    { "if-match": settings.headers.get("etag") ?? "" },
  );
  expect(saved.status).toBe(200);
});

afterAll(async () => {
  await prapti?.stop();
  await database?.drop();
});

describe("receivables wired through the running process", () => {
  it("an invoice issued through the gateway becomes a receivable, and a payment with TDS allocated in payments marks it paid", async () => {
    const customerId = randomUUID();
    const created = await call<{ invoice: { id: string; status: string } }>(
      "invoicing.create-draft",
      draftInput({ number: "WF/25-26/001", buyer: testBuyer(customerId) }),
      "wiring:create-draft",
    );
    expect(created.invoice.status).toBe("draft");
    const invoiceId = created.invoice.id;
    const issued = await call<InvoiceView>("invoicing.issue", { invoiceId }, "wiring:issue");
    expect(issued.status).toBe("issued");

    // invoice.issued -> outbox relay -> bus -> payments-receivables.
    const receivable = await eventually(async () => {
      const answer = await api("GET", `/api/v1/payments/receivables/${invoiceId}`);
      return answer.status === 200 ? answer.json : undefined;
    });
    expect(receivable).toMatchObject({
      invoiceId,
      customerId,
      totalPaise: "11800000",
      taxableValuePaise: "10000000",
      openPaise: "11800000",
      status: "open",
    });

    // Rs 1,16,000 by NEFT + Rs 2,000 TDS (2% u/s 194C on Rs 1,00,000) settle Rs 1,18,000.
    const receipt = {
      customerId,
      method: "neft",
      reference: "HDFC000000000901",
      payer: { name: "SHARMA STEEL TRADERS" },
      receivedOn: "2025-10-18",
      amountPaise: "11600000",
    };
    const recorded = await api("POST", "/api/v1/payments", receipt, { "idempotency-key": "wiring-receipt" });
    expect(recorded.status, JSON.stringify(recorded.json)).toBe(201);
    // A retry with the same Idempotency-Key gets the first answer and records nothing.
    const retried = await api("POST", "/api/v1/payments", receipt, { "idempotency-key": "wiring-receipt" });
    expect(retried.status).toBe(201);
    expect(retried.headers.get("idempotent-replayed")).toBe("true");
    expect(retried.json).toEqual(recorded.json);
    const paymentId = (recorded.json as { payment: { id: string } }).payment.id;
    const allocated = await call<{ allocations: Array<{ invoiceId: string }> }>(
      "payments.allocate",
      {
        paymentId,
        lines: [{ invoiceId, cashPaise: "11600000", incomeTaxTdsPaise: "200000", tdsSection: "194C" }],
      },
      "wiring:allocate",
    );
    expect(allocated.allocations.map((allocation) => allocation.invoiceId)).toEqual([invoiceId]);

    // payment.allocated -> outbox relay -> bus -> invoicing-settlements.
    const paid = await eventually(async () => {
      const invoice = await call<InvoiceView>("invoicing.get", { invoiceId });
      return invoice.status === "paid" ? invoice : undefined;
    });
    expect(paid.settlement).toMatchObject({
      paidPaise: "11600000",
      tdsPaise: "200000",
      gstTdsPaise: "0",
      writeOffPaise: "0",
      outstandingPaise: "0",
    });
    expect((await api("GET", `/api/v1/payments/receivables/${invoiceId}`)).json).toMatchObject({
      openPaise: "0",
    });

    // Each event went out once and was taken by its consumer once: one receivable, one settlement.
    const counts = await sql<{ type: string; count: string }>`
      select type, count(*)::text as count from event_outbox
      where tenant_id = ${tenantId} and type in ('invoice.issued', 'payment.allocated')
      group by type order by type`.execute(database.owner);
    expect(counts.rows).toEqual([
      { type: "invoice.issued", count: "1" },
      { type: "payment.allocated", count: "1" },
    ]);
    const rows = await sql<{ receivables: string; receipts: string }>`
      select (select count(*) from payment_receivables where tenant_id = ${tenantId})::text as receivables,
             (select count(*) from payments where tenant_id = ${tenantId})::text as receipts`.execute(
      database.owner,
    );
    expect(rows.rows).toEqual([{ receivables: "1", receipts: "1" }]);
  });
});
