-- A business's workflow settings: the time zone its cron schedules are read in (IANA name).
create table workflow_settings (
  tenant_id uuid primary key references tenants (id) on delete cascade,
  time_zone text not null default 'Asia/Kolkata',
  updated_at timestamptz not null default now()
);
alter table workflow_settings enable row level security;
create policy tenant_isolation on workflow_settings
  using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant());
grant select, insert, update, delete on workflow_settings to prapti_app;

-- An `on` schedule with `until` ends when that event strategy is satisfied; a new current version starts afresh.
alter table workflow_schedules add column ended_at timestamptz;
alter table workflow_schedules add column ended_by_event text;
