import type { Logger } from "pino";
import { seedDemoCustomers } from "../modules/customers/index.ts";
import { seedDemoInvoicing } from "../modules/invoicing/index.ts";
import type { SecurityServices } from "../platform/auth/security.services.ts";
import type { Database } from "../platform/db/database.ts";
import type { EventTypeRegistry } from "../platform/events/event-outbox.ts";

export const DEMO_TENANT_SLUG = "demo-traders";

export const DEMO_OWNER_EMAIL = "owner@demo-traders.example";
/** The demo owner's password (shown in the README); demo data is for trying Prapti on a laptop only. */
export const DEMO_OWNER_PASSWORD = "namaste-prapti-demo";

/**
 * Creates the demo business, its owner (who can sign in) and a handful of customers and invoices, some
 * overdue. Running it again changes nothing.
 */
export async function seedDemoData(deps: {
  database: Database;
  events: EventTypeRegistry;
  security: SecurityServices;
  logger: Logger;
  now(): number;
}): Promise<{ tenantId: string }> {
  const owner = deps.database.owner;
  const existing = await owner
    .selectFrom("tenants")
    .select("id")
    .where("slug", "=", DEMO_TENANT_SLUG)
    .executeTakeFirst();
  if (existing) return { tenantId: existing.id };
  const tenant = await owner
    .insertInto("tenants")
    .values({ name: "Demo Traders Pvt Ltd", slug: DEMO_TENANT_SLUG, gstin: "27AAPFU0939F1ZV" })
    .returning("id")
    .executeTakeFirstOrThrow();
  const user = await owner
    .selectFrom("users")
    .select("id")
    .where("email", "=", DEMO_OWNER_EMAIL)
    .executeTakeFirst();
  if (user) {
    await owner
      .insertInto("memberships")
      .values({ tenant_id: tenant.id, user_id: user.id, role: "owner" })
      .execute();
  } else {
    await deps.security.provisioning.provisionUser({
      email: DEMO_OWNER_EMAIL,
      displayName: "Demo Owner",
      password: DEMO_OWNER_PASSWORD,
      memberships: [{ tenantId: tenant.id, role: "owner" }],
      actor: { type: "system", id: "demo-data" },
    });
  }
  const seed = { db: deps.database.app, events: deps.events, now: () => deps.now(), tenantId: tenant.id };
  const customerIds = await seedDemoCustomers({
    ...seed,
    protection: { cipher: deps.security.cipher, blindIndex: deps.security.blindIndex },
  });
  await seedDemoInvoicing({ ...seed, customerIds });
  deps.logger.info(`seeded the demo business (Demo Traders Pvt Ltd); sign in as ${DEMO_OWNER_EMAIL}`);
  return { tenantId: tenant.id };
}
