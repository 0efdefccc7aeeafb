import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { loadConfig } from "../../config/config.ts";
import { parseKeyRing } from "../crypto/key-ring.ts";
import type { Secrets } from "../crypto/secret.store.ts";
import type { DB, TenantRole } from "../db/schema.ts";
import type { Argon2Parameters } from "./password.hasher.ts";
import { createSecurityServices, type SecurityServices } from "./security.services.ts";

/** Cheap argon2id parameters so tests do not spend seconds hashing. */
export const TEST_ARGON2: Argon2Parameters = { memoryCost: 8192, timeCost: 2, parallelism: 1 };

export const TEST_PASSWORD = "correct horse battery staple";

/** A clock the test moves by hand. */
export interface TestClock {
  (): Date;
  advance(milliseconds: number): void;
}

export function testClock(start = "2025-04-01T10:00:00.000Z"): TestClock {
  let now = Date.parse(start);
  const clock = (() => new Date(now)) as TestClock;
  clock.advance = (milliseconds) => {
    now += milliseconds;
  };
  return clock;
}

export function testSecrets(): Secrets {
  return {
    jwtSecret: randomBytes(32),
    keyRing: parseKeyRing(`t1:${randomBytes(32).toString("base64")}`),
    blindIndexKey: randomBytes(32),
    fromDataDir: [],
  };
}

export function testSecurity(
  database: { app: Kysely<DB>; owner: Kysely<DB> },
  options: {
    clock?: () => Date;
    env?: Record<string, string>;
    secrets?: Secrets;
    argon2?: Argon2Parameters;
  } = {},
): SecurityServices & { secrets: Secrets } {
  const secrets = options.secrets ?? testSecrets();
  const services = createSecurityServices({
    app: database.app,
    owner: database.owner,
    config: loadConfig(options.env ?? {}).security,
    secrets,
    argon2: options.argon2 ?? TEST_ARGON2,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return { ...services, secrets };
}

export async function createTenant(owner: Kysely<DB>, slug: string): Promise<string> {
  const row = await owner
    .insertInto("tenants")
    .values({ name: slug.replaceAll("-", " "), slug, gstin: null })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function createMember(
  security: SecurityServices,
  input: {
    email: string;
    memberships: { tenantId: string; role: TenantRole }[];
    password?: string;
    isPlatformAdmin?: boolean;
  },
): Promise<string> {
  const { id } = await security.provisioning.provisionUser({
    email: input.email,
    displayName: input.email.split("@")[0] ?? input.email,
    password: input.password ?? TEST_PASSWORD,
    memberships: input.memberships,
    isPlatformAdmin: input.isPlatformAdmin ?? false,
  });
  return id;
}
