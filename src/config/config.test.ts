import { describe, expect, it } from "vitest";
import { ConfigError, describeConfig, loadConfig } from "./config.ts";

function failureOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a configuration error");
}

describe("loadConfig", () => {
  it("uses the embedded database and defaults when nothing is set", () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeUndefined();
    expect(config.port).toBe(3000);
    expect(config.dataDir).toBe("./.prapti");
    expect(config.logLevel).toBe("info");
    expect(config.executorId).toMatch(/-all$/);
  });

  it("treats empty values as unset", () => {
    expect(loadConfig({ DATABASE_URL: "", PORT: " " }).databaseUrl).toBeUndefined();
  });

  it("reads every setting", () => {
    const config = loadConfig({
      DATABASE_URL: "postgres://app:secret@db:5432/prapti",
      PORT: "8080",
      PRAPTI_DATA_DIR: "/var/lib/prapti",
      LOG_LEVEL: "debug",
      NATS_URL: "nats://127.0.0.1:4222",
      REDIS_URL: "redis://127.0.0.1:6379",
      PRAPTI_EXECUTOR_ID: "worker-7",
    });
    expect(config).toMatchObject({
      port: 8080,
      logLevel: "debug",
      executorId: "worker-7",
      dataDir: "/var/lib/prapti",
    });
    expect(describeConfig(config).DATABASE_URL).toBe("postgres://app:****@db:5432/prapti");
  });

  it.each([
    [{ PORT: "abc" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ DATABASE_URL: "mysql://localhost/x" }, "DATABASE_URL"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    [{ NATS_URL: "http://localhost:4222" }, "NATS_URL"],
    [{ REDIS_URL: "not a url" }, "REDIS_URL"],
    [{ PRAPTI_EXECUTOR_ID: "has spaces in it" }, "PRAPTI_EXECUTOR_ID"],
    [
      { PRAPTI_HEARTBEAT_MS: "5000", PRAPTI_EXECUTOR_DEAD_AFTER_MS: "10000" },
      "PRAPTI_EXECUTOR_DEAD_AFTER_MS",
    ],
  ])("refuses %o naming the variable", (env, variable) => {
    const error = failureOf(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(new RegExp(`^configuration error: ${variable} is invalid`));
    expect(error.message).not.toContain("\n");
  });
});
