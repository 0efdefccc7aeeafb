import type { ConsentChannel, Customer } from "./customer.schemas.ts";

export interface ContactPermission {
  allowed: boolean;
  reason:
    | "consent-granted"
    | "no-objection-on-file"
    | "consent-withdrawn"
    | "consent-required"
    | "no-contact-point";
  /** Where a message on this channel may go (primary contact first); empty when not allowed. */
  recipients: string[];
}

function recipientsFor(customer: Customer, channel: ConsentChannel): string[] {
  const ordered = [...customer.contacts].sort((a, b) => Number(b.isPrimary) - Number(a.isPrimary));
  const values = ordered.flatMap((contact) => {
    switch (channel) {
      case "email":
        return contact.email === undefined ? [] : [contact.email];
      case "whatsapp":
        return contact.whatsapp === undefined ? [] : [contact.whatsapp];
      case "sms":
      case "voice":
        return [contact.phone, contact.whatsapp].filter(
          (value): value is NonNullable<typeof value> => value !== undefined,
        );
    }
  });
  return [...new Set<string>(values)];
}

/**
 * Whether Prapti may contact a customer on a channel. A withdrawal always wins. Without any record the answer depends
 * on `requireGrantedConsent`: reminders about an invoice the customer owes are sent by default unless the organisation
 * asks for explicit consent first.
 */
export function checkContactPermission(options: {
  customer: Customer;
  channel: ConsentChannel;
  requireGrantedConsent?: boolean;
}): ContactPermission {
  const { customer, channel } = options;
  const consent = customer.consents[channel];
  if (consent?.status === "withdrawn") return { allowed: false, reason: "consent-withdrawn", recipients: [] };
  const recipients = recipientsFor(customer, channel);
  if (recipients.length === 0) return { allowed: false, reason: "no-contact-point", recipients: [] };
  if (consent?.status === "granted") return { allowed: true, reason: "consent-granted", recipients };
  if (options.requireGrantedConsent === true)
    return { allowed: false, reason: "consent-required", recipients: [] };
  return { allowed: true, reason: "no-objection-on-file", recipients };
}
