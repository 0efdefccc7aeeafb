import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { withTenant } from "./database.ts";

let database: TestDatabase;
let tenantA: string;
let tenantB: string;
let userOfB: string;

beforeAll(async () => {
  database = await createTestDatabase();
  const [a, b] = await database.owner
    .insertInto("tenants")
    .values([
      { name: "Asha Textiles", slug: "asha-textiles", gstin: null },
      { name: "Bharat Steel", slug: "bharat-steel", gstin: null },
    ])
    .returning("id")
    .execute();
  tenantA = a!.id;
  tenantB = b!.id;
  const users = await database.owner
    .insertInto("users")
    .values([
      { email: "owner@asha.example", display_name: "Owner A" },
      { email: "owner@bharat.example", display_name: "Owner B" },
    ])
    .returning("id")
    .execute();
  userOfB = users[1]!.id;
  await database.owner
    .insertInto("memberships")
    .values([
      { tenant_id: tenantA, user_id: users[0]!.id, role: "owner" },
      { tenant_id: tenantB, user_id: userOfB, role: "owner" },
    ])
    .execute();
});

afterAll(async () => {
  await database?.drop();
});

describe("row-level security between tenants", () => {
  it("connects as a role that is neither superuser nor exempt from row security", async () => {
    const role = await sql<{ current_user: string; rolsuper: boolean; rolbypassrls: boolean }>`
      select current_user, r.rolsuper, r.rolbypassrls from pg_roles r where r.rolname = current_user`.execute(
      database.app,
    );
    expect(role.rows[0]).toEqual({ current_user: "prapti_app", rolsuper: false, rolbypassrls: false });
  });

  it("shows a tenant only its own rows, even to a hand-written query without any filter", async () => {
    const seen = await withTenant(database.app, tenantA, (trx) =>
      sql<{ tenant_id: string }>`select tenant_id from memberships`.execute(trx),
    );
    expect(seen.rows.map((row) => row.tenant_id)).toEqual([tenantA]);
    const tenants = await withTenant(database.app, tenantA, (trx) =>
      sql<{ id: string }>`select id from tenants`.execute(trx),
    );
    expect(tenants.rows.map((row) => row.id)).toEqual([tenantA]);
    const users = await withTenant(database.app, tenantA, (trx) =>
      sql<{ email: string }>`select email from users`.execute(trx),
    );
    expect(users.rows.map((row) => row.email)).toEqual(["owner@asha.example"]);
  });

  it("cannot read another tenant's row by its id", async () => {
    const row = await withTenant(database.app, tenantA, (trx) =>
      sql`select * from memberships where tenant_id = ${tenantB} and user_id = ${userOfB}`.execute(trx),
    );
    expect(row.rows).toEqual([]);
  });

  it("cannot update or delete another tenant's rows", async () => {
    const updated = await withTenant(database.app, tenantA, (trx) =>
      sql`update memberships set role = 'viewer' where tenant_id = ${tenantB}`.execute(trx),
    );
    expect(Number(updated.numAffectedRows)).toBe(0);
    const deletedMemberships = await withTenant(database.app, tenantA, (trx) =>
      sql`delete from memberships where tenant_id = ${tenantB}`.execute(trx),
    );
    expect(Number(deletedMemberships.numAffectedRows)).toBe(0);
    const deletedTenant = await withTenant(database.app, tenantA, (trx) =>
      sql`delete from tenants where id = ${tenantB}`.execute(trx),
    );
    expect(Number(deletedTenant.numAffectedRows)).toBe(0);
    const stillThere = await database.owner
      .selectFrom("memberships")
      .selectAll()
      .where("tenant_id", "=", tenantB)
      .execute();
    expect(stillThere).toEqual([expect.objectContaining({ role: "owner", user_id: userOfB })]);
    expect(
      await database.owner.selectFrom("tenants").select("id").where("id", "=", tenantB).executeTakeFirst(),
    ).toBeDefined();
  });

  it("cannot write a row into another tenant", async () => {
    await expect(
      withTenant(database.app, tenantA, (trx) =>
        sql`insert into memberships (tenant_id, user_id, role) values (${tenantB}, ${userOfB}, 'admin')`.execute(
          trx,
        ),
      ),
    ).rejects.toThrow(/row-level security/);
    await expect(
      withTenant(database.app, tenantA, (trx) =>
        sql`update memberships set tenant_id = ${tenantB}`.execute(trx),
      ),
    ).rejects.toThrow(/row-level security/);
  });

  it("sees no tenant rows at all when no tenant is set", async () => {
    const rows = await sql`select * from memberships`.execute(database.app);
    expect(rows.rows).toEqual([]);
  });

  it("forgets the tenant when the unit of work ends", async () => {
    await withTenant(database.app, tenantA, async () => undefined);
    const setting = await sql<{
      tenant: string | null;
    }>`select nullif(current_setting('app.tenant_id', true), '') as tenant`.execute(database.app);
    expect(setting.rows[0]?.tenant ?? null).toBeNull();
  });

  it("binds the tenant as the transaction begins, and not in transactions its work opens elsewhere", async () => {
    const tenantSetting = sql<{ tenant: string | null }>`
      select nullif(current_setting('app.tenant_id', true), '') as tenant`;
    const [inside, nested] = await withTenant(database.app, tenantB, async (trx) => {
      const own = await tenantSetting.execute(trx);
      const other = await database.app
        .transaction()
        .execute(async (otherTrx) => (await tenantSetting.execute(otherTrx)).rows[0]?.tenant ?? null);
      return [own.rows[0]?.tenant, other];
    });
    expect(inside).toBe(tenantB);
    expect(nested).toBeNull();
    // A kysely instance of its own (not from createDatabase) still gets its tenant set.
    const members = await withTenant(
      database.owner,
      tenantA,
      async (trx) => (await tenantSetting.execute(trx)).rows,
    );
    expect(members[0]?.tenant).toBe(tenantA);
  });

  it("refuses a tenant id that is not a UUID instead of running unbound", async () => {
    await expect(
      withTenant(database.app, "asha'); drop table memberships; --", (trx) =>
        sql`select * from memberships`.execute(trx),
      ),
    ).rejects.toThrow(/uuid/i);
    const still = await database.owner.selectFrom("memberships").select("tenant_id").execute();
    expect(still).toHaveLength(2);
  });
});
