import { z } from "zod";
import { CONSENT_CHANNELS, CONSENT_SOURCES } from "./customer.schemas.ts";

/** Event type names the customers module emits. */
export const CUSTOMER_EVENT_TYPES = {
  created: "customer.created",
  updated: "customer.updated",
  optedOut: "customer.opted-out",
} as const;
export type CustomerEventType = (typeof CUSTOMER_EVENT_TYPES)[keyof typeof CUSTOMER_EVENT_TYPES];

const ZTimestamp = z.iso.datetime({ offset: true });

export const ZCustomerCreatedPayload = z.object({
  customerId: z.string().min(1),
  legalName: z.string().min(1),
  gstin: z.string().length(15).nullable(),
  pan: z.string().length(10).nullable(),
  stateCode: z.string().length(2),
  preferredLanguage: z.string().length(2),
  createdAt: ZTimestamp,
});
export type CustomerCreatedPayload = z.output<typeof ZCustomerCreatedPayload>;

export const ZCustomerUpdatedPayload = z.object({
  customerId: z.string().min(1),
  /** Top-level profile fields whose value changed, e.g. ["contacts", "creditTerms"]. */
  changedFields: z.array(z.string().min(1)).min(1),
  version: z.int().min(2),
  updatedAt: ZTimestamp,
});
export type CustomerUpdatedPayload = z.output<typeof ZCustomerUpdatedPayload>;

export const ZCustomerOptedOutPayload = z.object({
  customerId: z.string().min(1),
  channel: z.enum(CONSENT_CHANNELS),
  /** When the customer withdrew consent (not when we recorded it). */
  at: ZTimestamp,
  source: z.enum(CONSENT_SOURCES),
  evidence: z.string().optional(),
});
export type CustomerOptedOutPayload = z.output<typeof ZCustomerOptedOutPayload>;

/** Payload schema of each event type, for consumers that validate what they receive. */
export const CUSTOMER_EVENT_SCHEMAS = {
  "customer.created": ZCustomerCreatedPayload,
  "customer.updated": ZCustomerUpdatedPayload,
  "customer.opted-out": ZCustomerOptedOutPayload,
} as const;

export type CustomerEvent =
  | { type: "customer.created"; payload: CustomerCreatedPayload }
  | { type: "customer.updated"; payload: CustomerUpdatedPayload }
  | { type: "customer.opted-out"; payload: CustomerOptedOutPayload };
