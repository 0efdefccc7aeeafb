import { randomBytes, randomUUID } from "node:crypto";
import { sql } from "kysely";
import { createBlindIndex } from "../../platform/crypto/blind.index.ts";
import { createFieldCipher } from "../../platform/crypto/field.cipher.ts";
import { parseKeyRing } from "../../platform/crypto/key-ring.ts";
import { EventTypeRegistry } from "../../platform/events/event-outbox.ts";
import type { Database } from "../../platform/db/database.ts";
import { PAYMENT_EVENT_SCHEMAS } from "./payment.events.ts";
import type { AccountProtection } from "./account-protection.ts";
import type { PaymentsDeps } from "./payments.unit-of-work.ts";

/** Test helper: the event registry with the payments events. */
export function paymentsEventRegistry(): EventTypeRegistry {
  const registry = new EventTypeRegistry();
  for (const [type, schema] of Object.entries(PAYMENT_EVENT_SCHEMAS)) registry.register(type, schema);
  return registry;
}

/** Test helper: a field cipher (key id `test1`) and a blind index with fresh random keys. */
export function testAccountProtection(): AccountProtection {
  return {
    cipher: createFieldCipher(parseKeyRing(`test1:${randomBytes(32).toString("base64")}`)),
    blindIndex: createBlindIndex(randomBytes(32)),
  };
}

/** The keys every `testPaymentsDeps` of one test file shares, as the processes of one installation do. */
const sharedProtection = testAccountProtection();

/** Test helper: dependencies over a test database, with a clock the test can move and the file's keys. */
export function testPaymentsDeps(
  database: Database,
  options: { now?: () => number; events?: EventTypeRegistry; protection?: AccountProtection } = {},
): PaymentsDeps {
  const protection = options.protection ?? sharedProtection;
  return {
    db: database.app,
    events: options.events ?? paymentsEventRegistry(),
    now: options.now ?? (() => Date.parse("2025-08-20T10:00:00+05:30")),
    cipher: protection.cipher,
    blindIndex: protection.blindIndex,
  };
}

/** Test helper: the events a tenant's outbox holds, oldest first (read as owner). */
export async function outboxEvents(
  database: Database,
  tenantId: string,
  type?: string,
): Promise<Array<{ type: string; subject: string | null; data: Record<string, unknown> }>> {
  const rows = await sql<{ type: string; subject: string | null; data: Record<string, unknown> }>`
    select type, subject, data from event_outbox
    where tenant_id = ${tenantId} ${type ? sql`and type = ${type}` : sql``}
    order by sequence`.execute(database.owner);
  return rows.rows;
}

export const newUuid = (): string => randomUUID();
