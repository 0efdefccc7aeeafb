import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { AppError } from "../../kernel/app-error.ts";

/** A folder of forward-only SQL migrations named `NNNN_description.sql`, owned by one part of the system. */
export interface MigrationSource {
  scope: string;
  directory: string;
}

export interface Migration {
  id: string;
  scope: string;
  number: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationState {
  applied: { id: string; appliedAt: Date }[];
  pending: string[];
}

/** Any fixed 64-bit number; all Prapti processes agree on it, so only one migrates at a time. */
const MIGRATION_LOCK_KEY = 7_276_540_120_001n;
const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export async function loadMigrations(sources: MigrationSource[]): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for (const source of sources) {
    const files = (await readdir(source.directory)).filter((file) => file.endsWith(".sql")).sort();
    let previous = 0;
    for (const file of files) {
      const match = FILE_PATTERN.exec(file);
      if (!match) {
        throw new AppError({
          code: "INVALID_INPUT",
          message: `migration file ${join(source.directory, file)} must be named NNNN_description.sql`,
        });
      }
      const number = Number(match[1]);
      if (number !== previous + 1) {
        throw new AppError({
          code: "INVALID_INPUT",
          message: `migration ${source.scope}/${file} breaks the numbering: expected ${String(previous + 1).padStart(4, "0")}`,
        });
      }
      previous = number;
      const sql = await readFile(join(source.directory, file), "utf8");
      migrations.push({
        id: `${source.scope}/${file.replace(/\.sql$/, "")}`,
        scope: source.scope,
        number,
        name: match[2] ?? "",
        sql,
        checksum: createHash("sha256").update(sql).digest("hex"),
      });
    }
  }
  return migrations;
}

async function ensureLedger(client: pg.ClientBase): Promise<void> {
  await client.query(`
    create table if not exists prapti_migrations (
      id text primary key,
      checksum text not null,
      applied_at timestamptz not null default now()
    )`);
}

async function readLedger(
  client: pg.ClientBase,
): Promise<Map<string, { checksum: string; appliedAt: Date }>> {
  const exists = await client.query<{ found: boolean }>(
    "select to_regclass('prapti_migrations') is not null as found",
  );
  if (!exists.rows[0]?.found) return new Map();
  const rows = await client.query<{ id: string; checksum: string; applied_at: Date }>(
    "select id, checksum, applied_at from prapti_migrations order by applied_at, id",
  );
  return new Map(rows.rows.map((row) => [row.id, { checksum: row.checksum, appliedAt: row.applied_at }]));
}

function verifyChecksums(
  migrations: Migration[],
  ledger: Map<string, { checksum: string; appliedAt: Date }>,
): void {
  for (const migration of migrations) {
    const applied = ledger.get(migration.id);
    if (applied && applied.checksum !== migration.checksum) {
      throw new AppError({
        code: "CONFLICT",
        message:
          `migration ${migration.id} was changed after it was applied (checksum ${applied.checksum.slice(0, 12)} ` +
          `in the database, ${migration.checksum.slice(0, 12)} on disk); migrations are forward-only: ` +
          `restore the file and add a new migration instead`,
        details: { migration: migration.id },
      });
    }
  }
}

/**
 * Applies pending migrations, each in its own transaction, while holding an advisory lock so that processes
 * starting together apply each migration once. Refuses to run if an applied migration was edited.
 */
export async function migrate(options: { url: string; sources: MigrationSource[] }): Promise<string[]> {
  const migrations = await loadMigrations(options.sources);
  const client = new pg.Client({ connectionString: options.url, application_name: "prapti-migrate" });
  await client.connect();
  const applied: string[] = [];
  try {
    await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY.toString()]);
    await ensureLedger(client);
    const ledger = await readLedger(client);
    verifyChecksums(migrations, ledger);
    for (const migration of migrations) {
      if (ledger.has(migration.id)) continue;
      try {
        await client.query("begin");
        await client.query(migration.sql);
        await client.query("insert into prapti_migrations (id, checksum) values ($1, $2)", [
          migration.id,
          migration.checksum,
        ]);
        await client.query("commit");
      } catch (error) {
        await client.query("rollback");
        throw new AppError({
          code: "INTERNAL",
          message: `migration ${migration.id} failed and was rolled back: ${(error as Error).message}`,
          cause: error,
        });
      }
      applied.push(migration.id);
    }
  } finally {
    await client
      .query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY.toString()])
      .catch(() => undefined);
    await client.end();
  }
  return applied;
}

/** What `prapti doctor` reports: applied and pending migrations, and any edited ones (as an error). */
export async function readMigrationState(options: {
  url: string;
  sources: MigrationSource[];
}): Promise<MigrationState> {
  const migrations = await loadMigrations(options.sources);
  const client = new pg.Client({ connectionString: options.url, application_name: "prapti-doctor" });
  await client.connect();
  try {
    const ledger = await readLedger(client);
    verifyChecksums(migrations, ledger);
    return {
      applied: [...ledger.entries()].map(([id, entry]) => ({ id, appliedAt: entry.appliedAt })),
      pending: migrations.filter((migration) => !ledger.has(migration.id)).map((migration) => migration.id),
    };
  } finally {
    await client.end();
  }
}
