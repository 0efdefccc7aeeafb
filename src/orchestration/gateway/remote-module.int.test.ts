import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AppError, isAppError } from "../../kernel/app-error.ts";
import { ActionCatalog } from "../../platform/actions/action-catalog.ts";
import { ledgerContracts } from "./__fixtures__/ledger-module.contracts.ts";
import { createModuleGateway } from "./module.gateway.ts";
import { discoverRemoteModule, registerRemoteModule } from "./remote-module.adapter.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SERVER = fileURLToPath(new URL("./__fixtures__/ledger-module.server.ts", import.meta.url));
const TENANT = "6f1c1f3e-2a7b-4c55-9d0e-1a2b3c4d5e6f";
const ctx = { tenantId: TENANT, actor: "workflow:wf-1" };
const children = new Set<ChildProcess>();

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  server.close();
  await once(server, "close");
  return port;
}

/** Starts the ledger module in its own process and waits until it accepts calls. */
async function startModule(port: number, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["bin/run-ts.js", SERVER], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`module did not start: ${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(`listening ${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`module exited with ${code}: ${output}`));
    });
  });
  return child;
}

async function stopModule(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;
  }
  children.delete(child);
}

async function failureOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (isAppError(error)) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

afterEach(async () => {
  for (const child of [...children]) await stopModule(child);
});

describe("remote modules over HTTP", () => {
  let port: number;
  let baseUrl: string;

  beforeAll(async () => {
    port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    for (const child of [...children]) await stopModule(child);
  });

  function remoteGateway(options: { token?: string; consecutiveFailures?: number } = {}) {
    const catalog = new ActionCatalog();
    registerRemoteModule(catalog, {
      module: "ledger",
      baseUrl,
      actions: Object.values(ledgerContracts),
      ...(options.token ? { token: options.token } : {}),
      policy: {
        timeoutMs: 10_000,
        retry: { maxAttempts: 1 },
        breaker: { consecutiveFailures: options.consecutiveFailures ?? 3, halfOpenAfterMs: 300 },
      },
    });
    return createModuleGateway({ catalog });
  }

  it("calls actions served by another process, with context headers and errors mapped back", async () => {
    const child = await startModule(port);
    const gateway = remoteGateway();

    const echoed = await gateway.call<{ text: string; tenantId: string; actor: string; pid: number }>(
      "ledger.echo",
      { text: "namaste" },
      { ...ctx, idempotencyKey: "wf-1:echo" },
    );
    expect(echoed).toEqual({
      text: "namaste",
      tenantId: TENANT,
      actor: "workflow:wf-1",
      idempotencyKey: "wf-1:echo",
      pid: child.pid,
    });

    // The module applies a command once per idempotency key.
    const first = await gateway.call("ledger.post", { amount: 500 }, { ...ctx, idempotencyKey: "k1" });
    const again = await gateway.call("ledger.post", { amount: 500 }, { ...ctx, idempotencyKey: "k1" });
    expect(first).toEqual({ balance: 500 });
    expect(again).toEqual({ balance: 500 });

    const conflict = await failureOf(gateway.call("ledger.close", { account: "sales" }, ctx));
    expect(conflict.code).toBe("CONFLICT");
    expect(conflict.message).toBe("account sales has open entries");
    expect(conflict.details).toMatchObject({ account: "sales", remote: baseUrl, status: 409 });

    // The module checks input too, and answers with the offending fields.
    const response = await fetch(`${baseUrl}/actions/ledger.post`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-prapti-tenant-id": TENANT,
        "x-prapti-actor": "user:x",
      },
      body: JSON.stringify({ amount: -3 }),
    });
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { code: string; issues: { field: string }[] };
    expect(problem.code).toBe("INVALID_INPUT");
    expect(problem.issues[0]?.field).toBe("amount");

    const unknown = await fetch(`${baseUrl}/actions/ledger.nothing`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-prapti-tenant-id": TENANT,
        "x-prapti-actor": "user:x",
      },
      body: "{}",
    });
    expect(unknown.status).toBe(404);
  });

  it("opens the breaker when the module's process stops, and closes it when a new one answers", async () => {
    let child = await startModule(port);
    const gateway = remoteGateway({ consecutiveFailures: 3 });
    const transitions: string[] = [];
    gateway.onBreakerStateChange((module, state) => transitions.push(`${module}:${state}`));

    await expect(gateway.call("ledger.echo", { text: "one" }, ctx)).resolves.toMatchObject({
      pid: child.pid,
    });
    expect(gateway.health()).toEqual({ ledger: "closed" });

    await stopModule(child);
    for (let i = 0; i < 3; i++) {
      const failure = await failureOf(gateway.call("ledger.echo", { text: "down" }, ctx));
      expect(failure.code).toBe("UNAVAILABLE");
      expect(failure.details.reason).toBe("network");
    }
    expect(gateway.health()).toEqual({ ledger: "open" });
    const fast = await failureOf(gateway.call("ledger.echo", { text: "down" }, ctx));
    expect(fast.details.reason).toBe("circuit_open");
    expect(fast.message).toContain("was not called");

    child = await startModule(port);
    // Bounded wait for the breaker to let a trial call through and close again.
    let answer: unknown;
    for (let tries = 0; tries < 200 && answer === undefined; tries++) {
      try {
        answer = await gateway.call("ledger.echo", { text: "back" }, ctx);
      } catch (error) {
        if (!isAppError(error) || error.details.reason !== "circuit_open") throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    expect(answer).toMatchObject({ text: "back", pid: child.pid });
    expect(gateway.health()).toEqual({ ledger: "closed" });
    expect(transitions).toEqual(["ledger:open", "ledger:half-open", "ledger:closed"]);
  });

  it("checks the bearer token when the module requires one", async () => {
    await startModule(port, { TOKEN: "s3cret-token" });
    const wrong = await failureOf(remoteGateway({ token: "guess" }).call("ledger.echo", { text: "x" }, ctx));
    expect(wrong.code).toBe("UNAUTHENTICATED");
    await expect(
      remoteGateway({ token: "s3cret-token" }).call("ledger.echo", { text: "x" }, ctx),
    ).resolves.toMatchObject({ text: "x" });
  });

  it("discovers a remote module's actions from its JSON Schemas", async () => {
    await startModule(port);
    const catalog = new ActionCatalog();
    const found = await discoverRemoteModule(catalog, { module: "ledger", baseUrl });
    expect(found.actions.sort()).toEqual(["ledger.close", "ledger.echo", "ledger.post"]);
    const gateway = createModuleGateway({ catalog });
    expect(gateway.describe().modules[0]).toMatchObject({ module: "ledger", remote: { baseUrl } });
    await expect(gateway.call("ledger.post", { amount: 7 }, ctx)).resolves.toEqual({ balance: 7 });
    const invalid = await failureOf(gateway.call("ledger.post", { amount: "seven" }, ctx));
    expect(invalid.code).toBe("INVALID_INPUT");
  });
});
