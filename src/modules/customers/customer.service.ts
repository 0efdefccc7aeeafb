import { randomUUID } from "node:crypto";
import { sql, type Kysely } from "kysely";
import { AppError } from "../../kernel/app-error.ts";
import type { Paise } from "../../kernel/money.ts";
import { appendAudit } from "../../platform/audit/audit.log.ts";
import { withTenant } from "../../platform/db/database.ts";
import type { DB } from "../../platform/db/schema.ts";
import { appendEvent, type EventTypeRegistry } from "../../platform/events/event-outbox.ts";
import { decodeCursor, encodeCursor, type Page } from "../../platform/http/pagination.ts";
import { auditActorOf, type CommandMeta } from "../../platform/audit/command-actor.ts";
import { runOnce } from "./command-keys.ts";
import { checkContactPermission } from "./consent.policy.ts";
import {
  createCustomer,
  parseCustomerProfile,
  recordConsent as recordConsentChange,
  updateCustomer as updateCustomerChange,
} from "./customer.commands.ts";
import {
  contactIndexOf,
  emailIndex,
  mapCustomerContacts,
  maskContacts,
  openContacts,
  phoneIndex,
  sealContacts,
  type ContactProtection,
} from "./contact-protection.ts";
import { CUSTOMER_EVENT_TYPES } from "./customer.events.ts";
import type { CustomerEvent } from "./customer.events.ts";
import {
  CUSTOMER_SORT_FIELDS,
  findCustomer,
  findCustomerByExternal,
  findCustomersByContact,
  findCustomersByIds,
  insertConsentHistory,
  insertCustomer,
  listConsentHistory,
  listCustomerRows,
  loadDuplicateCandidates,
  rowToCustomer,
  sortValueOf,
  toCustomerView,
  updateCustomerRow,
  type ConsentHistoryInsert,
  type CustomerListFilter,
  type CustomerSortField,
  type StoredCustomer,
} from "./customer.repository.ts";
import { CONSENT_CHANNELS } from "./customer.schemas.ts";
import type { ConsentChannel, ConsentSource, Customer } from "./customer.schemas.ts";
import type {
  ConsentHistoryEntry,
  ContactPermissionView,
  CreateCustomerResult,
  CustomerMatch,
  CustomerView,
  DuplicateOf,
  ExternalReference,
  TdsProfileResult,
} from "./customer.views.ts";
import { platformDb, type CustomersDb, type CustomersTables } from "./customers.tables.ts";
import { findLikelyDuplicate, findLikelyDuplicates } from "./duplicate.detector.ts";
import { normalizePhoneNumber } from "./phone-number.ts";
import { calculateExpectedDeductions } from "./tds.calculator.ts";

export const CUSTOMER_EVENT_SOURCE = "/customers";

/** Class of the per-tenant advisory lock that serialises customer creation, so duplicate checks cannot race. */
const CREATE_LOCK_CLASS = 0x43555354; // "CUST"

export interface CustomerServiceDeps {
  /** The application pool (row-level security applies). */
  db: Kysely<DB>;
  events: EventTypeRegistry;
  /** Epoch milliseconds. */
  now(): number;
  /** Encrypts contact e-mail addresses and numbers at rest and computes their blind indexes. */
  protection: ContactProtection;
}

export interface CreateCustomerInput {
  profile: unknown;
  /** Create even when a customer with the same PAN or a similar name exists (never for the same GSTIN). */
  allowDuplicate?: boolean;
  /** Where the record comes from when imported; a second import with the same reference returns the first. */
  external?: ExternalReference;
}

export interface ListCustomersQuery extends CustomerListFilter {
  limit: number;
  cursor?: string;
  /** One of CUSTOMER_SORT_FIELDS, "-" in front for descending. */
  sort?: string;
}

export interface RecordConsentInput {
  customerId: string;
  channel: ConsentChannel;
  status: "granted" | "withdrawn";
  /** When the customer gave or withdrew it; defaults to now. */
  at?: string;
  source: ConsentSource;
  evidence?: string;
  noticeVersion?: string;
}

export interface FindCustomersInput {
  gstin?: string;
  pan?: string;
  name?: string;
  email?: string;
  phone?: string;
  external?: ExternalReference;
  threshold?: number;
  limit?: number;
}

export interface TdsInvoiceFigures {
  taxableValuePaise: Paise;
  gstPaise: Paise;
  invoiceTotalPaise: Paise;
  supplierStateCode: string;
  placeOfSupply: string;
  contractValuePaise?: Paise;
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
  const candidate = error as { code?: string; constraint?: string };
  return candidate.code === "23505" && candidate.constraint === constraint;
}

function duplicateOfMatch(match: {
  customerId: string;
  score: number;
  certainty: "certain" | "likely";
  reasons: DuplicateOf["reasons"];
  matchedName: string;
}): DuplicateOf {
  return {
    customerId: match.customerId,
    score: match.score,
    certainty: match.certainty,
    reasons: match.reasons,
    matchedName: match.matchedName,
  };
}

/** The consent records that differ between two versions of a customer, as history rows. */
function consentChanges(options: {
  tenantId: string;
  before: Customer | null;
  after: Customer;
  recordedAt: Date;
  recordedBy: string;
}): ConsentHistoryInsert[] {
  const entries: ConsentHistoryInsert[] = [];
  for (const channel of CONSENT_CHANNELS) {
    const record = options.after.consents[channel];
    if (record === undefined) continue;
    if (JSON.stringify(options.before?.consents[channel] ?? null) === JSON.stringify(record)) continue;
    entries.push({
      id: randomUUID(),
      tenantId: options.tenantId,
      customerId: options.after.id,
      channel,
      status: record.status,
      at: record.at,
      source: record.source,
      evidence: record.evidence,
      noticeVersion: record.noticeVersion,
      recordedAt: options.recordedAt,
      recordedBy: options.recordedBy,
    });
  }
  return entries;
}

/**
 * The customers module's use cases on the database: one transaction per command, holding the change, its
 * outbox events and its audit entry, so nothing is half-written.
 */
export function createCustomerService(deps: CustomerServiceDeps) {
  const clock = () => new Date(deps.now());
  const { protection } = deps;
  /** Stored command answers (customer_command_keys) hold contacts encrypted, like the customers table. */
  const once = <T>(
    trx: CustomersDb,
    options: { tenantId: string; key: string | undefined; command: string; request: unknown },
    work: () => Promise<T>,
  ): Promise<T> =>
    runOnce(trx, options, work, {
      seal: (answer) => mapCustomerContacts(answer, (id, contacts) => sealContacts(protection, id, contacts)),
      open: (stored) => mapCustomerContacts(stored, (id, contacts) => openContacts(protection, id, contacts)),
    });
  const inTenant = <T>(tenantId: string, work: (trx: CustomersDb) => Promise<T>) =>
    withTenant(deps.db, tenantId, (trx) => work(trx.withTables<CustomersTables>()));

  async function publish(trx: CustomersDb, tenantId: string, events: readonly CustomerEvent[]) {
    for (const event of events) {
      await appendEvent(platformDb(trx), deps.events, {
        tenantId,
        type: event.type,
        source: CUSTOMER_EVENT_SOURCE,
        subject: event.payload.customerId,
        data: event.payload,
      });
    }
  }

  async function audit(
    trx: CustomersDb,
    meta: CommandMeta,
    action: string,
    customerId: string,
    before: unknown,
    after: unknown,
    metadata?: Record<string, unknown>,
  ) {
    await appendAudit(
      trx,
      {
        tenantId: meta.tenantId,
        actor: auditActorOf(meta.actor),
        action,
        entity: { type: "customer", id: customerId },
        // Contact addresses and numbers are masked: the log is never edited, so it could never forget them.
        ...(before !== undefined
          ? { before: mapCustomerContacts(before, (_id, contacts) => maskContacts(contacts)) }
          : {}),
        ...(after !== undefined
          ? { after: mapCustomerContacts(after, (_id, contacts) => maskContacts(contacts)) }
          : {}),
        ...(metadata !== undefined ? { metadata } : {}),
        ...(meta.requestId !== undefined ? { requestId: meta.requestId } : {}),
      },
      { clock },
    );
  }

  async function requireCustomer(trx: CustomersDb, id: string, forUpdate = false): Promise<StoredCustomer> {
    const stored = await findCustomer(trx, id, { forUpdate, protection });
    if (!stored) throw AppError.notFound("customer", id);
    return stored;
  }

  async function writeChange(
    trx: CustomersDb,
    meta: CommandMeta,
    stored: StoredCustomer,
    change: { customer: Customer; events: CustomerEvent[] },
    auditAction: string,
  ): Promise<CustomerView> {
    if (change.events.length === 0) return toCustomerView(stored);
    try {
      const written = await updateCustomerRow(trx, {
        tenantId: meta.tenantId,
        customer: change.customer,
        previousVersion: stored.customer.version,
        protection,
      });
      if (!written) {
        throw AppError.conflict(`customer ${stored.customer.id} changed meanwhile; reload and retry`, {
          customerId: stored.customer.id,
        });
      }
    } catch (error) {
      if (isUniqueViolation(error, "customers_gstin_unique")) {
        throw AppError.conflict(`another customer already has GSTIN ${change.customer.gstin ?? ""}`, {
          field: "gstin",
        });
      }
      throw error;
    }
    await insertConsentHistory(
      trx,
      consentChanges({
        tenantId: meta.tenantId,
        before: stored.customer,
        after: change.customer,
        recordedAt: clock(),
        recordedBy: meta.actor,
      }),
    );
    await publish(trx, meta.tenantId, change.events);
    const view = toCustomerView({ customer: change.customer, external: stored.external });
    await audit(trx, meta, auditAction, change.customer.id, toCustomerView(stored), view);
    return view;
  }

  return {
    /**
     * Creates a customer, unless it already exists: the same GSTIN, PAN or import reference, or a similar name,
     * returns the existing record with `duplicateOf` (a PAN or name match can be overridden with
     * `allowDuplicate`).
     */
    async create(input: CreateCustomerInput, meta: CommandMeta): Promise<CreateCustomerResult> {
      const profile = parseCustomerProfile(input.profile);
      return inTenant(meta.tenantId, (trx) =>
        once(
          trx,
          {
            tenantId: meta.tenantId,
            key: meta.idempotencyKey,
            command: "customers.create",
            request: input,
          },
          async () => {
            await sql`select pg_advisory_xact_lock(${CREATE_LOCK_CLASS}::int4, hashtext(${meta.tenantId}))`.execute(
              trx,
            );
            if (input.external !== undefined) {
              const imported = await findCustomerByExternal(trx, input.external, protection);
              if (imported) {
                return {
                  created: false,
                  customer: toCustomerView(imported),
                  duplicateOf: {
                    customerId: imported.customer.id,
                    score: 1,
                    certainty: "certain",
                    reasons: ["same-external-id"],
                    matchedName: imported.customer.legalName,
                  },
                };
              }
            }
            const match = findLikelyDuplicate({
              candidate: {
                ...profile,
                contactKeys: contactIndexOf(protection, meta.tenantId, profile.contacts),
              },
              existing: await loadDuplicateCandidates(trx),
            });
            if (match !== null && (match.reasons.includes("same-gstin") || input.allowDuplicate !== true)) {
              const existing = await requireCustomer(trx, match.customerId);
              return {
                created: false,
                customer: toCustomerView(existing),
                duplicateOf: duplicateOfMatch(match),
              };
            }
            const { customer, events } = createCustomer({ id: randomUUID(), profile, now: clock() });
            const external = input.external ?? null;
            await insertCustomer(trx, meta.tenantId, customer, external, protection);
            await insertConsentHistory(
              trx,
              consentChanges({
                tenantId: meta.tenantId,
                before: null,
                after: customer,
                recordedAt: clock(),
                recordedBy: meta.actor,
              }),
            );
            const optedOut: CustomerEvent[] = CONSENT_CHANNELS.flatMap((channel) => {
              const record = customer.consents[channel];
              return record?.status === "withdrawn"
                ? [
                    {
                      type: CUSTOMER_EVENT_TYPES.optedOut,
                      payload: {
                        customerId: customer.id,
                        channel,
                        at: record.at,
                        source: record.source,
                        ...(record.evidence !== undefined ? { evidence: record.evidence } : {}),
                      },
                    },
                  ]
                : [];
            });
            await publish(trx, meta.tenantId, [...events, ...optedOut]);
            const view = toCustomerView({ customer, external });
            await audit(trx, meta, "customer.created", customer.id, undefined, view);
            return { created: true, customer: view };
          },
        ),
      );
    },

    /**
     * Changes profile fields (null clears one). `expectedVersion` guards against lost updates. Consents are
     * changed only through `recordConsent`, which keeps their evidence.
     */
    async update(
      input: { customerId: string; changes: Record<string, unknown>; expectedVersion?: number },
      meta: CommandMeta,
    ): Promise<CustomerView> {
      if ("consents" in input.changes) {
        throw AppError.invalidInput([
          {
            field: "consents",
            reason:
              "is changed by recording a consent or an opt-out (POST /customers/{id}/consents), which keeps the evidence",
          },
        ]);
      }
      return inTenant(meta.tenantId, (trx) =>
        once(
          trx,
          { tenantId: meta.tenantId, key: meta.idempotencyKey, command: "customers.update", request: input },
          async () => {
            const stored = await requireCustomer(trx, input.customerId, true);
            const change = updateCustomerChange({
              customer: stored.customer,
              changes: input.changes,
              now: clock(),
              ...(input.expectedVersion !== undefined ? { expectedVersion: input.expectedVersion } : {}),
            });
            return writeChange(trx, meta, stored, change, "customer.updated");
          },
        ),
      );
    },

    /** Records a consent or its withdrawal on one channel; a withdrawal emits customer.opted-out. */
    async recordConsent(input: RecordConsentInput, meta: CommandMeta): Promise<CustomerView> {
      return inTenant(meta.tenantId, (trx) =>
        once(
          trx,
          {
            tenantId: meta.tenantId,
            key: meta.idempotencyKey,
            command: "customers.record-consent",
            request: input,
          },
          async () => {
            const stored = await requireCustomer(trx, input.customerId, true);
            const now = clock();
            const change = recordConsentChange({
              customer: stored.customer,
              channel: input.channel,
              status: input.status,
              at: input.at ?? now.toISOString(),
              source: input.source,
              ...(input.evidence !== undefined ? { evidence: input.evidence } : {}),
              ...(input.noticeVersion !== undefined ? { noticeVersion: input.noticeVersion } : {}),
              now,
            });
            if (change.events.length === 0) {
              // The same record again (a replayed message): already on file, nothing to change.
              return toCustomerView(stored);
            }
            return writeChange(
              trx,
              meta,
              stored,
              change,
              input.status === "withdrawn" ? "customer.opted-out" : "customer.consent-granted",
            );
          },
        ),
      );
    },

    async get(tenantId: string, customerId: string): Promise<CustomerView> {
      return inTenant(tenantId, async (trx) => toCustomerView(await requireCustomer(trx, customerId)));
    },

    async list(tenantId: string, query: ListCustomersQuery): Promise<Page<CustomerView>> {
      const sortText = query.sort ?? "legalName";
      const descending = sortText.startsWith("-");
      const sort = sortText.replace(/^-/, "") as CustomerSortField;
      if (!(CUSTOMER_SORT_FIELDS as readonly string[]).includes(sort)) {
        throw AppError.invalidInput([
          { field: "query.sort", reason: `must be one of ${CUSTOMER_SORT_FIELDS.join(", ")}` },
        ]);
      }
      const cursor = decodeCursor(query.cursor);
      if (cursor !== undefined && (typeof cursor.after !== "string" || !/^[0-9a-f-]{36}$/i.test(cursor.id))) {
        throw AppError.invalidInput([
          { field: "query.cursor", reason: "is not a cursor returned by this API" },
        ]);
      }
      const rows = await inTenant(tenantId, (trx) =>
        listCustomerRows(trx, {
          filter: query,
          sort,
          descending,
          limit: query.limit,
          ...(cursor !== undefined ? { after: { value: String(cursor.after), id: cursor.id } } : {}),
        }),
      );
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        items: page.map((row) => toCustomerView(rowToCustomer(row, protection))),
        nextCursor:
          rows.length > query.limit && last !== undefined
            ? encodeCursor({ after: sortValueOf(last, sort), id: last.id })
            : null,
      };
    },

    async consentHistory(tenantId: string, customerId: string): Promise<ConsentHistoryEntry[]> {
      return inTenant(tenantId, async (trx) => {
        await requireCustomer(trx, customerId);
        return listConsentHistory(trx, customerId);
      });
    },

    /** Whether the customer may be contacted on a channel now, and at which addresses. */
    async contactPermission(
      tenantId: string,
      input: { customerId: string; channel: ConsentChannel; requireGrantedConsent?: boolean },
    ): Promise<ContactPermissionView> {
      const stored = await inTenant(tenantId, (trx) => requireCustomer(trx, input.customerId));
      const permission = checkContactPermission({
        customer: stored.customer,
        channel: input.channel,
        ...(input.requireGrantedConsent !== undefined
          ? { requireGrantedConsent: input.requireGrantedConsent }
          : {}),
      });
      return {
        customerId: stored.customer.id,
        channel: input.channel,
        ...permission,
        preferredLanguage: stored.customer.preferredLanguage,
      };
    },

    /** The customer's TDS profile and, given an invoice's figures, what it is expected to withhold. */
    async tdsProfile(
      tenantId: string,
      input: { customerId: string; invoice?: TdsInvoiceFigures },
    ): Promise<TdsProfileResult> {
      const stored = await inTenant(tenantId, (trx) => requireCustomer(trx, input.customerId));
      const { customer } = stored;
      const view = toCustomerView(stored);
      let expected: TdsProfileResult["expected"] = null;
      if (input.invoice !== undefined) {
        const deductions = calculateExpectedDeductions({
          tds: customer.tds,
          taxableValuePaise: input.invoice.taxableValuePaise,
          gstPaise: input.invoice.gstPaise,
          invoiceTotalPaise: input.invoice.invoiceTotalPaise,
          supplierStateCode: input.invoice.supplierStateCode,
          placeOfSupply: input.invoice.placeOfSupply,
          recipientStateCode: customer.stateCode,
          ...(input.invoice.contractValuePaise !== undefined
            ? { contractValuePaise: input.invoice.contractValuePaise }
            : {}),
        });
        expected = {
          incomeTax:
            deductions.incomeTax === null
              ? null
              : {
                  section: deductions.incomeTax.section,
                  base: deductions.incomeTax.base,
                  basePaise: deductions.incomeTax.basePaise.toString(),
                  rateBasisPoints: deductions.incomeTax.rateBasisPoints,
                  amountPaise: deductions.incomeTax.amountPaise.toString(),
                },
          gst:
            deductions.gst === null
              ? null
              : {
                  applies: deductions.gst.applies,
                  reason: deductions.gst.reason,
                  cgstPaise: deductions.gst.cgstPaise.toString(),
                  sgstOrUtgstPaise: deductions.gst.sgstOrUtgstPaise.toString(),
                  localHead: deductions.gst.localHead,
                  igstPaise: deductions.gst.igstPaise.toString(),
                  amountPaise: deductions.gst.amountPaise.toString(),
                },
          totalPaise: deductions.totalPaise.toString(),
          netReceivablePaise: deductions.netReceivablePaise.toString(),
        };
      }
      return {
        customerId: customer.id,
        legalName: customer.legalName,
        stateCode: customer.stateCode,
        gstin: customer.gstin ?? null,
        pan: customer.pan ?? null,
        tds: view.tds ?? null,
        msme: view.msme ?? null,
        expected,
      };
    },

    /**
     * Customers that match what is known of a party: the import reference, GSTIN or PAN (certain), a similar
     * name, or a shared e-mail address or phone number; best first.
     */
    async find(tenantId: string, input: FindCustomersInput): Promise<CustomerMatch[]> {
      const limit = input.limit ?? 10;
      return inTenant(tenantId, async (trx) => {
        if (input.external !== undefined) {
          const imported = await findCustomerByExternal(trx, input.external, protection);
          return imported
            ? [
                {
                  customer: toCustomerView(imported),
                  score: 1,
                  certainty: "certain" as const,
                  reasons: ["same-external-id" as const],
                  matchedName: imported.customer.legalName,
                },
              ]
            : [];
        }
        const email = input.email?.trim().toLowerCase();
        const phone = input.phone === undefined ? undefined : normalizePhoneNumber(input.phone);
        const contactKeys = [
          ...(email !== undefined ? [emailIndex(protection, tenantId, email)] : []),
          ...(phone !== undefined ? [phoneIndex(protection, tenantId, phone)] : []),
        ];
        const candidate = {
          legalName: input.name ?? "",
          ...(input.gstin !== undefined ? { gstin: input.gstin.trim().toUpperCase() } : {}),
          ...(input.pan !== undefined ? { pan: input.pan.trim().toUpperCase() } : {}),
          contactKeys,
        };
        const matches = findLikelyDuplicates({
          candidate,
          existing: await loadDuplicateCandidates(trx),
          ...(input.threshold !== undefined ? { threshold: input.threshold } : {}),
        }).map((match) => duplicateOfMatch(match));
        const seen = new Set(matches.map((match) => match.customerId));
        const byContact = await findCustomersByContact(trx, contactKeys, protection);
        for (const stored of byContact) {
          if (seen.has(stored.customer.id)) continue;
          seen.add(stored.customer.id);
          matches.push({
            customerId: stored.customer.id,
            score: 0.9,
            certainty: "likely",
            reasons: ["shared-contact"],
            matchedName: stored.customer.legalName,
          });
        }
        matches.sort((a, b) => b.score - a.score || a.customerId.localeCompare(b.customerId));
        const top = matches.slice(0, limit);
        const records = new Map(
          (
            await findCustomersByIds(
              trx,
              top.map((match) => match.customerId),
              protection,
            )
          ).map((stored) => [stored.customer.id, stored]),
        );
        return top.flatMap((match) => {
          const stored = records.get(match.customerId);
          return stored
            ? [
                {
                  customer: toCustomerView(stored),
                  score: match.score,
                  certainty: match.certainty,
                  reasons: match.reasons,
                  matchedName: match.matchedName,
                },
              ]
            : [];
        });
      });
    },
  };
}

export type CustomerService = ReturnType<typeof createCustomerService>;
