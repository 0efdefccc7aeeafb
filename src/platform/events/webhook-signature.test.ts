import { describe, expect, it } from "vitest";
import { signWebhookPayload, verifyWebhookSignature } from "./webhook-signature.ts";

describe("webhook signatures", () => {
  const body = JSON.stringify({ id: "evt-1", type: "invoicing.invoice.paid", data: { paise: "118000" } });

  it("signs t.body with HMAC-SHA256 and verifies it", () => {
    const header = signWebhookPayload({ secret: "whsec_abc", timestampSeconds: 1_767_225_600, body });
    expect(header).toMatch(/^t=1767225600,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature({ secret: "whsec_abc", header, body, nowSeconds: 1_767_225_610 })).toEqual({
      valid: true,
      timestampSeconds: 1_767_225_600,
    });
  });

  it("matches a vector computed independently (openssl dgst -sha256 -hmac)", () => {
    expect(signWebhookPayload({ secret: "secret", timestampSeconds: 1_700_000_000, body: '{"a":1}' })).toBe(
      "t=1700000000,v1=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686",
    );
  });

  it("refuses a wrong secret, an altered body, an old timestamp and a missing header", () => {
    const header = signWebhookPayload({ secret: "whsec_abc", timestampSeconds: 1_000, body });
    expect(verifyWebhookSignature({ secret: "other", header, body, nowSeconds: 1_000 }).valid).toBe(false);
    expect(
      verifyWebhookSignature({ secret: "whsec_abc", header, body: `${body} `, nowSeconds: 1_000 }).valid,
    ).toBe(false);
    expect(verifyWebhookSignature({ secret: "whsec_abc", header, body, nowSeconds: 2_000 })).toEqual({
      valid: false,
      reason: "timestamp outside the tolerance",
    });
    expect(
      verifyWebhookSignature({ secret: "whsec_abc", header: undefined, body, nowSeconds: 1_000 }).valid,
    ).toBe(false);
  });
});
