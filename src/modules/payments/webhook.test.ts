import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sharedPath } from "../../../test/support/shared-path.ts";
import { AppError } from "../../kernel/app-error.ts";
import { parsePaymentEvent, toJsonSafe } from "./payment.events.ts";
import { normaliseGatewayPayment } from "./webhook.normaliser.ts";
import {
  createInMemoryReplayGuard,
  verifyCashfreeSignature,
  verifyCashfreeWebhook,
  verifyRazorpayPaymentLinkSignature,
  verifyRazorpayPaymentSignature,
  verifyRazorpaySignature,
  verifyRazorpaySubscriptionSignature,
  verifyRazorpayWebhook,
} from "./webhook.verifier.ts";

interface VectorRow {
  case: string;
  secret: string;
  message: string;
  expected_hex_signature: string;
  wrong_signature_rejected: string;
}

function readVectors(): VectorRow[] {
  const lines = readFileSync(sharedPath("reference/india/payments/webhook_signature_vectors.csv"), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"));
  const header = (lines.shift() ?? "").split(",");
  return lines.map((line) => {
    const cells: string[] = [];
    let current = "";
    let quoted = false;
    for (let index = 0; index < line.length; index += 1) {
      const char = line.charAt(index);
      if (char === '"' && quoted && line.charAt(index + 1) === '"') {
        current += '"';
        index += 1;
      } else if (char === '"') quoted = !quoted;
      else if (char === "," && !quoted) {
        cells.push(current);
        current = "";
      } else current += char;
    }
    cells.push(current);
    return Object.fromEntries(
      header.map((name, index) => [name, cells[index] ?? ""]),
    ) as unknown as VectorRow;
  });
}

describe("Razorpay signature vectors (razorpay-node tests)", () => {
  const rows = readVectors();

  it("has the four documented cases", () => {
    expect(rows.map((row) => row.case)).toEqual([
      "razorpay_webhook",
      "razorpay_payment",
      "razorpay_subscription",
      "razorpay_payment_link",
    ]);
  });

  for (const row of rows) {
    it(`${row.case}: accepts the expected signature and rejects the wrong one`, () => {
      const verify = (signature: string): boolean => {
        const parts = row.message.split("|");
        switch (row.case) {
          case "razorpay_webhook":
            return verifyRazorpaySignature({ body: row.message, signature, secret: row.secret });
          case "razorpay_payment":
            return verifyRazorpayPaymentSignature({
              orderId: parts[0] ?? "",
              paymentId: parts[1] ?? "",
              signature,
              keySecret: row.secret,
            });
          case "razorpay_subscription":
            return verifyRazorpaySubscriptionSignature({
              paymentId: parts[0] ?? "",
              subscriptionId: parts[1] ?? "",
              signature,
              keySecret: row.secret,
            });
          case "razorpay_payment_link":
            return verifyRazorpayPaymentLinkSignature({
              paymentLinkId: parts[0] ?? "",
              referenceId: parts[1] ?? "",
              status: parts[2] ?? "",
              paymentId: parts[3] ?? "",
              signature,
              keySecret: row.secret,
            });
          default:
            throw new Error(`unknown case ${row.case}`);
        }
      };
      expect(verify(row.expected_hex_signature)).toBe(true);
      expect(verify(row.expected_hex_signature.toUpperCase())).toBe(true);
      expect(verify(row.wrong_signature_rejected)).toBe(false);
      expect(verify(row.expected_hex_signature.slice(0, -2))).toBe(false);
      expect(verify(`${row.expected_hex_signature.slice(0, -1)}0`)).toBe(
        row.expected_hex_signature.endsWith("0"),
      );
      expect(verify("")).toBe(false);
    });
  }
});

const SECRET = "whsec_test_4f2a";
const NOW = new Date("2025-07-20T06:00:00Z");

function razorpayBody(event: string, createdAt: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    entity: "event",
    account_id: "acc_BFQ7uQEaa7j2z7",
    event,
    contains: ["payment"],
    payload: {
      payment: {
        entity: {
          id: "pay_Q1w2e3r4t5y6u7",
          entity: "payment",
          amount: 11_600_000,
          currency: "INR",
          status: "captured",
          method: "upi",
          vpa: "acme.infra@okhdfcbank",
          email: "accounts@acme.example",
          contact: "+919876543210",
          notes: [],
          acquirer_data: { rrn: "519812345678" },
          created_at: createdAt,
        },
      },
      ...extra,
    },
    created_at: createdAt,
  });
}

const sign = (body: string): string => createHmac("sha256", SECRET).update(body).digest("hex");
const unix = (date: Date): number => Math.floor(date.getTime() / 1000);

describe("verifyRazorpayWebhook", () => {
  it("accepts a signed fresh event once, then refuses the replay", async () => {
    const guard = createInMemoryReplayGuard();
    const body = razorpayBody("payment.captured", unix(NOW) - 60);
    const headers = { "X-Razorpay-Signature": sign(body), "X-Razorpay-Event-Id": "evt_1" };
    const verified = await verifyRazorpayWebhook({
      rawBody: Buffer.from(body),
      headers,
      secret: SECRET,
      now: NOW,
      replayGuard: guard,
    });
    expect(verified).toMatchObject({ provider: "razorpay", eventId: "evt_1", eventType: "payment.captured" });
    await expect(
      verifyRazorpayWebhook({ rawBody: body, headers, secret: SECRET, now: NOW, replayGuard: guard }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
    });
  });

  it("refuses a forged body, a missing header, a re-serialised body and a stale event", async () => {
    const guard = createInMemoryReplayGuard();
    const body = razorpayBody("payment.captured", unix(NOW) - 60);
    const forged = body.replace("11600000", "99600000");
    await expect(
      verifyRazorpayWebhook({
        rawBody: forged,
        headers: { "x-razorpay-signature": sign(body) },
        secret: SECRET,
        now: NOW,
        replayGuard: guard,
      }),
    ).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(
      verifyRazorpayWebhook({ rawBody: body, headers: {}, secret: SECRET, now: NOW, replayGuard: guard }),
    ).rejects.toThrow(/header missing/);
    const reserialised = JSON.stringify(JSON.parse(body), null, 2);
    await expect(
      verifyRazorpayWebhook({
        rawBody: reserialised,
        headers: { "x-razorpay-signature": sign(body) },
        secret: SECRET,
        now: NOW,
        replayGuard: guard,
      }),
    ).rejects.toThrow(/signature does not match/);
    const stale = razorpayBody("payment.captured", unix(NOW) - 2 * 24 * 3600);
    await expect(
      verifyRazorpayWebhook({
        rawBody: stale,
        headers: { "x-razorpay-signature": sign(stale) },
        secret: SECRET,
        now: NOW,
        replayGuard: guard,
      }),
    ).rejects.toThrow(/stale/);
    await expect(
      verifyRazorpayWebhook({
        rawBody: body,
        headers: { "x-razorpay-signature": sign(body) },
        secret: SECRET,
        now: NOW,
        replayGuard: guard,
        toleranceSeconds: 30,
      }),
    ).rejects.toThrow(/stale/);
  });

  it("normalises payment.captured and payment_link.paid into payment.received", async () => {
    const guard = createInMemoryReplayGuard();
    const body = razorpayBody("payment_link.paid", unix(NOW) - 10, {
      payment_link: { entity: { id: "plink_Test1", reference_id: "INV-2025-26-0042", status: "paid" } },
    });
    const verified = await verifyRazorpayWebhook({
      rawBody: body,
      headers: { "x-razorpay-signature": sign(body) },
      secret: SECRET,
      now: NOW,
      replayGuard: guard,
    });
    const payment = normaliseGatewayPayment(verified);
    expect(payment).toEqual({
      source: "razorpay",
      externalId: "pay_Q1w2e3r4t5y6u7",
      method: "upi",
      amountPaise: 11_600_000n,
      currency: "INR",
      receivedAt: "2025-07-20T05:59:50.000Z",
      receivedOn: "2025-07-20",
      utr: "519812345678",
      payer: { vpa: "acme.infra@okhdfcbank", email: "accounts@acme.example", phone: "+919876543210" },
      reference: "INV-2025-26-0042",
      paymentLinkId: "plink_Test1",
      notes: {},
    });
    const event = parsePaymentEvent(
      JSON.parse(JSON.stringify(toJsonSafe({ type: "payment.received", payload: payment }))),
    );
    expect(event.payload).toEqual(payment);
  });

  it("ignores failed payments and refuses a captured payment without an amount", async () => {
    const guard = createInMemoryReplayGuard();
    const failed = razorpayBody("payment.failed", unix(NOW)).replace('"captured"', '"failed"');
    const verified = await verifyRazorpayWebhook({
      rawBody: failed,
      headers: { "x-razorpay-signature": sign(failed) },
      secret: SECRET,
      now: NOW,
      replayGuard: guard,
    });
    expect(normaliseGatewayPayment(verified)).toBeUndefined();
    const broken = razorpayBody("payment.captured", unix(NOW)).replace(
      '"amount":11600000',
      '"amount":"lots"',
    );
    const brokenVerified = await verifyRazorpayWebhook({
      rawBody: broken,
      headers: { "x-razorpay-signature": sign(broken) },
      secret: SECRET,
      now: NOW,
      replayGuard: guard,
    });
    expect(() => normaliseGatewayPayment(brokenVerified)).toThrow(AppError);
  });

  it("normalises a virtual-account NEFT credit with its UTR and remitter", async () => {
    const guard = createInMemoryReplayGuard();
    const body = JSON.stringify({
      entity: "event",
      event: "virtual_account.credited",
      payload: {
        payment: {
          entity: {
            id: "pay_VA1",
            amount: 590_000_00,
            currency: "INR",
            status: "captured",
            method: "bank_transfer",
            created_at: unix(NOW),
          },
        },
        bank_transfer: {
          entity: {
            id: "bt_1",
            mode: "NEFT",
            bank_reference: "SBIN425201123456",
            amount: 590_000_00,
            payer_bank_account: {
              name: "PWD DIVISION 4",
              ifsc: "SBIN0000300",
              account_number: "30123456789",
            },
          },
        },
      },
      created_at: unix(NOW),
    });
    const verified = await verifyRazorpayWebhook({
      rawBody: body,
      headers: { "x-razorpay-signature": sign(body) },
      secret: SECRET,
      now: NOW,
      replayGuard: guard,
    });
    expect(normaliseGatewayPayment(verified)).toMatchObject({
      method: "neft",
      utr: "SBIN425201123456",
      amountPaise: 590_000_00n,
      payer: { name: "PWD DIVISION 4", accountNumber: "30123456789" },
    });
  });
});

function cashfreeSign(timestamp: string, body: string): string {
  return createHmac("sha256", SECRET)
    .update(timestamp + body)
    .digest("base64");
}

const cashfreeBody = JSON.stringify({
  data: {
    order: {
      order_id: "order_INV42",
      order_amount: 1160.5,
      order_currency: "INR",
      order_tags: { reference: "INV-2025-26-0042" },
    },
    payment: {
      cf_payment_id: 5114910346021,
      payment_status: "SUCCESS",
      payment_amount: 1160.5,
      payment_currency: "INR",
      payment_time: "2025-07-20T11:29:30+05:30",
      bank_reference: "519812345679",
      payment_group: "upi",
      payment_method: { upi: { channel: null, upi_id: "payer@ybl" } },
    },
    customer_details: {
      customer_name: "Acme Infra",
      customer_email: "accounts@acme.example",
      customer_phone: "9876543210",
    },
  },
  event_time: "2025-07-20T11:29:35+05:30",
  type: "PAYMENT_SUCCESS_WEBHOOK",
});

describe("verifyCashfreeWebhook", () => {
  const timestamp = String(NOW.getTime() - 20_000);

  it("verifies base64 HMAC of timestamp + body and normalises the payment", async () => {
    const guard = createInMemoryReplayGuard();
    const headers = {
      "x-webhook-signature": cashfreeSign(timestamp, cashfreeBody),
      "x-webhook-timestamp": timestamp,
    };
    const verified = await verifyCashfreeWebhook({
      rawBody: cashfreeBody,
      headers,
      secret: SECRET,
      now: NOW,
      replayGuard: guard,
    });
    expect(verified.eventId).toBe("PAYMENT_SUCCESS_WEBHOOK:5114910346021");
    expect(normaliseGatewayPayment(verified)).toMatchObject({
      source: "cashfree",
      externalId: "5114910346021",
      method: "upi",
      amountPaise: 116_050n,
      utr: "519812345679",
      receivedOn: "2025-07-20",
      reference: "INV-2025-26-0042",
      payer: { name: "Acme Infra", vpa: "payer@ybl" },
    });
    await expect(
      verifyCashfreeWebhook({ rawBody: cashfreeBody, headers, secret: SECRET, now: NOW, replayGuard: guard }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
    });
  });

  it("refuses a signature made with another timestamp, a stale timestamp and a wrong secret", async () => {
    const guard = createInMemoryReplayGuard();
    const other = String(Number(timestamp) + 1000);
    await expect(
      verifyCashfreeWebhook({
        rawBody: cashfreeBody,
        headers: {
          "x-webhook-signature": cashfreeSign(timestamp, cashfreeBody),
          "x-webhook-timestamp": other,
        },
        secret: SECRET,
        now: NOW,
        replayGuard: guard,
      }),
    ).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    const old = String(NOW.getTime() - 3600_000);
    await expect(
      verifyCashfreeWebhook({
        rawBody: cashfreeBody,
        headers: { "x-webhook-signature": cashfreeSign(old, cashfreeBody), "x-webhook-timestamp": old },
        secret: SECRET,
        now: NOW,
        replayGuard: guard,
      }),
    ).rejects.toThrow(/stale/);
    expect(
      verifyCashfreeSignature({
        body: cashfreeBody,
        timestamp,
        signature: cashfreeSign(timestamp, cashfreeBody),
        secret: "other",
      }),
    ).toBe(false);
    const seconds = String(Math.floor(NOW.getTime() / 1000));
    expect(
      (
        await verifyCashfreeWebhook({
          rawBody: cashfreeBody,
          headers: {
            "x-webhook-signature": cashfreeSign(seconds, cashfreeBody),
            "x-webhook-timestamp": seconds,
          },
          secret: SECRET,
          now: NOW,
          replayGuard: guard,
        })
      ).provider,
    ).toBe("cashfree");
  });

  it("never accepts random signatures and never throws anything but AppError", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.string(), fc.string(), async (body, signature, stamp) => {
        try {
          await verifyCashfreeWebhook({
            rawBody: body,
            headers: { "x-webhook-signature": signature, "x-webhook-timestamp": stamp },
            secret: SECRET,
            now: NOW,
            replayGuard: createInMemoryReplayGuard(),
          });
          expect.unreachable();
        } catch (error) {
          expect(error).toBeInstanceOf(AppError);
        }
        try {
          await verifyRazorpayWebhook({
            rawBody: body,
            headers: { "x-razorpay-signature": signature },
            secret: SECRET,
            now: NOW,
            replayGuard: createInMemoryReplayGuard(),
          });
          expect.unreachable();
        } catch (error) {
          expect(error).toBeInstanceOf(AppError);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("replay guard", () => {
  it("forgets keys after the retention window and can release a key", async () => {
    const guard = createInMemoryReplayGuard({ retentionSeconds: 60 });
    expect(await guard.claim("a", NOW)).toBe(true);
    expect(await guard.claim("a", new Date(NOW.getTime() + 30_000))).toBe(false);
    expect(await guard.claim("a", new Date(NOW.getTime() + 120_000))).toBe(true);
    await guard.release?.("a");
    expect(await guard.claim("a", new Date(NOW.getTime() + 121_000))).toBe(true);
  });
});
