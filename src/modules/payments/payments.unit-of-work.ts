import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { appendAudit } from "../../platform/audit/audit.log.ts";
import type { BlindIndex } from "../../platform/crypto/blind.index.ts";
import type { FieldCipher } from "../../platform/crypto/field.cipher.ts";
import { withTenant } from "../../platform/db/database.ts";
import type { DB } from "../../platform/db/schema.ts";
import { appendEvent, type CloudEvent, type EventTypeRegistry } from "../../platform/events/event-outbox.ts";
import { auditActorOf, type CommandMeta } from "../../platform/audit/command-actor.ts";
import {
  ACCOUNT_CONTEXTS,
  createAccountSealer,
  maskAccounts,
  openCommandAnswer,
  sealCommandAnswer,
} from "./account-protection.ts";
import { istDateOf, type IsoDate } from "./calendar-date.ts";
import { runOnce } from "./command-keys.ts";
import type { FetchLike } from "./gateway-http.ts";
import { platformDb, type PaymentsDb, type PaymentsTables } from "./payments.tables.ts";

export const PAYMENTS_EVENT_SOURCE = "/payments";

/** Where the gateway adapters send their requests: the providers' APIs, or local servers in tests. */
export interface GatewayEndpoints {
  razorpayBaseUrl?: string;
  cashfreeBaseUrl?: string;
  fetch?: FetchLike;
  timeoutMs?: number;
}

/** What the payments services are built from; nothing is taken from globals. */
export interface PaymentsDeps {
  /** The application pool: row-level security applies. */
  db: Kysely<DB>;
  events: EventTypeRegistry;
  /** Epoch milliseconds. */
  now(): number;
  newId?: () => string;
  /**
   * Encrypts gateway secrets, account numbers and stored command answers at rest. Without it gateway secrets and
   * answers are stored as given and account numbers cannot be written (see README).
   */
  cipher?: FieldCipher;
  /** Blind indexes of account numbers, for finding them by equality; needed with the cipher for account numbers. */
  blindIndex?: BlindIndex;
  gateways?: GatewayEndpoints;
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const candidate = error as { code?: string; constraint?: string };
  return candidate.code === "23505" && (constraint === undefined || candidate.constraint === constraint);
}

export type UnitOfWork = ReturnType<typeof createUnitOfWork>;

/**
 * What every payments command shares: a tenant transaction, the outbox, the audit log and the idempotency key.
 * One command, one transaction: the change, its events and its audit entries commit together or not at all.
 */
export function createUnitOfWork(deps: PaymentsDeps) {
  const clock = (): Date => new Date(deps.now());
  const newId = deps.newId ?? (() => randomUUID());
  const accounts = createAccountSealer(
    deps.cipher && deps.blindIndex ? { cipher: deps.cipher, blindIndex: deps.blindIndex } : undefined,
  );

  const inTenant = <T>(tenantId: string, work: (trx: PaymentsDb) => Promise<T>): Promise<T> =>
    withTenant(deps.db, tenantId, (trx) => work(trx.withTables<PaymentsTables>()));

  async function publish(
    trx: PaymentsDb,
    tenantId: string,
    event: { type: string; data: unknown; subject?: string; id?: string },
  ): Promise<CloudEvent> {
    return appendEvent(platformDb(trx), deps.events, {
      tenantId,
      type: event.type,
      source: PAYMENTS_EVENT_SOURCE,
      data: event.data,
      ...(event.subject !== undefined ? { subject: event.subject } : {}),
      ...(event.id !== undefined ? { id: event.id } : {}),
    });
  }

  async function audit(
    trx: PaymentsDb,
    meta: CommandMeta,
    entry: {
      action: string;
      entity: { type: string; id: string };
      before?: unknown;
      after?: unknown;
      metadata?: Record<string, unknown>;
    },
  ): Promise<void> {
    await appendAudit(
      trx,
      {
        tenantId: meta.tenantId,
        actor: auditActorOf(meta.actor),
        action: entry.action,
        entity: entry.entity,
        // The audit log never forgets: account numbers, e-mail addresses and phone numbers go in masked.
        ...(entry.before !== undefined ? { before: maskAccounts(entry.before) } : {}),
        ...(entry.after !== undefined ? { after: maskAccounts(entry.after) } : {}),
        ...(entry.metadata !== undefined
          ? { metadata: maskAccounts(entry.metadata) as Record<string, unknown> }
          : {}),
        ...(meta.requestId !== undefined ? { requestId: meta.requestId } : {}),
      },
      { clock },
    );
  }

  /**
   * Runs a command in its own tenant transaction, once per idempotency key. The answer kept for a repeat is
   * encrypted (bound to tenant and key); a repeat gets it decrypted.
   */
  function command<T>(
    meta: CommandMeta,
    name: string,
    request: unknown,
    work: (trx: PaymentsDb) => Promise<T>,
  ): Promise<T> {
    const key = meta.idempotencyKey;
    return inTenant(meta.tenantId, async (trx) => {
      if (key === undefined || key === "") return work(trx);
      const context = ACCOUNT_CONTEXTS.commandAnswer(meta.tenantId, key);
      let fresh: { answer: T } | undefined;
      const stored = await runOnce(
        trx,
        { tenantId: meta.tenantId, key, command: name, request },
        async () => {
          fresh = { answer: await work(trx) };
          return sealCommandAnswer(deps.cipher, context, fresh.answer);
        },
      );
      return fresh ? fresh.answer : (openCommandAnswer(deps.cipher, context, stored) as T);
    });
  }

  return {
    clock,
    newId,
    today: (): IsoDate => istDateOf(clock()),
    accounts,
    inTenant,
    publish,
    audit,
    command,
  };
}
