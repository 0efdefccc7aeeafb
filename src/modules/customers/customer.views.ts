import { z } from "zod";
import {
  CONSENT_CHANNELS,
  CONSENT_SOURCES,
  CUSTOMER_LANGUAGES,
  GST_TDS_DEDUCTOR_CATEGORIES,
  MSME_CATEGORIES,
  TDS_SECTIONS,
} from "./customer.schemas.ts";

/**
 * Customers as the API and the actions return them: plain JSON without transforms, so the same schemas
 * validate action output, serialise HTTP responses and describe both in the OpenAPI document.
 */

const ZTimestamp = z.iso.datetime({ offset: true });

export const ZAddressView = z.object({
  line1: z.string(),
  line2: z.string().optional(),
  city: z.string(),
  pinCode: z.string().optional(),
  stateCode: z.string(),
  country: z.string(),
});

export const ZContactPersonView = z.object({
  name: z.string().optional(),
  role: z.string().optional(),
  email: z.string().optional(),
  phone: z.string().optional(),
  whatsapp: z.string().optional(),
  isPrimary: z.boolean(),
});

export const ZConsentRecordView = z.object({
  status: z.enum(["granted", "withdrawn"]),
  at: ZTimestamp,
  source: z.enum(CONSENT_SOURCES),
  evidence: z.string().optional(),
  noticeVersion: z.string().optional(),
});

export const ZTdsProfileView = z.object({
  incomeTax: z
    .object({
      section: z.enum(TDS_SECTIONS),
      sectionLabel: z.string().optional(),
      rateBasisPoints: z.int(),
      tan: z.string(),
      base: z.enum(["excluding-gst", "gross"]),
    })
    .optional(),
  gst: z
    .object({
      deductorCategory: z.enum(GST_TDS_DEDUCTOR_CATEGORIES),
      deductorGstin: z.string().optional(),
    })
    .optional(),
});

export const ZExternalReference = z.object({
  source: z.string().min(1).max(40),
  id: z.string().min(1).max(200),
});
export type ExternalReference = z.output<typeof ZExternalReference>;

export const ZCustomerView = z.object({
  id: z.string(),
  legalName: z.string(),
  tradeName: z.string().optional(),
  gstin: z.string().optional(),
  pan: z.string().optional(),
  stateCode: z.string(),
  billingAddress: ZAddressView.optional(),
  contacts: z.array(ZContactPersonView),
  preferredLanguage: z.enum(CUSTOMER_LANGUAGES),
  creditTerms: z.object({ days: z.int(), agreedInWriting: z.boolean() }).optional(),
  tags: z.array(z.string()),
  segment: z.string().optional(),
  msme: z
    .object({ category: z.enum(MSME_CATEGORIES).nullable(), udyamNumber: z.string().optional() })
    .optional(),
  consents: z.object({
    email: ZConsentRecordView.optional(),
    sms: ZConsentRecordView.optional(),
    voice: ZConsentRecordView.optional(),
    whatsapp: ZConsentRecordView.optional(),
  }),
  notes: z.string().optional(),
  tds: ZTdsProfileView.optional(),
  external: ZExternalReference.nullable(),
  version: z.int(),
  createdAt: ZTimestamp,
  updatedAt: ZTimestamp,
});
export type CustomerView = z.output<typeof ZCustomerView>;

export const DUPLICATE_REASONS = [
  "same-gstin",
  "same-pan",
  "similar-name",
  "shared-contact",
  "same-external-id",
] as const;

/** Why an existing customer was returned instead of creating a new one. */
export const ZDuplicateOf = z.object({
  customerId: z.string(),
  score: z.number().min(0).max(1),
  certainty: z.enum(["certain", "likely"]),
  reasons: z.array(z.enum(DUPLICATE_REASONS)),
  matchedName: z.string(),
});
export type DuplicateOf = z.output<typeof ZDuplicateOf>;

export const ZCreateCustomerResult = z.object({
  created: z.boolean(),
  customer: ZCustomerView,
  /** Set when an existing customer was returned instead of creating one. */
  duplicateOf: ZDuplicateOf.optional(),
});
export type CreateCustomerResult = z.output<typeof ZCreateCustomerResult>;

export const ZConsentHistoryEntry = z.object({
  id: z.string(),
  channel: z.enum(CONSENT_CHANNELS),
  status: z.enum(["granted", "withdrawn"]),
  at: ZTimestamp,
  source: z.enum(CONSENT_SOURCES),
  evidence: z.string().optional(),
  noticeVersion: z.string().optional(),
  recordedAt: ZTimestamp,
  recordedBy: z.string(),
});
export type ConsentHistoryEntry = z.output<typeof ZConsentHistoryEntry>;

export const ZContactPermissionView = z.object({
  customerId: z.string(),
  channel: z.enum(CONSENT_CHANNELS),
  allowed: z.boolean(),
  reason: z.enum([
    "consent-granted",
    "no-objection-on-file",
    "consent-withdrawn",
    "consent-required",
    "no-contact-point",
  ]),
  recipients: z.array(z.string()),
  preferredLanguage: z.enum(CUSTOMER_LANGUAGES),
});
export type ContactPermissionView = z.output<typeof ZContactPermissionView>;

export const ZCustomerMatch = z.object({
  customer: ZCustomerView,
  score: z.number(),
  certainty: z.enum(["certain", "likely"]),
  reasons: z.array(z.enum(DUPLICATE_REASONS)),
  matchedName: z.string(),
});
export type CustomerMatch = z.output<typeof ZCustomerMatch>;

const ZPaiseText = z.string().regex(/^-?\d+$/, { error: "is a whole number of paise as text" });

/** A customer's TDS profile and, for an invoice, what it is expected to withhold (paise as text). */
export const ZTdsProfileResult = z.object({
  customerId: z.string(),
  legalName: z.string(),
  stateCode: z.string(),
  gstin: z.string().nullable(),
  pan: z.string().nullable(),
  tds: ZTdsProfileView.nullable(),
  msme: z
    .object({ category: z.enum(MSME_CATEGORIES).nullable(), udyamNumber: z.string().optional() })
    .nullable(),
  expected: z
    .object({
      incomeTax: z
        .object({
          section: z.enum(TDS_SECTIONS),
          base: z.enum(["excluding-gst", "gross"]),
          basePaise: ZPaiseText,
          rateBasisPoints: z.int(),
          amountPaise: ZPaiseText,
        })
        .nullable(),
      gst: z
        .object({
          applies: z.boolean(),
          reason: z.enum(["deducted", "contract-value-within-threshold", "supply-outside-recipient-state"]),
          cgstPaise: ZPaiseText,
          sgstOrUtgstPaise: ZPaiseText,
          localHead: z.enum(["SGST", "UTGST"]),
          igstPaise: ZPaiseText,
          amountPaise: ZPaiseText,
        })
        .nullable(),
      totalPaise: ZPaiseText,
      netReceivablePaise: ZPaiseText,
    })
    .nullable(),
});
export type TdsProfileResult = z.output<typeof ZTdsProfileResult>;
