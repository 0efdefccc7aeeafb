import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import pino from "pino";
import YAML from "yaml";
import { AppError } from "../kernel/app-error.ts";
import { createDatabase } from "../platform/db/database.ts";
import { connectEngineClient } from "../platform/engine/dbos-engine.ts";
import { EventTypeRegistry } from "../platform/events/event-outbox.ts";
import { appendExternalEvent } from "../platform/events/external-event.ts";
import { withTenant } from "../platform/db/database.ts";
import { validateWorkflowDocument } from "../orchestration/dsl/workflow.validator.ts";
import { runLocally } from "../orchestration/runtime/run-locally.ts";
import { DEMO_TENANT_SLUG } from "./demo-data.ts";
import { createHub, type Hub } from "./hub.ts";

type WithDatabaseUrl = <T>(work: (url: string) => Promise<T>) => Promise<T>;

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw AppError.invalidInput([
      { field: what, reason: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? "error"}` },
    ]);
  }
}

/** Reads a JSON or YAML input file. */
async function readInput(path: string | undefined): Promise<unknown> {
  if (!path) return {};
  const text = await readText(path, "--input");
  try {
    return YAML.parse(text) as unknown;
  } catch (error) {
    throw AppError.invalidInput([
      { field: "--input", reason: `${path} is not JSON or YAML: ${(error as Error).message}` },
    ]);
  }
}

function print(value: unknown): void {
  const text = JSON.stringify(
    value,
    (_key, current: unknown) => (typeof current === "bigint" ? current.toString() : current),
    2,
  );
  process.stdout.write(`${text}\n`);
}

/** Opens the configured database with a hub that enqueues work for the workers instead of running it. */
async function withHub<T>(
  withDatabaseUrl: WithDatabaseUrl,
  tenantSlug: string,
  work: (hub: Hub, tenantId: string, database: ReturnType<typeof createDatabase>) => Promise<T>,
): Promise<T> {
  return withDatabaseUrl(async (url) => {
    const database = createDatabase({ url, applicationName: "prapti-cli", maxConnections: 2 });
    const engine = await connectEngineClient({ databaseUrl: url });
    try {
      const tenant = await database.owner
        .selectFrom("tenants")
        .select("id")
        .where("slug", "=", tenantSlug)
        .executeTakeFirst();
      if (!tenant)
        throw AppError.invalidInput([
          { field: "--tenant", reason: `no business with the slug "${tenantSlug}"` },
        ]);
      const hub = createHub({
        database,
        engine: () => engine,
        events: new EventTypeRegistry(),
        functions: {
          has: () => true,
          call: () => Promise.reject(new Error("the CLI does not run workflows")),
        },
        interpret: () => Promise.reject(new Error("the CLI does not run workflows")),
        logger: pino({ level: "silent" }),
        parkThresholdMs: 0,
      });
      return await work(hub, tenant.id, database);
    } finally {
      await engine.close();
      await database.close();
    }
  });
}

function parseReference(reference: string): { namespace: string; name: string; version?: string } {
  const match = /^([a-z0-9-]+)\/([a-z0-9-]+)(?:@(.+))?$/.exec(reference);
  if (!match) {
    throw AppError.invalidInput([
      { field: "definition", reason: `"${reference}" must look like namespace/name or namespace/name@1.2.0` },
    ]);
  }
  return { namespace: match[1] ?? "", name: match[2] ?? "", ...(match[3] ? { version: match[3] } : {}) };
}

/** `prapti workflow ...`: validate and run files locally, and manage definitions and instances in the database. */
export function registerWorkflowCommands(program: Command, withDatabaseUrl: WithDatabaseUrl): void {
  const workflow = program.command("workflow").description("validate, run, publish and operate workflows");
  const tenantOption = ["--tenant <slug>", "the business (tenant) to act for", DEMO_TENANT_SLUG] as const;

  workflow
    .command("validate <file>")
    .description("validate a workflow definition; prints every error with its JSON pointer")
    .action(async (file: string) => {
      const result = validateWorkflowDocument(await readText(file, "file"));
      for (const warning of result.warnings)
        process.stderr.write(`warning: ${warning.path || "/"}: ${warning.message}\n`);
      if (result.ok) {
        process.stdout.write("valid\n");
        return;
      }
      for (const error of result.errors) process.stdout.write(`${error.path || "/"}: ${error.message}\n`);
      process.exitCode = 1;
    });

  workflow
    .command("run <file>")
    .description("run a definition to its end in the local runtime (timers on a virtual clock)")
    .option("--input <file>", "workflow input (JSON or YAML)")
    .option("--json", "print {status, output, error, tasks} as JSON", false)
    .action(async (file: string, options: { input?: string; json: boolean }) => {
      const result = await runLocally(await readText(file, "file"), await readInput(options.input));
      if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else print(result);
      if (result.status !== "completed") process.exitCode = 1;
    });

  workflow
    .command("publish <file>")
    .description("publish a definition (only a valid one) as the current version")
    .option(...tenantOption)
    .option("--by <name>", "who publishes it", "cli")
    .action(async (file: string, options: { tenant: string; by: string }) => {
      const source = await readText(file, "file");
      await withHub(withDatabaseUrl, options.tenant, async (hub, tenantId) =>
        print(await hub.definitions.publish({ tenantId, source, publishedBy: options.by })),
      );
    });

  workflow
    .command("list")
    .description("list published definitions and their versions")
    .option(...tenantOption)
    .action(async (options: { tenant: string }) =>
      withHub(withDatabaseUrl, options.tenant, async (hub, tenantId) =>
        print(await hub.definitions.list({ tenantId })),
      ),
    );

  workflow
    .command("start <definition>")
    .description("start an instance of namespace/name[@version]")
    .option(...tenantOption)
    .option("--input <file>", "workflow input (JSON or YAML)")
    .option("--key <businessKey>", "business key: starting twice with it returns the same instance")
    .action(async (reference: string, options: { tenant: string; input?: string; key?: string }) => {
      const input = await readInput(options.input);
      await withHub(withDatabaseUrl, options.tenant, async (hub, tenantId) => {
        const { instance, created } = await hub.orchestrator.start({
          tenantId,
          ...parseReference(reference),
          input,
          ...(options.key ? { businessKey: options.key } : {}),
        });
        print({ id: instance.id, status: instance.status, created });
      });
    });

  workflow
    .command("status <instanceId>")
    .description("show an instance and its task history")
    .option(...tenantOption)
    .action(async (instanceId: string, options: { tenant: string }) =>
      withHub(withDatabaseUrl, options.tenant, async (hub, tenantId) =>
        print({
          instance: await hub.orchestrator.store.get(tenantId, instanceId),
          history: await hub.orchestrator.store.history(tenantId, instanceId),
        }),
      ),
    );

  for (const [verb, describe] of [
    ["cancel", "cancel an instance: it runs no further task"],
    ["suspend", "suspend an instance until it is resumed"],
    ["resume", "resume a suspended instance"],
    ["retry", "run a faulted instance again from the task that failed"],
  ] as const) {
    workflow
      .command(`${verb} <instanceId>`)
      .description(describe)
      .option(...tenantOption)
      .action(async (instanceId: string, options: { tenant: string }) =>
        withHub(withDatabaseUrl, options.tenant, async (hub, tenantId) => {
          const instance = await hub.orchestrator[verb](tenantId, instanceId);
          print({ id: instance.id, status: instance.status });
        }),
      );
  }

  workflow
    .command("send-event")
    .description("publish an event to the business's waiting workflows")
    .requiredOption("--type <type>", "event type, e.g. payment.received")
    .option("--source <uri>", "event source", "urn:prapti:cli")
    .option("--subject <subject>", "event subject")
    .option("--data <file>", "event data (JSON or YAML)")
    .option(...tenantOption)
    .action(
      async (options: { type: string; source: string; subject?: string; data?: string; tenant: string }) => {
        const data = await readInput(options.data);
        await withHub(withDatabaseUrl, options.tenant, async (_hub, tenantId, database) => {
          const event = await withTenant(database.app, tenantId, (trx) =>
            appendExternalEvent(trx, new EventTypeRegistry(), {
              tenantId,
              type: options.type,
              source: options.source,
              ...(options.subject ? { subject: options.subject } : {}),
              data,
            }),
          );
          print({ id: event.id, type: event.type });
        });
      },
    );
}
