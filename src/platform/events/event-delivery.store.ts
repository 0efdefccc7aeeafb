import { sql, type Kysely, type Transaction } from "kysely";
import type { DB } from "../db/schema.ts";
import type { ConsumerLag, EventConsumer } from "./event-bus.port.ts";
import { eventsDb, type EventsDB } from "./event-bus.tables.ts";
import { rowToCloudEvent, type CloudEvent } from "./event-outbox.ts";

/** Channel on which the relay (and replays) announce new deliveries. */
export const DELIVERIES_CHANNEL = "prapti_event_deliveries";

const orderingKeySql = sql<string>`e.tenant_id::text || ':' || coalesce(e.subject, '#' || e.id)`;

/**
 * Records the consumers in `event_consumers` (their types may change between releases). A consumer seen for
 * the first time with `startFrom: "beginning"` gets a delivery for every event already published.
 */
export async function registerConsumers(owner: Kysely<DB>, consumers: EventConsumer[]): Promise<void> {
  const db = eventsDb(owner);
  for (const consumer of consumers) {
    const types = consumer.types === "*" ? null : [...consumer.types].sort();
    await db.transaction().execute(async (trx) => {
      const row = await sql<{ inserted: boolean }>`
        insert into event_consumers (name, event_types) values (${consumer.name}, ${types})
        on conflict (name) do update set event_types = excluded.event_types, updated_at = now()
        returning (xmax = 0) as inserted`.execute(trx);
      if (row.rows[0]?.inserted && consumer.startFrom === "beginning") {
        await sql`
          insert into event_deliveries (consumer, event_sequence, tenant_id, ordering_key)
          select ${consumer.name}, e.sequence, e.tenant_id, ${orderingKeySql}
          from event_outbox e
          where e.published_at is not null and (${types}::text[] is null or e.type = any(${types}::text[]))
          on conflict do nothing`.execute(trx);
      }
    });
  }
}

/** The PostgreSQL bus's publication: one delivery row per interested consumer, in the relay's transaction. */
export async function fanOutDeliveries(trx: Transaction<EventsDB>, sequences: bigint[]): Promise<void> {
  if (sequences.length === 0) return;
  await sql`
    insert into event_deliveries (consumer, event_sequence, tenant_id, ordering_key)
    select c.name, e.sequence, e.tenant_id, ${orderingKeySql}
    from event_outbox e
    join event_consumers c on c.event_types is null or e.type = any(c.event_types)
    where e.sequence = any(${sequences.map(String)}::bigint[])
    on conflict do nothing`.execute(trx);
  await sql`select pg_notify(${DELIVERIES_CHANNEL}, '')`.execute(trx);
}

export interface ClaimedDelivery {
  sequence: bigint;
  /** This attempt's number (1 for the first). */
  attempts: number;
  event: CloudEvent;
}

/**
 * Claims up to `limit` deliveries of a consumer: only the oldest of each ordering key (tenant and subject),
 * and only when due. Claiming counts the attempt and leases the row until `leaseMs` from now, so another
 * worker neither takes it nor the same subject's next event meanwhile; a worker that dies leaves it to be
 * claimed again once the lease ends.
 */
export async function claimDeliveries(
  owner: Kysely<DB>,
  consumer: string,
  limit: number,
  leaseMs: number,
): Promise<ClaimedDelivery[]> {
  const result = await sql<{
    sequence: bigint;
    attempts: number;
    id: string;
    tenant_id: string;
    type: string;
    source: string;
    subject: string | null;
    time: Date;
    data: unknown;
  }>`
    with heads as (
      select distinct on (ordering_key) event_sequence, next_attempt_at
      from event_deliveries
      where consumer = ${consumer}
      order by ordering_key, event_sequence
    ), ready as (
      select d.consumer, d.event_sequence
      from event_deliveries d
      join heads h on h.event_sequence = d.event_sequence
      where d.consumer = ${consumer} and h.next_attempt_at <= now()
      order by d.event_sequence
      limit ${limit}
      for update of d skip locked
    )
    update event_deliveries d
    set attempts = d.attempts + 1, next_attempt_at = now() + ${leaseMs} * interval '1 millisecond'
    from ready r, event_outbox e
    where d.consumer = r.consumer and d.event_sequence = r.event_sequence and e.sequence = d.event_sequence
      and d.next_attempt_at <= now()
    returning d.event_sequence as sequence, d.attempts, e.id, e.tenant_id, e.type, e.source, e.subject, e.time, e.data
  `.execute(owner);
  return result.rows
    .map((row) => ({ sequence: row.sequence, attempts: row.attempts, event: rowToCloudEvent(row) }))
    .sort((a, b) => (a.sequence < b.sequence ? -1 : 1));
}

export async function completeDelivery(owner: Kysely<DB>, consumer: string, sequence: bigint): Promise<void> {
  await eventsDb(owner)
    .deleteFrom("event_deliveries")
    .where("consumer", "=", consumer)
    .where("event_sequence", "=", sequence)
    .execute();
}

export async function retryDeliveryLater(
  owner: Kysely<DB>,
  consumer: string,
  sequence: bigint,
  delayMs: number,
  error: string,
): Promise<void> {
  await eventsDb(owner)
    .updateTable("event_deliveries")
    .set({ next_attempt_at: sql<Date>`now() + ${delayMs} * interval '1 millisecond'`, last_error: error })
    .where("consumer", "=", consumer)
    .where("event_sequence", "=", sequence)
    .execute();
}

/** Records a dead letter; with `delivery` also removes the consumer's delivery row in the same transaction. */
export async function recordDeadLetter(
  owner: Kysely<DB>,
  input: { consumer: string; event: CloudEvent; sequence: bigint | null; error: string; attempts: number },
  options: { removeDelivery: boolean },
): Promise<void> {
  await eventsDb(owner)
    .transaction()
    .execute(async (trx) => {
      await trx
        .insertInto("event_dead_letters")
        .values({
          consumer: input.consumer,
          event_id: input.event.id,
          event_sequence: input.sequence,
          tenant_id: input.event.tenantid,
          event_type: input.event.type,
          event: JSON.stringify(input.event),
          error: input.error,
          attempts: input.attempts,
        })
        .execute();
      if (options.removeDelivery && input.sequence !== null) {
        await trx
          .deleteFrom("event_deliveries")
          .where("consumer", "=", input.consumer)
          .where("event_sequence", "=", input.sequence)
          .execute();
      }
    });
}

/** Pending deliveries per consumer and the age of the oldest event among them. */
/**
 * The outbox not yet published and each consumer's pending deliveries, read in one statement (one snapshot): read
 * apart, a relay committing between the two reads could make a busy bus look drained (its events already
 * published, their deliveries not yet visible).
 */
export async function busLag(
  owner: Kysely<DB>,
): Promise<{ outboxLagSeconds: number; unpublished: number; consumers: ConsumerLag[] }> {
  const result = await sql<{
    consumer: string | null;
    pending: string;
    oldest: number | null;
    unpublished: string;
    outbox_oldest: number | null;
  }>`
    with outbox as (
      select count(*) as unpublished, extract(epoch from now() - min(time))::float8 as outbox_oldest
      from event_outbox where published_at is null
    ), consumers as (
      select c.name as consumer, count(d.event_sequence) as pending,
        extract(epoch from now() - min(e.time))::float8 as oldest
      from event_consumers c
      left join event_deliveries d on d.consumer = c.name
      left join event_outbox e on e.sequence = d.event_sequence
      group by c.name
    )
    select consumers.consumer, coalesce(consumers.pending, 0)::text as pending, consumers.oldest,
      outbox.unpublished::text as unpublished, outbox.outbox_oldest
    from outbox left join consumers on true
    order by consumers.consumer`.execute(owner);
  const first = result.rows[0];
  return {
    unpublished: Number(first?.unpublished ?? 0),
    outboxLagSeconds: Math.max(0, first?.outbox_oldest ?? 0),
    consumers: result.rows
      .filter((row): row is typeof row & { consumer: string } => row.consumer !== null)
      .map((row) => ({
        consumer: row.consumer,
        pending: Number(row.pending),
        oldestAgeSeconds: Math.max(0, row.oldest ?? 0),
      })),
  };
}
