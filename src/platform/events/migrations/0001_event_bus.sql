-- The event bus on top of the outbox: which events the relay has published, each consumer's pending
-- deliveries, dead letters, and outbound webhooks (subscriptions, deliveries, attempts).

-- Set by the outbox relay once an event is handed to the bus (PostgreSQL deliveries or JetStream).
alter table event_outbox add column published_at timestamptz;
create index event_outbox_unpublished on event_outbox (sequence) where published_at is null;

-- Wakes the relay when a transaction that appended events commits. PostgreSQL sends notifications at commit
-- and folds identical ones of one transaction into one, so a statement-level trigger costs one per commit.
create function event_outbox_appended_notify() returns trigger
language plpgsql as $$
begin
  perform pg_notify('prapti_events', '');
  return null;
end
$$;
create trigger event_outbox_appended after insert on event_outbox
  for each statement execute function event_outbox_appended_notify();

-- Named consumers of the bus and the event types each one takes (null: every type).
create table event_consumers (
  name text primary key check (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  event_types text[],
  registered_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- One row per event still to be handled by one consumer (PostgreSQL bus; replays on either bus). A row is
-- written when the relay publishes the event, in the same transaction, so an event committed late (out of
-- sequence order) is never skipped. `ordering_key` is tenant plus subject: the consumer takes only the
-- oldest row of each key, so one invoice's events are handled in order while different invoices go in
-- parallel. `next_attempt_at` doubles as the lease of a claimed row: a worker that dies mid-way leaves it
-- to be taken again when the lease ends.
create table event_deliveries (
  consumer text not null references event_consumers (name) on delete cascade,
  event_sequence bigint not null references event_outbox (sequence) on delete cascade,
  tenant_id uuid not null,
  ordering_key text not null,
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  created_at timestamptz not null default now(),
  primary key (consumer, event_sequence)
);
create index event_deliveries_by_key on event_deliveries (consumer, ordering_key, event_sequence);

-- Events a consumer failed to handle after its attempts; replayed by `replayDeadLetters`.
create table event_dead_letters (
  id bigserial primary key,
  consumer text not null,
  event_id text not null,
  event_sequence bigint,
  tenant_id uuid not null references tenants (id) on delete cascade,
  event_type text not null,
  event jsonb not null,
  error text not null,
  attempts integer not null,
  failed_at timestamptz not null default now(),
  replayed_at timestamptz
);
create index event_dead_letters_open on event_dead_letters (consumer, id) where replayed_at is null;
alter table event_dead_letters enable row level security;
create policy tenant_isolation on event_dead_letters
  using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant());

-- Bus bookkeeping is for the owner connection only; a tenant may read its own dead letters.
revoke all on event_consumers, event_deliveries, event_dead_letters from prapti_app;
grant select on event_dead_letters to prapti_app;

-- Outbound webhooks: a tenant subscribes a URL to event types ('*' for all); each delivery is signed with the
-- subscription's secret.
create table webhook_subscriptions (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  url text not null check (url ~ '^https?://'),
  event_types text[] not null check (cardinality(event_types) > 0),
  secret text not null,
  description text,
  active boolean not null default true,
  created_at timestamptz not null default now()
);
create index webhook_subscriptions_active on webhook_subscriptions (tenant_id) where active;

create table webhook_deliveries (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  subscription_id uuid not null references webhook_subscriptions (id) on delete cascade,
  event_id text not null,
  event_type text not null,
  -- The exact body sent on every attempt; the signature covers these bytes.
  payload text not null,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_status_code integer,
  created_at timestamptz not null default now(),
  finished_at timestamptz,
  unique (subscription_id, event_id)
);
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending';

create table webhook_delivery_attempts (
  id bigserial primary key,
  delivery_id uuid not null references webhook_deliveries (id) on delete cascade,
  tenant_id uuid not null references tenants (id) on delete cascade,
  attempt integer not null,
  attempted_at timestamptz not null default now(),
  status_code integer,
  response_excerpt text,
  error text,
  duration_ms integer not null
);
create index webhook_delivery_attempts_by_delivery on webhook_delivery_attempts (delivery_id, attempt);

alter table webhook_subscriptions enable row level security;
create policy tenant_isolation on webhook_subscriptions
  using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant());
alter table webhook_deliveries enable row level security;
create policy tenant_isolation on webhook_deliveries
  using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant());
alter table webhook_delivery_attempts enable row level security;
create policy tenant_isolation on webhook_delivery_attempts
  using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant());
grant select, insert, update, delete on webhook_subscriptions, webhook_deliveries to prapti_app;
grant select on webhook_delivery_attempts to prapti_app;
revoke insert, update, delete on webhook_delivery_attempts from prapti_app;
