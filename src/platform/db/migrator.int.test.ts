import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { createEmptyTestDatabase } from "../../../test/support/test-database.ts";
import { migrate, readMigrationState, type MigrationSource } from "./migrator.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function scratchDatabase() {
  const database = await createEmptyTestDatabase();
  cleanups.push(() => database.drop());
  return database;
}

async function sourceWith(files: Record<string, string>): Promise<MigrationSource> {
  const directory = await mkdtemp(join(tmpdir(), "prapti-migrations-"));
  for (const [name, sql] of Object.entries(files)) await writeFile(join(directory, name), sql);
  return { scope: "sample", directory };
}

async function count(url: string, sql: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ n: string }>(sql);
    return Number(result.rows[0]?.n);
  } finally {
    await client.end();
  }
}

describe("migrate", () => {
  it("applies pending migrations once and then reports the database up to date", async () => {
    const { url } = await scratchDatabase();
    const source = await sourceWith({
      "0001_items.sql": "create table items (id int primary key);",
      "0002_seed.sql": "insert into items values (1), (2);",
    });
    expect(await migrate({ url, sources: [source] })).toEqual(["sample/0001_items", "sample/0002_seed"]);
    expect(await migrate({ url, sources: [source] })).toEqual([]);
    expect(await count(url, "select count(*) as n from items")).toBe(2);
    const state = await readMigrationState({ url, sources: [source] });
    expect(state.pending).toEqual([]);
    expect(state.applied.map((entry) => entry.id)).toEqual(["sample/0001_items", "sample/0002_seed"]);
  });

  it("lets processes starting together apply each migration exactly once", async () => {
    const { url } = await scratchDatabase();
    const source = await sourceWith({
      "0001_counter.sql": "create table runs (n int); insert into runs values (1);",
      "0002_more.sql": "insert into runs values (2); select pg_sleep(0.2);",
    });
    const results = await Promise.all(Array.from({ length: 4 }, () => migrate({ url, sources: [source] })));
    expect(results.flat().sort()).toEqual(["sample/0001_counter", "sample/0002_more"]);
    expect(await count(url, "select count(*) as n from runs")).toBe(2);
  });

  it("rolls back a failing migration and keeps the ones before it", async () => {
    const { url } = await scratchDatabase();
    const source = await sourceWith({
      "0001_ok.sql": "create table kept (id int);",
      "0002_broken.sql": "create table half (id int); select no_such_function();",
    });
    await expect(migrate({ url, sources: [source] })).rejects.toThrow(
      /migration sample\/0002_broken failed and was rolled back/,
    );
    expect(await count(url, "select count(*) as n from pg_tables where tablename in ('kept', 'half')")).toBe(
      1,
    );
    expect((await readMigrationState({ url, sources: [source] })).pending).toEqual(["sample/0002_broken"]);
  });

  it("refuses to run when an applied migration was edited", async () => {
    const { url } = await scratchDatabase();
    const source = await sourceWith({ "0001_items.sql": "create table items (id int);" });
    await migrate({ url, sources: [source] });
    await writeFile(join(source.directory, "0001_items.sql"), "create table items (id bigint);");
    await expect(migrate({ url, sources: [source] })).rejects.toThrow(
      /migration sample\/0001_items was changed after it was applied/,
    );
    await expect(readMigrationState({ url, sources: [source] })).rejects.toThrow(
      /changed after it was applied/,
    );
  });

  it("refuses badly named or misnumbered files", async () => {
    const { url } = await scratchDatabase();
    await expect(migrate({ url, sources: [await sourceWith({ "1_x.sql": "select 1;" })] })).rejects.toThrow(
      /must be named NNNN_description\.sql/,
    );
    await expect(
      migrate({ url, sources: [await sourceWith({ "0001_a.sql": "select 1;", "0003_c.sql": "select 1;" })] }),
    ).rejects.toThrow(/breaks the numbering: expected 0002/);
  });
});
