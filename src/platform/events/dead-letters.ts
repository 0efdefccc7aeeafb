import { sql, type Kysely } from "kysely";
import { AppError } from "../../kernel/app-error.ts";
import type { DB } from "../db/schema.ts";
import { DELIVERIES_CHANNEL } from "./event-delivery.store.ts";
import { eventsDb } from "./event-bus.tables.ts";
import type { CloudEvent } from "./event-outbox.ts";

export interface DeadLetter {
  id: string;
  consumer: string;
  eventId: string;
  eventType: string;
  tenantId: string;
  event: CloudEvent;
  error: string;
  attempts: number;
  failedAt: Date;
  replayedAt: Date | null;
}

/** Dead letters, newest first; by default only those not yet replayed. */
export async function listDeadLetters(options: {
  db: Kysely<DB>;
  consumer?: string;
  includeReplayed?: boolean;
  limit?: number;
}): Promise<DeadLetter[]> {
  let query = eventsDb(options.db)
    .selectFrom("event_dead_letters")
    .selectAll()
    .orderBy("id", "desc")
    .limit(options.limit ?? 100);
  if (options.consumer) query = query.where("consumer", "=", options.consumer);
  if (!options.includeReplayed) query = query.where("replayed_at", "is", null);
  const rows = await query.execute();
  return rows.map((row) => ({
    id: row.id.toString(),
    consumer: row.consumer,
    eventId: row.event_id,
    eventType: row.event_type,
    tenantId: row.tenant_id,
    event: row.event as CloudEvent,
    error: row.error,
    attempts: row.attempts,
    failedAt: row.failed_at,
    replayedAt: row.replayed_at,
  }));
}

/**
 * Hands dead letters back to their consumer: each becomes a fresh delivery (attempts from zero) that the
 * consumer's workers pick up on either bus, and is marked replayed. Without `ids`, every open dead letter
 * of the consumer. Runs on the owner connection; a CLI would call
 * `replayDeadLetters({ db: database.owner, consumer: "webhooks", ids: ["12", "13"] })`.
 */
export async function replayDeadLetters(options: {
  db: Kysely<DB>;
  consumer: string;
  ids?: (string | number | bigint)[];
}): Promise<{ replayed: string[]; missingEvents: string[] }> {
  const db = eventsDb(options.db);
  return db.transaction().execute(async (trx) => {
    const known = await trx
      .selectFrom("event_consumers")
      .select("name")
      .where("name", "=", options.consumer)
      .executeTakeFirst();
    if (!known) throw AppError.notFound("consumer", options.consumer);
    let query = trx
      .selectFrom("event_dead_letters")
      .select(["id", "event_id", "event_sequence"])
      .where("consumer", "=", options.consumer)
      .where("replayed_at", "is", null)
      .orderBy("id")
      .forUpdate();
    if (options.ids) {
      if (options.ids.length === 0) return { replayed: [], missingEvents: [] };
      query = query.where(
        "id",
        "in",
        options.ids.map((id) => BigInt(id)),
      );
    }
    const letters = await query.execute();
    const replayed: string[] = [];
    const missingEvents: string[] = [];
    for (const letter of letters) {
      const inserted = await sql<{ event_sequence: bigint }>`
        insert into event_deliveries (consumer, event_sequence, tenant_id, ordering_key)
        select ${options.consumer}, e.sequence, e.tenant_id, e.tenant_id::text || ':' || coalesce(e.subject, '#' || e.id)
        from event_outbox e
        where e.id = ${letter.event_id}
        on conflict (consumer, event_sequence) do update set attempts = 0, next_attempt_at = now(), last_error = null
        returning event_sequence`.execute(trx);
      if (inserted.rows.length === 0) {
        missingEvents.push(letter.event_id);
        continue;
      }
      await trx
        .updateTable("event_dead_letters")
        .set({ replayed_at: sql<Date>`now()` })
        .where("id", "=", letter.id)
        .execute();
      replayed.push(letter.id.toString());
    }
    if (replayed.length > 0) await sql`select pg_notify(${DELIVERIES_CHANNEL}, '')`.execute(trx);
    return { replayed, missingEvents };
  });
}
