import { AsyncLocalStorage } from "node:async_hooks";
import {
  CompiledQuery,
  Kysely,
  PostgresDialect,
  PostgresDriver,
  sql,
  type DatabaseConnection,
  type Driver,
  type PostgresDialectConfig,
  type Transaction,
  type TransactionSettings,
} from "kysely";
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The tenant the transaction being opened in this async context is for (set by `withTenant`). */
const tenantOfNextTransaction = new AsyncLocalStorage<string>();

/**
 * Opens a tenant's transaction in one round trip: `begin` and binding the tenant travel as one simple-protocol
 * query. The tenant id is a checked UUID, so writing it into the text is safe; anything else takes the
 * parameterised path in `withTenant`.
 */
class TenantBindingDriver extends PostgresDriver {
  override async beginTransaction(
    connection: DatabaseConnection,
    settings: TransactionSettings,
  ): Promise<void> {
    const tenantId = tenantOfNextTransaction.getStore();
    if (tenantId === undefined || settings.isolationLevel || settings.accessMode) {
      return super.beginTransaction(connection, settings);
    }
    await connection.executeQuery(
      CompiledQuery.raw(`begin; select set_config('app.tenant_id', '${tenantId}', true)`),
    );
  }
}

/** Kysely instances whose transactions bind the tenant at `begin`. */
const bindingDatabases = new WeakSet<Kysely<DB>>();
const bindsAtBegin = (db: Kysely<DB>) => bindingDatabases.has(db);

class TenantBindingDialect extends PostgresDialect {
  readonly #config: PostgresDialectConfig;
  constructor(config: PostgresDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new TenantBindingDriver(this.#config);
  }
}

export function createDatabase(options: CreateDatabaseOptions): Database {
  const app = new Kysely<DB>({ dialect: new TenantBindingDialect({ pool: createPool(options, APP_ROLE) }) });
  bindingDatabases.add(app);
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
  if (!UUID.test(tenantId)) {
    return db.transaction().execute(async (trx) => {
      await sql`select set_config('app.tenant_id', ${tenantId}, true)`.execute(trx);
      return work(trx);
    });
  }
  return tenantOfNextTransaction.run(tenantId, () =>
    db.transaction().execute(async (trx) => {
      // Pools other than the application's do not bind at begin; setting it again there is harmless.
      if (!bindsAtBegin(db)) await sql`select set_config('app.tenant_id', ${tenantId}, true)`.execute(trx);
      // Work inside must not carry the tenant into transactions it opens elsewhere.
      return tenantOfNextTransaction.exit(() => work(trx));
    }),
  );
}

export async function databaseVersion(db: Kysely<DB>): Promise<string> {
  const result = await sql<{ server_version: string }>`show server_version`.execute(db);
  return result.rows[0]?.server_version ?? "unknown";
}
