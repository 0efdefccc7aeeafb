-- Responses to POST requests that carried an Idempotency-Key, so a retried request gets the same answer
-- instead of doing the work twice.
create table idempotency_keys (
  tenant_id uuid not null references tenants (id) on delete cascade,
  principal text not null,
  key text not null check (length(key) between 1 and 200),
  method text not null,
  path text not null,
  request_hash text not null,
  status_code integer,
  response_body text,
  response_headers jsonb,
  created_at timestamptz not null default now(),
  completed_at timestamptz,
  primary key (tenant_id, principal, key)
);
create index idempotency_keys_age on idempotency_keys (created_at);
alter table idempotency_keys enable row level security;
create policy tenant_isolation on idempotency_keys
  using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant());
grant select, insert, update, delete on idempotency_keys to prapti_app;
