import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";
import { praptiEnvironment, runPrapti } from "../support/prapti-process.ts";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

describe("prapti CLI", () => {
  it("doctor reports an unreachable database in one line and exits non-zero", async () => {
    const result = await runPrapti(
      ["doctor"],
      praptiEnvironment({ DATABASE_URL: "postgres://nobody@127.0.0.1:1/x" }),
    );
    expect(result.code).toBe(1);
    expect(result.output.trim().split("\n")).toEqual([
      expect.stringMatching(
        /^error: cannot connect to PostgreSQL at postgres:\/\/nobody@127\.0\.0\.1:1\/x: .*ECONNREFUSED/,
      ),
    ]);
  });

  it("stops on an invalid setting with one line naming it and exit code 2", async () => {
    const result = await runPrapti(
      ["doctor"],
      praptiEnvironment({ DATABASE_URL: database.url, PORT: "eighty" }),
    );
    expect(result.code).toBe(2);
    expect(result.output.trim()).toMatch(/^configuration error: PORT is invalid \("eighty"\): [^\n]+$/);
  });

  it("doctor prints configuration, database, migrations and engine state of a healthy database", async () => {
    const result = await runPrapti(
      ["doctor"],
      praptiEnvironment({ DATABASE_URL: database.url, PRAPTI_EXECUTOR_ID: "doc-1" }),
    );
    expect(result.code).toBe(0);
    expect(result.output).toMatch(/PRAPTI_EXECUTOR_ID\s+doc-1/);
    expect(result.output).toMatch(/database\s+PostgreSQL \d+/);
    expect(result.output).toMatch(/migrations\s+\d+ applied, 0 pending/);
    expect(result.output).toMatch(/engine\s+/);
  });

  it("migrate reports an up-to-date database", async () => {
    const result = await runPrapti(["migrate"], praptiEnvironment({ DATABASE_URL: database.url }));
    expect(result).toMatchObject({ code: 0 });
    expect(result.output).toContain("database is up to date");
  });
});
