import type { Kysely } from "kysely";
import type { DB } from "../../src/platform/db/schema.ts";

/** Creates a tenant for a test (as owner) and returns its id. */
export async function createTenant(owner: Kysely<DB>, name = "Test Traders"): Promise<string> {
  const slug = `${name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")}-${Math.random().toString(36).slice(2, 8)}`;
  const row = await owner
    .insertInto("tenants")
    .values({ name, slug, gstin: null })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}
