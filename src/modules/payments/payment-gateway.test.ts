import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../../kernel/app-error.ts";
import { parseRupees } from "../../kernel/money.ts";
import { createCashfreeGateway, toIstIso } from "./cashfree.gateway.ts";
import type { CreatePaymentLinkRequest } from "./payment-gateway.port.ts";
import { createRazorpayGateway } from "./razorpay.gateway.ts";

const NOW = new Date("2025-07-01T10:00:00Z");
const clock = (): Date => NOW;

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: unknown;
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text === "" ? undefined : (JSON.parse(text) as unknown);
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

async function listen(
  handler: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    handler(request, response).catch((error: unknown) => send(response, 500, { message: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function rpError(response: ServerResponse, status: number, description: string, field?: string): void {
  send(response, status, {
    error: {
      code: status === 401 ? "BAD_REQUEST_ERROR" : "BAD_REQUEST_ERROR",
      description,
      source: "NA",
      step: "NA",
      reason: "NA",
      metadata: {},
      ...(field ? { field } : {}),
    },
  });
}

/** Follows the documented Razorpay Payment Links contract closely enough to catch a wrong request. */
function razorpayFake(recorded: Recorded[]) {
  const links = new Map<string, Record<string, unknown>>();
  let next = 1;
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const body = await readBody(request);
    recorded.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body });
    if (request.headers.authorization !== `Basic ${Buffer.from("rzp_test_key:secret").toString("base64")}`) {
      return rpError(response, 401, "The api key provided is invalid");
    }
    const url = new URL(request.url ?? "/", "http://localhost");
    if (request.method === "POST" && url.pathname === "/v1/payment_links") {
      const input = body as Record<string, unknown>;
      if (!Number.isInteger(input.amount) || (input.amount as number) < 100)
        return rpError(response, 400, "The amount must be atleast INR 1.00", "amount");
      if (input.currency !== "INR") return rpError(response, 400, "The currency is invalid", "currency");
      if (typeof input.expire_by !== "number" || !Number.isInteger(input.expire_by))
        return rpError(response, 400, "expire_by must be a unix timestamp", "expire_by");
      if ([...links.values()].some((link) => link.reference_id === input.reference_id)) {
        return rpError(
          response,
          400,
          `Payment Link with reference id ${String(input.reference_id)} already exists`,
          "reference_id",
        );
      }
      const id = `plink_Test${next++}`;
      const link = {
        id,
        entity: "payment_link",
        amount: input.amount,
        amount_paid: 0,
        currency: "INR",
        reference_id: input.reference_id,
        description: input.description,
        expire_by: input.expire_by,
        customer: input.customer,
        notes: input.notes,
        status: "created",
        short_url: `https://rzp.io/i/${id.slice(6)}`,
        created_at: 1_751_364_000,
      };
      links.set(id, link);
      return send(response, 200, link);
    }
    if (request.method === "GET" && url.pathname === "/v1/payment_links") {
      const reference = url.searchParams.get("reference_id");
      return send(response, 200, {
        payment_links: [...links.values()].filter((link) => link.reference_id === reference),
      });
    }
    const match = /^\/v1\/payment_links\/(plink_\w+)(\/cancel)?$/.exec(url.pathname);
    const link = match ? links.get(match[1] ?? "") : undefined;
    if (!link) return rpError(response, 400, "The id provided does not exist", "id");
    if (match?.[2] && request.method === "POST") {
      if (link.status !== "created")
        return rpError(response, 400, "Payment Link can not be cancelled in its current state");
      link.status = "cancelled";
      link.cancelled_at = 1_751_365_000;
    }
    return send(response, 200, link);
  };
}

/** Follows the documented Cashfree PG Payment Links contract. */
function cashfreeFake(recorded: Recorded[]) {
  const links = new Map<string, Record<string, unknown>>();
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const body = await readBody(request);
    recorded.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body });
    if (request.headers["x-client-id"] !== "cf_id" || request.headers["x-client-secret"] !== "cf_secret") {
      return send(response, 401, {
        message: "authentication Failed",
        code: "request_failed",
        type: "authentication_error",
      });
    }
    if (!request.headers["x-api-version"])
      return send(response, 400, {
        message: "x-api-version missing",
        code: "request_invalid",
        type: "invalid_request_error",
      });
    const url = new URL(request.url ?? "/", "http://localhost");
    if (request.method === "POST" && url.pathname === "/pg/links") {
      const input = body as Record<string, unknown>;
      if (typeof input.link_amount !== "number" || input.link_amount < 1)
        return send(response, 400, {
          message: "link_amount : must be at least 1",
          code: "link_amount_invalid",
          type: "invalid_request_error",
        });
      if (typeof input.link_purpose !== "string")
        return send(response, 400, {
          message: "link_purpose is missing",
          code: "link_purpose_missing",
          type: "invalid_request_error",
        });
      if (Number.isNaN(Date.parse(String(input.link_expiry_time))))
        return send(response, 400, {
          message: "link_expiry_time invalid",
          code: "link_expiry_time_invalid",
          type: "invalid_request_error",
        });
      const id = String(input.link_id);
      if (links.has(id))
        return send(response, 409, {
          message: "link_id already exists",
          code: "link_post_failed",
          type: "invalid_request_error",
        });
      const link = {
        cf_link_id: String(links.size + 1996567),
        link_id: id,
        link_status: "ACTIVE",
        link_currency: "INR",
        link_amount: input.link_amount,
        link_amount_paid: 0,
        link_purpose: input.link_purpose,
        link_created_at: "2025-07-01T15:30:00+05:30",
        customer_details: input.customer_details,
        link_url: `https://payments-test.cashfree.com/links/${id}`,
        link_expiry_time: input.link_expiry_time,
        link_notes: input.link_notes,
      };
      links.set(id, link);
      return send(response, 200, link);
    }
    const match = /^\/pg\/links\/([\w-]+)(\/cancel)?$/.exec(url.pathname);
    const link = match ? links.get(match[1] ?? "") : undefined;
    if (!link)
      return send(response, 404, {
        message: "link does not exist",
        code: "link_not_found",
        type: "invalid_request_error",
      });
    if (match?.[2] && request.method === "POST") link.link_status = "CANCELLED";
    return send(response, 200, link);
  };
}

const request: CreatePaymentLinkRequest = {
  amountPaise: parseRupees("1,18,000.50"),
  reference: "INV-2025-26-0042",
  idempotencyKey: "inv42-attempt1",
  description: "Invoice INV/2025-26/0042",
  customer: { name: "Acme Infra Pvt Ltd", email: "accounts@acme.example", phone: "+919876543210" },
  expiresAt: new Date("2025-07-15T18:29:59Z"),
  notifyByEmail: true,
};

describe("Razorpay payment links", () => {
  const recorded: Recorded[] = [];
  let server: Server;
  let baseUrl = "";
  beforeAll(async () => {
    ({ server, url: baseUrl } = await listen(razorpayFake(recorded)));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const gateway = () => createRazorpayGateway({ keyId: "rzp_test_key", keySecret: "secret", baseUrl, clock });

  it("creates a link with paise, expire_by in unix seconds and the reference, then fetches and cancels it", async () => {
    const link = await gateway().createPaymentLink(request);
    expect(link).toMatchObject({
      provider: "razorpay",
      reference: "INV-2025-26-0042",
      status: "active",
      amountPaise: 11_800_050n,
      amountPaidPaise: 0n,
      expiresAt: new Date("2025-07-15T18:29:59Z"),
    });
    expect(link.url).toMatch(/^https:\/\/rzp\.io\/i\//);
    const sent = recorded.at(-1)?.body as Record<string, unknown>;
    expect(sent).toMatchObject({
      amount: 11_800_050,
      currency: "INR",
      expire_by: 1_752_604_199,
      reference_id: "INV-2025-26-0042",
      customer: { name: "Acme Infra Pvt Ltd", email: "accounts@acme.example", contact: "+919876543210" },
      notify: { sms: false, email: true },
      notes: { idempotency_key: "inv42-attempt1" },
    });
    expect((await gateway().fetchPaymentLink(link.id)).status).toBe("active");
    expect((await gateway().cancelPaymentLink(link.id)).status).toBe("cancelled");
    await expect(gateway().cancelPaymentLink(link.id)).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });

  it("returns the existing link when a create is retried, and refuses a retry for another amount", async () => {
    const retried = { ...request, reference: "INV-RETRY-1", idempotencyKey: "retry-1" };
    const first = await gateway().createPaymentLink(retried);
    const second = await gateway().createPaymentLink(retried);
    expect(second.id).toBe(first.id);
    await expect(gateway().createPaymentLink({ ...retried, amountPaise: 100_00n })).rejects.toMatchObject({
      code: "CONFLICT",
    });
  });

  it("maps refused credentials, provider validation errors and unknown ids", async () => {
    const wrong = createRazorpayGateway({ keyId: "rzp_test_key", keySecret: "nope", baseUrl, clock });
    await expect(wrong.fetchPaymentLink("plink_Test1")).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    const tooSmall = gateway().createPaymentLink({ ...request, reference: "SMALL", amountPaise: 50n });
    await expect(tooSmall).rejects.toMatchObject({
      code: "INVALID_INPUT",
      issues: [{ field: "gateway.amount", reason: "The amount must be atleast INR 1.00" }],
    });
    await expect(gateway().fetchPaymentLink("plink_Missing")).rejects.toBeInstanceOf(AppError);
    await expect(gateway().fetchPaymentLink("../etc")).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });

  it("validates the request before calling out", async () => {
    const before = recorded.length;
    await expect(
      gateway().createPaymentLink({
        ...request,
        expiresAt: new Date("2025-06-30T00:00:00Z"),
        customer: { name: "", phone: "12345" },
      }),
    ).rejects.toMatchObject({ code: "INVALID_INPUT" });
    expect(recorded.length).toBe(before);
  });
});

describe("Cashfree payment links", () => {
  const recorded: Recorded[] = [];
  let server: Server;
  let baseUrl = "";
  beforeAll(async () => {
    ({ server, url: baseUrl } = await listen(cashfreeFake(recorded)));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const gateway = () =>
    createCashfreeGateway({ clientId: "cf_id", clientSecret: "cf_secret", baseUrl: `${baseUrl}/pg`, clock });

  it("creates a link in rupees with an IST expiry and the auth headers, then fetches and cancels it", async () => {
    const link = await gateway().createPaymentLink(request);
    expect(link).toMatchObject({
      provider: "cashfree",
      id: "inv42-attempt1",
      reference: "INV-2025-26-0042",
      status: "active",
      amountPaise: 11_800_050n,
    });
    const last = recorded.at(-1);
    expect(last?.headers["x-api-version"]).toBe("2025-01-01");
    expect(last?.headers["x-idempotency-key"]).toBe("inv42-attempt1");
    expect(last?.body).toMatchObject({
      link_id: "inv42-attempt1",
      link_amount: 118000.5,
      link_currency: "INR",
      link_purpose: "Invoice INV/2025-26/0042",
      link_expiry_time: "2025-07-15T23:59:59+05:30",
      customer_details: {
        customer_name: "Acme Infra Pvt Ltd",
        customer_phone: "9876543210",
        customer_email: "accounts@acme.example",
      },
      link_notes: { reference: "INV-2025-26-0042" },
    });
    expect(link.expiresAt?.toISOString()).toBe("2025-07-15T18:29:59.000Z");
    expect((await gateway().fetchPaymentLink("inv42-attempt1")).status).toBe("active");
    expect((await gateway().cancelPaymentLink("inv42-attempt1")).status).toBe("cancelled");
  });

  it("is idempotent on the link id and refuses a conflicting retry", async () => {
    const again = await gateway().createPaymentLink(request);
    expect(again.id).toBe("inv42-attempt1");
    await expect(gateway().createPaymentLink({ ...request, amountPaise: 500_00n })).rejects.toMatchObject({
      code: "CONFLICT",
    });
  });

  it("maps refused credentials and missing links", async () => {
    const wrong = createCashfreeGateway({
      clientId: "cf_id",
      clientSecret: "bad",
      baseUrl: `${baseUrl}/pg`,
      clock,
    });
    await expect(wrong.fetchPaymentLink("x")).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(gateway().fetchPaymentLink("nope")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("formats IST times", () => {
    expect(toIstIso(new Date("2021-10-14T09:34:05Z"))).toBe("2021-10-14T15:04:05+05:30");
  });
});

describe("gateway transport failures", () => {
  it("turns a timeout, a 5xx and a 429 into retryable errors", async () => {
    let mode: "hang" | "500" | "429" = "hang";
    const { server, url } = await listen(async (_request, response) => {
      if (mode === "hang") return new Promise<void>(() => undefined);
      response.writeHead(mode === "500" ? 502 : 429, { "content-type": "text/plain" });
      response.end("upstream trouble");
    });
    try {
      const gateway = createRazorpayGateway({
        keyId: "k",
        keySecret: "s",
        baseUrl: url,
        timeoutMs: 200,
        clock,
      });
      await expect(gateway.fetchPaymentLink("plink_X")).rejects.toMatchObject({
        code: "UNAVAILABLE",
        retryable: true,
      });
      mode = "500";
      await expect(gateway.fetchPaymentLink("plink_X")).rejects.toMatchObject({
        code: "UNAVAILABLE",
        retryable: true,
      });
      mode = "429";
      await expect(gateway.fetchPaymentLink("plink_X")).rejects.toMatchObject({
        code: "RATE_LIMITED",
        retryable: true,
      });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const unreachable = createCashfreeGateway({
      clientId: "a",
      clientSecret: "b",
      baseUrl: url,
      timeoutMs: 500,
      clock,
    });
    await expect(unreachable.fetchPaymentLink("x")).rejects.toMatchObject({ code: "UNAVAILABLE" });
  });
});
