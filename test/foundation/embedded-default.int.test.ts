import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  freePort,
  praptiEnvironment,
  startPrapti,
  waitForHealth,
  type PraptiProcess,
} from "../support/prapti-process.ts";

const started: PraptiProcess[] = [];
let dataDir: string | undefined;

function postgresProcessesFor(directory: string): string[] {
  const listing = execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" });
  return listing
    .split("\n")
    .filter((line) => line.includes("native/bin/postgres") && line.includes(directory));
}

afterAll(async () => {
  for (const running of started) running.child.kill("SIGKILL");
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("embedded default (no DATABASE_URL)", () => {
  it("starts on an embedded PostgreSQL, stops it on Ctrl-C, and reuses the data on the next start", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "prapti-embedded-"));
    const env = () => praptiEnvironment({ PRAPTI_DATA_DIR: dataDir, DATABASE_URL: undefined });

    const firstPort = await freePort();
    const first = startPrapti(["serve", "--demo"], { ...env(), PORT: String(firstPort) });
    started.push(first);
    await waitForHealth(firstPort, first, 120_000);
    expect((await fetch(`http://127.0.0.1:${firstPort}/healthz`)).status).toBe(200);
    expect(postgresProcessesFor(dataDir).length).toBeGreaterThan(0);
    expect(first.output()).toContain("initialised embedded PostgreSQL");

    first.child.kill("SIGINT");
    expect((await first.exited).code).toBe(0);
    expect(postgresProcessesFor(dataDir)).toEqual([]);

    const secondPort = await freePort();
    const second = startPrapti(["serve", "--demo"], { ...env(), PORT: String(secondPort) });
    started.push(second);
    await waitForHealth(secondPort, second, 120_000);
    expect(second.output()).not.toContain("initialised embedded PostgreSQL");
    expect(second.output()).not.toContain("applied");
    expect(second.output()).not.toContain("seeded the demo business");
    second.child.kill("SIGTERM");
    expect((await second.exited).code).toBe(0);
    expect(postgresProcessesFor(dataDir)).toEqual([]);
  });
});
