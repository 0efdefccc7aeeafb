import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../../bin/prapti.js", import.meta.url));

export interface PraptiProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Settings a test passes to the process it starts; nothing of the test runner's own environment leaks in. */
export function praptiEnvironment(overrides: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: "info" };
  return { ...base, ...overrides };
}

/** Starts `prapti <args>` as a real child process, capturing what it prints. */
export function startPrapti(args: string[], env: NodeJS.ProcessEnv): PraptiProcess {
  const child = spawn(process.execPath, [cli, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited };
}

/** Runs a one-shot `prapti` command to its end. */
export async function runPrapti(args: string[], env: NodeJS.ProcessEnv) {
  const started = startPrapti(args, env);
  const { code } = await started.exited;
  return { code, output: started.output() };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Polls until `check` returns a value, failing with the process output if the process exits or time runs out. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  options: { timeoutMs: number; process?: PraptiProcess; what: string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let exited = false;
  void options.process?.exited.then(() => (exited = true));
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (exited || Date.now() > deadline) {
      throw new Error(
        `${options.what} did not happen${exited ? " (process exited)" : ""}:\n${options.process?.output() ?? ""}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function waitForHealth(port: number, process: PraptiProcess, timeoutMs = 60_000): Promise<void> {
  await eventually(
    async () => {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      return response.status === 200 ? true : undefined;
    },
    { timeoutMs, process, what: "readiness" },
  );
}
