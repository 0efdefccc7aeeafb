import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningPrapti } from "../../app/runtime.ts";
import { withTenant } from "../../platform/db/database.ts";
import { EventTypeRegistry } from "../../platform/events/event-outbox.ts";
import { appendExternalEvent } from "../../platform/events/external-event.ts";
import { startInProcess, waitForInstance } from "../../../test/support/running-prapti.ts";
import { createTenant } from "../../../test/support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import type { OrchestrationTables } from "../store/orchestration.tables.ts";
import { latestSlot, parseSchedule } from "./schedule.slots.ts";
import { createWorkflowSettingsStore } from "./workflow-settings.store.ts";

let database: TestDatabase;
let prapti: RunningPrapti;
let tenantId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  tenantId = await createTenant(database.owner, "Scheduled Traders");
  prapti = await startInProcess({ databaseUrl: database.url, parkThresholdMs: 400 });
});

afterAll(async () => {
  await prapti?.stop();
  await database?.drop();
});

const hub = () => database.owner.withTables<OrchestrationTables>();

const definition = (name: string, version: string, schedule: string, body = "set: { ran: true }") => `
document: { dsl: '1.0.0', namespace: sched, name: ${name}, version: '${version}' }
${schedule}
do:
  - work:
      ${body}
`;

async function publish(source: string) {
  return prapti.hub.definitions.publish({ tenantId, source, publishedBy: "test" });
}

const instancesOf = (name: string) =>
  hub()
    .selectFrom("workflow_instances")
    .select(["id", "version", "business_key", "input", "status", "created_at", "ended_at"])
    .where("namespace", "=", "sched")
    .where("name", "=", name)
    .orderBy("created_at")
    .execute();

const scheduleOf = (name: string) =>
  hub()
    .selectFrom("workflow_schedules")
    .selectAll()
    .where("namespace", "=", "sched")
    .where("name", "=", name)
    .executeTakeFirst();

/** Polls until `check` returns a value (bounded). */
async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function sendEvent(type: string, data: unknown) {
  await withTenant(database.app, tenantId, (trx) =>
    appendExternalEvent(trx, new EventTypeRegistry(), { tenantId, type, source: "/test", data }),
  );
}

describe("workflow schedules", () => {
  it("every: starts one instance per period, keyed by its slot", async () => {
    await publish(definition("ticker", "1.0.0", "schedule: { every: PT1S }"));
    const started = await eventually(async () => {
      const rows = await instancesOf("ticker");
      return rows.length >= 2 ? rows : undefined;
    });
    const keys = started.map((row) => row.business_key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) expect(key).toMatch(/^schedule:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    const first = started[0];
    if (!first) throw new Error("no instance");
    const done = await waitForInstance(prapti, tenantId, first.id, ["completed", "faulted"]);
    expect(done.output).toEqual({ ran: true });
  });

  it("follows the current version: a new version without schedule stops it, rollback brings it back", async () => {
    await publish(definition("switching", "1.0.0", "schedule: { every: PT1H }"));
    await eventually(async () => (await scheduleOf("switching"))?.version === "1.0.0");
    await publish(definition("switching", "2.0.0", ""));
    await eventually(async () => (await scheduleOf("switching")) === undefined);
    await prapti.hub.definitions.rollback({
      tenantId,
      namespace: "sched",
      name: "switching",
      toVersion: "1.0.0",
    });
    await eventually(async () => (await scheduleOf("switching"))?.version === "1.0.0");
    await publish(definition("switching", "3.0.0", "schedule: { cron: '0 * * * *' }"));
    const schedule = await eventually(async () => {
      const row = await scheduleOf("switching");
      return row?.version === "3.0.0" ? row : undefined;
    });
    expect(schedule).toMatchObject({ kind: "cron" });
    // On the hour in Kolkata (UTC+05:30) is half past in UTC.
    expect(schedule.next_run_at?.getUTCMinutes()).toBe(30);
    await prapti.hub.definitions.deprecate({
      tenantId,
      namespace: "sched",
      name: "switching",
      version: "1.0.0",
    });
    expect((await scheduleOf("switching"))?.version).toBe("3.0.0");
  });

  it("starts a missed run once, with concurrent sweepers, as one catch-up instance", async () => {
    await publish(definition("hourly", "1.0.0", "schedule: { every: PT1H }"));
    await eventually(async () => (await scheduleOf("hourly"))?.next_run_at ?? undefined);
    // Pretend everything was down for five hours.
    await sql`update workflow_schedules set next_run_at = now() - interval '5 hours'
      where namespace = 'sched' and name = 'hourly'`.execute(database.owner);
    await Promise.all(Array.from({ length: 4 }, () => prapti.hub.orchestrator.sweep()));
    await eventually(async () => (await scheduleOf("hourly"))?.last_instance_id ?? undefined);
    await prapti.hub.orchestrator.sweep();
    const started = await instancesOf("hourly");
    expect(started).toHaveLength(1);
    const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    const slot = started[0]?.business_key?.slice("schedule:".length) ?? "";
    expect(Math.abs(new Date(slot).getTime() - hour.getTime())).toBeLessThanOrEqual(3_600_000);
    // The background sweeper may be the one that took the slot and still be committing its claim.
    const schedule = await eventually(async () => {
      const row = await scheduleOf("hourly");
      return row?.last_instance_id ? row : undefined;
    });
    expect(schedule.next_run_at?.getTime()).toBe(new Date(slot).getTime() + 3_600_000);
    expect(schedule.last_instance_id).toBe(started[0]?.id);
  });

  it("cron: starts at the cron time, read in the business's time zone (Asia/Kolkata by default), once", async () => {
    await publish(definition("nightly", "1.0.0", "schedule: { cron: '30 2 * * *' }"));
    const schedule = await eventually(async () => (await scheduleOf("nightly")) ?? undefined);
    // 02:30 in Kolkata (UTC+05:30) is 21:00 UTC the day before.
    expect(schedule.next_run_at?.toISOString()).toMatch(/T21:00:00\.000Z$/);
    // Pretend the last 02:30 slot was missed.
    const missed = latestSlot(
      parseSchedule({ cron: "30 2 * * *" }, { timeZone: "Asia/Kolkata" }),
      new Date(),
    );
    await sql`update workflow_schedules set next_run_at = ${missed}
      where namespace = 'sched' and name = 'nightly'`.execute(database.owner);
    await Promise.all([prapti.hub.orchestrator.sweep(), prapti.hub.orchestrator.sweep()]);
    await eventually(async () => (await scheduleOf("nightly"))?.last_instance_id ?? undefined);
    await prapti.hub.orchestrator.sweep();
    const started = await instancesOf("nightly");
    expect(started).toHaveLength(1);
    expect(started[0]?.business_key).toBe(`schedule:${missed?.toISOString()}`);
    const after = await eventually(async () => {
      const row = await scheduleOf("nightly");
      return row?.last_instance_id ? row : undefined;
    });
    expect(after.next_run_at?.getTime()).toBe((missed?.getTime() ?? 0) + 86_400_000);
  });

  it("cron: follows a change of the business's time zone", async () => {
    await publish(definition("morning", "1.0.0", "schedule: { cron: '0 9 * * *' }"));
    const before = await eventually(async () => (await scheduleOf("morning")) ?? undefined);
    expect(before.next_run_at?.toISOString()).toMatch(/T03:30:00\.000Z$/);
    await createWorkflowSettingsStore({ db: database.app }).setTimeZone(tenantId, "America/New_York");
    const after = await eventually(async () => {
      const row = await scheduleOf("morning");
      return (row?.spec as { timeZone?: string } | null)?.timeZone === "America/New_York" ? row : undefined;
    });
    // 09:00 in New York is 13:00 or 14:00 UTC, depending on daylight saving time.
    expect(after.next_run_at?.toISOString()).toMatch(/T1[34]:00:00\.000Z$/);
    expect(after.version).toBe("1.0.0");
    await expect(
      createWorkflowSettingsStore({ db: database.app }).setTimeZone(tenantId, "Nowhere/Special"),
    ).rejects.toThrow(/not a known IANA time zone/);
    await createWorkflowSettingsStore({ db: database.app }).setTimeZone(tenantId, "Asia/Kolkata");
  });

  it("on any with until: starts an instance per event until the until event comes, then none", async () => {
    await publish(
      definition(
        "campaign",
        "1.0.0",
        `schedule:
  on:
    any:
      - with: { type: campaign.reply }
    until:
      one:
        with: { type: campaign.closed }`,
      ),
    );
    await eventually(async () => (await scheduleOf("campaign")) ?? undefined);
    await sendEvent("campaign.reply", { n: 1 });
    await sendEvent("campaign.reply", { n: 2 });
    await sendEvent("campaign.closed", {});
    await sendEvent("campaign.reply", { n: 3 });
    const ended = await eventually(async () => {
      const row = await scheduleOf("campaign");
      return row?.ended_at ? row : undefined;
    });
    expect(ended.ended_by_event).not.toBeNull();
    await eventually(async () => ((await instancesOf("campaign")).length >= 2 ? true : undefined));
    // Everything published is dispatched and swept before counting.
    await eventually(async () => {
      const pending = await sql<{ n: number }>`
        select count(*)::int as n from event_outbox where correlated_at is null`.execute(database.owner);
      return pending.rows[0]?.n === 0 ? true : undefined;
    });
    await prapti.hub.orchestrator.sweep();
    const started = await instancesOf("campaign");
    expect(started.map((row) => row.input)).toEqual(expect.arrayContaining([[{ n: 1 }], [{ n: 2 }]]));
    expect(started).toHaveLength(2);

    // A new version starts the schedule afresh.
    await publish(
      definition(
        "campaign",
        "1.1.0",
        `schedule:
  on:
    any:
      - with: { type: campaign.reply }
    until:
      one:
        with: { type: campaign.closed }`,
      ),
    );
    await eventually(async () => {
      const row = await scheduleOf("campaign");
      return row?.version === "1.1.0" && row.ended_at === null ? true : undefined;
    });
    await sendEvent("campaign.reply", { n: 4 });
    await eventually(async () => ((await instancesOf("campaign")).length === 3 ? true : undefined));
  });

  it("on: starts one instance per matching event, with the event data as input", async () => {
    await publish(
      definition(
        "on-order",
        "1.0.0",
        `schedule:
  on:
    one:
      with:
        type: order.placed
        data: '\${ .total > 100 }'`,
        "set: { total: '${ .[0].total }' }",
      ),
    );
    await eventually(async () => (await scheduleOf("on-order")) ?? undefined);
    await sendEvent("order.placed", { total: 500 });
    await sendEvent("order.placed", { total: 5 });
    await sendEvent("order.shipped", { total: 900 });
    await sendEvent("order.placed", { total: 700 });
    const started = await eventually(async () => {
      const rows = await instancesOf("on-order");
      return rows.length >= 2 ? rows : undefined;
    });
    await Promise.all([prapti.hub.orchestrator.sweep(), prapti.hub.orchestrator.sweep()]);
    expect(await instancesOf("on-order")).toHaveLength(2);
    // Events dispatched in one pass may start in any order.
    expect(started.map((row) => row.input)).toEqual(
      expect.arrayContaining([[{ total: 500 }], [{ total: 700 }]]),
    );
    for (const row of started) expect(row.business_key).toMatch(/^event:/);
    const done = await waitForInstance(prapti, tenantId, started[1]?.id ?? "", ["completed", "faulted"]);
    expect(done.output).toEqual({ total: (started[1]?.input as { total: number }[])[0]?.total });
  });

  it("on all: starts once every filter has an event", async () => {
    await publish(
      definition(
        "on-both",
        "1.0.0",
        `schedule:
  on:
    all:
      - with: { type: pair.left }
      - with: { type: pair.right }`,
      ),
    );
    await eventually(async () => (await scheduleOf("on-both")) ?? undefined);
    await sendEvent("pair.right", { side: "R" });
    await sendEvent("pair.left", { side: "L" });
    const started = await eventually(async () => {
      const rows = await instancesOf("on-both");
      return rows.length >= 1 ? rows : undefined;
    });
    expect(started).toHaveLength(1);
    expect(started[0]?.input).toEqual([{ side: "L" }, { side: "R" }]);
  });

  it("after: starts the next instance a delay after the previous one ended", async () => {
    await publish(definition("relay", "1.0.0", "schedule: { after: PT1S }"));
    const started = await eventually(async () => {
      const rows = await instancesOf("relay");
      return rows.length >= 2 ? rows : undefined;
    });
    const [first, second] = started;
    if (!first || !second) throw new Error("missing instances");
    expect(first.ended_at).not.toBeNull();
    expect(second.created_at.getTime()).toBeGreaterThanOrEqual((first.ended_at ?? new Date()).getTime());
    expect(first.business_key).not.toBe(second.business_key);
  });
});
