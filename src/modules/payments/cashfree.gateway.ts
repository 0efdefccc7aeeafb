import { AppError } from "../../kernel/app-error.ts";
import type { Paise } from "../../kernel/money.ts";
import { decimalRupeesToPaise, paiseToDecimal } from "./amounts.ts";
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

export interface CashfreeGatewayOptions {
  clientId: string;
  clientSecret: string;
  /** https://api.cashfree.com/pg in production, https://sandbox.cashfree.com/pg for tests with Cashfree. */
  baseUrl?: string;
  apiVersion?: string;
  fetch?: FetchLike;
  timeoutMs?: number;
  clock?: () => Date;
}

const STATUSES: Record<string, PaymentLinkStatus> = {
  ACTIVE: "active",
  PARTIALLY_PAID: "partially-paid",
  PAID: "paid",
  EXPIRED: "expired",
  CANCELLED: "cancelled",
};

/** ISO 8601 in India Standard Time, as Cashfree shows link times: 2025-10-14T15:04:05+05:30. */
export function toIstIso(instant: Date): string {
  const shifted = new Date(instant.getTime() + 330 * 60_000);
  return `${shifted.toISOString().slice(0, 19)}+05:30`;
}

function rupees(value: unknown, field: string): Paise {
  const paise = decimalRupeesToPaise(value);
  if (paise === undefined || paise < 0n) {
    throw new AppError({
      code: "INTERNAL",
      message: `Cashfree answered with a malformed ${field}`,
      details: { field },
    });
  }
  return paise;
}

function toLink(body: unknown): PaymentLink {
  const entity = asRecord(body);
  const id = asString(entity?.link_id);
  const url = asString(entity?.link_url);
  const status = STATUSES[asString(entity?.link_status) ?? ""];
  if (!entity || !id || !url || !status) {
    throw new AppError({
      code: "INTERNAL",
      message: "Cashfree answered with an unexpected payment link",
      details: { provider: "cashfree" },
    });
  }
  const notes = asRecord(entity.link_notes);
  const expiry = asString(entity.link_expiry_time);
  const created = asString(entity.link_created_at);
  const expiresAt = expiry ? new Date(expiry) : undefined;
  const createdAt = created ? new Date(created) : undefined;
  return {
    provider: "cashfree",
    id,
    reference: asString(notes?.reference) ?? id,
    url,
    status,
    amountPaise: rupees(entity.link_amount, "link_amount"),
    amountPaidPaise:
      entity.link_amount_paid === undefined ? 0n : rupees(entity.link_amount_paid, "link_amount_paid"),
    currency: "INR",
    ...(expiresAt && !Number.isNaN(expiresAt.getTime()) ? { expiresAt } : {}),
    ...(createdAt && !Number.isNaN(createdAt.getTime()) ? { createdAt } : {}),
  };
}

function failure(response: GatewayResponse): AppError {
  const body = asRecord(response.body);
  return gatewayError({
    provider: "Cashfree",
    status: response.status,
    description: asString(body?.message) ?? `HTTP ${response.status}`,
    ...(asString(body?.code) ? { providerCode: asString(body?.code) } : {}),
  });
}

/**
 * Cashfree Payment Links (POST /links, GET /links/{link_id}, POST /links/{link_id}/cancel under the PG base URL)
 * with x-client-id, x-client-secret and x-api-version headers. `link_amount` is in rupees and
 * `link_expiry_time` an ISO time; `link_id` is ours, so the idempotency key is the link id and a retried create
 * returns the existing link when it is for the same amount.
 */
export function createCashfreeGateway(options: CashfreeGatewayOptions): PaymentGateway {
  const baseUrl = trimBaseUrl(options.baseUrl ?? "https://api.cashfree.com/pg");
  const fetchImpl: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const timeoutMs = options.timeoutMs ?? 15_000;
  const clock = options.clock ?? (() => new Date());
  const headers = {
    "x-client-id": options.clientId,
    "x-client-secret": options.clientSecret,
    "x-api-version": options.apiVersion ?? "2025-01-01",
  };
  const send = (
    method: "GET" | "POST",
    path: string,
    body?: unknown,
    extra: Record<string, string> = {},
  ): Promise<GatewayResponse> =>
    sendGatewayRequest({
      fetch: fetchImpl,
      provider: "Cashfree",
      method,
      url: `${baseUrl}${path}`,
      headers: { ...headers, ...extra },
      ...(body === undefined ? {} : { body }),
      timeoutMs,
    });
  const linkPath = (id: string): string => {
    if (!/^[A-Za-z0-9_-]{1,50}$/.test(id))
      throw AppError.invalidInput([
        { field: "id", reason: "a Cashfree link id has 1 to 50 letters, digits, '-' or '_'" },
      ]);
    return `/links/${id}`;
  };
  const fetchLink = async (id: string): Promise<PaymentLink> => {
    const response = await send("GET", linkPath(id));
    if (response.status === 200) return toLink(response.body);
    throw failure(response);
  };

  return {
    provider: "cashfree",
    async createPaymentLink(input: CreatePaymentLinkRequest): Promise<PaymentLink> {
      const request = validatePaymentLinkRequest(input, clock());
      const phone = request.customer.phone?.replace(/^\+91/, "");
      const body = {
        link_id: request.idempotencyKey,
        link_amount: Number(paiseToDecimal(request.amountPaise)),
        link_currency: request.currency,
        link_purpose: request.description,
        customer_details: {
          customer_name: request.customer.name,
          ...(phone ? { customer_phone: phone } : {}),
          ...(request.customer.email ? { customer_email: request.customer.email } : {}),
        },
        link_partial_payments: request.acceptPartial,
        ...(request.minimumPartialPaise !== undefined
          ? { link_minimum_partial_amount: Number(paiseToDecimal(request.minimumPartialPaise)) }
          : {}),
        link_expiry_time: toIstIso(request.expiresAt),
        link_notify: { send_sms: request.notifyBySms, send_email: request.notifyByEmail },
        link_auto_reminders: request.notifyBySms || request.notifyByEmail,
        link_notes: { ...request.notes, reference: request.reference },
        ...(request.callbackUrl ? { link_meta: { return_url: request.callbackUrl } } : {}),
      };
      const response = await send("POST", "/links", body, { "x-idempotency-key": request.idempotencyKey });
      if (response.status === 200) return toLink(response.body);
      const message = (asString(asRecord(response.body)?.message) ?? "").toLowerCase();
      if (
        response.status === 409 ||
        (response.status === 400 && /link_id.*(already|exist)|already exists/.test(message))
      ) {
        return assertSameLink(await fetchLink(request.idempotencyKey), request);
      }
      throw failure(response);
    },
    fetchPaymentLink: fetchLink,
    async cancelPaymentLink(id: string): Promise<PaymentLink> {
      const response = await send("POST", `${linkPath(id)}/cancel`);
      if (response.status === 200) return toLink(response.body);
      throw failure(response);
    },
  };
}
