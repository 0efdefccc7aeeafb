import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { migrationSources } from "../../src/app/migration-sources.ts";
import { createDatabase, type Database } from "../../src/platform/db/database.ts";
import { migrate } from "../../src/platform/db/migrator.ts";

export interface TestDatabase extends Database {
  name: string;
  drop(): Promise<void>;
}

function withDatabaseName(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function onServer<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabaseName(serverUrl, "postgres") });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** An empty database of the test's own on the test server, optionally migrated; dropped by `drop()`. */
export async function createEmptyTestDatabase(): Promise<{
  name: string;
  url: string;
  drop(): Promise<void>;
}> {
  const serverUrl = inject("serverUrl");
  const name = `prapti_test_${randomBytes(6).toString("hex")}`;
  await onServer(serverUrl, (client) => client.query(`create database ${name}`));
  return {
    name,
    url: withDatabaseName(serverUrl, name),
    drop: () =>
      onServer(serverUrl, (client) => client.query(`drop database if exists ${name} with (force)`)).then(
        () => undefined,
      ),
  };
}

/** A fresh, fully migrated database with the application and owner connections open. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const empty = await createEmptyTestDatabase();
  await migrate({ url: empty.url, sources: migrationSources() });
  const database = createDatabase({ url: empty.url, maxConnections: 5 });
  return {
    ...database,
    name: empty.name,
    async drop() {
      await database.close();
      await empty.drop();
    },
  };
}
