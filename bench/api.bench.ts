import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon, { type Result } from "autocannon";
import { freePort } from "../test/support/prapti-process.ts";
import { createBenchDatabase } from "./support.ts";

const DURATION_SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);
const CONNECTIONS = 10;
const FIXED_RATE = 200;
const EXTRA_INVOICES = Number(process.env.BENCH_API_INVOICES ?? 300);
const DEMO_OWNER = { email: "owner@demo-traders.example", password: "namaste-prapti-demo" };
const OVERDUE_LIST = "/api/v1/invoices?status=overdue&limit=50";

const cli = fileURLToPath(new URL("../bin/prapti.js", import.meta.url));
const runTs = fileURLToPath(new URL("../bin/run-ts.js", import.meta.url));
const bareServer = fileURLToPath(new URL("./bare-fastify.server.ts", import.meta.url));

interface Child {
  child: ChildProcess;
  url: string;
}

/** Starts `prapti serve --role api` on the benchmark database and waits until it answers /readyz. */
async function startApi(options: {
  databaseUrl: string;
  dataDir: string;
  demo: boolean;
  env?: Record<string, string>;
}): Promise<Child> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [cli, "serve", "--role", "api", "--no-migrate", ...(options.demo ? ["--demo"] : [])],
    {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATABASE_URL: options.databaseUrl,
        PRAPTI_DATA_DIR: options.dataDir,
        PORT: String(port),
        LOG_LEVEL: "warn",
        PRAPTI_EXECUTOR_ID: `bench-api-${port}`,
        // The benchmark measures the API's own cost, not the per-user request limit.
        PRAPTI_RATE_LIMIT_PER_MINUTE: "1000000",
        PRAPTI_RATE_LIMIT_BURST: "1000000",
        ...options.env,
      },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prapti serve exited with ${child.exitCode}`);
    const ready = await fetch(`${url}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return { child, url };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function startBare(listJson: string, paymentJson: string): Promise<Child> {
  const child = spawn(process.execPath, [runTs, bareServer], { stdio: ["pipe", "pipe", "inherit"] });
  child.stdin?.end(`${listJson}\n\u0000\n${paymentJson}`);
  const url = await new Promise<string>((resolve, reject) => {
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split("\n")[0];
      if (output.includes("\n") && line) resolve(line.trim());
    });
    child.once("exit", (code) => reject(new Error(`bare server exited with ${code}`)));
  });
  return { child, url };
}

async function stop(child: Child | undefined): Promise<void> {
  if (!child || child.child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.child.once("exit", resolve));
  child.child.kill("SIGTERM");
  await exited;
}

async function call(url: string, method: string, path: string, token: string | undefined, body?: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
  return { text, etag: response.headers.get("etag") };
}

/** Issued invoices dated a few months back, so that they are overdue; amounts differ so none is a duplicate. */
async function seedOverdueInvoices(url: string, token: string): Promise<void> {
  const today = new Date();
  for (let index = 0; index < EXTRA_INVOICES; index++) {
    const issueDate = new Date(today.getTime() - (60 + (index % 60)) * 86_400_000).toISOString().slice(0, 10);
    const created = await call(url, "POST", "/api/v1/invoices", token, {
      number: `BENCH/${String(index + 1).padStart(5, "0")}`,
      issueDate,
      supplyType: "B2B",
      placeOfSupply: "27",
      buyer: {
        legalName: `Bench Buyer ${index % 40} Private Limited`,
        gstin: "27AABCS1429B1ZU",
        address: { line1: "14 Bhosari MIDC", city: "Pune", pinCode: "411026", stateCode: "27" },
      },
      lines: [
        {
          description: `Machined part lot ${index}`,
          hsnSac: "73181500",
          quantity: String(10 + index),
          unit: "NOS",
          unitPricePaise: String(50_000 + index * 137),
          gstRateBasisPoints: 1800,
        },
      ],
      terms: { creditDays: 30, agreedInWriting: true },
    });
    const { invoice } = JSON.parse(created.text) as { invoice: { id: string; status: string } };
    if (invoice.status === "draft")
      await call(url, "POST", `/api/v1/invoices/${invoice.id}/issue`, token, {});
  }
}

function paymentBody(index: number): string {
  return JSON.stringify({
    method: "neft",
    reference: `HDFCN${String(index).padStart(11, "0")}`,
    payer: { name: "Sharma Steel Traders Private Limited" },
    receivedOn: new Date().toISOString().slice(0, 10),
    amountPaise: String(100_000 + index),
  });
}

interface Figures {
  perSecond: number;
  p50: number;
  p99: number;
  failures: number;
}

async function load(options: {
  url: string;
  path: string;
  method?: "GET" | "POST";
  token?: string;
  rate?: number;
  seconds?: number;
  body?: (index: number) => string;
}): Promise<Figures> {
  let counter = 0;
  const headers = {
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    ...(options.body ? { "content-type": "application/json" } : {}),
  };
  const makeBody = options.body;
  const result: Result = await autocannon({
    url: options.url,
    connections: CONNECTIONS,
    duration: options.seconds ?? DURATION_SECONDS,
    ...(options.rate ? { overallRate: options.rate } : {}),
    requests: [
      {
        method: options.method ?? "GET",
        path: options.path,
        headers,
        ...(makeBody ? { setupRequest: (request) => ({ ...request, body: makeBody((counter += 1)) }) } : {}),
      },
    ],
  });
  return {
    perSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.errors + result.timeouts + result.non2xx,
  };
}

const line = (label: string, figures: Figures, baseline?: Figures) =>
  `${label.padEnd(52)} ${figures.perSecond.toFixed(0).padStart(6)}/s   p50 ${figures.p50
    .toFixed(1)
    .padStart(6)} ms   p99 ${figures.p99.toFixed(1).padStart(6)} ms${
    figures.failures > 0 ? `   (${figures.failures} failed)` : ""
  }${
    baseline
      ? `   throughput ${(figures.perSecond / baseline.perSecond).toFixed(2)}x, p99 ${(
          figures.p99 / Math.max(baseline.p99, 0.1)
        ).toFixed(1)}x of bare`
      : ""
  }`;

/**
 * The API benchmark: with autocannon on loopback, the overdue invoice list (cached and uncached) and recording a
 * payment, against a bare Fastify server answering the same JSON, all measured in this run on one database.
 */
export async function runApiBenchmark(): Promise<string[]> {
  const lines: string[] = [];
  const bench = await createBenchDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), "prapti-bench-api-"));
  let cached: Child | undefined;
  let uncached: Child | undefined;
  let bare: Child | undefined;
  try {
    cached = await startApi({ databaseUrl: bench.url, dataDir, demo: true });
    uncached = await startApi({
      databaseUrl: bench.url,
      dataDir,
      demo: false,
      env: { PRAPTI_CACHE_MAX_ENTRIES: "0" },
    });
    const login = await call(cached.url, "POST", "/api/v1/auth/login", undefined, DEMO_OWNER);
    const token = (JSON.parse(login.text) as { accessToken: string }).accessToken;
    await seedOverdueInvoices(cached.url, token);
    const listJson = (await call(cached.url, "GET", OVERDUE_LIST, token)).text;
    const listed = (JSON.parse(listJson) as { items: unknown[] }).items.length;
    const paymentJson = (
      await call(cached.url, "POST", "/api/v1/payments", token, JSON.parse(paymentBody(0)))
    ).text;
    bare = await startBare(listJson, paymentJson);

    lines.push(
      `${CONNECTIONS} connections, ${DURATION_SECONDS} s per figure; the list returns ${listed} overdue invoices (${(
        listJson.length / 1024
      ).toFixed(0)} KiB)`,
    );
    // Warm-up, not reported: JIT, connection pools and the first cache fill.
    for (const target of [bare.url, cached.url, uncached.url]) {
      await load({ url: target, path: OVERDUE_LIST, token, seconds: 2 });
    }
    const bareListFixed = await load({ url: bare.url, path: OVERDUE_LIST, rate: FIXED_RATE });
    const cachedFixed = await load({ url: cached.url, path: OVERDUE_LIST, token, rate: FIXED_RATE });
    const uncachedFixed = await load({ url: uncached.url, path: OVERDUE_LIST, token, rate: FIXED_RATE });
    lines.push(line(`bare Fastify, same JSON, at ${FIXED_RATE}/s`, bareListFixed));
    lines.push(line(`GET overdue invoices, cached, at ${FIXED_RATE}/s`, cachedFixed, bareListFixed));
    lines.push(line(`GET overdue invoices, uncached, at ${FIXED_RATE}/s`, uncachedFixed, bareListFixed));

    const bareListMax = await load({ url: bare.url, path: OVERDUE_LIST });
    const cachedMax = await load({ url: cached.url, path: OVERDUE_LIST, token });
    const uncachedMax = await load({ url: uncached.url, path: OVERDUE_LIST, token });
    lines.push(line("bare Fastify, same JSON, flat out", bareListMax));
    lines.push(line("GET overdue invoices, cached, flat out", cachedMax, bareListMax));
    lines.push(line("GET overdue invoices, uncached, flat out", uncachedMax, bareListMax));

    const barePost = await load({
      url: bare.url,
      path: "/api/v1/payments",
      method: "POST",
      body: paymentBody,
    });
    const post = await load({
      url: cached.url,
      path: "/api/v1/payments",
      method: "POST",
      token,
      body: (index) => paymentBody(1_000_000 + index),
    });
    lines.push(line("bare Fastify POST, same JSON, flat out", barePost));
    lines.push(line("POST /api/v1/payments, flat out", post, barePost));
    lines.push(
      `aim: cached list p99 under 100 ms at ${FIXED_RATE}/s: ${cachedFixed.p99 < 100 ? "met" : "NOT met"} (${cachedFixed.p99.toFixed(1)} ms)`,
    );
    return lines;
  } finally {
    await stop(bare);
    await stop(uncached);
    await stop(cached);
    await bench.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
