import { randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { migrationSources } from "../src/app/migration-sources.ts";
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from "../src/platform/db/embedded-postgres.ts";
import { migrate } from "../src/platform/db/migrator.ts";

export interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database for one benchmark run: on DATABASE_URL's server, or an embedded one. */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  let embedded: EmbeddedPostgresHandle | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    embedded = await startEmbeddedPostgres({ dataDir: await mkdtemp(join(tmpdir(), "prapti-bench-")) });
    serverUrl = embedded.url;
  }
  const name = `prapti_bench_${randomBytes(4).toString("hex")}`;
  const admin = new URL(serverUrl);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await migrate({ url: url.toString(), sources: migrationSources() });
  return {
    url: url.toString(),
    async drop() {
      const dropper = new pg.Client({ connectionString: admin.toString() });
      await dropper.connect();
      await dropper.query(`drop database if exists ${name} with (force)`);
      await dropper.end();
      await embedded?.stop();
    },
  };
}

export interface LatencySummary {
  count: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Runs `task` `count` times with `concurrency` in flight and summarises throughput and latency. */
export async function measure(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<LatencySummary> {
  const latencies: number[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  const lane = async () => {
    while (next < count) {
      const index = next++;
      const begin = process.hrtime.bigint();
      await task(index);
      latencies.push(Number(process.hrtime.bigint() - begin) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { count, seconds, perSecond: count / seconds, p50Ms: at(0.5), p99Ms: at(0.99) };
}

export function formatSummary(label: string, summary: LatencySummary): string {
  return `${label.padEnd(44)} ${summary.perSecond.toFixed(0).padStart(7)}/s   p50 ${summary.p50Ms.toFixed(1).padStart(7)} ms   p99 ${summary.p99Ms.toFixed(1).padStart(7)} ms   (${summary.count} in ${summary.seconds.toFixed(1)} s)`;
}

export function ratio(label: string, value: number, aim?: string): string {
  return `${label.padEnd(44)} ${value.toFixed(2).padStart(7)}x${aim ? `   aim: ${aim}` : ""}`;
}
