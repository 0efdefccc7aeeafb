import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Test helpers: local HTTP servers that follow the documented Razorpay and Cashfree Payment Links contracts
 * (the parts Prapti uses), so the gateway adapters are exercised over real HTTP.
 */
export interface FakeGateway {
  url: string;
  requests: Array<{ method: string; path: string; body: unknown }>;
  close(): Promise<void>;
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text === "" ? undefined : (JSON.parse(text) as unknown);
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

async function serve(
  handle: (
    method: string,
    url: URL,
    body: unknown,
    request: IncomingMessage,
  ) => { status: number; body: unknown },
): Promise<FakeGateway> {
  const requests: FakeGateway["requests"] = [];
  const server: Server = createServer((request, response) => {
    readJson(request)
      .then((body) => {
        const url = new URL(request.url ?? "/", "http://localhost");
        requests.push({ method: request.method ?? "", path: url.pathname, body });
        const answer = handle(request.method ?? "", url, body, request);
        send(response, answer.status, answer.body);
      })
      .catch((error: unknown) => send(response, 500, { message: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Razorpay: basic auth key_id:key_secret, POST /v1/payment_links, GET by reference, POST /:id/cancel. */
export function startFakeRazorpay(credentials: { keyId: string; keySecret: string }): Promise<FakeGateway> {
  const links = new Map<string, Record<string, unknown>>();
  const expected = `Basic ${Buffer.from(`${credentials.keyId}:${credentials.keySecret}`).toString("base64")}`;
  const error = (status: number, description: string, field?: string) => ({
    status,
    body: { error: { code: "BAD_REQUEST_ERROR", description, ...(field ? { field } : {}) } },
  });
  return serve((method, url, body, request) => {
    if (request.headers.authorization !== expected) return error(401, "The api key provided is invalid");
    if (method === "POST" && url.pathname === "/v1/payment_links") {
      const input = body as Record<string, unknown>;
      if (!Number.isInteger(input.amount)) return error(400, "The amount must be an integer", "amount");
      if ([...links.values()].some((link) => link.reference_id === input.reference_id)) {
        return error(
          400,
          `Payment Link with reference id ${String(input.reference_id)} already exists`,
          "reference_id",
        );
      }
      const id = `plink_Fake${links.size + 1}`;
      const link = {
        id,
        entity: "payment_link",
        amount: input.amount,
        amount_paid: 0,
        currency: "INR",
        reference_id: input.reference_id,
        expire_by: input.expire_by,
        status: "created",
        short_url: `https://rzp.io/i/${id.slice(6)}`,
        created_at: 1_755_660_000,
      };
      links.set(id, link);
      return { status: 200, body: link };
    }
    if (method === "GET" && url.pathname === "/v1/payment_links") {
      const reference = url.searchParams.get("reference_id");
      return {
        status: 200,
        body: { payment_links: [...links.values()].filter((link) => link.reference_id === reference) },
      };
    }
    const match = /^\/v1\/payment_links\/(plink_\w+)(\/cancel)?$/.exec(url.pathname);
    const link = match ? links.get(match[1] ?? "") : undefined;
    if (!link) return error(400, "The id provided does not exist", "id");
    if (match?.[2] && method === "POST") {
      if (link.status !== "created")
        return error(400, "Payment Link can not be cancelled in its current state");
      link.status = "cancelled";
    }
    return { status: 200, body: link };
  });
}

/** Cashfree: x-client-id / x-client-secret, POST /pg/links (link_id is ours), POST /pg/links/:id/cancel. */
export function startFakeCashfree(credentials: {
  clientId: string;
  clientSecret: string;
}): Promise<FakeGateway> {
  const links = new Map<string, Record<string, unknown>>();
  return serve((method, url, body, request) => {
    if (
      request.headers["x-client-id"] !== credentials.clientId ||
      request.headers["x-client-secret"] !== credentials.clientSecret
    ) {
      return { status: 401, body: { message: "authentication Failed", code: "request_failed" } };
    }
    if (method === "POST" && url.pathname === "/pg/links") {
      const input = body as Record<string, unknown>;
      const id = String(input.link_id);
      if (links.has(id))
        return { status: 409, body: { message: "link_id already exists", code: "link_post_failed" } };
      const link = {
        link_id: id,
        link_amount: input.link_amount,
        link_amount_paid: 0,
        link_currency: "INR",
        link_status: "ACTIVE",
        link_url: `https://payments.cashfree.com/links/${id}`,
        link_notes: input.link_notes,
        link_expiry_time: input.link_expiry_time,
        link_created_at: "2025-08-20T10:00:00+05:30",
      };
      links.set(id, link);
      return { status: 200, body: link };
    }
    const match = /^\/pg\/links\/([\w-]+)(\/cancel)?$/.exec(url.pathname);
    const link = match ? links.get(match[1] ?? "") : undefined;
    if (!link) return { status: 404, body: { message: "link does not exist", code: "link_not_found" } };
    if (match?.[2] && method === "POST") link.link_status = "CANCELLED";
    return { status: 200, body: link };
  });
}
