import { describe, expect, it } from "vitest";
import { canonicalJson, entryHash, GENESIS_HASH, toAuditJson } from "./audit.canonical.ts";

const fields = {
  id: "0d2f5a52-8a64-4a4e-9f3c-1b6f0c7f9a10",
  tenantId: "7b1e6a0e-2c4f-4c55-9d7e-5d2b8f3c1a22",
  seq: 1,
  at: new Date("2025-04-01T10:00:00.123Z"),
  actorType: "user" as const,
  actorId: "u-1",
  action: "invoice.issued",
  entityType: "invoice",
  entityId: "INV-1",
  before: null,
  after: { total: "118000", lines: [{ hsn: "9983", rate: 18 }] },
  metadata: null,
  requestId: "req-1",
  prevHash: GENESIS_HASH,
};

describe("canonical serialisation", () => {
  it("sorts keys at every depth and drops whitespace", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: "x" } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}',
    );
  });

  it("gives the same text whatever the key order, as jsonb returns it", () => {
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });

  it("hashes to 64 hex characters and changes with any field", () => {
    const hash = entryHash(fields);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(entryHash({ ...fields })).toBe(hash);
    expect(entryHash({ ...fields, after: { total: "118001", lines: [{ hsn: "9983", rate: 18 }] } })).not.toBe(
      hash,
    );
    expect(entryHash({ ...fields, seq: 2 })).not.toBe(hash);
    expect(entryHash({ ...fields, at: new Date("2025-04-01T10:00:00.124Z") })).not.toBe(hash);
    expect(entryHash({ ...fields, prevHash: "f".repeat(64) })).not.toBe(hash);
    expect(entryHash({ ...fields, actorId: "u-2" })).not.toBe(hash);
  });
});

describe("payload normalisation", () => {
  it("writes bigint as digits, dates as ISO, drops undefined and redacts secrets at any depth", () => {
    expect(
      toAuditJson({
        amount: 11_800_000n,
        dueOn: new Date("2025-05-01T00:00:00.000Z"),
        note: undefined,
        password: "hunter2",
        nested: { refreshToken: "prt_x", apiKey: "prk_y", token_hash: "ab", keep: "ok" },
      }),
    ).toEqual({
      amount: "11800000",
      dueOn: "2025-05-01T00:00:00.000Z",
      password: "[redacted]",
      nested: { refreshToken: "[redacted]", apiKey: "[redacted]", token_hash: "[redacted]", keep: "ok" },
    });
    expect(toAuditJson(undefined)).toBeNull();
  });
});
