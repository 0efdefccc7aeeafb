import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { newOpaqueToken, parseOpaqueToken } from "./opaque.token.ts";

describe("opaque tokens", () => {
  it("carry their tenant and 256 random bits", () => {
    const tenantId = randomUUID();
    const token = newOpaqueToken("prk", tenantId);
    expect(token.value).toMatch(/^prk_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
    expect(parseOpaqueToken(token.value, "prk")).toEqual(token);
    expect(newOpaqueToken("prk", tenantId).secret).not.toBe(token.secret);
  });

  it("refuse another kind and malformed values", () => {
    const token = newOpaqueToken("prt", randomUUID());
    expect(parseOpaqueToken(token.value, "prk")).toBeUndefined();
    expect(parseOpaqueToken(`${token.value}x`, "prt")).toBeUndefined();
    expect(parseOpaqueToken("prt_xyz_abc", "prt")).toBeUndefined();
  });
});
