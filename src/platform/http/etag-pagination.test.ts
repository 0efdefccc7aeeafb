import type { FastifyRequest } from "fastify";
import { describe, expect, it } from "vitest";
import type { AppError } from "../../kernel/app-error.ts";
import { decodeCursor, encodeCursor, listQuerySchema, toPage } from "./pagination.ts";
import { etagOf, requireIfMatch } from "./etag.ts";

const requestWith = (ifMatch?: string) =>
  ({ headers: ifMatch === undefined ? {} : { "if-match": ifMatch } }) as FastifyRequest;

describe("If-Match", () => {
  const current = etagOf("cust-1", 3);

  it("accepts the current version and *", () => {
    expect(() => requireIfMatch(requestWith(current), current)).not.toThrow();
    expect(() => requireIfMatch(requestWith(`"old", ${current}`), current)).not.toThrow();
    expect(() => requireIfMatch(requestWith("*"), current)).not.toThrow();
  });

  it("refuses a missing header (428) and a stale version (412)", () => {
    const codeOf = (ifMatch?: string) => {
      try {
        requireIfMatch(requestWith(ifMatch), current);
        return "accepted";
      } catch (error) {
        return (error as AppError).code;
      }
    };
    expect(codeOf()).toBe("PRECONDITION_REQUIRED");
    expect(codeOf(etagOf("cust-1", 2))).toBe("PRECONDITION_FAILED");
  });
});

describe("cursor pagination", () => {
  it("round-trips a cursor and pages with one extra row", () => {
    const rows = [1, 2, 3].map((n) => ({ id: `id-${n}`, at: n }));
    const page = toPage(rows, 2, (row) => ({ after: row.at, id: row.id }));
    expect(page.items).toHaveLength(2);
    expect(decodeCursor(page.nextCursor ?? undefined)).toEqual({ after: 2, id: "id-2" });
    expect(toPage(rows, 3, (row) => ({ after: row.at, id: row.id })).nextCursor).toBeNull();
    expect(decodeCursor(encodeCursor({ after: "2026-01-01", id: "x" }))).toEqual({
      after: "2026-01-01",
      id: "x",
    });
  });

  it("refuses cursors it did not make and unknown sort fields", () => {
    expect(() => decodeCursor("not-a-cursor")).toThrow(/query.cursor/);
    expect(() => decodeCursor(Buffer.from('{"a":1}').toString("base64url"))).toThrow(/query.cursor/);
    const schema = listQuerySchema(["createdAt", "dueDate"]);
    expect(schema.parse({ sort: "-dueDate" }).sort).toBe("-dueDate");
    expect(schema.safeParse({ sort: "password" }).success).toBe(false);
    expect(schema.safeParse({ sort: "dueDate; drop table invoices" }).success).toBe(false);
    expect(schema.safeParse({ limit: "100000" }).success).toBe(false);
    expect(schema.parse({}).limit).toBe(50);
  });
});
