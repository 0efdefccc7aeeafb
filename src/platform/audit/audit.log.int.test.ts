import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { withTenant } from "../db/database.ts";
import { entryHash } from "./audit.canonical.ts";
import { appendAudit, createAuditLog, type AuditEntryInput, type AuditLog } from "./audit.log.ts";

let database: TestDatabase;
let audit: AuditLog;
let tick = Date.parse("2025-04-01T09:00:00.000Z");
const clock = () => new Date((tick += 1000));

async function newTenant(slug: string): Promise<string> {
  const row = await database.owner
    .insertInto("tenants")
    .values({ name: slug, slug, gstin: null })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

function entry(tenantId: string, index: number, extra: Partial<AuditEntryInput> = {}): AuditEntryInput {
  return {
    tenantId,
    actor: { type: "user", id: "user-1" },
    action: "invoice.updated",
    entity: { type: "invoice", id: `INV-${index}` },
    before: { status: "draft", total: BigInt(index) * 100n },
    after: { status: "issued", total: BigInt(index) * 100n },
    requestId: `req-${index}`,
    ...extra,
  };
}

async function fill(tenantId: string, count: number): Promise<void> {
  for (let index = 1; index <= count; index += 1) await audit.record(entry(tenantId, index));
}

/** Tampering as the owner: the trigger has to be switched off on purpose first. */
async function asOwnerWithoutTrigger(statement: ReturnType<typeof sql>): Promise<void> {
  await database.owner.transaction().execute(async (trx) => {
    await sql`alter table audit_log disable trigger audit_log_no_update_or_delete`.execute(trx);
    await statement.execute(trx);
    await sql`alter table audit_log enable trigger audit_log_no_update_or_delete`.execute(trx);
  });
}

beforeAll(async () => {
  database = await createTestDatabase();
  audit = createAuditLog({ db: database.app, clock });
});

afterAll(async () => {
  await database?.drop();
});

describe("appending", () => {
  it("links each entry to the previous one of the same tenant", async () => {
    const tenant = await newTenant("chain-basic");
    const first = await audit.record(entry(tenant, 1));
    const second = await audit.record(
      entry(tenant, 2, {
        actor: { type: "workflow", id: "wf-instance-9" },
        action: "followup.reminder_sent",
      }),
    );
    expect(first).toMatchObject({ seq: 1, prevHash: "0".repeat(64) });
    expect(second).toMatchObject({
      seq: 2,
      prevHash: first.hash,
      actor: { type: "workflow", id: "wf-instance-9" },
    });
    expect(first.before).toEqual({ status: "draft", total: "100" });
    const report = await audit.verifyAuditChain({ tenantId: tenant });
    expect(report).toEqual({ ok: true, entries: 2, head: { seq: 2, hash: second.hash } });
  });

  it("commits with the caller's change and disappears when it rolls back", async () => {
    const tenant = await newTenant("chain-rollback");
    await expect(
      withTenant(database.app, tenant, async (trx) => {
        await appendAudit(trx, entry(tenant, 1));
        throw new Error("the change failed");
      }),
    ).rejects.toThrow(/the change failed/);
    const rows = await database.owner.selectFrom("tenants").select("id").where("id", "=", tenant).execute();
    expect(rows).toHaveLength(1);
    expect(await audit.list({ tenantId: tenant })).toEqual({ entries: [], nextBeforeSeq: null });
    const kept = await withTenant(database.app, tenant, (trx) =>
      appendAudit(trx, entry(tenant, 2), { clock }),
    );
    expect(kept.seq).toBe(1);
  });

  it("refuses to run outside a transaction or for another tenant", async () => {
    const tenant = await newTenant("chain-misuse");
    const other = await newTenant("chain-misuse-other");
    await expect(appendAudit(database.app, entry(tenant, 1))).rejects.toThrow(/inside the transaction/);
    await expect(
      withTenant(database.app, tenant, (trx) => appendAudit(trx, entry(other, 1))),
    ).rejects.toThrow(/tenant other than the transaction's/);
    await expect(audit.record({ ...entry(tenant, 1), action: "Not An Action" })).rejects.toThrow(/action/);
  });

  it("keeps one chain per tenant under concurrent appends", async () => {
    const tenantA = await newTenant("chain-concurrent-a");
    const tenantB = await newTenant("chain-concurrent-b");
    await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        audit.record(entry(index % 2 === 0 ? tenantA : tenantB, index)),
      ),
    );
    for (const tenant of [tenantA, tenantB]) {
      const report = await audit.verifyAuditChain({ tenantId: tenant });
      expect(report).toMatchObject({ ok: true, entries: 20 });
    }
  });

  it("shows a tenant only its own entries", async () => {
    const tenantA = await newTenant("chain-rls-a");
    const tenantB = await newTenant("chain-rls-b");
    await fill(tenantA, 2);
    await fill(tenantB, 1);
    const seenByA = await withTenant(database.app, tenantA, (trx) =>
      sql<{ tenant_id: string }>`select tenant_id from audit_log`.execute(trx),
    );
    expect(new Set(seenByA.rows.map((row) => row.tenant_id))).toEqual(new Set([tenantA]));
    expect((await audit.list({ tenantId: tenantB })).entries).toHaveLength(1);
  });
});

describe("immutability", () => {
  let tenant: string;
  beforeAll(async () => {
    tenant = await newTenant("immutable");
    await fill(tenant, 3);
  });

  it("refuses UPDATE, DELETE and TRUNCATE by the application role", async () => {
    await expect(
      withTenant(database.app, tenant, (trx) =>
        sql`update audit_log set action = 'invoice.deleted'`.execute(trx),
      ),
    ).rejects.toThrow(/permission denied/);
    await expect(
      withTenant(database.app, tenant, (trx) => sql`delete from audit_log`.execute(trx)),
    ).rejects.toThrow(/permission denied/);
    await expect(
      withTenant(database.app, tenant, (trx) => sql`truncate audit_log`.execute(trx)),
    ).rejects.toThrow(/permission denied/);
    expect((await audit.verifyAuditChain({ tenantId: tenant })).ok).toBe(true);
  });

  it("refuses UPDATE, DELETE and TRUNCATE by the owner too, unless the trigger is switched off on purpose", async () => {
    await expect(
      sql`update audit_log set action = 'invoice.deleted' where tenant_id = ${tenant}`.execute(
        database.owner,
      ),
    ).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(
      sql`delete from audit_log where tenant_id = ${tenant}`.execute(database.owner),
    ).rejects.toThrow(/append-only: DELETE refused/);
    await expect(sql`truncate audit_log`.execute(database.owner)).rejects.toThrow(
      /append-only: TRUNCATE refused/,
    );
  });
});

describe("verification", () => {
  it("finds an entry whose content was changed", async () => {
    const tenant = await newTenant("tamper-content");
    await fill(tenant, 5);
    const target = (await audit.list({ tenantId: tenant })).entries.find((item) => item.seq === 3)!;
    await asOwnerWithoutTrigger(
      sql`update audit_log set after = '{"status":"cancelled","total":"300"}' where id = ${target.id}`,
    );
    const report = await audit.verifyAuditChain({ tenantId: tenant });
    expect(report).toMatchObject({
      ok: false,
      entries: 2,
      firstBreak: { id: target.id, seq: 3, problem: "content-changed", actual: target.hash },
    });
  });

  it("finds a changed entry whose hash was recomputed, at the next link", async () => {
    const tenant = await newTenant("tamper-rehash");
    await fill(tenant, 4);
    const { entries } = await audit.list({ tenantId: tenant });
    const target = entries.find((item) => item.seq === 2)!;
    const next = entries.find((item) => item.seq === 3)!;
    const forged = { ...target, actor: { type: "system" as const }, after: { status: "void" } };
    const forgedHash = entryHash({ ...forged, actorType: "system", actorId: null });
    await asOwnerWithoutTrigger(sql`
      update audit_log set actor_type = 'system', actor_id = null, after = '{"status":"void"}', hash = ${forgedHash}
      where id = ${target.id}`);
    const report = await audit.verifyAuditChain({ tenantId: tenant });
    expect(report).toMatchObject({
      ok: false,
      firstBreak: { id: next.id, seq: 3, problem: "link-broken", expected: forgedHash, actual: target.hash },
    });
  });

  it("finds a removed entry", async () => {
    const tenant = await newTenant("tamper-delete");
    await fill(tenant, 4);
    await asOwnerWithoutTrigger(sql`delete from audit_log where tenant_id = ${tenant} and seq = 2`);
    const report = await audit.verifyAuditChain({ tenantId: tenant });
    expect(report).toMatchObject({
      ok: false,
      entries: 1,
      firstBreak: { seq: 3, problem: "entries-missing" },
    });
  });

  it("finds entries cut from the end only against an anchor kept elsewhere", async () => {
    const tenant = await newTenant("tamper-tail");
    await fill(tenant, 4);
    const before = await audit.verifyAuditChain({ tenantId: tenant });
    if (!before.ok || !before.head) throw new Error("expected an intact chain");
    const anchor = before.head;
    expect((await audit.verifyAuditChain({ tenantId: tenant, anchor })).ok).toBe(true);
    await asOwnerWithoutTrigger(sql`delete from audit_log where tenant_id = ${tenant} and seq = 4`);
    expect((await audit.verifyAuditChain({ tenantId: tenant })).ok).toBe(true);
    expect(await audit.verifyAuditChain({ tenantId: tenant, anchor })).toMatchObject({
      ok: false,
      firstBreak: { problem: "entries-missing", seq: 4 },
    });
  });
});

describe("reading and exporting", () => {
  let tenant: string;
  beforeAll(async () => {
    tenant = await newTenant("export");
    await fill(tenant, 7);
    await audit.record({
      tenantId: tenant,
      actor: { type: "api-key", id: "key-1" },
      action: "customer.created",
      entity: { type: "customer", id: "=cmd|' /C calc'!A0" },
      after: { name: 'Asha "Textiles", Surat\nGujarat' },
      metadata: { apiKey: "prk_should_not_appear" },
    });
  });

  it("lists newest first with filters and pages", async () => {
    const page1 = await audit.list({ tenantId: tenant, limit: 3 });
    expect(page1.entries.map((item) => item.seq)).toEqual([8, 7, 6]);
    const page2 = await audit.list({ tenantId: tenant, limit: 3, beforeSeq: page1.nextBeforeSeq! });
    expect(page2.entries.map((item) => item.seq)).toEqual([5, 4, 3]);
    const byEntity = await audit.list({
      tenantId: tenant,
      filter: { entityType: "invoice", entityId: "INV-2" },
    });
    expect(byEntity.entries.map((item) => item.seq)).toEqual([2]);
    const byActor = await audit.list({
      tenantId: tenant,
      filter: { actorType: "api-key", actorId: "key-1" },
    });
    expect(byActor.entries).toHaveLength(1);
    expect(byActor.entries[0]?.metadata).toEqual({ apiKey: "[redacted]" });
  });

  async function collect(iterable: AsyncIterable<string>): Promise<string> {
    let text = "";
    for await (const chunk of iterable) text += chunk;
    return text;
  }

  it("exports JSON Lines and a JSON array whose entries still verify", async () => {
    const lines = (await collect(audit.exportAudit({ tenantId: tenant, format: "ndjson", batchSize: 3 })))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const array = JSON.parse(
      await collect(audit.exportAudit({ tenantId: tenant, format: "json" })),
    ) as Record<string, unknown>[];
    expect(array).toEqual(lines);
    for (const line of array) {
      const recomputed = entryHash({
        id: line.id as string,
        tenantId: tenant,
        seq: line.seq as number,
        at: new Date(line.at as string),
        actorType: line.actorType as "user",
        actorId: line.actorId as string | null,
        action: line.action as string,
        entityType: line.entityType as string | null,
        entityId: line.entityId as string | null,
        before: line.before,
        after: line.after,
        metadata: line.metadata,
        requestId: line.requestId as string | null,
        prevHash: line.prevHash as string,
      });
      expect(recomputed).toBe(line.hash);
    }
    const empty = await newTenant("export-empty");
    expect(JSON.parse(await collect(audit.exportAudit({ tenantId: empty, format: "json" })))).toEqual([]);
  });

  it("exports CSV with one header, quoted fields and defused formulas", async () => {
    const csv = await collect(audit.exportAudit({ tenantId: tenant, format: "csv", batchSize: 2 }));
    expect(csv.startsWith("seq,id,at,actor_type,actor_id,action,")).toBe(true);
    expect(csv.split("\r\n").filter((line) => /^\d+,/.test(line))).toHaveLength(8);
    expect(csv).toContain(`,'=cmd|' /C calc'!A0,`);
    expect(csv).toContain('"{""name"":""Asha \\""Textiles\\"", Surat\\nGujarat""}"');
    expect(csv).not.toContain("prk_should_not_appear");
  });
});
