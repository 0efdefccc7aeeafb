-- Per-tenant secrets workflows read as `$secrets.<name>` (only the names a definition declares in
-- `use.secrets`). The value is JSON, encrypted with the field cipher (`enc:v1:<kid>:...`, bound to tenant and
-- name), and never leaves the server through the API.
create table workflow_secrets (
  tenant_id uuid not null references tenants (id) on delete cascade,
  name text not null check (name ~ '^[A-Za-z_][A-Za-z0-9_-]{0,99}$'),
  value text not null check (value like 'enc:v1:%'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  updated_by text not null,
  primary key (tenant_id, name)
);

alter table workflow_secrets enable row level security;
create policy tenant_isolation on workflow_secrets
  using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant());
grant select, insert, update, delete on workflow_secrets to prapti_app;
