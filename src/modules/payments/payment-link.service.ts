import { createHash } from "node:crypto";
import type { Selectable } from "kysely";
import { sql } from "kysely";
import { z } from "zod";
import { AppError } from "../../kernel/app-error.ts";
import type { Paise } from "../../kernel/money.ts";
import { toPage, type Page } from "../../platform/http/pagination.ts";
import type { CommandMeta } from "../../platform/audit/command-actor.ts";
import { createCashfreeGateway } from "./cashfree.gateway.ts";
import { readCursor } from "./paging.ts";
import type { PaymentGateway, PaymentLink, GatewayProvider } from "./payment-gateway.port.ts";
import { readGatewayCredentials, readSettings } from "./payment-settings.service.ts";
import type { CreateLinkInput } from "./payments.schemas.ts";
import type { PaymentLinksTable, PaymentsDb } from "./payments.tables.ts";
import {
  createUnitOfWork,
  isUniqueViolation,
  type PaymentsDeps,
  type UnitOfWork,
} from "./payments.unit-of-work.ts";
import { money, ZMoneyText } from "./payments.views.ts";
import { createRazorpayGateway } from "./razorpay.gateway.ts";
import { buildUpiLink } from "./upi-link.ts";
import { renderUpiQr } from "./upi-qr.ts";

export const ZPaymentLinkView = z.object({
  id: z.string(),
  kind: z.enum(["upi", "razorpay", "cashfree"]),
  reference: z.string(),
  invoiceId: z.string().nullable(),
  customerId: z.string().nullable(),
  amountPaise: ZMoneyText,
  amountPaidPaise: ZMoneyText,
  /** `active` links past their expiry read as `expired`. */
  status: z.enum(["active", "partially-paid", "paid", "expired", "cancelled"]),
  url: z.string(),
  /** SVG of the QR code for UPI links. */
  qrSvg: z.string().nullable(),
  providerLinkId: z.string().nullable(),
  description: z.string().nullable(),
  expiresAt: z.string().nullable(),
  createdAt: z.string(),
});
export type PaymentLinkView = z.infer<typeof ZPaymentLinkView>;

export const ZCreateLinkResult = z.object({ created: z.boolean(), link: ZPaymentLinkView });
export type CreateLinkResult = z.infer<typeof ZCreateLinkResult>;

type LinkRow = Selectable<PaymentLinksTable>;

const DEFAULT_VALIDITY_MS = 30 * 24 * 3600 * 1000;

/** A key the gateways accept (letters, digits, "-", "_", at most 50) derived from any caller key. */
function gatewayKey(text: string): string {
  return /^[A-Za-z0-9_-]{1,50}$/.test(text)
    ? text
    : `k-${createHash("sha256").update(text).digest("hex").slice(0, 40)}`;
}

export type PaymentLinkService = ReturnType<typeof createPaymentLinkService>;

/**
 * Payment links: UPI deep links with their QR code, or Razorpay / Cashfree links created with the tenant's own
 * credentials. The same idempotency key always gives the same link; the gateway call happens outside any
 * database transaction and the gateways deduplicate it themselves (Razorpay by reference, Cashfree by link id).
 */
export function createPaymentLinkService(
  deps: PaymentsDeps,
  unitOfWork: UnitOfWork = createUnitOfWork(deps),
) {
  const { clock, newId, inTenant, audit } = unitOfWork;

  function toView(row: LinkRow): PaymentLinkView {
    const expired =
      (row.status === "active" || row.status === "partially-paid") &&
      row.expires_at !== null &&
      row.expires_at.getTime() <= clock().getTime();
    return {
      id: row.id,
      kind: row.kind as PaymentLinkView["kind"],
      reference: row.reference,
      invoiceId: row.invoice_id,
      customerId: row.customer_id,
      amountPaise: money(row.amount_paise),
      amountPaidPaise: money(row.amount_paid_paise),
      status: expired ? "expired" : (row.status as PaymentLinkView["status"]),
      url: row.url,
      qrSvg: row.qr_svg,
      providerLinkId: row.provider_link_id,
      description: row.description,
      expiresAt: row.expires_at ? row.expires_at.toISOString() : null,
      createdAt: row.created_at.toISOString(),
    };
  }

  async function gatewayOf(tenantId: string, provider: GatewayProvider): Promise<PaymentGateway> {
    const credentials = await inTenant(tenantId, (trx) =>
      readGatewayCredentials(trx, { tenantId, provider, ...(deps.cipher ? { cipher: deps.cipher } : {}) }),
    );
    if (!credentials) {
      throw AppError.invalidInput([
        { field: "kind", reason: `no ${provider} credentials are saved for this business` },
      ]);
    }
    const common = {
      clock,
      ...(deps.gateways?.fetch ? { fetch: deps.gateways.fetch } : {}),
      ...(deps.gateways?.timeoutMs ? { timeoutMs: deps.gateways.timeoutMs } : {}),
    };
    return provider === "razorpay"
      ? createRazorpayGateway({
          keyId: credentials.keyId,
          keySecret: credentials.keySecret,
          ...(deps.gateways?.razorpayBaseUrl ? { baseUrl: deps.gateways.razorpayBaseUrl } : {}),
          ...common,
        })
      : createCashfreeGateway({
          clientId: credentials.keyId,
          clientSecret: credentials.keySecret,
          ...(deps.gateways?.cashfreeBaseUrl ? { baseUrl: deps.gateways.cashfreeBaseUrl } : {}),
          ...common,
        });
  }

  async function byKey(trx: PaymentsDb, key: string): Promise<LinkRow | undefined> {
    return trx.selectFrom("payment_links").selectAll().where("idempotency_key", "=", key).executeTakeFirst();
  }

  function sameRequest(row: LinkRow, input: CreateLinkInput): LinkRow {
    if (row.amount_paise !== input.amountPaise || row.kind !== input.kind) {
      throw AppError.conflict("a payment link with this key already exists for another amount or kind", {
        linkId: row.id,
      });
    }
    return row;
  }

  async function insertLink(
    meta: CommandMeta,
    input: CreateLinkInput,
    fields: {
      key: string;
      url: string;
      qrSvg: string | null;
      providerLinkId: string | null;
      expiresAt: Date;
    },
  ): Promise<CreateLinkResult> {
    try {
      return await inTenant(meta.tenantId, async (trx) => {
        const existing = await byKey(trx, fields.key);
        if (existing) return { created: false, link: toView(sameRequest(existing, input)) };
        const now = clock();
        const row = await trx
          .insertInto("payment_links")
          .values({
            id: newId(),
            tenant_id: meta.tenantId,
            kind: input.kind,
            reference: input.reference,
            invoice_id: input.invoiceId ?? null,
            customer_id: input.customerId ?? null,
            amount_paise: input.amountPaise,
            amount_paid_paise: 0n,
            status: "active",
            url: fields.url,
            qr_svg: fields.qrSvg,
            provider_link_id: fields.providerLinkId,
            description: input.description,
            expires_at: fields.expiresAt,
            idempotency_key: fields.key,
            created_at: now,
            created_by: meta.actor,
            updated_at: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await audit(trx, meta, {
          action: "payment-link.created",
          entity: { type: "payment-link", id: row.id },
          after: { kind: row.kind, reference: row.reference, amountPaise: money(row.amount_paise) },
        });
        return { created: true, link: toView(row) };
      });
    } catch (error) {
      if (isUniqueViolation(error, "payment_links_reference")) {
        throw AppError.conflict(`an open payment link with reference ${input.reference} already exists`, {
          reference: input.reference,
        });
      }
      if (isUniqueViolation(error)) {
        const row = await inTenant(meta.tenantId, (trx) => byKey(trx, fields.key));
        if (row) return { created: false, link: toView(sameRequest(row, input)) };
      }
      throw error;
    }
  }

  return {
    toView,

    async create(meta: CommandMeta, input: CreateLinkInput): Promise<CreateLinkResult> {
      const key = gatewayKey(input.idempotencyKey ?? meta.idempotencyKey ?? `ref-${input.reference}`);
      const existing = await inTenant(meta.tenantId, (trx) => byKey(trx, key));
      if (existing) return { created: false, link: toView(sameRequest(existing, input)) };
      const open = await inTenant(meta.tenantId, (trx) =>
        trx
          .selectFrom("payment_links")
          .select("id")
          .where("reference", "=", input.reference)
          .where("status", "in", ["active", "partially-paid"])
          .executeTakeFirst(),
      );
      if (open) {
        throw AppError.conflict(`an open payment link with reference ${input.reference} already exists`, {
          linkId: open.id,
        });
      }
      const expiresAt = input.expiresAt
        ? new Date(input.expiresAt)
        : new Date(clock().getTime() + DEFAULT_VALIDITY_MS);
      if (expiresAt.getTime() <= clock().getTime()) {
        throw AppError.invalidInput([{ field: "expiresAt", reason: "must be in the future" }]);
      }
      if (input.kind === "upi") {
        const settings = await inTenant(meta.tenantId, readSettings);
        if (!settings.upiVpa || !settings.upiPayeeName) {
          throw AppError.invalidInput([
            {
              field: "kind",
              reason: "set the business's UPI address and payee name in the payment settings first",
            },
          ]);
        }
        const url = buildUpiLink({
          payeeVpa: settings.upiVpa,
          payeeName: settings.upiPayeeName,
          amountPaise: input.amountPaise,
          transactionReference: input.reference,
          transactionNote: input.description.slice(0, 50),
        });
        const qrSvg = (await renderUpiQr({ link: url, format: "svg" })) as string;
        return insertLink(meta, input, { key, url, qrSvg, providerLinkId: null, expiresAt });
      }
      if (!input.customer) {
        throw AppError.invalidInput([
          { field: "customer", reason: "a gateway link needs the customer's name" },
        ]);
      }
      const gateway = await gatewayOf(meta.tenantId, input.kind);
      const link: PaymentLink = await gateway.createPaymentLink({
        amountPaise: input.amountPaise,
        reference: input.reference,
        idempotencyKey: key,
        description: input.description,
        customer: {
          name: input.customer.name,
          ...(input.customer.email ? { email: input.customer.email } : {}),
          ...(input.customer.phone ? { phone: input.customer.phone } : {}),
        },
        expiresAt,
        acceptPartial: input.acceptPartial ?? false,
      });
      return insertLink(meta, input, { key, url: link.url, qrSvg: null, providerLinkId: link.id, expiresAt });
    },

    get: (tenantId: string, id: string): Promise<PaymentLinkView> =>
      inTenant(tenantId, async (trx) => {
        const row = await trx.selectFrom("payment_links").selectAll().where("id", "=", id).executeTakeFirst();
        if (!row) throw AppError.notFound("payment link", id);
        return toView(row);
      }),

    list(
      tenantId: string,
      query: {
        limit: number;
        cursor?: string | undefined;
        status?: string | undefined;
        invoiceId?: string | undefined;
      },
    ): Promise<Page<PaymentLinkView>> {
      const cursor = readCursor(query.cursor, "instant");
      return inTenant(tenantId, async (trx) => {
        let select = trx.selectFrom("payment_links").selectAll();
        if (query.status) select = select.where("status", "=", query.status);
        if (query.invoiceId) select = select.where("invoice_id", "=", query.invoiceId);
        if (cursor) {
          select = select.where(
            sql<boolean>`(created_at, id) < (${new Date(String(cursor.after))}, ${cursor.id}::uuid)`,
          );
        }
        const rows = await select
          .orderBy("created_at", "desc")
          .orderBy("id", "desc")
          .limit(query.limit + 1)
          .execute();
        const page = toPage(rows, query.limit, (row) => ({
          after: row.created_at.toISOString(),
          id: row.id,
        }));
        return { items: page.items.map(toView), nextCursor: page.nextCursor };
      });
    },

    /** Ends an open link: cancelled at the gateway for gateway links, expired for UPI links; a repeat changes nothing. */
    async expire(meta: CommandMeta, id: string): Promise<PaymentLinkView> {
      const row = await inTenant(meta.tenantId, async (trx) =>
        trx.selectFrom("payment_links").selectAll().where("id", "=", id).executeTakeFirst(),
      );
      if (!row) throw AppError.notFound("payment link", id);
      // Ending a link that has already ended is a repeat, not an error.
      if (row.status === "expired" || row.status === "cancelled") return toView(row);
      if (row.status !== "active" && row.status !== "partially-paid") {
        throw AppError.conflict(`the payment link is already ${row.status}`, { linkId: id });
      }
      let status = "expired";
      if ((row.kind === "razorpay" || row.kind === "cashfree") && row.provider_link_id) {
        const gateway = await gatewayOf(meta.tenantId, row.kind);
        const cancelled = await gateway.cancelPaymentLink(row.provider_link_id);
        status = cancelled.status === "paid" ? "paid" : "cancelled";
      }
      return inTenant(meta.tenantId, async (trx) => {
        const updated = await trx
          .updateTable("payment_links")
          .set({ status, updated_at: clock() })
          .where("id", "=", id)
          .where("status", "in", ["active", "partially-paid"])
          .returningAll()
          .executeTakeFirst();
        if (!updated) throw AppError.conflict("the payment link changed meanwhile", { linkId: id });
        await audit(trx, meta, {
          action: "payment-link.ended",
          entity: { type: "payment-link", id },
          after: { status },
        });
        return toView(updated);
      });
    },
  };
}

/** Adds a payment to its link (found by the gateway's link id or our reference) inside the caller's transaction. */
export async function recordLinkPayment(
  trx: PaymentsDb,
  options: {
    provider: GatewayProvider;
    providerLinkId?: string;
    reference?: string;
    amountPaise: Paise;
    now: Date;
  },
): Promise<LinkRow | undefined> {
  let select = trx.selectFrom("payment_links").selectAll().where("kind", "=", options.provider);
  if (options.providerLinkId) select = select.where("provider_link_id", "=", options.providerLinkId);
  else if (options.reference) select = select.where("reference", "=", options.reference);
  else return undefined;
  const link = await select.orderBy("created_at", "desc").forUpdate().executeTakeFirst();
  if (!link) return undefined;
  const paid = link.amount_paid_paise + options.amountPaise;
  return trx
    .updateTable("payment_links")
    .set({
      amount_paid_paise: paid,
      status: paid >= link.amount_paise ? "paid" : "partially-paid",
      updated_at: options.now,
    })
    .where("id", "=", link.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}
