import type { Logger } from "pino";
import type { Config } from "../config/config.ts";
import { createDatabase, databaseVersion, type Database } from "../platform/db/database.ts";
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from "../platform/db/embedded-postgres.ts";
import { migrate } from "../platform/db/migrator.ts";
import { launchDbosEngine, type EngineRole, type LaunchedEngine } from "../platform/engine/dbos-engine.ts";
import { createDemoWorkflow } from "../platform/engine/demo.workflow.ts";
import { createHttpServer, type HttpServer } from "../platform/http/server.ts";
import { createModuleGateway, type ModuleGateway } from "../orchestration/gateway/module.gateway.ts";
import type { ModuleContext } from "../platform/modules/module.contract.ts";
import { createMetrics, type PraptiMetrics } from "../platform/telemetry/metrics.ts";
import { registerMetrics } from "../platform/telemetry/metrics.plugin.ts";
import { createTracing, type Tracing } from "../platform/telemetry/tracing.ts";
import { createReadModelCache } from "../platform/cache/create-read-model.cache.ts";
import {
  createOutboxCacheInvalidator,
  type OutboxCacheInvalidator,
} from "../platform/cache/outbox-cache.invalidator.ts";
import type { ReadModelCache } from "../platform/cache/read-model.cache.ts";
import { buildActionCatalog, buildEventRegistry, buildModuleConsumers, buildModules } from "./modules.ts";
import { createSecurityServices } from "../platform/auth/security.services.ts";
import { resolveSecrets } from "../platform/crypto/secret.store.ts";
import { registerApi } from "./api.ts";
import { createEventBus } from "../platform/events/create-event.bus.ts";
import { createWebhookFanOutConsumer, createWebhookSender } from "../platform/events/webhook.dispatcher.ts";
import type { WorkflowEngine } from "../platform/engine/workflow-engine.ts";
import type { Workflow } from "../orchestration/dsl/workflow.types.ts";
import { interpretWorkflow } from "../orchestration/runtime/workflow.interpreter.ts";
import { seedDemoData } from "./demo-data.ts";
import { createHub, type FunctionCatalog, type Hub } from "./hub.ts";
import { migrationSources } from "./migration-sources.ts";
import { createExecutorMonitor } from "../orchestration/durable/executor.monitor.ts";
import { createWorkflowSecretStore } from "../orchestration/secrets/workflow-secret.store.ts";

export interface RunningPrapti {
  url: string | undefined;
  databaseUrl: string;
  database: Database;
  engine: LaunchedEngine;
  hub: Hub;
  gateway: ModuleGateway;
  metrics: PraptiMetrics;
  http: HttpServer;
  /** The read-model cache and its invalidator, in processes that serve the API. */
  cache: { store: ReadModelCache; invalidator: OutboxCacheInvalidator } | undefined;
  stop(): Promise<void>;
}

export interface StartPraptiOptions {
  config: Config;
  logger: Logger;
  role: EngineRole;
  runMigrations: boolean;
  seedDemo: boolean;
  /** Replaces the tracing the configuration describes (tests pass one with an in-memory exporter). */
  tracing?: Tracing;
  /**
   * Called when this process must stop running workflows at once (it was declared dead and its work was handed
   * to other workers); the CLI exits. Unset: the process logs it and stops.
   */
  onExecutorLost?: (reason: string) => void;
}

/** Resolves the database: DATABASE_URL when set, otherwise the embedded cluster in PRAPTI_DATA_DIR. */
export async function openDatabaseUrl(
  config: Config,
  logger: Logger,
): Promise<{ url: string; embedded: EmbeddedPostgresHandle | undefined }> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: undefined };
  const embedded = await startEmbeddedPostgres({
    dataDir: config.dataDir,
    log: (message) => logger.info(message),
  });
  return { url: embedded.url, embedded };
}

/** Boots one Prapti process: database, migrations, engine, HTTP; `stop` undoes it in reverse, draining work. */
export async function startPrapti(options: StartPraptiOptions): Promise<RunningPrapti> {
  const { config, logger, role } = options;
  const { url, embedded } = await openDatabaseUrl(config, logger);
  const cleanups: (() => Promise<void>)[] = [];
  if (embedded) cleanups.push(() => embedded.stop());
  try {
    if (options.runMigrations) {
      const applied = await migrate({ url, sources: migrationSources() });
      if (applied.length > 0) logger.info({ applied }, `applied ${applied.length} migration(s)`);
    }
    const database = createDatabase({ url, applicationName: `prapti-${role}` });
    cleanups.push(() => database.close());
    logger.info(`PostgreSQL ${await databaseVersion(database.owner)}`);

    const security = createSecurityServices({
      app: database.app,
      owner: database.owner,
      config: config.security,
      secrets: await resolveSecrets({ dataDir: config.dataDir, security: config.security }),
    });
    const metrics = createMetrics();
    const tracing =
      options.tracing ??
      createTracing({
        serviceName: config.serviceName,
        ...(config.otlpEndpoint ? { otlpEndpoint: config.otlpEndpoint } : {}),
      });
    cleanups.push(() => tracing.shutdown());
    const modules = buildModules({ cipher: security.cipher, blindIndex: security.blindIndex });
    const events = buildEventRegistry(modules);
    const moduleContext: ModuleContext = { database, events, logger, now: () => Date.now() };
    const catalog = buildActionCatalog(moduleContext, modules);
    const gateway = createModuleGateway({ catalog, logger, metrics, tracing });
    const functions: FunctionCatalog = {
      has: (name) => catalog.get(name) !== undefined,
      call: (request) =>
        gateway.call(request.name, request.arguments, {
          tenantId: request.tenantId,
          actor: `workflow:${request.instanceId}`,
          idempotencyKey: request.key,
          signal: request.signal,
        }),
    };

    // The hub is built before the engine launches (the engine needs its workflows), and reaches it later.
    const launched: { engine?: WorkflowEngine } = {};
    const hub = createHub({
      database,
      engine: () => {
        if (!launched.engine) throw new Error("the engine is not launched yet");
        return launched.engine;
      },
      events,
      functions,
      interpret: ({ workflow, input, instanceId, host }) =>
        interpretWorkflow({ workflow: workflow as unknown as Workflow, input, instanceId, host }),
      logger,
      parkThresholdMs: config.parkThresholdMs,
      tracing,
    });
    const workflowSecrets = createWorkflowSecretStore({ db: database.app, cipher: security.cipher });
    hub.orchestrator.useSecrets((tenantId, names) => workflowSecrets.load(tenantId, names));
    if (options.seedDemo) await seedDemoData({ database, events, security, logger, now: () => Date.now() });

    let stopping: Promise<void> | undefined;
    const stopOnce = () => (stopping ??= runCleanups(cleanups, logger));
    // The heartbeat row is written before the engine recovers this executor's own pending workflows.
    const executors = createExecutorMonitor({
      owner: database.owner,
      executorId: config.executorId,
      role,
      heartbeatMs: config.heartbeatMs,
      deadAfterMs: config.executorDeadAfterMs,
      logger,
      onLost: (reason) => {
        if (options.onExecutorLost) options.onExecutorLost(reason);
        else void stopOnce();
      },
    });
    await executors.register();
    cleanups.push(() => executors.stop());

    const engine = await launchDbosEngine({
      databaseUrl: url,
      executorId: config.executorId,
      role,
      workflows: [createDemoWorkflow({ db: database.app }), hub.orchestrator.executeRegistration],
      logLevel: config.logLevel,
    });
    launched.engine = engine;
    cleanups.push(() => engine.shutdown({ graceMs: config.shutdownGraceMs }));
    logger.info({ executorId: engine.executorId, role }, "durable engine launched");
    if (role !== "api") {
      executors.startRecovery((executorId) => engine.recoverExecutor(executorId));
      const stopSweeper = hub.orchestrator.startSweeper();
      cleanups.push(stopSweeper);
      // The outbox relay and the event consumers (outbound webhooks) run where workflows run.
      const bus = createEventBus({ database, config, logger, metrics });
      const webhookSender = createWebhookSender({
        owner: database.owner,
        databaseUrl: database.url,
        logger,
        metrics,
        maxAttempts: config.webhookMaxAttempts,
      });
      bus.subscribe(createWebhookFanOutConsumer({ app: database.app, onQueued: () => webhookSender.wake() }));
      for (const consumer of buildModuleConsumers(moduleContext, {
        cipher: security.cipher,
        blindIndex: security.blindIndex,
      }))
        bus.subscribe(consumer);
      await bus.start();
      cleanups.push(() => bus.stop());
      await webhookSender.start();
      cleanups.push(() => webhookSender.stop());
    }

    const http = await createHttpServer({
      logger,
      tracing,
      readinessChecks: [
        { name: "database", check: async () => void (await databaseVersion(database.app)) },
        {
          name: "engine",
          check: async () => {
            if (!(await engine.isReady())) throw new Error("engine not launched");
          },
        },
        {
          // Open breakers do not make the process unready (other modules still work); they are shown.
          name: "gateway",
          check: async () => gateway.health(),
        },
      ],
    });
    await registerMetrics(http, { metrics });
    let apiCache: RunningPrapti["cache"];
    if (role !== "worker") {
      const cache = createReadModelCache({
        redisUrl: config.redisUrl,
        maxEntries: config.cacheMaxEntries,
        ttlMs: config.cacheTtlMs,
        metrics,
      });
      cleanups.push(() => cache.close());
      const invalidator = createOutboxCacheInvalidator({
        owner: database.owner,
        databaseUrl: database.url,
        cache,
        rules: modules.flatMap((module) => (module.cacheInvalidation ? [module.cacheInvalidation] : [])),
        logger,
      });
      await invalidator.start();
      cleanups.push(() => invalidator.stop());
      registerApi({ app: http, security, database, events, modules, moduleContext, hub, gateway, cache });
      apiCache = { store: cache, invalidator };
    }
    const listenUrl = await http.listen({ port: config.port, host: config.host });
    // Closing HTTP first stops new requests and waits for in-flight ones before the engine drains.
    cleanups.push(() => http.close());
    logger.info(`listening on ${listenUrl}`);

    return {
      url: listenUrl,
      databaseUrl: url,
      database,
      engine,
      hub,
      gateway,
      metrics,
      http,
      cache: apiCache,
      stop: stopOnce,
    };
  } catch (error) {
    await runCleanups(cleanups, logger);
    throw error;
  }
}

async function runCleanups(cleanups: (() => Promise<void>)[], logger: Logger): Promise<void> {
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (error) {
      logger.error({ err: error }, "error during shutdown");
    }
  }
}
