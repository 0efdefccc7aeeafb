import type { BlindIndex } from "../../platform/crypto/blind.index.ts";
import { normalizeEmail, normalizePhone } from "../../platform/crypto/blind.index.ts";
import type { FieldCipher } from "../../platform/crypto/field.cipher.ts";
import { maskEmail, maskPhone } from "../../platform/crypto/masking.ts";

/**
 * Contact details (e-mail addresses, phone and WhatsApp numbers) are personal data: they are stored encrypted
 * with the platform's field cipher (AES-256-GCM, the key id inside each value, so keys rotate), and found by
 * equality through blind indexes kept in `customers.contact_index`.
 */
export interface ContactProtection {
  cipher: FieldCipher;
  blindIndex: BlindIndex;
}

export const CONTACT_FIELDS = ["email", "phone", "whatsapp"] as const;
export type ContactField = (typeof CONTACT_FIELDS)[number];

type ContactRecord = Record<string, unknown>;

/** Additional authenticated data: a value copied to another customer or field fails to decrypt. */
export function contactContext(customerId: string, field: ContactField): string {
  return `customers.contacts.${field}:${customerId}`;
}

function contactsOf(value: unknown): ContactRecord[] {
  return Array.isArray(value)
    ? value.filter((entry): entry is ContactRecord => typeof entry === "object" && entry !== null)
    : [];
}

/** The contacts as stored: every e-mail and number encrypted (already encrypted values are kept). */
export function sealContacts(
  protection: ContactProtection,
  customerId: string,
  contacts: unknown,
): unknown[] {
  return contactsOf(contacts).map((contact) => {
    const sealed: ContactRecord = { ...contact };
    for (const field of CONTACT_FIELDS) {
      const value = contact[field];
      if (typeof value !== "string" || protection.cipher.isEncrypted(value)) continue;
      sealed[field] = protection.cipher.encrypt(value, contactContext(customerId, field));
    }
    return sealed;
  });
}

/**
 * The contacts in plaintext. A value written before contacts were encrypted is plaintext already and is
 * returned as it is (`reencryptCustomerContacts` encrypts such rows).
 */
export function openContacts(
  protection: ContactProtection,
  customerId: string,
  contacts: unknown,
): unknown[] {
  return contactsOf(contacts).map((contact) => {
    const opened: ContactRecord = { ...contact };
    for (const field of CONTACT_FIELDS) {
      const value = contact[field];
      if (typeof value !== "string" || !protection.cipher.isEncrypted(value)) continue;
      opened[field] = protection.cipher.decrypt(value, contactContext(customerId, field));
    }
    return opened;
  });
}

/** Blind index of an e-mail address in a tenant (trimmed, lower-cased). */
export function emailIndex(protection: ContactProtection, tenantId: string, email: string): string {
  return protection.blindIndex.compute({
    purpose: "customers.email",
    value: normalizeEmail(email),
    tenantId,
  });
}

/** Blind index of a phone or WhatsApp number in a tenant (an Indian number by its 10 digits). */
export function phoneIndex(protection: ContactProtection, tenantId: string, phone: string): string {
  return protection.blindIndex.compute({
    purpose: "customers.phone",
    value: normalizePhone(phone),
    tenantId,
  });
}

/** The blind indexes of every address and number of plaintext contacts, sorted, each once. */
export function contactIndexOf(protection: ContactProtection, tenantId: string, contacts: unknown): string[] {
  const indexes = new Set<string>();
  for (const contact of contactsOf(contacts)) {
    if (typeof contact.email === "string") indexes.add(emailIndex(protection, tenantId, contact.email));
    for (const field of ["phone", "whatsapp"] as const) {
      const value = contact[field];
      if (typeof value === "string") indexes.add(phoneIndex(protection, tenantId, value));
    }
  }
  return [...indexes].sort();
}

/** Plaintext contacts with addresses and numbers masked, for the audit log (which can never forget). */
export function maskContacts(contacts: unknown): unknown[] {
  return contactsOf(contacts).map((contact) => ({
    ...contact,
    ...(typeof contact.email === "string" ? { email: maskEmail(contact.email) } : {}),
    ...(typeof contact.phone === "string" ? { phone: maskPhone(contact.phone) } : {}),
    ...(typeof contact.whatsapp === "string" ? { whatsapp: maskPhone(contact.whatsapp) } : {}),
  }));
}

/**
 * Applies `transform` to the contacts of every customer record found in a JSON value (a customer view, or a
 * result holding one under `customer`), keyed by the record's id.
 */
export function mapCustomerContacts(
  value: unknown,
  transform: (customerId: string, contacts: unknown) => unknown[],
): unknown {
  if (Array.isArray(value)) return value.map((entry) => mapCustomerContacts(entry, transform));
  if (typeof value !== "object" || value === null) return value;
  const record = value as Record<string, unknown>;
  const mapped: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(record)) mapped[key] = mapCustomerContacts(entry, transform);
  if (typeof record.id === "string" && Array.isArray(record.contacts)) {
    mapped.contacts = transform(record.id, record.contacts);
  }
  return mapped;
}
