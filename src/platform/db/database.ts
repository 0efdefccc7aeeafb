import { Kysely, PostgresDialect, sql, type Transaction } from "kysely";
import pg from "pg";
import type { DB } from "./schema.ts";

/** The role the application runs as: not a superuser and without BYPASSRLS, so row-level security applies. */
export const APP_ROLE = "prapti_app";

// Money columns are bigint: read them as bigint, never as a lossy number or a string.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => BigInt(value));
// Calendar dates stay "YYYY-MM-DD" strings; a Date would shift them by the process's time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (value: string) => value);

export interface Database {
  /** Runs as the application role: every tenant-owned table is filtered by row-level security. */
  app: Kysely<DB>;
  /** Runs as the connecting (owner) role: migrations, tenant provisioning and cross-tenant sweeps only. */
  owner: Kysely<DB>;
  url: string;
  close(): Promise<void>;
}

export interface CreateDatabaseOptions {
  url: string;
  maxConnections?: number;
  applicationName?: string;
}

function createPool(options: CreateDatabaseOptions, role: string | undefined): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    application_name: options.applicationName ?? "prapti",
    // Set at connection start-up, so a connection can never run a query before it has taken the role.
    ...(role ? { options: `-c role=${role}` } : {}),
  });
  pool.on("error", () => undefined);
  return pool;
}

export function createDatabase(options: CreateDatabaseOptions): Database {
  const app = new Kysely<DB>({ dialect: new PostgresDialect({ pool: createPool(options, APP_ROLE) }) });
  const owner = new Kysely<DB>({
    dialect: new PostgresDialect({ pool: createPool({ ...options, maxConnections: 4 }, undefined) }),
  });
  return {
    app,
    owner,
    url: options.url,
    async close() {
      await Promise.all([app.destroy(), owner.destroy()]);
    },
  };
}

export type TenantTransaction = Transaction<DB>;

/**
 * Runs one unit of work in a transaction bound to a tenant: row-level security then shows and accepts only
 * that tenant's rows, whatever the queries inside say.
 */
export async function withTenant<T>(
  db: Kysely<DB>,
  tenantId: string,
  work: (trx: TenantTransaction) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`select set_config('app.tenant_id', ${tenantId}, true)`.execute(trx);
    return work(trx);
  });
}

export async function databaseVersion(db: Kysely<DB>): Promise<string> {
  const result = await sql<{ server_version: string }>`show server_version`.execute(db);
  return result.rows[0]?.server_version ?? "unknown";
}
