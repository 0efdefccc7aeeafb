import { AppError } from "../../kernel/app-error.ts";
import type { Paise } from "../../kernel/money.ts";
import {
  asRecord,
  asString,
  gatewayError,
  sendGatewayRequest,
  trimBaseUrl,
  type FetchLike,
  type GatewayResponse,
} from "./gateway-http.ts";
import {
  assertSameLink,
  validatePaymentLinkRequest,
  type CreatePaymentLinkRequest,
  type PaymentGateway,
  type PaymentLink,
  type PaymentLinkStatus,
} from "./payment-gateway.port.ts";

export interface RazorpayGatewayOptions {
  keyId: string;
  keySecret: string;
  /** https://api.razorpay.com in production; a local server in tests. */
  baseUrl?: string;
  fetch?: FetchLike;
  timeoutMs?: number;
  clock?: () => Date;
}

const STATUSES: Record<string, PaymentLinkStatus> = {
  created: "active",
  partially_paid: "partially-paid",
  paid: "paid",
  expired: "expired",
  cancelled: "cancelled",
};

function toPaise(value: unknown, field: string): Paise {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  throw new AppError({
    code: "INTERNAL",
    message: `Razorpay answered with a malformed ${field}`,
    details: { field },
  });
}

function toLink(body: unknown): PaymentLink {
  const entity = asRecord(body);
  const id = asString(entity?.id);
  const url = asString(entity?.short_url);
  const status = STATUSES[asString(entity?.status) ?? ""];
  if (!entity || !id || !url || !status) {
    throw new AppError({
      code: "INTERNAL",
      message: "Razorpay answered with an unexpected payment link",
      details: { provider: "razorpay" },
    });
  }
  const expireBy = entity.expire_by;
  const createdAt = entity.created_at;
  return {
    provider: "razorpay",
    id,
    reference: asString(entity.reference_id) ?? "",
    url,
    status,
    amountPaise: toPaise(entity.amount, "amount"),
    amountPaidPaise: entity.amount_paid === undefined ? 0n : toPaise(entity.amount_paid, "amount_paid"),
    currency: "INR",
    ...(typeof expireBy === "number" && expireBy > 0 ? { expiresAt: new Date(expireBy * 1000) } : {}),
    ...(typeof createdAt === "number" ? { createdAt: new Date(createdAt * 1000) } : {}),
  };
}

function failure(response: GatewayResponse): AppError {
  const error = asRecord(asRecord(response.body)?.error);
  return gatewayError({
    provider: "Razorpay",
    status: response.status,
    description: asString(error?.description) ?? `HTTP ${response.status}`,
    ...(asString(error?.field) ? { field: asString(error?.field) } : {}),
    ...(asString(error?.code) ? { providerCode: asString(error?.code) } : {}),
  });
}

/**
 * Razorpay Payment Links (POST /v1/payment_links, GET /v1/payment_links/:id, POST /v1/payment_links/:id/cancel)
 * with HTTP basic auth key_id:key_secret. Amounts are integer paise, expiry is `expire_by` in Unix seconds and our
 * reference is `reference_id`, which Razorpay keeps unique: a retried create that hits "already exists" returns
 * the existing link when it is for the same amount.
 */
export function createRazorpayGateway(options: RazorpayGatewayOptions): PaymentGateway {
  const baseUrl = trimBaseUrl(options.baseUrl ?? "https://api.razorpay.com");
  const fetchImpl: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const timeoutMs = options.timeoutMs ?? 15_000;
  const clock = options.clock ?? (() => new Date());
  const authorization = `Basic ${Buffer.from(`${options.keyId}:${options.keySecret}`).toString("base64")}`;
  const send = (method: "GET" | "POST", path: string, body?: unknown): Promise<GatewayResponse> =>
    sendGatewayRequest({
      fetch: fetchImpl,
      provider: "Razorpay",
      method,
      url: `${baseUrl}${path}`,
      headers: { authorization },
      ...(body === undefined ? {} : { body }),
      timeoutMs,
    });
  const linkId = (id: string): string => {
    if (!/^plink_[A-Za-z0-9]+$/.test(id))
      throw AppError.invalidInput([
        { field: "id", reason: "a Razorpay payment link id looks like plink_XXXX" },
      ]);
    return id;
  };

  return {
    provider: "razorpay",
    async createPaymentLink(input: CreatePaymentLinkRequest): Promise<PaymentLink> {
      const request = validatePaymentLinkRequest(input, clock());
      const body = {
        amount: Number(request.amountPaise),
        currency: request.currency,
        accept_partial: request.acceptPartial,
        ...(request.minimumPartialPaise !== undefined
          ? { first_min_partial_amount: Number(request.minimumPartialPaise) }
          : {}),
        expire_by: Math.floor(request.expiresAt.getTime() / 1000),
        reference_id: request.reference,
        description: request.description,
        customer: {
          name: request.customer.name,
          ...(request.customer.email ? { email: request.customer.email } : {}),
          ...(request.customer.phone ? { contact: request.customer.phone } : {}),
        },
        notify: { sms: request.notifyBySms, email: request.notifyByEmail },
        reminder_enable: request.notifyBySms || request.notifyByEmail,
        notes: { ...request.notes, idempotency_key: request.idempotencyKey },
        ...(request.callbackUrl ? { callback_url: request.callbackUrl, callback_method: "get" } : {}),
      };
      const response = await send("POST", "/v1/payment_links", body);
      if (response.status === 200) return toLink(response.body);
      const error = asRecord(asRecord(response.body)?.error);
      const description = (asString(error?.description) ?? "").toLowerCase();
      if (
        response.status === 400 &&
        (asString(error?.field) === "reference_id" || /reference.*(already|exist|unique)/.test(description))
      ) {
        const lookup = await send(
          "GET",
          `/v1/payment_links?reference_id=${encodeURIComponent(request.reference)}`,
        );
        if (lookup.status !== 200) throw failure(lookup);
        const existing = (asRecord(lookup.body)?.payment_links as unknown[] | undefined) ?? [];
        const first = existing[0];
        if (first === undefined) throw failure(response);
        return assertSameLink(toLink(first), request);
      }
      throw failure(response);
    },
    async fetchPaymentLink(id: string): Promise<PaymentLink> {
      const response = await send("GET", `/v1/payment_links/${linkId(id)}`);
      if (response.status === 200) return toLink(response.body);
      throw failure(response);
    },
    async cancelPaymentLink(id: string): Promise<PaymentLink> {
      const response = await send("POST", `/v1/payment_links/${linkId(id)}/cancel`);
      if (response.status === 200) return toLink(response.body);
      throw failure(response);
    },
  };
}
