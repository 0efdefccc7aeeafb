import { describe, expect, it } from "vitest";
import { createCustomer } from "./customer.commands.ts";
import { checkContactPermission } from "./consent.policy.ts";

const NOW = new Date("2025-10-01T00:00:00Z");
const { customer } = createCustomer({
  id: "cus_1",
  now: NOW,
  profile: {
    legalName: "Sharma Traders",
    stateCode: "27",
    contacts: [
      { email: "second@sharma.example", phone: "+912025671234" },
      { email: "first@sharma.example", whatsapp: "+919876543210", isPrimary: true },
    ],
    consents: {
      whatsapp: { status: "withdrawn", at: "2025-09-01T00:00:00Z", source: "stop-keyword" },
      email: { status: "granted", at: "2025-08-01T00:00:00Z", source: "signed-contract" },
    },
  },
});

describe("checkContactPermission", () => {
  it("allows a consented channel, primary contact first", () => {
    expect(checkContactPermission({ customer, channel: "email" })).toEqual({
      allowed: true,
      reason: "consent-granted",
      recipients: ["first@sharma.example", "second@sharma.example"],
    });
  });

  it("never allows a withdrawn channel", () => {
    expect(checkContactPermission({ customer, channel: "whatsapp" })).toEqual({
      allowed: false,
      reason: "consent-withdrawn",
      recipients: [],
    });
  });

  it("uses phone and WhatsApp numbers for SMS and asks for consent when the organisation requires it", () => {
    expect(checkContactPermission({ customer, channel: "sms" })).toEqual({
      allowed: true,
      reason: "no-objection-on-file",
      recipients: ["+919876543210", "+912025671234"],
    });
    expect(checkContactPermission({ customer, channel: "voice", requireGrantedConsent: true }).reason).toBe(
      "consent-required",
    );
  });

  it("refuses a channel without a contact point", () => {
    const { customer: bare } = createCustomer({
      id: "cus_2",
      now: NOW,
      profile: { legalName: "No Phone Ltd", stateCode: "27", contacts: [{ email: "a@b.example" }] },
    });
    expect(checkContactPermission({ customer: bare, channel: "whatsapp" }).reason).toBe("no-contact-point");
  });
});
