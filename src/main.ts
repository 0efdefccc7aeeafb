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
