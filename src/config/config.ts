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

/** `kid:base64key` pairs separated by commas, the first being the key new data is encrypted with. */
const encryptionKeyRing = z
  .string()
  .trim()
  .refine(
    (value) => {
      const entries = value.split(",").map((entry) => entry.trim());
      const ids = new Set<string>();
      for (const entry of entries) {
        const match = /^([A-Za-z0-9_-]{1,32}):([A-Za-z0-9+/_-]+={0,2})$/.exec(entry);
        if (!match || ids.has(match[1] ?? "")) return false;
        ids.add(match[1] ?? "");
        if (Buffer.from(match[2] ?? "", "base64").length !== 32) return false;
      }
      return entries.length > 0;
    },
    {
      message:
        "must be comma-separated kid:base64 pairs with unique ids and 32-byte keys (current key first)",
    },
  );

const base64Key32 = z
  .string()
  .trim()
  .refine((value) => /^[A-Za-z0-9+/_-]+={0,2}$/.test(value) && Buffer.from(value, "base64").length === 32, {
    message: "must be 32 bytes encoded in base64",
  });

const httpsOrLoopbackUrl = z
  .string()
  .trim()
  .refine(
    (value) => {
      if (!URL.canParse(value)) return false;
      const url = new URL(value);
      if (url.protocol === "https:") return true;
      return url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
    },
    { message: "must be an https:// URL (http:// only for localhost)" },
  );

/** Settings whose values never appear in error messages or in `prapti doctor`. */
const SECRET_VARIABLES = new Set([
  "PRAPTI_JWT_SECRET",
  "PRAPTI_ENCRYPTION_KEYS",
  "PRAPTI_BLIND_INDEX_KEY",
  "PRAPTI_OIDC_CLIENT_SECRET",
]);

/** Every setting Prapti reads from its environment; nothing else reads process.env. */
export const ZEnvironment = z.object({
  DATABASE_URL: postgresUrl("DATABASE_URL").optional(),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().trim().min(1).default("127.0.0.1"),
  PRAPTI_DATA_DIR: z.string().trim().min(1).default("./.prapti"),
  LOG_LEVEL: z.enum(logLevels).default("info"),
  NATS_URL: optionalUrl(["nats:", "tls:"]).optional(),
  REDIS_URL: optionalUrl(["redis:", "rediss:"]).optional(),
  PRAPTI_NATS_STREAM: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 letters, digits, dashes or underscores")
    .default("PRAPTI_EVENTS"),
  PRAPTI_EVENT_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  PRAPTI_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(12),
  PRAPTI_CACHE_MAX_ENTRIES: z.coerce.number().int().min(0).default(10_000),
  PRAPTI_CACHE_TTL_MS: z.coerce.number().int().min(1).default(300_000),
  /** OTLP/HTTP collector for traces (the standard OpenTelemetry variable); no traces when unset. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl(["http:", "https:"]).optional(),
  OTEL_SERVICE_NAME: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, "must be 1-100 letters, digits, dots, dashes or underscores")
    .default("prapti"),
  PRAPTI_EXECUTOR_ID: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, "must be 1-100 letters, digits, dots, dashes or underscores")
    .optional(),
  PRAPTI_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  PRAPTI_PARK_THRESHOLD_MS: z.coerce.number().int().min(0).default(300_000),
  PRAPTI_HEARTBEAT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  PRAPTI_EXECUTOR_DEAD_AFTER_MS: z.coerce.number().int().min(300).max(86_400_000).default(30_000),
  PRAPTI_JWT_SECRET: z.string().trim().min(32, "must be at least 32 characters").optional(),
  PRAPTI_ACCESS_TOKEN_TTL: z.coerce.number().int().min(60).max(86_400).default(900),
  PRAPTI_REFRESH_TOKEN_TTL: z.coerce
    .number()
    .int()
    .min(300)
    .max(365 * 86_400)
    .default(30 * 86_400),
  PRAPTI_ENCRYPTION_KEYS: encryptionKeyRing.optional(),
  PRAPTI_BLIND_INDEX_KEY: base64Key32.optional(),
  PRAPTI_OIDC_ISSUER: httpsOrLoopbackUrl.optional(),
  PRAPTI_OIDC_CLIENT_ID: z.string().trim().min(1).optional(),
  PRAPTI_OIDC_CLIENT_SECRET: z.string().trim().min(1).optional(),
  PRAPTI_OIDC_REDIRECT_URI: optionalUrl(["https:", "http:"]).optional(),
  PRAPTI_OIDC_SCOPES: z
    .string()
    .trim()
    .regex(/(^|\s)openid(\s|$)/, "must include openid")
    .default("openid email profile"),
  PRAPTI_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(600),
  PRAPTI_RATE_LIMIT_BURST: z.coerce.number().int().min(1).max(1_000_000).default(120),
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
  /** JetStream stream that holds the events when NATS_URL is set. */
  natsStream: string;
  /** Failed deliveries of one event to one consumer before it goes to the dead letters. */
  eventMaxAttempts: number;
  /** Attempts to deliver one event to one webhook subscription before giving up. */
  webhookMaxAttempts: number;
  cacheMaxEntries: number;
  /** Default time to live of a read-model cache entry. */
  cacheTtlMs: number;
  /** Where traces are exported over OTLP/HTTP; undefined: tracing off. */
  otlpEndpoint: string | undefined;
  /** `service.name` of the spans this process exports. */
  serviceName: string;
  /** Stable id of this process for durable execution; a restarted process with the same id recovers its work. */
  executorId: string;
  shutdownGraceMs: number;
  parkThresholdMs: number;
  /** How often this process records that it is alive (executor heartbeat). */
  heartbeatMs: number;
  /** A worker silent this long is dead: a live worker takes over its pending workflows. */
  executorDeadAfterMs: number;
  security: SecurityConfig;
}

/** Sign-in with an OpenID Connect provider (authorization code flow with PKCE). */
export interface OidcConfig {
  issuer: string;
  clientId: string;
  /** Unset for a public client (PKCE only). */
  clientSecret: string | undefined;
  redirectUri: string;
  scopes: string[];
}

export interface SecurityConfig {
  /** HMAC key for access tokens; unset: generated once and kept in PRAPTI_DATA_DIR/secrets. */
  jwtSecret: string | undefined;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** `kid:base64,kid:base64`, current key first; unset: generated once and kept in PRAPTI_DATA_DIR/secrets. */
  encryptionKeys: string | undefined;
  /** base64 HMAC key for blind indexes; unset: generated once and kept in PRAPTI_DATA_DIR/secrets. */
  blindIndexKey: string | undefined;
  oidc: OidcConfig | undefined;
  rateLimit: { perMinute: number; burst: number };
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
    const given = SECRET_VARIABLES.has(variable) ? "(hidden)" : JSON.stringify(present[variable]);
    const reason = issue?.message ?? "is invalid";
    throw new ConfigError(variable, `is invalid (${given}): ${reason}`);
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
    natsStream: value.PRAPTI_NATS_STREAM,
    eventMaxAttempts: value.PRAPTI_EVENT_MAX_ATTEMPTS,
    webhookMaxAttempts: value.PRAPTI_WEBHOOK_MAX_ATTEMPTS,
    cacheMaxEntries: value.PRAPTI_CACHE_MAX_ENTRIES,
    cacheTtlMs: value.PRAPTI_CACHE_TTL_MS,
    otlpEndpoint: value.OTEL_EXPORTER_OTLP_ENDPOINT,
    serviceName: value.OTEL_SERVICE_NAME,
    executorId: value.PRAPTI_EXECUTOR_ID ?? defaultExecutorId(defaults.role ?? "all"),
    shutdownGraceMs: value.PRAPTI_SHUTDOWN_GRACE_MS,
    parkThresholdMs: value.PRAPTI_PARK_THRESHOLD_MS,
    heartbeatMs: value.PRAPTI_HEARTBEAT_MS,
    executorDeadAfterMs: executorDeadAfter(value),
    security: {
      jwtSecret: value.PRAPTI_JWT_SECRET,
      accessTokenTtlSeconds: value.PRAPTI_ACCESS_TOKEN_TTL,
      refreshTokenTtlSeconds: value.PRAPTI_REFRESH_TOKEN_TTL,
      encryptionKeys: value.PRAPTI_ENCRYPTION_KEYS,
      blindIndexKey: value.PRAPTI_BLIND_INDEX_KEY,
      oidc: oidcConfig(value),
      rateLimit: { perMinute: value.PRAPTI_RATE_LIMIT_PER_MINUTE, burst: value.PRAPTI_RATE_LIMIT_BURST },
    },
  };
}

/** A worker must miss several heartbeats before it counts as dead, or a slow one would be taken over. */
function executorDeadAfter(value: Environment): number {
  if (value.PRAPTI_EXECUTOR_DEAD_AFTER_MS < 3 * value.PRAPTI_HEARTBEAT_MS) {
    throw new ConfigError(
      "PRAPTI_EXECUTOR_DEAD_AFTER_MS",
      `is invalid (${value.PRAPTI_EXECUTOR_DEAD_AFTER_MS}): must be at least three heartbeats (3 × PRAPTI_HEARTBEAT_MS = ${3 * value.PRAPTI_HEARTBEAT_MS})`,
    );
  }
  return value.PRAPTI_EXECUTOR_DEAD_AFTER_MS;
}

/** OpenID Connect is on when the issuer is set; the client id and redirect URI must then be set too. */
function oidcConfig(value: Environment): OidcConfig | undefined {
  const { PRAPTI_OIDC_ISSUER: issuer, PRAPTI_OIDC_CLIENT_ID: clientId } = value;
  const redirectUri = value.PRAPTI_OIDC_REDIRECT_URI;
  if (!issuer) {
    const stray = (
      ["PRAPTI_OIDC_CLIENT_ID", "PRAPTI_OIDC_CLIENT_SECRET", "PRAPTI_OIDC_REDIRECT_URI"] as const
    ).find((name) => value[name] !== undefined);
    if (stray) throw new ConfigError(stray, "is set but PRAPTI_OIDC_ISSUER is not");
    return undefined;
  }
  if (!clientId) throw new ConfigError("PRAPTI_OIDC_CLIENT_ID", "is required when PRAPTI_OIDC_ISSUER is set");
  if (!redirectUri) {
    throw new ConfigError("PRAPTI_OIDC_REDIRECT_URI", "is required when PRAPTI_OIDC_ISSUER is set");
  }
  return {
    issuer,
    clientId,
    clientSecret: value.PRAPTI_OIDC_CLIENT_SECRET,
    redirectUri,
    scopes: value.PRAPTI_OIDC_SCOPES.split(/\s+/).filter((scope) => scope !== ""),
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
    OTEL_EXPORTER_OTLP_ENDPOINT: config.otlpEndpoint
      ? redactUrl(config.otlpEndpoint)
      : "(unset: no traces exported)",
    PRAPTI_NATS_STREAM: config.natsStream,
    PRAPTI_EXECUTOR_ID: config.executorId,
    PRAPTI_HEARTBEAT_MS: `${config.heartbeatMs} ms`,
    PRAPTI_EXECUTOR_DEAD_AFTER_MS: `${config.executorDeadAfterMs} ms`,
    PRAPTI_JWT_SECRET: config.security.jwtSecret ? "(set)" : "(unset: generated in the data directory)",
    PRAPTI_ENCRYPTION_KEYS: config.security.encryptionKeys
      ? `(set: key ids ${config.security.encryptionKeys
          .split(",")
          .map((entry) => entry.trim().split(":")[0])
          .join(", ")})`
      : "(unset: generated in the data directory)",
    PRAPTI_BLIND_INDEX_KEY: config.security.blindIndexKey
      ? "(set)"
      : "(unset: generated in the data directory)",
    PRAPTI_ACCESS_TOKEN_TTL: `${config.security.accessTokenTtlSeconds} s`,
    PRAPTI_REFRESH_TOKEN_TTL: `${config.security.refreshTokenTtlSeconds} s`,
    PRAPTI_OIDC_ISSUER: config.security.oidc?.issuer ?? "(unset: password sign-in only)",
    PRAPTI_RATE_LIMIT_PER_MINUTE: String(config.security.rateLimit.perMinute),
    PRAPTI_RATE_LIMIT_BURST: String(config.security.rateLimit.burst),
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
