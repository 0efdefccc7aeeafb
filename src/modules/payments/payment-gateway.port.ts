import { z } from "zod";
import { AppError } from "../../kernel/app-error.ts";
import type { Paise } from "../../kernel/money.ts";
import { formatInr } from "./amounts.ts";
import { parseWith } from "./field-issues.ts";
import { ZPositivePaise } from "./payment.schema.ts";

export type GatewayProvider = "razorpay" | "cashfree";

export const ZCreatePaymentLinkRequest = z
  .object({
    amountPaise: ZPositivePaise,
    currency: z.literal("INR").default("INR"),
    /** Our reference shown to the payer and returned in webhooks (invoice number, or invoice id + attempt). */
    reference: z.string().trim().min(1).max(40, "at most 40 characters"),
    /** Same key, same link: retries never create a second link. Letters, digits, "-" and "_" only. */
    idempotencyKey: z.string().regex(/^[A-Za-z0-9_-]{1,50}$/, "1 to 50 letters, digits, '-' or '_'"),
    description: z.string().trim().min(1).max(500),
    customer: z.object({
      name: z.string().trim().min(1).max(100),
      email: z.email().optional(),
      phone: z
        .string()
        .regex(/^(\+91)?[6-9]\d{9}$/, "an Indian mobile number: 10 digits starting 6-9, optionally +91")
        .optional(),
    }),
    expiresAt: z.date(),
    acceptPartial: z.boolean().default(false),
    minimumPartialPaise: ZPositivePaise.optional(),
    notifyBySms: z.boolean().default(false),
    notifyByEmail: z.boolean().default(false),
    callbackUrl: z.url({ protocol: /^https?$/ }).optional(),
    notes: z.record(z.string().max(40), z.string().max(256)).optional(),
  })
  .superRefine((request, context) => {
    if (request.minimumPartialPaise !== undefined) {
      if (!request.acceptPartial) {
        context.addIssue({
          code: "custom",
          path: ["minimumPartialPaise"],
          message: "only with acceptPartial",
        });
      } else if (request.minimumPartialPaise > request.amountPaise) {
        context.addIssue({
          code: "custom",
          path: ["minimumPartialPaise"],
          message: "must not exceed the amount",
        });
      }
    }
    if (request.notes && Object.keys(request.notes).length > 14) {
      context.addIssue({
        code: "custom",
        path: ["notes"],
        message: "at most 14 notes (one is used for the idempotency key)",
      });
    }
  });
export type CreatePaymentLinkRequest = z.input<typeof ZCreatePaymentLinkRequest>;
export type ValidCreatePaymentLinkRequest = z.output<typeof ZCreatePaymentLinkRequest>;

export type PaymentLinkStatus = "active" | "partially-paid" | "paid" | "expired" | "cancelled";

export interface PaymentLink {
  provider: GatewayProvider;
  /** The id to fetch or cancel the link with. */
  id: string;
  reference: string;
  url: string;
  status: PaymentLinkStatus;
  amountPaise: Paise;
  amountPaidPaise: Paise;
  currency: "INR";
  expiresAt?: Date;
  createdAt?: Date;
}

/** Creating, reading and cancelling payment links at a payment gateway. */
export interface PaymentGateway {
  readonly provider: GatewayProvider;
  createPaymentLink(request: CreatePaymentLinkRequest): Promise<PaymentLink>;
  fetchPaymentLink(id: string): Promise<PaymentLink>;
  cancelPaymentLink(id: string): Promise<PaymentLink>;
}

/** Validates a link request against the clock: the link must expire in the future. */
export function validatePaymentLinkRequest(
  request: CreatePaymentLinkRequest,
  now: Date,
): ValidCreatePaymentLinkRequest {
  const valid = parseWith(ZCreatePaymentLinkRequest, request);
  if (valid.expiresAt.getTime() <= now.getTime()) {
    throw AppError.invalidInput([{ field: "expiresAt", reason: "must be in the future" }]);
  }
  return valid;
}

/** Refuses to hand back an existing link for a retried request that asks for something else. */
export function assertSameLink(existing: PaymentLink, request: ValidCreatePaymentLinkRequest): PaymentLink {
  if (existing.amountPaise !== request.amountPaise) {
    throw AppError.conflict(
      `a payment link with this key already exists for ${formatInr(existing.amountPaise)}, not ${formatInr(request.amountPaise)}`,
      { linkId: existing.id },
    );
  }
  return existing;
}
