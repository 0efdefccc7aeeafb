import { AppError } from "../../kernel/app-error.ts";
import type { Paise } from "../../kernel/money.ts";
import { decimalRupeesToPaise } from "./amounts.ts";
import { istDateOf } from "./calendar-date.ts";
import {
  ZPaymentReceivedPayload,
  type PaymentReceivedPayload,
  type ReceiptChannel,
} from "./payment.events.ts";
import type { VerifiedWebhook } from "./webhook.verifier.ts";

type Json = Record<string, unknown>;

const record = (value: unknown): Json | undefined =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Json) : undefined;
const text = (value: unknown): string | undefined =>
  typeof value === "string" && value.trim() !== ""
    ? value.trim()
    : typeof value === "number"
      ? String(value)
      : undefined;

function stringNotes(value: unknown): Record<string, string> {
  const notes = record(value);
  const result: Record<string, string> = {};
  if (!notes) return result;
  for (const [key, item] of Object.entries(notes)) {
    const value = text(item);
    if (value !== undefined) result[key] = value;
  }
  return result;
}

function malformed(provider: string, field: string): AppError {
  return AppError.invalidInput([
    { field: `payload.${field}`, reason: `missing or malformed in the ${provider} event` },
  ]);
}

const RAZORPAY_METHODS: Record<string, ReceiptChannel> = {
  upi: "upi",
  card: "card",
  netbanking: "netbanking",
  wallet: "wallet",
  emi: "card",
  neft: "neft",
  rtgs: "rtgs",
  imps: "imps",
};

function razorpayPayment(payload: Json): PaymentReceivedPayload | undefined {
  const event = text(payload.event);
  const body = record(payload.payload);
  if (event === "virtual_account.credited") {
    const transfer = record(record(body?.bank_transfer)?.entity);
    const payment = record(record(body?.payment)?.entity);
    const amount = transfer?.amount ?? payment?.amount;
    if (!transfer || typeof amount !== "number" || !Number.isSafeInteger(amount))
      throw malformed("Razorpay", "bank_transfer.entity");
    const payer = record(transfer.payer_bank_account);
    const createdAt = typeof payment?.created_at === "number" ? payment.created_at : payload.created_at;
    const receivedAt = new Date((typeof createdAt === "number" ? createdAt : 0) * 1000);
    const mode = (text(transfer.mode) ?? "").toLowerCase();
    return {
      source: "razorpay",
      externalId: text(payment?.id) ?? text(transfer.id) ?? "",
      method: RAZORPAY_METHODS[mode] ?? "other",
      amountPaise: BigInt(amount),
      currency: "INR",
      receivedAt: receivedAt.toISOString(),
      receivedOn: istDateOf(receivedAt),
      ...(text(transfer.bank_reference) ? { utr: text(transfer.bank_reference) } : {}),
      payer: {
        ...(text(payer?.name) ? { name: text(payer?.name) } : {}),
        ...(text(payer?.account_number) ? { accountNumber: text(payer?.account_number) } : {}),
      },
      notes: stringNotes(payment?.notes),
    };
  }
  if (event !== "payment.captured" && event !== "payment_link.paid" && event !== "order.paid")
    return undefined;
  const payment = record(record(body?.payment)?.entity);
  if (!payment) throw malformed("Razorpay", "payment.entity");
  if (text(payment.status) !== "captured") return undefined;
  const amount = payment.amount;
  if (typeof amount !== "number" || !Number.isSafeInteger(amount) || amount <= 0)
    throw malformed("Razorpay", "payment.entity.amount");
  if (text(payment.currency) !== "INR") return undefined;
  const acquirer = record(payment.acquirer_data);
  const link = record(record(body?.payment_link)?.entity);
  const order = record(record(body?.order)?.entity);
  const createdAt = typeof payment.created_at === "number" ? payment.created_at : payload.created_at;
  const receivedAt = new Date((typeof createdAt === "number" ? createdAt : 0) * 1000);
  const reference = text(link?.reference_id) ?? text(order?.receipt);
  const utr =
    text(acquirer?.rrn) ?? text(acquirer?.bank_transaction_id) ?? text(acquirer?.upi_transaction_id);
  return {
    source: "razorpay",
    externalId: text(payment.id) ?? "",
    method: RAZORPAY_METHODS[(text(payment.method) ?? "").toLowerCase()] ?? "other",
    amountPaise: BigInt(amount),
    currency: "INR",
    receivedAt: receivedAt.toISOString(),
    receivedOn: istDateOf(receivedAt),
    ...(utr ? { utr } : {}),
    payer: {
      ...(text(payment.vpa) ? { vpa: text(payment.vpa) } : {}),
      ...(text(payment.email) ? { email: text(payment.email) } : {}),
      ...(text(payment.contact) ? { phone: text(payment.contact) } : {}),
    },
    ...(reference ? { reference } : {}),
    ...(text(link?.id) ? { paymentLinkId: text(link?.id) } : {}),
    notes: stringNotes(payment.notes),
  };
}

const CASHFREE_GROUPS: Record<string, ReceiptChannel> = {
  upi: "upi",
  credit_card: "card",
  debit_card: "card",
  prepaid_card: "card",
  credit_card_emi: "card",
  debit_card_emi: "card",
  net_banking: "netbanking",
  wallet: "wallet",
  bank_transfer: "neft",
};

function cashfreeAmount(value: unknown, field: string): Paise {
  const paise = decimalRupeesToPaise(value);
  if (paise === undefined || paise <= 0n) throw malformed("Cashfree", field);
  return paise;
}

function cashfreePayment(payload: Json): PaymentReceivedPayload | undefined {
  const type = text(payload.type);
  const data = record(payload.data);
  if (type === "PAYMENT_SUCCESS_WEBHOOK") {
    const payment = record(data?.payment);
    const order = record(data?.order);
    const customer = record(data?.customer_details);
    if (!payment) throw malformed("Cashfree", "data.payment");
    if (text(payment.payment_status) !== "SUCCESS") return undefined;
    if ((text(payment.payment_currency) ?? "INR") !== "INR") return undefined;
    const receivedAt = new Date(text(payment.payment_time) ?? text(payload.event_time) ?? "");
    if (Number.isNaN(receivedAt.getTime())) throw malformed("Cashfree", "data.payment.payment_time");
    const upi = record(record(payment.payment_method)?.upi);
    const tags = stringNotes(order?.order_tags);
    const reference = tags.reference ?? tags.link_id ?? text(order?.order_id);
    return {
      source: "cashfree",
      externalId: text(payment.cf_payment_id) ?? "",
      method: CASHFREE_GROUPS[(text(payment.payment_group) ?? "").toLowerCase()] ?? "other",
      amountPaise: cashfreeAmount(payment.payment_amount, "data.payment.payment_amount"),
      currency: "INR",
      receivedAt: receivedAt.toISOString(),
      receivedOn: istDateOf(receivedAt),
      ...(text(payment.bank_reference) ? { utr: text(payment.bank_reference) } : {}),
      payer: {
        ...(text(customer?.customer_name) ? { name: text(customer?.customer_name) } : {}),
        ...(text(upi?.upi_id) ? { vpa: text(upi?.upi_id) } : {}),
        ...(text(customer?.customer_email) ? { email: text(customer?.customer_email) } : {}),
        ...(text(customer?.customer_phone) ? { phone: text(customer?.customer_phone) } : {}),
      },
      ...(reference ? { reference } : {}),
      ...(tags.link_id ? { paymentLinkId: tags.link_id } : {}),
      notes: tags,
    };
  }
  if (type === "PAYMENT_LINK_EVENT") {
    if (text(data?.link_status) !== "PAID" && text(data?.link_status) !== "PARTIALLY_PAID") return undefined;
    const order = record(data?.order);
    if (!order || text(order.transaction_status) !== "SUCCESS") return undefined;
    const customer = record(data?.customer_details);
    const notes = stringNotes(data?.link_notes);
    const receivedAt = new Date(text(payload.event_time) ?? "");
    if (Number.isNaN(receivedAt.getTime())) throw malformed("Cashfree", "event_time");
    return {
      source: "cashfree",
      externalId: text(order.transaction_id) ?? "",
      method: "other",
      amountPaise: cashfreeAmount(order.order_amount, "data.order.order_amount"),
      currency: "INR",
      receivedAt: receivedAt.toISOString(),
      receivedOn: istDateOf(receivedAt),
      payer: {
        ...(text(customer?.customer_name) ? { name: text(customer?.customer_name) } : {}),
        ...(text(customer?.customer_email) ? { email: text(customer?.customer_email) } : {}),
        ...(text(customer?.customer_phone) ? { phone: text(customer?.customer_phone) } : {}),
      },
      reference: notes.reference ?? text(data?.link_id) ?? "",
      ...(text(data?.link_id) ? { paymentLinkId: text(data?.link_id) } : {}),
      notes,
    };
  }
  return undefined;
}

/**
 * Turns a verified gateway event into a `payment.received` payload, or undefined for events that are not a
 * successful INR payment (failures, refunds, disputes, other currencies). A successful-payment event with missing
 * or malformed money fields is INVALID_INPUT rather than silently dropped.
 */
export function normaliseGatewayPayment(webhook: VerifiedWebhook): PaymentReceivedPayload | undefined {
  const payment =
    webhook.provider === "razorpay" ? razorpayPayment(webhook.payload) : cashfreePayment(webhook.payload);
  if (!payment) return undefined;
  const result = ZPaymentReceivedPayload.safeParse(payment);
  if (!result.success) {
    throw AppError.invalidInput(
      result.error.issues.map((issue) => ({
        field: `payment.${issue.path.join(".")}`,
        reason: issue.message,
      })),
      `${webhook.provider} payment event could not be normalised`,
    );
  }
  return result.data;
}
