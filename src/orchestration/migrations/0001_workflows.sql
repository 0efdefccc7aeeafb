-- The orchestration hub's tables: definitions (versioned), instances, their journal of effect results, task
-- history, parked instances, and event correlations for `listen`.

create table workflow_definitions (
  tenant_id uuid not null references tenants (id) on delete cascade,
  namespace text not null,
  name text not null,
  version text not null,
  document jsonb not null,
  source text not null,
  checksum text not null,
  deprecated_at timestamptz,
  published_at timestamptz not null default now(),
  published_by text not null,
  primary key (tenant_id, namespace, name, version)
);

-- Which version new instances of a definition use (publish moves it forward; rollback moves it back).
create table workflow_definition_heads (
  tenant_id uuid not null,
  namespace text not null,
  name text not null,
  current_version text not null,
  updated_at timestamptz not null default now(),
  revision integer not null default 1,
  primary key (tenant_id, namespace, name),
  foreign key (tenant_id, namespace, name, current_version)
    references workflow_definitions (tenant_id, namespace, name, version)
);

create table workflow_instances (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  namespace text not null,
  name text not null,
  version text not null,
  business_key text,
  status text not null check (status in ('pending', 'running', 'waiting', 'suspended', 'cancelled', 'faulted', 'completed')),
  input jsonb not null,
  output jsonb,
  error jsonb,
  -- Which execution is current: each park/wake or retry continues the instance in a new engine execution.
  execution integer not null default 1,
  parent_instance_id uuid,
  suspend_requested boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  ended_at timestamptz,
  foreign key (tenant_id, namespace, name, version) references workflow_definitions (tenant_id, namespace, name, version)
);
create unique index workflow_instances_business_key on workflow_instances (tenant_id, namespace, name, business_key)
  where business_key is not null;
create index workflow_instances_listing on workflow_instances (tenant_id, status, updated_at desc);
create index workflow_instances_definition on workflow_instances (tenant_id, namespace, name, version);

-- Results of effects (calls, emits, timers, events received), keyed by the deterministic effect key. Replaying
-- the interpreter against this journal continues an instance without repeating any effect.
create table workflow_journal (
  instance_id uuid not null references workflow_instances (id) on delete cascade,
  tenant_id uuid not null,
  effect_key text not null,
  result jsonb,
  recorded_at timestamptz not null default now(),
  primary key (instance_id, effect_key)
);

create table workflow_task_history (
  instance_id uuid not null references workflow_instances (id) on delete cascade,
  tenant_id uuid not null,
  sequence integer not null,
  task_path text not null,
  task_name text not null,
  status text not null check (status in ('started', 'completed', 'faulted', 'skipped', 'cancelled')),
  at timestamptz not null default now(),
  output jsonb,
  error jsonb,
  execution integer not null,
  primary key (instance_id, execution, sequence)
);
create index workflow_task_history_by_time on workflow_task_history (tenant_id, at desc);

-- Instances waiting longer than the park threshold: no memory in any worker, woken by a due-time sweep or by a
-- matching event.
create table workflow_parked (
  instance_id uuid primary key references workflow_instances (id) on delete cascade,
  tenant_id uuid not null,
  wake_at timestamptz,
  reason text not null check (reason in ('timer', 'event', 'suspended')),
  parked_at timestamptz not null default now()
);
create index workflow_parked_due on workflow_parked (wake_at) where wake_at is not null;

-- A `listen` registers what it waits for before it waits, so no event can slip past.
create table workflow_correlations (
  id text primary key,
  instance_id uuid not null references workflow_instances (id) on delete cascade,
  tenant_id uuid not null,
  event_types text[] not null,
  filters jsonb not null,
  mode text not null check (mode in ('one', 'any', 'all')),
  registered_at timestamptz not null default now(),
  closed_at timestamptz
);
create index workflow_correlations_open on workflow_correlations (tenant_id) where closed_at is null;

-- Each matching event delivered to each waiting correlation exactly once.
create table workflow_deliveries (
  correlation_id text not null references workflow_correlations (id) on delete cascade,
  event_id text not null,
  tenant_id uuid not null,
  event jsonb not null,
  delivered_at timestamptz not null default now(),
  primary key (correlation_id, event_id)
);

do $$
declare
  t text;
begin
  foreach t in array array['workflow_definitions', 'workflow_definition_heads', 'workflow_instances', 'workflow_journal',
    'workflow_task_history', 'workflow_parked', 'workflow_correlations', 'workflow_deliveries']
  loop
    execute format('alter table %I enable row level security', t);
    execute format('create policy tenant_isolation on %I using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant())', t);
    execute format('grant select, insert, update, delete on %I to prapti_app', t);
  end loop;
end
$$;
