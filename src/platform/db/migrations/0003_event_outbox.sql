-- Domain events, written in the same transaction as the change that caused them (transactional outbox), as
-- CloudEvents 1.0. `sequence` orders them; consumers keep their own progress.
create table event_outbox (
  sequence bigserial primary key,
  id text not null unique,
  tenant_id uuid not null references tenants (id) on delete cascade,
  type text not null,
  source text not null,
  subject text,
  time timestamptz not null default now(),
  data jsonb not null,
  -- Set once the orchestration hub has matched the event against waiting workflow instances.
  correlated_at timestamptz
);
create index event_outbox_uncorrelated on event_outbox (sequence) where correlated_at is null;
create index event_outbox_by_type on event_outbox (tenant_id, type, time desc);

alter table event_outbox enable row level security;
create policy tenant_isolation on event_outbox
  using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant());
grant select, insert on event_outbox to prapti_app;
grant usage, select on sequence event_outbox_sequence_seq to prapti_app;
