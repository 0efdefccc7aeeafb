import { AppError } from "../../kernel/app-error.ts";
import type { FieldIssue } from "../../kernel/app-error.ts";
import { CUSTOMER_EVENT_TYPES } from "./customer.events.ts";
import type { CustomerEvent } from "./customer.events.ts";
import {
  CONSENT_CHANNELS,
  CUSTOMER_PROFILE_FIELDS,
  ZConsentRecord,
  ZCustomer,
  ZCustomerProfile,
} from "./customer.schemas.ts";
import type {
  ConsentChannel,
  ConsentRecord,
  ConsentSource,
  Customer,
  CustomerProfile,
} from "./customer.schemas.ts";
import { parseWith } from "./zod-issues.ts";

/** Validates a customer profile, throwing AppError INVALID_INPUT that names every bad field. */
export function parseCustomerProfile(input: unknown): CustomerProfile {
  return parseWith(ZCustomerProfile, input);
}

/** Validates a stored customer record. */
export function parseCustomer(input: unknown): Customer {
  return parseWith(ZCustomer, input);
}

export interface CustomerChange {
  customer: Customer;
  events: CustomerEvent[];
}

function requireId(id: string): void {
  if (id.trim() === "") throw AppError.invalidInput([{ field: "id", reason: "must not be empty" }]);
}

/** Creates a customer from a profile; emits customer.created. */
export function createCustomer(options: { id: string; profile: unknown; now: Date }): CustomerChange {
  requireId(options.id);
  const profile = parseCustomerProfile(options.profile);
  const at = options.now.toISOString();
  const customer = parseCustomer({ ...profile, id: options.id, createdAt: at, updatedAt: at, version: 1 });
  return {
    customer,
    events: [
      {
        type: CUSTOMER_EVENT_TYPES.created,
        payload: {
          customerId: customer.id,
          legalName: customer.legalName,
          gstin: customer.gstin ?? null,
          pan: customer.pan ?? null,
          stateCode: customer.stateCode,
          preferredLanguage: customer.preferredLanguage,
          createdAt: at,
        },
      },
    ],
  };
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (typeof inner === "bigint") return inner.toString();
    if (inner !== null && typeof inner === "object" && !Array.isArray(inner)) {
      return Object.fromEntries(
        Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
      );
    }
    return inner;
  });
}

function profileOf(customer: Customer): Record<string, unknown> {
  const profile: Record<string, unknown> = {};
  for (const key of CUSTOMER_PROFILE_FIELDS) {
    const value = customer[key];
    if (value !== undefined) profile[key] = value;
  }
  return profile;
}

function optOutEvents(before: Customer, after: Customer): CustomerEvent[] {
  const events: CustomerEvent[] = [];
  for (const channel of CONSENT_CHANNELS) {
    const previous = before.consents[channel];
    const current = after.consents[channel];
    if (current?.status === "withdrawn" && previous?.status !== "withdrawn") {
      events.push({
        type: CUSTOMER_EVENT_TYPES.optedOut,
        payload: {
          customerId: after.id,
          channel,
          at: current.at,
          source: current.source,
          ...(current.evidence !== undefined ? { evidence: current.evidence } : {}),
        },
      });
    }
  }
  return events;
}

/**
 * Applies changes to profile fields (a null value clears an optional field) and validates the result as a whole.
 * Emits customer.updated listing the fields whose value changed, plus customer.opted-out for every channel whose
 * consent became withdrawn. No change, no event. `expectedVersion` guards against lost updates.
 */
export function updateCustomer(options: {
  customer: Customer;
  changes: Record<string, unknown>;
  now: Date;
  expectedVersion?: number;
}): CustomerChange {
  const { customer, changes } = options;
  if (options.expectedVersion !== undefined && options.expectedVersion !== customer.version) {
    throw AppError.conflict(
      `customer ${customer.id} is at version ${customer.version}, not ${options.expectedVersion}; reload and retry`,
      { customerId: customer.id, version: customer.version, expectedVersion: options.expectedVersion },
    );
  }
  const allowed = new Set<string>(CUSTOMER_PROFILE_FIELDS);
  const unknownKeys: FieldIssue[] = Object.keys(changes)
    .filter((key) => !allowed.has(key))
    .map((key) => ({
      field: key,
      reason: ["id", "createdAt", "updatedAt", "version"].includes(key)
        ? "is managed by the system and cannot be changed"
        : "is not a customer profile field",
    }));
  if (unknownKeys.length > 0) throw AppError.invalidInput(unknownKeys);

  const merged = profileOf(customer);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  // A new GSTIN brings its own PAN unless one is given with it; removing the GSTIN keeps the PAN.
  if (typeof changes.gstin === "string" && !("pan" in changes)) delete merged.pan;
  const profile = parseCustomerProfile(merged);

  const changedFields = CUSTOMER_PROFILE_FIELDS.filter(
    (key) => canonical(profile[key] ?? null) !== canonical(customer[key] ?? null),
  );
  if (changedFields.length === 0) return { customer, events: [] };

  const updatedAt = options.now.toISOString();
  const updated = parseCustomer({
    ...profile,
    id: customer.id,
    createdAt: customer.createdAt,
    updatedAt,
    version: customer.version + 1,
  });
  return {
    customer: updated,
    events: [
      {
        type: CUSTOMER_EVENT_TYPES.updated,
        payload: {
          customerId: updated.id,
          changedFields: [...changedFields],
          version: updated.version,
          updatedAt,
        },
      },
      ...optOutEvents(customer, updated),
    ],
  };
}

/**
 * Records that a customer gave or withdrew consent on one channel (DPDP Act 2023 s.6: consent may be withdrawn at any
 * time, as easily as it was given). A record older than the one on file is refused, so replayed messages cannot
 * resurrect a withdrawn consent.
 */
export function recordConsent(options: {
  customer: Customer;
  channel: ConsentChannel;
  status: ConsentRecord["status"];
  at: string;
  source: ConsentSource;
  evidence?: string;
  noticeVersion?: string;
  now: Date;
}): CustomerChange {
  const record = parseWith(
    ZConsentRecord,
    {
      status: options.status,
      at: options.at,
      source: options.source,
      ...(options.evidence !== undefined ? { evidence: options.evidence } : {}),
      ...(options.noticeVersion !== undefined ? { noticeVersion: options.noticeVersion } : {}),
    },
    "consent",
  );
  const issues: FieldIssue[] = [];
  if (!(CONSENT_CHANNELS as readonly string[]).includes(options.channel)) {
    issues.push({ field: "channel", reason: `is one of ${CONSENT_CHANNELS.join(", ")}` });
  }
  if (Date.parse(record.at) > options.now.getTime()) {
    issues.push({ field: "consent.at", reason: "lies in the future" });
  }
  const current = options.customer.consents[options.channel];
  if (current !== undefined && Date.parse(current.at) > Date.parse(record.at)) {
    issues.push({ field: "consent.at", reason: `is older than the consent on file (${current.at})` });
  }
  if (issues.length > 0) throw AppError.invalidInput(issues);
  return updateCustomer({
    customer: options.customer,
    changes: { consents: { ...options.customer.consents, [options.channel]: record } },
    now: options.now,
  });
}

/** Withdraws consent on one channel; emits customer.opted-out (and customer.updated). */
export function recordOptOut(options: {
  customer: Customer;
  channel: ConsentChannel;
  at: string;
  source: ConsentSource;
  evidence?: string;
  now: Date;
}): CustomerChange {
  return recordConsent({ ...options, status: "withdrawn" });
}
