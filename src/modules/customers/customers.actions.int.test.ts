import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTenant } from "../../../test/support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { AppError } from "../../kernel/app-error.ts";
import {
  ActionCatalog,
  parseActionInput,
  parseActionOutput,
  type CallContext,
} from "../../platform/actions/action-catalog.ts";
import { EventTypeRegistry } from "../../platform/events/event-outbox.ts";
import { testContactProtection } from "./contact-protection.testing.ts";
import { createCustomersModule } from "./customers.module.ts";

const protection = testContactProtection();
const customersModule = createCustomersModule({ protection });
import { seedDemoCustomers } from "./customers.demo.ts";

let database: TestDatabase;
let catalog: ActionCatalog;
let events: EventTypeRegistry;
let tenantId: string;

/** Calls an action the way the gateway does: validated input, the handler, validated output. */
async function call<T = Record<string, unknown>>(
  name: string,
  input: unknown,
  ctx: Partial<CallContext> = {},
) {
  const action = catalog.get(name);
  if (!action) throw new Error(`no action ${name}`);
  const parsed = parseActionInput(action, input);
  const output = await action.handler(parsed, {
    tenantId,
    actor: "workflow:wf-42",
    ...ctx,
    signal: new AbortController().signal,
  });
  return parseActionOutput(action, output) as T;
}

beforeAll(async () => {
  database = await createTestDatabase();
  tenantId = await createTenant(database.owner, "Action Traders");
  events = new EventTypeRegistry();
  for (const [type, schema] of Object.entries(customersModule.events)) events.register(type, schema);
  catalog = new ActionCatalog();
  catalog.registerModule(
    customersModule.actions({
      database,
      events,
      logger: pino({ level: "silent" }),
      now: () => Date.parse("2025-11-03T04:00:00Z"),
    }),
  );
});

afterAll(async () => {
  await database?.drop();
});

describe("customers actions", () => {
  it("registers the actions workflows call, each with describable JSON schemas", () => {
    expect(catalog.actions().map((action) => action.qualifiedName)).toEqual([
      "customers.contact-permission",
      "customers.create",
      "customers.find",
      "customers.get",
      "customers.record-consent",
      "customers.tds-profile",
      "customers.update",
    ]);
    for (const action of catalog.actions()) {
      expect(action.permission).toMatch(/^customers:(read|write)$/);
      expect(() => z.toJSONSchema(action.input, { io: "input" })).not.toThrow();
      expect(() => z.toJSONSchema(action.output, { io: "output" })).not.toThrow();
    }
  });

  it("seeds demo customers idempotently and serves them to workflows", async () => {
    const deps = {
      db: database.app,
      events,
      now: () => Date.parse("2025-11-03T04:00:00Z"),
      tenantId,
      protection,
    };
    const first = await seedDemoCustomers(deps);
    const second = await seedDemoCustomers(deps);
    expect(second).toEqual(first);
    expect(Object.keys(first)).toHaveLength(6);

    const sharma = await call<{ legalName: string }>("customers.get", { customerId: first["sharma-steel"] });
    expect(sharma.legalName).toBe("Sharma Steel Traders Private Limited");

    const found = await call<{ matches: { customer: { id: string }; certainty: string }[] }>(
      "customers.find",
      {
        gstin: "29AAACM4512K1ZG",
      },
    );
    expect(found.matches[0]).toMatchObject({ certainty: "certain", customer: { id: first["mehta-auto"] } });

    const permission = await call("customers.contact-permission", {
      customerId: first["rao-agro"],
      channel: "whatsapp",
    });
    expect(permission).toMatchObject({ allowed: false, reason: "consent-withdrawn" });

    const tds = await call("customers.tds-profile", {
      customerId: first["sharma-steel"],
      invoice: {
        taxableValuePaise: "10000000",
        gstPaise: "1800000",
        totalPaise: "11800000",
        supplierStateCode: "27",
        placeOfSupply: "27",
      },
    });
    expect(tds).toMatchObject({
      tds: { incomeTax: { section: "194C" } },
      expected: { incomeTax: { amountPaise: "200000" }, netReceivablePaise: "11600000" },
    });
  });

  it("refuses bad input naming the fields, before running anything", async () => {
    const error = await call("customers.find", {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    const invalid = await call("customers.get", { customerId: "42" }).catch(
      (caught: unknown) => caught as AppError,
    );
    expect((invalid as AppError).issues[0]?.field).toBe("customerId");
  });

  it("applies a retried command once per idempotency key", async () => {
    const input = {
      profile: { legalName: "Haryana Cables Private Limited", gstin: "06AAACH7777R1ZQ", stateCode: "06" },
    };
    const first = await call<{ created: boolean; customer: { id: string } }>("customers.create", input, {
      idempotencyKey: "wf-42:create",
    });
    const retry = await call<{ created: boolean; customer: { id: string } }>("customers.create", input, {
      idempotencyKey: "wf-42:create",
    });
    expect(first.created).toBe(true);
    expect(retry).toEqual(first);

    const consent = {
      customerId: first.customer.id,
      channel: "sms",
      status: "withdrawn",
      source: "sms-reply",
      at: "2025-11-02T10:00:00+05:30",
    };
    await call("customers.record-consent", consent, { idempotencyKey: "wf-42:stop" });
    await call("customers.record-consent", consent, { idempotencyKey: "wf-42:stop" });
    const optedOut = await database.owner
      .selectFrom("event_outbox")
      .select("id")
      .where("tenant_id", "=", tenantId)
      .where("type", "=", "customer.opted-out")
      .where("subject", "=", first.customer.id)
      .execute();
    expect(optedOut).toHaveLength(1);
  });
});
