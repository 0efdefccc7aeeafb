import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { DB } from "../platform/db/schema.ts";

export const DEMO_TENANT_SLUG = "demo-traders";

/** Creates the demo business and its owner once; running it again changes nothing. */
export async function seedDemoData(deps: { db: Kysely<DB>; logger: Logger }): Promise<{ tenantId: string }> {
  return deps.db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom("tenants")
      .select("id")
      .where("slug", "=", DEMO_TENANT_SLUG)
      .executeTakeFirst();
    if (existing) return { tenantId: existing.id };
    const tenant = await trx
      .insertInto("tenants")
      .values({ name: "Demo Traders Pvt Ltd", slug: DEMO_TENANT_SLUG, gstin: "27AAPFU0939F1ZV" })
      .returning("id")
      .executeTakeFirstOrThrow();
    const email = "owner@demo-traders.example";
    const user =
      (await trx.selectFrom("users").select("id").where("email", "=", email).executeTakeFirst()) ??
      (await trx
        .insertInto("users")
        .values({ email, display_name: "Demo Owner", password_hash: null })
        .returning("id")
        .executeTakeFirstOrThrow());
    await trx
      .insertInto("memberships")
      .values({ tenant_id: tenant.id, user_id: user.id, role: "owner" })
      .execute();
    deps.logger.info("seeded the demo business (Demo Traders Pvt Ltd)");
    return { tenantId: tenant.id };
  });
}
