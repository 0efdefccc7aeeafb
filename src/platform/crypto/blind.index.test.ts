import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createBlindIndex, normalizeEmail, normalizePhone } from "./blind.index.ts";

const index = createBlindIndex(randomBytes(32));

describe("blind index", () => {
  it("is deterministic and equal for equivalent spellings", () => {
    expect(index.email("Ravi@Example.com ")).toBe(index.email("ravi@example.com"));
    expect(index.phone("+91 98765 43210")).toBe(index.phone("09876543210"));
    expect(index.phone("98765-43210")).toBe(index.phone("9876543210"));
    expect(index.email("ravi@example.com")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("differs between values, purposes, tenants and keys", () => {
    expect(index.email("ravi@example.com")).not.toBe(index.email("ravi@example.org"));
    expect(index.compute({ purpose: "email", value: "x" })).not.toBe(
      index.compute({ purpose: "phone", value: "x" }),
    );
    expect(index.email("ravi@example.com", "tenant-a")).not.toBe(index.email("ravi@example.com", "tenant-b"));
    expect(createBlindIndex(randomBytes(32)).email("ravi@example.com")).not.toBe(
      index.email("ravi@example.com"),
    );
  });

  it("does not contain the value", () => {
    expect(index.email("ravi@example.com")).not.toContain("ravi");
  });

  it("refuses a short key and an odd purpose", () => {
    expect(() => createBlindIndex(randomBytes(16))).toThrow(/32 bytes/);
    expect(() => index.compute({ purpose: "Email Address", value: "x" })).toThrow(/purpose/);
  });

  it("normalises emails and Indian phone numbers", () => {
    expect(normalizeEmail("  A@B.IN ")).toBe("a@b.in");
    expect(normalizePhone("+91-98765 43210")).toBe("9876543210");
    expect(normalizePhone("+1 415 555 0100")).toBe("14155550100");
  });
});
