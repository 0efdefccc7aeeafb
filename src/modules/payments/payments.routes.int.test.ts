import { createHmac, randomBytes } from "node:crypto";
import { sql } from "kysely";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant } from "../../../test/support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { createBlindIndex } from "../../platform/crypto/blind.index.ts";
import { createFieldCipher } from "../../platform/crypto/field.cipher.ts";
import { parseKeyRing } from "../../platform/crypto/key-ring.ts";
import { EventTypeRegistry } from "../../platform/events/event-outbox.ts";
import { createHttpServer, type HttpServer } from "../../platform/http/server.ts";
import { startFakeCashfree, startFakeRazorpay, type FakeGateway } from "./gateway-fakes.testing.ts";
import { createPaymentsModule } from "./payments.module.ts";
import { newUuid, outboxEvents } from "./payments.testing.ts";
import { testRouteContext } from "../../platform/modules/route-context.testing.ts";

const NOW = Date.parse("2025-08-20T10:00:00+05:30");
const ALL = "payments:read,payments:write,reconciliation:review";
const RAZORPAY_WEBHOOK_SECRET = "whsec_razor_test";
const CASHFREE_SECRET = "cf_secret";

let database: TestDatabase;
let app: HttpServer;
let razorpay: FakeGateway;
let cashfree: FakeGateway;
let tenantId: string;
let tenantSlug: string;
let otherTenantId: string;

function headers(options: { tenant?: string; permissions?: string; extra?: Record<string, string> } = {}) {
  return {
    "x-test-tenant": options.tenant ?? tenantId,
    "x-test-permissions": options.permissions ?? ALL,
    "x-test-actor": "user:ravi",
    ...options.extra,
  };
}

async function registerInvoice(customerId: string, total: string, number: string): Promise<string> {
  const invoiceId = newUuid();
  const response = await app.inject({
    method: "PUT",
    url: `/api/v1/payments/receivables/${invoiceId}`,
    headers: headers(),
    payload: {
      invoiceNumber: number,
      customerId,
      customerName: "Kulkarni Stores",
      issueDate: "2025-08-01",
      dueDate: "2025-08-31",
      totalPaise: total,
      taxableValuePaise: total,
    },
  });
  expect(response.statusCode).toBe(200);
  return invoiceId;
}

beforeAll(async () => {
  database = await createTestDatabase();
  tenantId = await createTenant(database.owner, "Route Payments");
  otherTenantId = await createTenant(database.owner, "Other Payments");
  const slug = await database.owner
    .selectFrom("tenants")
    .select("slug")
    .where("id", "=", tenantId)
    .executeTakeFirstOrThrow();
  tenantSlug = slug.slug;
  razorpay = await startFakeRazorpay({ keyId: "rzp_test_key", keySecret: "rzp_secret" });
  cashfree = await startFakeCashfree({ clientId: "cf_id", clientSecret: "cf_key_secret" });
  const cipher = createFieldCipher(parseKeyRing(`k1:${randomBytes(32).toString("base64")}`));
  const module = createPaymentsModule({
    cipher,
    blindIndex: createBlindIndex(randomBytes(32)),
    gateways: { razorpayBaseUrl: razorpay.url, cashfreeBaseUrl: `${cashfree.url}/pg` },
  });
  const events = new EventTypeRegistry();
  for (const [type, schema] of Object.entries(module.events)) events.register(type, schema);
  app = await createHttpServer({ logger: pino({ level: "silent" }), readinessChecks: [] });
  module.routes?.(app, testRouteContext({ database, events, now: () => NOW }));
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await razorpay?.close();
  await cashfree?.close();
  await database?.drop();
});

describe("receipts over HTTP", () => {
  it("records and allocates with 201 and Location, money as digit strings; another tenant gets 404", async () => {
    const customerId = newUuid();
    const invoiceId = await registerInvoice(customerId, "236000", "INV/2025-26/0101");
    const created = await app.inject({
      method: "POST",
      url: "/api/v1/payments",
      headers: headers(),
      payload: {
        customerId,
        method: "imps",
        reference: "523400001111",
        payer: { name: "Kulkarni Stores" },
        receivedOn: "2025-08-19",
        amountPaise: "250000",
        allocations: [{ invoiceId, cashPaise: "236000" }],
      },
    });
    expect(created.statusCode).toBe(201);
    const body = created.json<{
      payment: { id: string; unallocatedPaise: string; allocations: unknown[] };
    }>();
    expect(created.headers.location).toBe(`/api/v1/payments/${body.payment.id}`);
    expect(body.payment.unallocatedPaise).toBe("14000");
    expect(body.payment.allocations).toHaveLength(1);

    const credit = await app.inject({
      method: "GET",
      url: `/api/v1/payments/customers/${customerId}/credit`,
      headers: headers(),
    });
    expect(credit.json()).toMatchObject({ balancePaise: "14000" });

    const mine = await app.inject({
      method: "GET",
      url: `/api/v1/payments/${body.payment.id}`,
      headers: headers(),
    });
    expect(mine.statusCode).toBe(200);
    const theirs = await app.inject({
      method: "GET",
      url: `/api/v1/payments/${body.payment.id}`,
      headers: headers({ tenant: otherTenantId }),
    });
    expect(theirs.statusCode).toBe(404);
    expect(theirs.headers["content-type"]).toContain("application/problem+json");
    const forbidden = await app.inject({
      method: "POST",
      url: `/api/v1/payments/${body.payment.id}/reversal`,
      headers: headers({ permissions: "payments:read" }),
      payload: { reason: "refund" },
    });
    expect(forbidden.statusCode).toBe(403);
  });

  it("names every bad field in a problem+json answer", async () => {
    const response = await app.inject({
      method: "POST",
      url: "/api/v1/payments",
      headers: headers(),
      payload: {
        method: "neft",
        reference: "BAD",
        payer: { name: "" },
        receivedOn: "2025-02-30",
        amountPaise: 12,
      },
    });
    expect(response.statusCode).toBe(400);
    const fields = response.json<{ issues: Array<{ field: string }> }>().issues.map((issue) => issue.field);
    expect(fields).toEqual(
      expect.arrayContaining(["body.payer.name", "body.receivedOn", "body.amountPaise"]),
    );
  });

  it("pages receipts with a cursor", async () => {
    const customerId = newUuid();
    for (const reference of ["523400002221", "523400002222", "523400002223"]) {
      await app.inject({
        method: "POST",
        url: "/api/v1/payments",
        headers: headers(),
        payload: {
          customerId,
          method: "upi",
          reference,
          payer: { name: "Paging Stores" },
          receivedOn: "2025-08-10",
          amountPaise: "1000",
        },
      });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/payments?customerId=${customerId}&limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const page = await app.inject({ method: "GET", url, headers: headers() });
      const body = page.json<{ items: Array<{ id: string }>; nextCursor: string | null }>();
      seen.push(...body.items.map((item) => item.id));
      cursor = body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(3);
    const tampered = await app.inject({
      method: "GET",
      url: "/api/v1/payments?cursor=abc",
      headers: headers(),
    });
    expect(tampered.statusCode).toBe(400);
  });

  it("repeats a POST with the same Idempotency-Key once", async () => {
    const customerId = newUuid();
    const payload = {
      customerId,
      method: "cash",
      payer: { name: "Counter sale" },
      receivedOn: "2025-08-19",
      amountPaise: "50000",
    };
    const send = () =>
      app.inject({
        method: "POST",
        url: "/api/v1/payments",
        headers: headers({ extra: { "idempotency-key": "cash-receipt-7" } }),
        payload,
      });
    const first = await send();
    const second = await send();
    expect(second.json()).toEqual(first.json());
    const list = await app.inject({
      method: "GET",
      url: `/api/v1/payments?customerId=${customerId}`,
      headers: headers(),
    });
    expect(list.json<{ items: unknown[] }>().items).toHaveLength(1);
  });
});

describe("settings and payment links", () => {
  it("stores gateway secrets encrypted", async () => {
    const saved = await app.inject({
      method: "PUT",
      url: "/api/v1/payments/settings/gateways/razorpay",
      headers: headers(),
      payload: { keyId: "rzp_test_key", keySecret: "rzp_secret", webhookSecret: RAZORPAY_WEBHOOK_SECRET },
    });
    expect(saved.statusCode).toBe(200);
    expect(saved.json()).toMatchObject({
      gateways: [{ provider: "razorpay", keyId: "rzp_test_key", secretsEncrypted: true }],
    });
    await app.inject({
      method: "PUT",
      url: "/api/v1/payments/settings/gateways/cashfree",
      headers: headers(),
      payload: { keyId: "cf_id", keySecret: "cf_key_secret", webhookSecret: CASHFREE_SECRET },
    });
    const stored = await sql<{ key_secret: string; webhook_secret: string }>`
      select key_secret, webhook_secret from payment_gateway_credentials where tenant_id = ${tenantId}`.execute(
      database.owner,
    );
    for (const row of stored.rows) {
      expect(row.key_secret.startsWith("enc:v1:k1:")).toBe(true);
      expect(row.webhook_secret).not.toContain("secret");
    }
  });

  it("creates a UPI link with its QR once per key", async () => {
    const settings = await app.inject({
      method: "PUT",
      url: "/api/v1/payments/settings",
      headers: headers(),
      payload: { upiVpa: "routepayments@okaxis", upiPayeeName: "Route Payments" },
    });
    expect(settings.statusCode).toBe(200);
    const payload = {
      kind: "upi",
      amountPaise: "118000",
      reference: "INV-2025-26-0200",
      description: "Invoice INV/2025-26/0200",
      idempotencyKey: "upi-0200",
    };
    const first = await app.inject({
      method: "POST",
      url: "/api/v1/payment-links",
      headers: headers(),
      payload,
    });
    expect(first.statusCode).toBe(201);
    const link = first.json<{ link: { url: string; qrSvg: string; id: string } }>().link;
    expect(link.url).toBe(
      "upi://pay?pa=routepayments@okaxis&pn=Route%20Payments&am=1180.00&cu=INR&tn=Invoice%20INV%2F2025-26%2F0200&tr=INV-2025-26-0200",
    );
    expect(link.qrSvg).toContain("<svg");
    const again = await app.inject({
      method: "POST",
      url: "/api/v1/payment-links",
      headers: headers(),
      payload,
    });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ created: false, link: { id: link.id } });
    const expired = await app.inject({
      method: "POST",
      url: `/api/v1/payment-links/${link.id}/expiry`,
      headers: headers(),
    });
    expect(expired.json()).toMatchObject({ status: "expired" });
  });

  it("creates and cancels Razorpay and Cashfree links through their APIs", async () => {
    const customerId = newUuid();
    const razor = await app.inject({
      method: "POST",
      url: "/api/v1/payment-links",
      headers: headers(),
      payload: {
        kind: "razorpay",
        amountPaise: "59000",
        reference: "INV-0300",
        customerId,
        description: "Invoice INV-0300",
        customer: { name: "Kulkarni Stores", phone: "9876543210" },
      },
    });
    expect(razor.statusCode).toBe(201);
    const link = razor.json<{ link: { id: string; providerLinkId: string; url: string } }>().link;
    expect(link.providerLinkId).toMatch(/^plink_/);
    expect(razorpay.requests.at(-1)).toMatchObject({
      method: "POST",
      path: "/v1/payment_links",
      body: { amount: 59000, reference_id: "INV-0300" },
    });
    const cancelled = await app.inject({
      method: "POST",
      url: `/api/v1/payment-links/${link.id}/expiry`,
      headers: headers(),
    });
    expect(cancelled.json()).toMatchObject({ status: "cancelled" });

    const cf = await app.inject({
      method: "POST",
      url: "/api/v1/payment-links",
      headers: headers(),
      payload: {
        kind: "cashfree",
        amountPaise: "120050",
        reference: "INV-0301",
        description: "Invoice INV-0301",
        customer: { name: "Kulkarni Stores" },
        idempotencyKey: "cf-0301",
      },
    });
    expect(cf.statusCode).toBe(201);
    expect(cashfree.requests.at(-1)).toMatchObject({
      path: "/pg/links",
      body: { link_id: "cf-0301", link_amount: 1200.5 },
    });
    const list = await app.inject({
      method: "GET",
      url: "/api/v1/payment-links?limit=10",
      headers: headers(),
    });
    expect(list.json<{ items: unknown[] }>().items.length).toBeGreaterThanOrEqual(3);
  });
});

function razorpayEvent(options: {
  paymentId: string;
  linkId: string;
  reference: string;
  amount: number;
  createdAt: number;
}) {
  // Unusual spacing on purpose: the signature covers these exact bytes, not a re-serialisation.
  return `{"entity":"event",  "event":"payment_link.paid","created_at":${options.createdAt},"payload":{"payment":{"entity":{"id":"${options.paymentId}","amount":${options.amount},"currency":"INR","status":"captured","method":"upi","vpa":"kulkarni@okhdfcbank","created_at":${options.createdAt},"acquirer_data":{"rrn":"52340000${options.paymentId.slice(-4)}"}}},"payment_link":{"entity":{"id":"${options.linkId}","reference_id":"${options.reference}"}}}}`;
}

function signRazorpay(body: string, secret = RAZORPAY_WEBHOOK_SECRET): string {
  return createHmac("sha256", secret).update(body).digest("hex");
}

describe("gateway webhooks", () => {
  let invoiceId: string;
  let linkId: string;
  let providerLinkId: string;
  const customerId = newUuid();

  beforeAll(async () => {
    invoiceId = await registerInvoice(customerId, "70000", "INV/2025-26/0400");
    const created = await app.inject({
      method: "POST",
      url: "/api/v1/payment-links",
      headers: headers(),
      payload: {
        kind: "razorpay",
        amountPaise: "70000",
        reference: "INV-0400",
        invoiceId,
        customerId,
        description: "Invoice INV-0400",
        customer: { name: "Kulkarni Stores" },
      },
    });
    const link = created.json<{ link: { id: string; providerLinkId: string } }>().link;
    linkId = link.id;
    providerLinkId = link.providerLinkId;
  });

  const deliver = (body: string, options: { signature?: string; eventId?: string; tenant?: string } = {}) =>
    app.inject({
      method: "POST",
      url: `/api/v1/webhooks/razorpay/${options.tenant ?? tenantSlug}`,
      headers: {
        "content-type": "application/json",
        "x-razorpay-signature": options.signature ?? signRazorpay(body),
        "x-razorpay-event-id": options.eventId ?? "evt_1",
      },
      payload: body,
    });

  it("refuses a forged signature, a stale delivery and an unknown business", async () => {
    const body = razorpayEvent({
      paymentId: "pay_Forged0001",
      linkId: providerLinkId,
      reference: "INV-0400",
      amount: 70000,
      createdAt: NOW / 1000 - 60,
    });
    expect((await deliver(body, { signature: signRazorpay(body, "wrong") })).statusCode).toBe(401);
    const stale = razorpayEvent({
      paymentId: "pay_Stale0001",
      linkId: providerLinkId,
      reference: "INV-0400",
      amount: 70000,
      createdAt: NOW / 1000 - 3 * 86_400,
    });
    expect((await deliver(stale, { eventId: "evt_stale" })).statusCode).toBe(401);
    expect((await deliver(body, { tenant: "no-such-business" })).statusCode).toBe(404);
  });

  it("records the payment once, credits the link's customer and settles its invoice; replays are duplicates", async () => {
    const body = razorpayEvent({
      paymentId: "pay_Real0001",
      linkId: providerLinkId,
      reference: "INV-0400",
      amount: 70000,
      createdAt: NOW / 1000 - 60,
    });
    const [first, second] = await Promise.all([
      deliver(body, { eventId: "evt_real" }),
      deliver(body, { eventId: "evt_real" }),
    ]);
    const statuses = [
      first?.json<{ status: string }>().status,
      second?.json<{ status: string }>().status,
    ].sort();
    expect(statuses).toEqual(["duplicate", "processed"]);
    expect((await deliver(body, { eventId: "evt_real" })).json()).toMatchObject({ status: "duplicate" });
    // The same payment announced under another event id is recognised too.
    expect((await deliver(body, { eventId: "evt_other" })).json()).toMatchObject({ status: "duplicate" });

    const received = (await outboxEvents(database, tenantId, "payment.received")).filter(
      (event) => event.data.externalId === "pay_Real0001",
    );
    expect(received).toHaveLength(1);
    expect(received[0]?.data).toMatchObject({
      source: "razorpay",
      customerId,
      amountPaise: "70000",
      reference: "INV-0400",
    });
    const receivable = await app.inject({
      method: "GET",
      url: `/api/v1/payments/receivables/${invoiceId}`,
      headers: headers(),
    });
    expect(receivable.json()).toMatchObject({ openPaise: "0" });
    const link = await app.inject({
      method: "GET",
      url: `/api/v1/payment-links/${linkId}`,
      headers: headers(),
    });
    expect(link.json()).toMatchObject({ status: "paid", amountPaidPaise: "70000" });
  });

  it("verifies Cashfree's timestamped signature over the raw body", async () => {
    const body = JSON.stringify({
      data: {
        order: {
          order_id: "order_77",
          order_amount: 450.5,
          order_currency: "INR",
          order_tags: { reference: "ADV-77" },
        },
        payment: {
          cf_payment_id: 99887766,
          payment_status: "SUCCESS",
          payment_amount: 450.5,
          payment_currency: "INR",
          payment_time: "2025-08-20T09:58:00+05:30",
          bank_reference: "523499990000",
          payment_group: "upi",
          payment_method: { upi: { upi_id: "payer@ybl" } },
        },
        customer_details: { customer_name: "Walk-in" },
      },
      event_time: "2025-08-20T09:58:05+05:30",
      type: "PAYMENT_SUCCESS_WEBHOOK",
    });
    const timestamp = String(NOW - 30_000);
    const signature = createHmac("sha256", CASHFREE_SECRET)
      .update(timestamp + body)
      .digest("base64");
    const send = (sig: string) =>
      app.inject({
        method: "POST",
        url: `/api/v1/webhooks/cashfree/${tenantId}`,
        headers: {
          "content-type": "application/json",
          "x-webhook-signature": sig,
          "x-webhook-timestamp": timestamp,
        },
        payload: body,
      });
    const response = await send(signature);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: "processed" });
    expect((await send(signature)).json()).toMatchObject({ status: "duplicate" });
    expect((await send(`${signature.slice(0, -4)}AAA=`)).statusCode).toBe(401);
  });
});

describe("reconciliation and TDS over HTTP", () => {
  it("imports a statement, runs matching and records a decision", async () => {
    const customerId = newUuid();
    await app.inject({
      method: "PUT",
      url: `/api/v1/payments/payers/${customerId}`,
      headers: headers(),
      payload: { name: "Deshpande Textiles" },
    });
    const invoiceId = await registerInvoice(customerId, "4500000", "INV/2025-26/0777");
    const account = await app.inject({
      method: "POST",
      url: "/api/v1/reconciliation/bank-accounts",
      headers: headers(),
      payload: { name: "SBI current", accountIdentifier: "30012345678" },
    });
    expect(account.statusCode).toBe(201);
    const content = [
      ":20:STMT",
      ":25:30012345678",
      ":28C:1/1",
      ":60F:C250819INR0,00",
      ":61:2508200820C45000,00NTRFNONREF",
      ":86:NEFT CR-SBIN0000300-DESHPANDE TEXTILES-INV/2025-26/0777",
      ":62F:C250820INR45000,00",
      "-",
    ].join("\r\n");
    const imported = await app.inject({
      method: "POST",
      url: "/api/v1/reconciliation/statements",
      headers: headers(),
      payload: { bankAccountId: account.json<{ id: string }>().id, format: "mt940", content },
    });
    expect(imported.statusCode).toBe(201);
    const run = await app.inject({
      method: "POST",
      url: "/api/v1/reconciliation/runs",
      headers: headers(),
      payload: { autoApply: false },
    });
    expect(run.statusCode).toBe(201);
    const proposal = run
      .json<{ proposals: Array<{ id: string; allocations: Array<{ invoiceId: string }> }> }>()
      .proposals.find((item) => item.allocations[0]?.invoiceId === invoiceId);
    expect(proposal).toBeDefined();
    const reviewerOnly = await app.inject({
      method: "POST",
      url: `/api/v1/reconciliation/proposals/${proposal?.id}/decision`,
      headers: headers({ permissions: "payments:read,payments:write" }),
      payload: { decision: "accept" },
    });
    expect(reviewerOnly.statusCode).toBe(403);
    const decided = await app.inject({
      method: "POST",
      url: `/api/v1/reconciliation/proposals/${proposal?.id}/decision`,
      headers: headers(),
      payload: { decision: "accept", note: "narration names the invoice" },
    });
    expect(decided.statusCode).toBe(200);
    expect(decided.json()).toMatchObject({ proposal: { status: "accepted" } });
    const other = await app.inject({
      method: "GET",
      url: `/api/v1/reconciliation/proposals/${proposal?.id}`,
      headers: headers({ tenant: otherTenantId }),
    });
    expect(other.statusCode).toBe(404);
  });

  it("imports Form 26AS and reports per quarter", async () => {
    const mapping = await app.inject({
      method: "PUT",
      url: "/api/v1/tds/26as/mappings/traces",
      headers: headers(),
      payload: {
        deductorName: "Name of Deductor",
        tan: "TAN of Deductor",
        section: "Section",
        transactionDate: "Transaction Date",
        amountPaid: "Amount Paid / Credited",
        taxDeducted: "Tax Deducted",
        bookingStatus: "Status of Booking",
      },
    });
    expect(mapping.statusCode).toBe(200);
    const content = [
      "Name of Deductor,TAN of Deductor,Section,Transaction Date,Status of Booking,Amount Paid / Credited,Tax Deducted",
      'ACME INFRA PRIVATE LIMITED,MUMA12345B,194C,15-Jul-2025,F,"1,00,000.00","2,000.00"',
    ].join("\n");
    const imported = await app.inject({
      method: "POST",
      url: "/api/v1/tds/26as/imports",
      headers: headers(),
      payload: { content, mappingName: "traces" },
    });
    expect(imported.statusCode).toBe(201);
    const report = await app.inject({
      method: "GET",
      url: "/api/v1/tds/26as/report?financialYear=2025-26",
      headers: headers(),
    });
    expect(report.json()).toMatchObject({
      quarters: [{ quarter: "Q2", creditedNotClaimed: [{ tan: "MUMA12345B", creditedPaise: "200000" }] }],
    });
  });
});
