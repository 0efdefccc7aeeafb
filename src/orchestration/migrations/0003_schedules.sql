-- Definitions whose document has `schedule` start instances by themselves. One row per definition, for the
-- version that is current (the sweep keeps it in step with `workflow_definition_heads`); time-based schedules
-- are claimed when `next_run_at` comes, with `for update skip locked`, so one worker starts each slot.
create table workflow_schedules (
  tenant_id uuid not null references tenants (id) on delete cascade,
  namespace text not null,
  name text not null,
  version text not null,
  kind text not null check (kind in ('every', 'cron', 'after', 'on')),
  -- The document's `schedule`, as published; null when it cannot be scheduled (see `problem`).
  spec jsonb,
  problem text,
  next_run_at timestamptz,
  last_slot timestamptz,
  last_instance_id uuid,
  activated_at timestamptz not null default now(),
  primary key (tenant_id, namespace, name),
  foreign key (tenant_id, namespace, name, version) references workflow_definitions (tenant_id, namespace, name, version)
);
create index workflow_schedules_due on workflow_schedules (next_run_at) where next_run_at is not null;
create index workflow_schedules_after on workflow_schedules (last_instance_id) where kind = 'after' and next_run_at is null;

-- Events that matched an `on` schedule, recorded by the event dispatcher in the same transaction that marks the
-- event dispatched; each (schedule, event, filter) once. A row is started (or dropped) by the sweep.
create table workflow_schedule_triggers (
  tenant_id uuid not null references tenants (id) on delete cascade,
  namespace text not null,
  name text not null,
  version text not null,
  event_id text not null,
  filter_index integer not null default 0,
  event jsonb not null,
  recorded_at timestamptz not null default now(),
  started_at timestamptz,
  instance_id uuid,
  primary key (tenant_id, namespace, name, event_id, filter_index)
);
create index workflow_schedule_triggers_pending on workflow_schedule_triggers (recorded_at) where started_at is null;

do $$
declare
  t text;
begin
  foreach t in array array['workflow_schedules', 'workflow_schedule_triggers']
  loop
    execute format('alter table %I enable row level security', t);
    execute format('create policy tenant_isolation on %I using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant())', t);
    execute format('grant select, insert, update, delete on %I to prapti_app', t);
  end loop;
end
$$;
