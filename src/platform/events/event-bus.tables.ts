import type { ColumnType, Generated, Kysely } from "kysely";
import type { DB } from "../db/schema.ts";

/** Tables of the `events` migrations (src/platform/events/migrations), for `db.withTables<EventBusTables>()`. */
// A type alias, not an interface: withTables needs an index-compatible shape.
export type EventBusTables = {
  event_outbox: { published_at: ColumnType<Date | null, never, Date | null> };
  event_consumers: {
    name: string;
    event_types: string[] | null;
    registered_at: ColumnType<Date, never, never>;
    updated_at: ColumnType<Date, never, Date>;
  };
  event_deliveries: {
    consumer: string;
    event_sequence: bigint;
    tenant_id: string;
    ordering_key: string;
    attempts: Generated<number>;
    next_attempt_at: ColumnType<Date, Date | undefined, Date>;
    last_error: string | null;
    created_at: ColumnType<Date, never, never>;
  };
  event_dead_letters: {
    id: Generated<bigint>;
    consumer: string;
    event_id: string;
    event_sequence: bigint | null;
    tenant_id: string;
    event_type: string;
    event: ColumnType<unknown, string, never>;
    error: string;
    attempts: number;
    failed_at: ColumnType<Date, never, never>;
    replayed_at: ColumnType<Date | null, never, Date | null>;
  };
  webhook_subscriptions: {
    id: Generated<string>;
    tenant_id: string;
    url: string;
    event_types: string[];
    secret: string;
    description: string | null;
    active: Generated<boolean>;
    created_at: ColumnType<Date, never, never>;
  };
  webhook_deliveries: {
    id: Generated<string>;
    tenant_id: string;
    subscription_id: string;
    event_id: string;
    event_type: string;
    payload: string;
    status: ColumnType<
      "pending" | "delivered" | "failed",
      "pending" | undefined,
      "pending" | "delivered" | "failed"
    >;
    attempts: Generated<number>;
    next_attempt_at: ColumnType<Date, Date | undefined, Date>;
    last_status_code: number | null;
    created_at: ColumnType<Date, never, never>;
    finished_at: Date | null;
  };
  webhook_delivery_attempts: {
    id: Generated<bigint>;
    delivery_id: string;
    tenant_id: string;
    attempt: number;
    attempted_at: ColumnType<Date, never, never>;
    status_code: number | null;
    response_excerpt: string | null;
    error: string | null;
    duration_ms: number;
  };
};

export type EventsDB = DB & EventBusTables;

export function eventsDb(db: Kysely<DB>): Kysely<EventsDB> {
  return db.withTables<EventBusTables>();
}
