import { z } from "zod";
import { checkGstin } from "../../kernel/gstin.ts";
import type { Gstin } from "../../kernel/gstin.ts";
import { findIndiaState } from "../../kernel/india-states.ts";
import { checkPan, normalizePan } from "../../kernel/pan.ts";
import type { Pan } from "../../kernel/pan.ts";
import { checkPhoneNumber, normalizePhoneNumber } from "./phone-number.ts";
import type { E164PhoneNumber, PhoneUse } from "./phone-number.ts";
import { checkTan, normalizeTan } from "./tan.ts";
import type { Tan } from "./tan.ts";
import { checkUdyamNumber, normalizeUdyamNumber } from "./udyam-number.ts";
import type { UdyamNumber } from "./udyam-number.ts";

/** Languages Prapti writes reminders and documents in (ISO 639-1). */
export const CUSTOMER_LANGUAGES = ["en", "hi", "mr", "gu", "ta", "kn", "te", "bn"] as const;
export type CustomerLanguage = (typeof CUSTOMER_LANGUAGES)[number];

/**
 * Channels consent is recorded for. A phone contact serves both SMS and voice calls, which are consented to separately
 * (TRAI's commercial-communication rules treat them as different media).
 */
export const CONSENT_CHANNELS = ["email", "sms", "voice", "whatsapp"] as const;
export type ConsentChannel = (typeof CONSENT_CHANNELS)[number];

/** How a consent or its withdrawal reached us; kept as evidence under the DPDP Act 2023 (s.6(10) burden of proof). */
export const CONSENT_SOURCES = [
  "web-form",
  "signed-contract",
  "email-reply",
  "whatsapp-reply",
  "sms-reply",
  "phone-call",
  "unsubscribe-link",
  "stop-keyword",
  "consent-manager",
  "import",
  "api",
  "staff-entry",
] as const;
export type ConsentSource = (typeof CONSENT_SOURCES)[number];

/** Income-tax TDS sections a buyer may deduct under when paying a supplier. "other" needs a label. */
export const TDS_SECTIONS = ["194C", "194J", "194H", "194I", "194Q", "194O", "other"] as const;
export type TdsSection = (typeof TDS_SECTIONS)[number];

/**
 * Persons required to deduct GST TDS under CGST Act s.51(1) read with Notification 33/2017-CT and 50/2018-CT
 * (in force from 1 October 2018).
 */
export const GST_TDS_DEDUCTOR_CATEGORIES = [
  "government-department",
  "local-authority",
  "governmental-agency",
  "statutory-body",
  "government-society",
  "public-sector-undertaking",
] as const;
export type GstTdsDeductorCategory = (typeof GST_TDS_DEDUCTOR_CATEGORIES)[number];

export const MSME_CATEGORIES = ["micro", "small", "medium"] as const;
export type MsmeCategory = (typeof MSME_CATEGORIES)[number];

function trimmedText(min: number, max: number) {
  return z
    .string()
    .transform((value) => value.trim().replace(/\s+/g, " "))
    .pipe(
      z
        .string()
        .min(min, { error: `must have at least ${min} character${min === 1 ? "" : "s"}` })
        .max(max, { error: `must have at most ${max} characters` }),
    );
}

export const ZGstin = z.string().transform((value, ctx): Gstin => {
  const result = checkGstin(value, "gstin");
  if (!result.ok) {
    for (const issue of result.issues)
      ctx.issues.push({ code: "custom", message: issue.reason, input: value });
    return z.NEVER;
  }
  return result.value.gstin;
});

export const ZPan = z.string().transform((value, ctx): Pan => {
  const result = checkPan(value);
  if (!result.ok) {
    for (const issue of result.issues)
      ctx.issues.push({ code: "custom", message: issue.reason, input: value });
    return z.NEVER;
  }
  return result.value.pan;
});

export const ZTan = z.string().transform((value, ctx): Tan => {
  const issues = checkTan(value);
  for (const issue of issues) ctx.issues.push({ code: "custom", message: issue.reason, input: value });
  return issues.length > 0 ? z.NEVER : (normalizeTan(value) as Tan);
});

export const ZUdyamNumber = z.string().transform((value, ctx): UdyamNumber => {
  const issues = checkUdyamNumber(value);
  for (const issue of issues) ctx.issues.push({ code: "custom", message: issue.reason, input: value });
  return issues.length > 0 ? z.NEVER : (normalizeUdyamNumber(value) as UdyamNumber);
});

function phoneSchema(use: PhoneUse) {
  return z.string().transform((value, ctx): E164PhoneNumber => {
    const issues = checkPhoneNumber(value, { use });
    for (const issue of issues) ctx.issues.push({ code: "custom", message: issue.reason, input: value });
    return issues.length > 0 ? z.NEVER : (normalizePhoneNumber(value) as E164PhoneNumber);
  });
}

export const ZPhoneNumber = phoneSchema("any");
/** WhatsApp needs a mobile number. */
export const ZMobileNumber = phoneSchema("mobile");

export const ZEmailAddress = z
  .string()
  .transform((value) => value.trim().toLowerCase())
  .pipe(z.email({ error: "is not an e-mail address" }).max(254));

/** A GST state/UT code as used for registration and place of supply ("27"; "96" for a customer abroad). */
export const ZStateCode = z
  .string()
  .transform((value) => value.trim().padStart(2, "0"))
  .refine((value) => findIndiaState(value)?.placeOfSupply === true, {
    error: "is not a GST state code (01-38, 97, or 96 for outside India)",
  });

/** A tag: lower case letters, digits and hyphens, e.g. "key-account". Spaces become hyphens. */
export const ZTag = z
  .string()
  .transform((value) => value.trim().toLowerCase().replace(/\s+/g, "-"))
  .pipe(
    z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, { error: "a tag is 1-40 lower-case letters, digits or hyphens" }),
  );

export const ZAddress = z
  .object({
    line1: trimmedText(1, 200),
    line2: trimmedText(1, 200).optional(),
    city: trimmedText(1, 100),
    /** Indian PIN code: six digits, never starting with 0. Optional only abroad. */
    pinCode: z
      .string()
      .trim()
      .regex(/^[1-9][0-9]{5}$/, { error: "a PIN code is six digits and does not start with 0" })
      .optional(),
    stateCode: ZStateCode,
    /** ISO 3166-1 alpha-2 country code. */
    country: z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^[A-Z]{2}$/, { error: "is an ISO 3166-1 two-letter country code" })
      .default("IN"),
  })
  .superRefine((address, ctx) => {
    if (address.country === "IN") {
      if (address.stateCode === "96") {
        ctx.addIssue({
          code: "custom",
          path: ["stateCode"],
          message: "96 (Other Countries) is only for addresses abroad",
        });
      }
      if (address.pinCode === undefined) {
        ctx.addIssue({ code: "custom", path: ["pinCode"], message: "an address in India needs a PIN code" });
      }
    } else if (address.stateCode !== "96") {
      ctx.addIssue({ code: "custom", path: ["stateCode"], message: "an address abroad takes state code 96" });
    }
  });
export type Address = z.output<typeof ZAddress>;

export const ZContactPerson = z
  .object({
    name: trimmedText(1, 120).optional(),
    role: trimmedText(1, 80).optional(),
    email: ZEmailAddress.optional(),
    phone: ZPhoneNumber.optional(),
    whatsapp: ZMobileNumber.optional(),
    isPrimary: z.boolean().default(false),
  })
  .superRefine((contact, ctx) => {
    if (contact.email === undefined && contact.phone === undefined && contact.whatsapp === undefined) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: "a contact needs an e-mail, a phone or a WhatsApp number",
      });
    }
  });
export type ContactPerson = z.output<typeof ZContactPerson>;

export const ZConsentRecord = z.object({
  status: z.enum(["granted", "withdrawn"]),
  /** When the consent was given or withdrawn (ISO 8601 with offset). */
  at: z.iso.datetime({ offset: true, error: "is an ISO 8601 date-time with offset" }),
  source: z.enum(CONSENT_SOURCES),
  /** Reference to the evidence: form submission id, message id, contract number. */
  evidence: trimmedText(1, 500).optional(),
  /** Version of the privacy notice shown when consent was asked (DPDP Act s.5). */
  noticeVersion: trimmedText(1, 40).optional(),
});
export type ConsentRecord = z.output<typeof ZConsentRecord>;

export const ZConsents = z
  .object({
    email: ZConsentRecord.optional(),
    sms: ZConsentRecord.optional(),
    voice: ZConsentRecord.optional(),
    whatsapp: ZConsentRecord.optional(),
  })
  .strict();
export type Consents = z.output<typeof ZConsents>;

export const ZCreditTerms = z.object({
  days: z.int({ error: "is a whole number of days" }).min(0).max(365),
  /** Whether the terms are agreed in writing; the MSMED Act s.15 only honours written terms. */
  agreedInWriting: z.boolean().default(false),
});
export type CreditTerms = z.output<typeof ZCreditTerms>;

export const ZBuyerMsmeStatus = z.object({
  category: z.enum(MSME_CATEGORIES).nullable(),
  udyamNumber: ZUdyamNumber.optional(),
});
export type BuyerMsmeStatus = z.output<typeof ZBuyerMsmeStatus>;

export const ZIncomeTaxTds = z
  .object({
    section: z.enum(TDS_SECTIONS),
    sectionLabel: trimmedText(1, 60).optional(),
    /** Rate the customer deducts, in basis points (200 = 2%). */
    rateBasisPoints: z.int().min(1).max(10_000),
    tan: ZTan,
    /**
     * The base the customer deducts on. CBDT Circular 23/2017 (19 July 2017): where GST is shown separately, TDS is
     * deducted on the amount excluding GST, so that is the default; some buyers deduct on the gross amount.
     */
    base: z.enum(["excluding-gst", "gross"]).default("excluding-gst"),
  })
  .superRefine((tds, ctx) => {
    if (tds.section === "other" && tds.sectionLabel === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["sectionLabel"],
        message: 'name the section when it is "other"',
      });
    }
  });
export type IncomeTaxTds = z.output<typeof ZIncomeTaxTds>;

export const ZGstTds = z.object({
  deductorCategory: z.enum(GST_TDS_DEDUCTOR_CATEGORIES),
  /** The deductor's GST registration for TDS (14th character 'D'), when known. */
  deductorGstin: ZGstin.optional(),
});
export type GstTds = z.output<typeof ZGstTds>;

export const ZTdsProfile = z.object({
  incomeTax: ZIncomeTaxTds.optional(),
  /** Present when the customer deducts GST TDS under CGST s.51 (government, local authority, PSU and the like). */
  gst: ZGstTds.optional(),
});
export type TdsProfile = z.output<typeof ZTdsProfile>;

const profileShape = {
  legalName: trimmedText(2, 200),
  tradeName: trimmedText(1, 200).optional(),
  gstin: ZGstin.optional(),
  /** Taken from the GSTIN when absent. */
  pan: ZPan.optional(),
  /** State of registration (the GSTIN's first two digits) or of location; 96 for a customer abroad. */
  stateCode: ZStateCode,
  billingAddress: ZAddress.optional(),
  contacts: z.array(ZContactPerson).max(50).default([]),
  preferredLanguage: z
    .enum(CUSTOMER_LANGUAGES, { error: `is one of ${CUSTOMER_LANGUAGES.join(", ")}` })
    .default("en"),
  creditTerms: ZCreditTerms.optional(),
  tags: z
    .array(ZTag)
    .max(30)
    .default([])
    .transform((tags) => [...new Set(tags)]),
  segment: trimmedText(1, 60).optional(),
  msme: ZBuyerMsmeStatus.optional(),
  consents: ZConsents.default({}),
  notes: z.string().max(5000).optional(),
  tds: ZTdsProfile.optional(),
};

/** Names of the profile fields, the ones `updateCustomer` may change. */
export const CUSTOMER_PROFILE_FIELDS = Object.freeze(
  Object.keys(profileShape),
) as readonly (keyof typeof profileShape)[];

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** Cross-field rules; runs even when single fields failed so every problem is reported at once. */
function checkProfileConsistency(profile: unknown, ctx: z.RefinementCtx): void {
  const gstinText = field(profile, "gstin");
  const panText = field(profile, "pan");
  const stateCode = field(profile, "stateCode");
  const gstin = typeof gstinText === "string" ? checkGstin(gstinText) : undefined;
  if (gstin?.ok) {
    const embeddedPan = gstin.value.pan;
    if (typeof panText === "string" && embeddedPan !== null && normalizePan(panText) !== embeddedPan) {
      ctx.addIssue({
        code: "custom",
        path: ["pan"],
        message: `does not match the PAN inside the GSTIN (${embeddedPan})`,
      });
    }
    if (typeof stateCode === "string" && stateCode.trim().padStart(2, "0") !== gstin.value.stateCode) {
      ctx.addIssue({
        code: "custom",
        path: ["stateCode"],
        message: `the GSTIN is registered in state ${gstin.value.stateCode} (${gstin.value.stateName})`,
      });
    }
  }
  const billingState = field(field(profile, "billingAddress"), "stateCode");
  if (
    typeof billingState === "string" &&
    typeof stateCode === "string" &&
    billingState.trim().padStart(2, "0") !== stateCode.trim().padStart(2, "0")
  ) {
    ctx.addIssue({
      code: "custom",
      path: ["billingAddress", "stateCode"],
      message:
        "differs from the customer's state code; a GSTIN is per state, so record the branch as its own customer",
    });
  }
  const contacts = field(profile, "contacts");
  if (
    Array.isArray(contacts) &&
    contacts.filter((contact) => field(contact, "isPrimary") === true).length > 1
  ) {
    ctx.addIssue({ code: "custom", path: ["contacts"], message: "at most one contact may be primary" });
  }
  const deductorGstin = field(field(field(profile, "tds"), "gst"), "deductorGstin");
  if (typeof deductorGstin === "string") {
    const parsed = checkGstin(deductorGstin);
    if (parsed.ok && parsed.value.kind !== "tax-deductor") {
      ctx.addIssue({
        code: "custom",
        path: ["tds", "gst", "deductorGstin"],
        message: "a GST TDS registration has 'D' as 14th character",
      });
    }
  }
}

function derivePan<T extends { gstin?: Gstin | undefined; pan?: Pan | undefined }>(profile: T): T {
  if (profile.pan !== undefined || profile.gstin === undefined) return profile;
  const parsed = checkGstin(profile.gstin);
  return parsed.ok && parsed.value.pan !== null ? { ...profile, pan: parsed.value.pan } : profile;
}

/** A customer's profile as entered; the PAN is filled in from the GSTIN when missing. */
export const ZCustomerProfile = z
  .object(profileShape)
  .superRefine(checkProfileConsistency, { when: () => true })
  .transform(derivePan);
export type CustomerProfile = z.output<typeof ZCustomerProfile>;
export type CustomerProfileInput = z.input<typeof ZCustomerProfile>;

/** A stored customer. */
export const ZCustomer = z
  .object({
    ...profileShape,
    id: z.string().min(1).max(100),
    createdAt: z.iso.datetime({ offset: true }),
    updatedAt: z.iso.datetime({ offset: true }),
    version: z.int().min(1),
  })
  .superRefine(checkProfileConsistency, { when: () => true })
  .transform(derivePan);
export type Customer = z.output<typeof ZCustomer>;
