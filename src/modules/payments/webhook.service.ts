import { sql } from "kysely";
import { z } from "zod";
import { AppError, isAppError } from "../../kernel/app-error.ts";
import type { CommandMeta } from "../../platform/audit/command-actor.ts";
import type { GatewayProvider } from "./payment-gateway.port.ts";
import { recordLinkPayment } from "./payment-link.service.ts";
import { readGatewayCredentials } from "./payment-settings.service.ts";
import { createPaymentService, type PaymentService } from "./payment.service.ts";
import type { PaymentsDb } from "./payments.tables.ts";
import { createUnitOfWork, type PaymentsDeps, type UnitOfWork } from "./payments.unit-of-work.ts";
import { normaliseGatewayPayment } from "./webhook.normaliser.ts";
import { verifyCashfreeWebhook, verifyRazorpayWebhook, type WebhookReplayGuard } from "./webhook.verifier.ts";

export const ZWebhookResult = z.object({
  status: z.enum(["processed", "ignored", "duplicate"]),
  paymentId: z.string().optional(),
});
export type WebhookResult = z.infer<typeof ZWebhookResult>;

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/**
 * The replay guard in the database: the delivery's key is inserted in the transaction that handles it. A second
 * delivery of the same event waits for the first transaction, then finds the key and is refused; if handling
 * fails, the key leaves with the rollback and the provider's retry is processed.
 */
function databaseReplayGuard(
  trx: PaymentsDb,
  tenantId: string,
  provider: GatewayProvider,
): WebhookReplayGuard {
  return {
    async claim(key: string, seenAt: Date): Promise<boolean> {
      const inserted = await trx
        .insertInto("payment_webhook_events")
        .values({
          tenant_id: tenantId,
          provider,
          event_id: key,
          event_type: "received",
          outcome: "processing",
          payment_id: null,
          received_at: seenAt,
        })
        .onConflict((conflict) => conflict.columns(["tenant_id", "provider", "event_id"]).doNothing())
        .returning("event_id")
        .executeTakeFirst();
      return inserted !== undefined;
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;

/**
 * Gateway webhooks: signature over the exact raw bytes, freshness, replay guard, then each successful payment
 * recorded once as a receipt with its `payment.received` event. A payment made through one of our links is
 * credited to the link's customer and, when the link names an invoice, allocated to it.
 */
export function createWebhookService(
  deps: PaymentsDeps,
  unitOfWork: UnitOfWork = createUnitOfWork(deps),
  payments: PaymentService = createPaymentService(deps, unitOfWork),
) {
  const { clock, inTenant } = unitOfWork;

  async function tenantOf(slugOrId: string): Promise<string> {
    const result = await sql<{
      id: string | null;
    }>`select payments_webhook_tenant(${slugOrId}) as id`.execute(deps.db);
    const id = result.rows[0]?.id ?? null;
    if (!id) throw AppError.notFound("business", slugOrId);
    return id;
  }

  async function handleInTenant(
    tenantId: string,
    provider: GatewayProvider,
    rawBody: Buffer,
    headers: Headers,
  ): Promise<WebhookResult> {
    return inTenant(tenantId, async (trx) => {
      const credentials = await readGatewayCredentials(trx, {
        tenantId,
        provider,
        ...(deps.cipher ? { cipher: deps.cipher } : {}),
      });
      if (!credentials) throw AppError.notFound(`${provider} webhook`, tenantId);
      const now = clock();
      const options = {
        rawBody,
        headers,
        secret: credentials.webhookSecret,
        now,
        replayGuard: databaseReplayGuard(trx, tenantId, provider),
      };
      const verified =
        provider === "razorpay" ? await verifyRazorpayWebhook(options) : await verifyCashfreeWebhook(options);
      const eventKey = `${provider}:${verified.eventId}`;
      const finish = async (outcome: string, paymentId: string | null) => {
        await trx
          .updateTable("payment_webhook_events")
          .set({ event_type: verified.eventType, outcome, payment_id: paymentId })
          .where("provider", "=", provider)
          .where("event_id", "=", eventKey)
          .execute();
      };
      const payment = normaliseGatewayPayment(verified);
      if (!payment) {
        await finish("ignored", null);
        return { status: "ignored" };
      }
      const known = await trx
        .selectFrom("payments")
        .select("id")
        .where("source", "=", provider)
        .where("external_id", "=", payment.externalId)
        .executeTakeFirst();
      if (known) {
        // The same payment announced by another event (payment.captured, then payment_link.paid).
        await finish("payment-already-recorded", known.id);
        return { status: "duplicate", paymentId: known.id };
      }
      const meta: CommandMeta = { tenantId, actor: `system:${provider}-webhook` };
      const existingReference = payment.utr
        ? await trx
            .selectFrom("payments")
            .select("id")
            .where("reference", "=", payment.utr)
            .where("status", "=", "received")
            .executeTakeFirst()
        : undefined;
      if (existingReference) {
        // Recorded already from another source (a person, a bank line) under the same UTR.
        await finish("payment-already-recorded", existingReference.id);
        return { status: "duplicate", paymentId: existingReference.id };
      }
      const link = await recordLinkPayment(trx, {
        provider,
        ...(payment.paymentLinkId ? { providerLinkId: payment.paymentLinkId } : {}),
        ...(payment.reference ? { reference: payment.reference } : {}),
        amountPaise: payment.amountPaise,
        now,
      });
      const receipt = await payments.insertReceipt(trx, meta, {
        customerId: link?.customer_id ?? null,
        method: payment.method,
        reference: payment.utr ?? null,
        payer: payment.payer,
        receivedOn: payment.receivedOn,
        receivedAt: new Date(payment.receivedAt),
        amountPaise: payment.amountPaise,
        source: provider,
        externalId: payment.externalId,
        paymentLinkId: link?.id ?? null,
        event: {
          externalId: payment.externalId,
          payer: payment.payer,
          notes: payment.notes,
          ...(payment.utr ? { utr: payment.utr } : {}),
          ...(payment.reference ? { reference: payment.reference } : {}),
          ...(payment.paymentLinkId ? { paymentLinkId: payment.paymentLinkId } : {}),
        },
      });
      if (link?.invoice_id && link.customer_id) {
        const receivable = await trx
          .selectFrom("payment_receivables")
          .select(["open_paise", "customer_id"])
          .where("invoice_id", "=", link.invoice_id)
          .executeTakeFirst();
        if (receivable && receivable.customer_id === link.customer_id && receivable.open_paise > 0n) {
          const cash =
            receivable.open_paise < payment.amountPaise ? receivable.open_paise : payment.amountPaise;
          await sql`savepoint webhook_allocation`.execute(trx);
          try {
            await payments.allocateInTrx(trx, meta, {
              paymentId: receipt.id,
              lines: [{ invoiceId: link.invoice_id, cashPaise: cash }],
              date: payment.receivedOn,
            });
            await sql`release savepoint webhook_allocation`.execute(trx);
          } catch (error) {
            // The receipt stands; a person allocates it.
            await sql`rollback to savepoint webhook_allocation`.execute(trx);
            if (!isAppError(error) || error.code === "INTERNAL") throw error;
          }
        }
      }
      await finish("payment-recorded", receipt.id);
      return { status: "processed", paymentId: receipt.id };
    });
  }

  return {
    /**
     * Handles one delivery. Forged, unsigned or stale deliveries are UNAUTHENTICATED; an unknown business or
     * one without the gateway set up is NOT_FOUND; a delivery seen before answers `duplicate` so the provider
     * stops retrying.
     */
    async handle(options: {
      provider: GatewayProvider;
      tenant: string;
      rawBody: Buffer;
      headers: Headers;
    }): Promise<WebhookResult> {
      const tenantId = await tenantOf(options.tenant);
      try {
        return await handleInTenant(tenantId, options.provider, options.rawBody, options.headers);
      } catch (error) {
        if (isAppError(error) && error.code === "CONFLICT" && error.details.replay === true) {
          return { status: "duplicate" };
        }
        throw error;
      }
    },
  };
}
