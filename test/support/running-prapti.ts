import pino from "pino";
import { loadConfig } from "../../src/config/config.ts";
import { startPrapti, type RunningPrapti } from "../../src/app/runtime.ts";
import type { Tracing } from "../../src/platform/telemetry/tracing.ts";
import type { InstanceRecord } from "../../src/orchestration/durable/instance.store.ts";

/** Starts a whole Prapti process inside the test (engine, hub, HTTP on a free port) on the given database. */
export async function startInProcess(options: {
  databaseUrl: string;
  parkThresholdMs?: number;
  executorId?: string;
  tracing?: Tracing;
}): Promise<RunningPrapti> {
  const config = loadConfig({
    DATABASE_URL: options.databaseUrl,
    PORT: "0",
    LOG_LEVEL: "silent",
    PRAPTI_PARK_THRESHOLD_MS: String(options.parkThresholdMs ?? 300_000),
    PRAPTI_EXECUTOR_ID: options.executorId ?? "in-process-test",
    PRAPTI_SHUTDOWN_GRACE_MS: "1000",
  });
  return startPrapti({
    config,
    logger: pino({ level: "silent" }),
    role: "all",
    runMigrations: false,
    seedDemo: false,
    ...(options.tracing ? { tracing: options.tracing } : {}),
  });
}

/** Waits until an instance reaches one of the given statuses. */
export async function waitForInstance(
  prapti: RunningPrapti,
  tenantId: string,
  instanceId: string,
  statuses: InstanceRecord["status"][],
  timeoutMs = 30_000,
): Promise<InstanceRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const instance = await prapti.hub.orchestrator.store.get(tenantId, instanceId);
    if (statuses.includes(instance.status)) return instance;
    if (Date.now() > deadline) {
      throw new Error(
        `instance ${instanceId} is ${instance.status}, not ${statuses.join("/")}, after ${timeoutMs} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
