import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { loadConfig } from "../../src/config/config.ts";
import { startPrapti, type RunningPrapti } from "../../src/app/runtime.ts";
import { createAuditLog } from "../../src/platform/audit/audit.log.ts";
import { ROLES } from "../../src/platform/auth/permission.matrix.ts";
import { createPasswordHasher } from "../../src/platform/auth/password.hasher.ts";
import { createUserProvisioning } from "../../src/platform/auth/user.provisioning.ts";
import type { TenantRole } from "../../src/platform/db/schema.ts";
import { createTenant } from "../support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";

export const PASSWORD = "correct horse battery staple";
export const JWT_SECRET = randomBytes(32).toString("hex");

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export interface TenantUsers {
  tenantId: string;
  slug: string;
  /** Access token of a member with each role. */
  tokens: Record<TenantRole, string>;
  userIds: Record<TenantRole, string>;
}

export interface ApiHarness {
  prapti: RunningPrapti;
  database: TestDatabase;
  url: string;
  keyRing: string;
  blindIndexKey: string;
  a: TenantUsers;
  b: TenantUsers;
  /** A platform administrator who is a viewer of tenant A. */
  platformAdminToken: string;
  call(options: {
    method: string;
    path: string;
    token?: string;
    headers?: Record<string, string>;
    body?: unknown;
    rawBody?: string | Buffer;
  }): Promise<ApiResponse>;
  stop(): Promise<void>;
}

export function newKey(id: string): string {
  return `${id}:${randomBytes(32).toString("base64")}`;
}

/** Boots Prapti (API, engine, hub) on a fresh database with two tenants and a member of every role in each. */
export async function startApiHarness(options: { keyRing?: string; blindIndexKey?: string } = {}) {
  const database = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), "prapti-api-"));
  const keyRing = options.keyRing ?? newKey("k1");
  const blindIndexKey = options.blindIndexKey ?? randomBytes(32).toString("base64");
  const config = loadConfig({
    DATABASE_URL: database.url,
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    PRAPTI_DATA_DIR: dataDir,
    PRAPTI_EXECUTOR_ID: `api-test-${randomBytes(4).toString("hex")}`,
    PRAPTI_SHUTDOWN_GRACE_MS: "500",
    PRAPTI_JWT_SECRET: JWT_SECRET,
    PRAPTI_ENCRYPTION_KEYS: keyRing,
    PRAPTI_BLIND_INDEX_KEY: blindIndexKey,
    PRAPTI_RATE_LIMIT_BURST: "1000000",
    PRAPTI_RATE_LIMIT_PER_MINUTE: "1000000",
  });
  const prapti = await startPrapti({
    config,
    logger: pino({ level: "silent" }),
    role: "all",
    runMigrations: false,
    seedDemo: false,
  });
  const url = String(prapti.url);

  const call: ApiHarness["call"] = async (request) => {
    const headers: Record<string, string> = { ...request.headers };
    if (request.token !== undefined) headers.authorization = `Bearer ${request.token}`;
    let body: string | Buffer | undefined;
    if (request.rawBody !== undefined) body = request.rawBody;
    else if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      headers["content-type"] ??= "application/json";
    }
    const response = await fetch(`${url}${request.path}`, {
      method: request.method,
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      text,
      json: <T>() => JSON.parse(text) as T,
    };
  };

  const provisioning = createUserProvisioning({
    owner: database.owner,
    hasher: createPasswordHasher(),
    audit: createAuditLog({ db: database.app }),
  });

  async function signIn(email: string, tenantId: string): Promise<string> {
    const response = await call({
      method: "POST",
      path: "/api/v1/auth/login",
      body: { email, password: PASSWORD, tenantId },
    });
    if (response.status !== 200) throw new Error(`sign-in of ${email} failed: ${response.text}`);
    return response.json<{ accessToken: string }>().accessToken;
  }

  async function tenantWithUsers(name: string, tag: string): Promise<TenantUsers> {
    const tenantId = await createTenant(database.owner, name);
    const { slug } = await database.owner
      .selectFrom("tenants")
      .select("slug")
      .where("id", "=", tenantId)
      .executeTakeFirstOrThrow();
    const tokens = {} as Record<TenantRole, string>;
    const userIds = {} as Record<TenantRole, string>;
    for (const role of ROLES) {
      const email = `${role}@${tag}.example`;
      const { id } = await provisioning.provisionUser({
        email,
        displayName: `${role} of ${name}`,
        password: PASSWORD,
        memberships: [{ tenantId, role }],
      });
      userIds[role] = id;
      tokens[role] = await signIn(email, tenantId);
    }
    return { tenantId, slug, tokens, userIds };
  }

  const a = await tenantWithUsers("Kulkarni Fasteners", "tenant-a");
  const b = await tenantWithUsers("Sharma Steel", "tenant-b");
  await provisioning.provisionUser({
    email: "operator@installation.example",
    displayName: "Installation operator",
    password: PASSWORD,
    isPlatformAdmin: true,
    memberships: [{ tenantId: a.tenantId, role: "viewer" }],
  });
  const platformAdminToken = await signIn("operator@installation.example", a.tenantId);

  const harness: ApiHarness = {
    prapti,
    database,
    url,
    keyRing,
    blindIndexKey,
    a,
    b,
    platformAdminToken,
    call,
    async stop() {
      await prapti.stop();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

export interface OpenApiOperation {
  method: string;
  path: string;
  access?: string;
  permission?: string;
  queryParameters: string[];
  pathParameters: string[];
  hasBody: boolean;
}

/** Every operation of the served OpenAPI document, with its declared access. */
export async function operationsOf(harness: ApiHarness): Promise<OpenApiOperation[]> {
  const response = await harness.call({ method: "GET", path: "/api/openapi.json" });
  if (response.status !== 200) throw new Error(`openapi.json answered ${response.status}`);
  const document = response.json<{
    openapi: string;
    paths: Record<string, Record<string, Record<string, unknown>>>;
  }>();
  const operations: OpenApiOperation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      const parameters = (operation.parameters ?? []) as { name: string; in: string }[];
      operations.push({
        method: method.toUpperCase(),
        path,
        ...(typeof operation["x-access"] === "string" ? { access: operation["x-access"] } : {}),
        ...(typeof operation["x-permission"] === "string" ? { permission: operation["x-permission"] } : {}),
        queryParameters: parameters.filter((entry) => entry.in === "query").map((entry) => entry.name),
        pathParameters: parameters.filter((entry) => entry.in === "path").map((entry) => entry.name),
        hasBody: operation.requestBody !== undefined,
      });
    }
  }
  return operations;
}
