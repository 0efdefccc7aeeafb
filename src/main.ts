import { readFile } from "node:fs/promises";
import { Command, InvalidArgumentError, Option } from "commander";
import pg from "pg";
import { ConfigError, describeConfig, loadConfig, redactUrl, type Config } from "./config/config.ts";
import { isAppError } from "./kernel/app-error.ts";
import { migrate, readMigrationState } from "./platform/db/migrator.ts";
import { connectEngineClient, ENGINE_SCHEMA, type EngineRole } from "./platform/engine/dbos-engine.ts";
import { DEMO_WORKFLOW } from "./platform/engine/demo.workflow.ts";
import { createLogger, silenceKnownDependencyWarnings } from "./platform/telemetry/logger.ts";
import { migrationSources } from "./app/migration-sources.ts";
import { openDatabaseUrl, startPrapti } from "./app/runtime.ts";
import { registerWorkflowCommands } from "./app/workflow.commands.ts";
import { createAuditLog } from "./platform/audit/audit.log.ts";
import { createDatabase } from "./platform/db/database.ts";
import { replayDeadLetters } from "./platform/events/dead-letters.ts";
import { listExecutors } from "./orchestration/durable/executor.monitor.ts";
import { createWorkflowSecretStore } from "./orchestration/secrets/workflow-secret.store.ts";
import { createWorkflowSettingsStore } from "./orchestration/durable/workflow-settings.store.ts";
import { createFieldCipher } from "./platform/crypto/field.cipher.ts";
import { resolveSecrets } from "./platform/crypto/secret.store.ts";
import { createBlindIndex } from "./platform/crypto/blind.index.ts";
import { reencryptStoredData } from "./app/reencryption.commands.ts";

/** A failure the user can act on: printed as one line, exit code as given. */
class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

function configFor(role: string): Config {
  return loadConfig(process.env, { role });
}

async function runServer(role: EngineRole, options: { migrate: boolean; demo: boolean }): Promise<void> {
  const config = configFor(role);
  const logger = createLogger({ level: config.logLevel });
  silenceKnownDependencyWarnings();
  const running = await startPrapti({
    config,
    logger,
    role,
    runMigrations: options.migrate,
    seedDemo: options.demo,
    // Another worker has taken (or may take) this process's workflows: stop at once, without draining.
    onExecutorLost: () => process.exit(75),
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn(`${signal} again: exiting without draining`);
      process.exit(130);
    }
    logger.info(`${signal}: draining requests and workflow steps, then stopping`);
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

/** Opens the configured database (starting the embedded one if needed) for a one-shot command. */
async function withDatabaseUrl<T>(
  work: (url: string, config: Config) => Promise<T>,
  role = "cli",
): Promise<T> {
  const config = configFor(role);
  const logger = createLogger({
    level: config.logLevel === "info" ? "warn" : config.logLevel,
    pretty: false,
  });
  const { url, embedded } = await openDatabaseUrl(config, logger);
  try {
    return await work(url, config);
  } finally {
    await embedded?.stop();
  }
}

async function connectOrExplain(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new CliFailure(`cannot connect to PostgreSQL at ${redactUrl(url)}: ${(error as Error).message}`);
  }
}

async function doctor(): Promise<void> {
  await withDatabaseUrl(async (url, config) => {
    const client = await connectOrExplain(url);
    const print = (label: string, value: string) => process.stdout.write(`${label.padEnd(22)} ${value}\n`);
    for (const [name, value] of Object.entries(describeConfig(config))) print(name, value);
    try {
      const version = await client.query<{ server_version: string }>("show server_version");
      print("database", `PostgreSQL ${version.rows[0]?.server_version ?? "?"} at ${redactUrl(url)}`);
      const state = await readMigrationState({ url, sources: migrationSources() });
      print("migrations", `${state.applied.length} applied, ${state.pending.length} pending`);
      const engineSchema = await client.query<{ found: boolean }>(
        "select to_regclass($1) is not null as found",
        [`${ENGINE_SCHEMA}.workflow_status`],
      );
      if (!engineSchema.rows[0]?.found) {
        print("engine", "not initialised yet (the first `prapti serve` creates its tables)");
      } else {
        const counts = await client.query<{ status: string; count: string }>(
          `select status, count(*)::text as count from ${ENGINE_SCHEMA}.workflow_status group by status order by status`,
        );
        print(
          "engine",
          counts.rows.map((row) => `${row.count} ${row.status.toLowerCase()}`).join(", ") ||
            "no workflows yet",
        );
      }
      if (state.pending.length > 0) {
        throw new CliFailure(`migrations pending: ${state.pending.join(", ")} (run \`prapti migrate\`)`);
      }
      process.stdout.write("ok\n");
    } finally {
      await client.end();
    }
  }, "all");
}

function parsePositiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0)
    throw new InvalidArgumentError("must be a whole number of milliseconds");
  return parsed;
}

async function readStandardInput(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

/** Parses a secret given on the command line or in a file: JSON when it parses, otherwise the text itself. */
function secretValue(text: string): unknown {
  const trimmed = text.replace(/\r?\n$/, "");
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return trimmed;
  }
}

/** `prapti workflow secret set|list|delete`: the secrets workflows read as `$secrets.<name>`. */
function registerWorkflowSecretCommands(program: Command): void {
  const workflow = program.commands.find((command) => command.name() === "workflow");
  if (!workflow) return;
  const secret = workflow
    .command("secret")
    .description("workflow secrets of a business (values never shown)");
  const withSecrets = <T>(
    tenantSlug: string,
    work: (
      store: ReturnType<typeof createWorkflowSecretStore>,
      tenantId: string,
      database: ReturnType<typeof createDatabase>,
    ) => Promise<T>,
  ) =>
    withDatabaseUrl(async (url, config) => {
      const database = createDatabase({ url, applicationName: "prapti-cli", maxConnections: 2 });
      try {
        const tenant = await database.owner
          .selectFrom("tenants")
          .select("id")
          .where("slug", "=", tenantSlug)
          .executeTakeFirst();
        if (!tenant) throw new CliFailure(`no business with the slug "${tenantSlug}"`);
        const { keyRing } = await resolveSecrets({ dataDir: config.dataDir, security: config.security });
        const store = createWorkflowSecretStore({ db: database.app, cipher: createFieldCipher(keyRing) });
        return await work(store, tenant.id, database);
      } finally {
        await database.close();
      }
    });
  secret
    .command("set <name>")
    .description(
      "create or replace a secret; the value is JSON (or plain text) from --file, --value or stdin",
    )
    .requiredOption("--tenant <slug>", "the business (tenant) the secret belongs to")
    .option("--file <path>", "read the value from this file")
    .option("--value <value>", "the value itself (visible in the shell history: prefer --file or stdin)")
    .action(async (name: string, options: { tenant: string; file?: string; value?: string }) => {
      const text =
        options.value ?? (options.file ? await readFile(options.file, "utf8") : await readStandardInput());
      await withSecrets(options.tenant, async (store, tenantId) => {
        const saved = await store.set({ tenantId, name, value: secretValue(text), actor: "cli" });
        process.stdout.write(`${saved.created ? "created" : "replaced"} secret ${saved.name}\n`);
      });
    });
  workflow
    .command("time-zone [zone]")
    .description("show or change the time zone cron schedules are read in (IANA name, default Asia/Kolkata)")
    .requiredOption("--tenant <slug>", "the business (tenant)")
    .action((zone: string | undefined, options: { tenant: string }) =>
      withSecrets(options.tenant, async (_store, tenantId, database) => {
        const settings = createWorkflowSettingsStore({ db: database.app });
        const result = zone ? await settings.setTimeZone(tenantId, zone) : await settings.get(tenantId);
        process.stdout.write(`${result.timeZone}\n`);
      }),
    );
  secret
    .command("list")
    .description("list the secret names (never their values)")
    .requiredOption("--tenant <slug>", "the business (tenant)")
    .action((options: { tenant: string }) =>
      withSecrets(options.tenant, async (store, tenantId) => {
        for (const entry of await store.list(tenantId)) {
          process.stdout.write(
            `${entry.name.padEnd(32)} key ${entry.keyId}  updated ${entry.updatedAt.toISOString()} by ${entry.updatedBy}\n`,
          );
        }
      }),
    );
  secret
    .command("delete <name>")
    .description("delete a secret")
    .requiredOption("--tenant <slug>", "the business (tenant)")
    .action((name: string, options: { tenant: string }) =>
      withSecrets(options.tenant, async (store, tenantId) => {
        await store.delete(tenantId, name, { actor: "cli" });
        process.stdout.write(`deleted secret ${name}\n`);
      }),
    );
}

export function buildCli(): Command {
  const program = new Command("prapti")
    .description("Prapti: the receivables orchestration hub for Indian SMEs")
    .showHelpAfterError();

  program
    .command("serve")
    .description("run Prapti: HTTP API and workflow worker (or one of them with --role)")
    .addOption(
      new Option("--role <role>", "which part to run").choices(["all", "api", "worker"]).default("all"),
    )
    .option("--no-migrate", "do not apply database migrations on start")
    .option("--demo", "create the demo business if it does not exist", false)
    .action((options: { role: EngineRole; migrate: boolean; demo: boolean }) =>
      runServer(options.role, options),
    );

  program
    .command("worker")
    .description("run a workflow worker only (same as serve --role worker)")
    .option("--no-migrate", "do not apply database migrations on start")
    .action((options: { migrate: boolean }) =>
      runServer("worker", { migrate: options.migrate, demo: false }),
    );

  program
    .command("migrate")
    .description("apply pending database migrations")
    .action(() =>
      withDatabaseUrl(async (url) => {
        await connectOrExplain(url).then((client) => client.end());
        const applied = await migrate({ url, sources: migrationSources() });
        process.stdout.write(
          applied.length ? `applied: ${applied.join(", ")}\n` : "database is up to date\n",
        );
      }),
    );

  program
    .command("doctor")
    .description(
      "print configuration, database, migration and engine state; exit non-zero if something is wrong",
    )
    .action(doctor);

  program
    .command("workers")
    .description("list the processes that run workflows: executor id, role, last heartbeat, takeovers")
    .option("--json", "print JSON", false)
    .action((options: { json: boolean }) =>
      withDatabaseUrl(async (url) => {
        const database = createDatabase({ url, applicationName: "prapti-cli", maxConnections: 1 });
        try {
          const executors = await listExecutors(database.owner);
          if (options.json) {
            process.stdout.write(`${JSON.stringify(executors, null, 2)}\n`);
            return;
          }
          if (executors.length === 0) process.stdout.write("no workflow processes have started yet\n");
          for (const executor of executors) {
            const state = executor.recoveredAt
              ? `dead, ${executor.recoveredWorkflows ?? 0} workflow(s) taken over by ${executor.recoveredBy ?? "?"}`
              : executor.stoppedAt
                ? "stopped"
                : `alive, seen ${executor.silentForSeconds.toFixed(1)} s ago`;
            process.stdout.write(
              `${executor.executorId.padEnd(32)} ${executor.role.padEnd(7)} ${executor.host}:${executor.pid}  ${state}\n`,
            );
          }
        } finally {
          await database.close();
        }
      }),
    );

  const engine = program.command("engine").description("inspect the durable engine");
  engine
    .command("demo")
    .description("enqueue the demo workflow (two steps around a durable sleep) for a running worker")
    .option("--sleep-ms <ms>", "how long the workflow sleeps between its steps", parsePositiveInteger, 5_000)
    .option("--id <workflowId>", "workflow id (starting the same id twice returns the same workflow)")
    .option("--wait", "wait until it ends and print its status", false)
    .action((options: { sleepMs: number; id?: string; wait: boolean }) =>
      withDatabaseUrl(async (url) => {
        const client = await connectEngineClient({ databaseUrl: url });
        try {
          const { workflowId } = await client.start(
            DEMO_WORKFLOW,
            { sleepMs: options.sleepMs },
            options.id ? { workflowId: options.id } : {},
          );
          process.stdout.write(`${workflowId}\n`);
          if (options.wait) {
            const info = await client.waitForEnd(workflowId, options.sleepMs + 120_000);
            process.stdout.write(`${info.status}\n`);
          }
        } finally {
          await client.close();
        }
      }),
    );

  registerWorkflowCommands(program, (work) => withDatabaseUrl(work));
  registerWorkflowSecretCommands(program);

  program
    .command("security")
    .description("encryption of data at rest")
    .command("reencrypt")
    .description(
      "encrypt plaintext sensitive fields and move every encrypted value to the current key of PRAPTI_ENCRYPTION_KEYS (all businesses)",
    )
    .action(() =>
      withDatabaseUrl(async (url, config) => {
        const { keyRing, blindIndexKey } = await resolveSecrets({
          dataDir: config.dataDir,
          security: config.security,
        });
        const database = createDatabase({ url, applicationName: "prapti-cli", maxConnections: 2 });
        try {
          const counts = await reencryptStoredData({
            owner: database.owner,
            cipher: createFieldCipher(keyRing),
            blindIndex: createBlindIndex(blindIndexKey),
          });
          for (const { what, count } of counts) process.stdout.write(`${what.padEnd(28)} ${count}\n`);
          const total = counts.reduce((sum, { count }) => sum + count, 0);
          process.stdout.write(`rewritten ${total} under key ${keyRing.current.id}\n`);
        } finally {
          await database.close();
        }
      }),
    );

  program
    .command("audit")
    .description("the audit log")
    .command("verify")
    .description("recompute every tenant's audit hash chain and report the first broken link")
    .option("--tenant <slug>", "only this business")
    .action((options: { tenant?: string }) =>
      withDatabaseUrl(async (url) => {
        const database = createDatabase({ url, applicationName: "prapti-cli", maxConnections: 2 });
        try {
          let query = database.owner.selectFrom("tenants").select(["id", "slug"]);
          if (options.tenant) query = query.where("slug", "=", options.tenant);
          const tenants = await query.orderBy("slug").execute();
          if (options.tenant && tenants.length === 0)
            throw new CliFailure(`no business with the slug "${options.tenant}"`);
          const audit = createAuditLog({ db: database.owner });
          let broken = 0;
          for (const tenant of tenants) {
            const result = await audit.verifyAuditChain({ tenantId: tenant.id });
            process.stdout.write(`${tenant.slug}: ${JSON.stringify(result)}\n`);
            if (!result.ok) broken += 1;
          }
          if (broken > 0) throw new CliFailure(`the audit chain of ${broken} business(es) is broken`);
        } finally {
          await database.close();
        }
      }),
    );

  program
    .command("events")
    .description("the event bus")
    .command("replay")
    .description("deliver dead-lettered events to their consumer again")
    .requiredOption("--consumer <name>", "consumer name, e.g. webhooks")
    .option("--id <id...>", "only these dead letters")
    .action((options: { consumer: string; id?: string[] }) =>
      withDatabaseUrl(async (url) => {
        const database = createDatabase({ url, applicationName: "prapti-cli", maxConnections: 2 });
        try {
          const result = await replayDeadLetters({
            db: database.owner,
            consumer: options.consumer,
            ...(options.id ? { ids: options.id.map(Number) } : {}),
          });
          process.stdout.write(`${JSON.stringify(result)}\n`);
        } finally {
          await database.close();
        }
      }),
    );

  return program;
}

function reportAndExit(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  if (error instanceof CliFailure) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(error.exitCode);
  }
  if (isAppError(error)) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

try {
  await buildCli().parseAsync(process.argv);
} catch (error) {
  reportAndExit(error);
}
