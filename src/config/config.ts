import { hostname } from "node:os";
import { z } from "zod";

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

function postgresUrl(name: string) {
  return z
    .string()
    .trim()
    .refine((value) => /^postgres(ql)?:\/\/.+/.test(value) && URL.canParse(value), {
      message: `${name} must be a postgres:// or postgresql:// URL`,
    });
}

const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine((value) => URL.canParse(value) && protocols.includes(new URL(value).protocol), {
      message: `must be a URL starting with ${protocols.map((protocol) => `${protocol}//`).join(" or ")}`,
    });

/** Every setting Prapti reads from its environment; nothing else reads process.env. */
export const ZEnvironment = z.object({
  DATABASE_URL: postgresUrl("DATABASE_URL").optional(),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().trim().min(1).default("127.0.0.1"),
  PRAPTI_DATA_DIR: z.string().trim().min(1).default("./.prapti"),
  LOG_LEVEL: z.enum(logLevels).default("info"),
  NATS_URL: optionalUrl(["nats:", "tls:"]).optional(),
  REDIS_URL: optionalUrl(["redis:", "rediss:"]).optional(),
  PRAPTI_EXECUTOR_ID: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, "must be 1-100 letters, digits, dots, dashes or underscores")
    .optional(),
  PRAPTI_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  PRAPTI_PARK_THRESHOLD_MS: z.coerce.number().int().min(0).default(300_000),
});

export type Environment = z.infer<typeof ZEnvironment>;

export interface Config {
  databaseUrl: string | undefined;
  port: number;
  host: string;
  dataDir: string;
  logLevel: (typeof logLevels)[number];
  natsUrl: string | undefined;
  redisUrl: string | undefined;
  /** Stable id of this process for durable execution; a restarted process with the same id recovers its work. */
  executorId: string;
  shutdownGraceMs: number;
  parkThresholdMs: number;
}

/** A configuration problem, reported as one line naming the variable; the CLI exits with code 2. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly reason: string,
  ) {
    super(`configuration error: ${variable} ${reason}`);
    this.name = "ConfigError";
  }
}

/** Parses the environment once at boot. Empty strings count as unset. */
export function loadConfig(
  env: Record<string, string | undefined>,
  defaults: { role?: string } = {},
): Config {
  const present = Object.fromEntries(
    Object.keys(ZEnvironment.shape)
      .map((key) => [key, env[key]] as const)
      .filter(([, value]) => value !== undefined && value.trim() !== ""),
  );
  const parsed = ZEnvironment.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? "environment");
    const given = present[variable];
    const reason = issue?.message ?? "is invalid";
    throw new ConfigError(variable, `is invalid (${JSON.stringify(given)}): ${reason}`);
  }
  const value = parsed.data;
  return {
    databaseUrl: value.DATABASE_URL,
    port: value.PORT,
    host: value.HOST,
    dataDir: value.PRAPTI_DATA_DIR,
    logLevel: value.LOG_LEVEL,
    natsUrl: value.NATS_URL,
    redisUrl: value.REDIS_URL,
    executorId: value.PRAPTI_EXECUTOR_ID ?? defaultExecutorId(defaults.role ?? "all"),
    shutdownGraceMs: value.PRAPTI_SHUTDOWN_GRACE_MS,
    parkThresholdMs: value.PRAPTI_PARK_THRESHOLD_MS,
  };
}

/** Host name plus role: stable across restarts of the same process on the same machine. */
function defaultExecutorId(role: string): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9._-]/g, "-")
      .slice(0, 80) || "host";
  return `${host}-${role}`;
}

/** The configuration as printed by `prapti doctor`, with secrets in URLs hidden. */
export function describeConfig(config: Config): Record<string, string> {
  return {
    DATABASE_URL: config.databaseUrl
      ? redactUrl(config.databaseUrl)
      : `(embedded, data in ${config.dataDir})`,
    PORT: String(config.port),
    HOST: config.host,
    PRAPTI_DATA_DIR: config.dataDir,
    LOG_LEVEL: config.logLevel,
    NATS_URL: config.natsUrl ? redactUrl(config.natsUrl) : "(unset: events on PostgreSQL)",
    REDIS_URL: config.redisUrl ? redactUrl(config.redisUrl) : "(unset: in-process cache)",
    PRAPTI_EXECUTOR_ID: config.executorId,
  };
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "****";
    return parsed.toString();
  } catch {
    return "(unparseable URL)";
  }
}
