-- The audit log: one append-only hash chain per tenant. Each entry stores the hash of the tenant's previous
-- entry and its own hash over a canonical serialisation (computed by the application, checked by
-- `verifyAuditChain`). The application role may only read and append; updates, deletes and truncation are
-- refused by a trigger for every role, so a change needs a deliberate `alter table ... disable trigger`.
create table audit_log (
  id uuid primary key,
  tenant_id uuid not null references tenants (id),
  -- Position in the tenant's chain: 1, 2, 3, ... without gaps.
  seq bigint not null check (seq > 0),
  at timestamptz not null,
  actor_type text not null check (actor_type in ('user', 'api-key', 'workflow', 'system')),
  actor_id text,
  action text not null check (action ~ '^[a-z0-9_-]+(\.[a-z0-9_-]+)+$'),
  entity_type text,
  entity_id text,
  before jsonb,
  after jsonb,
  metadata jsonb,
  request_id text,
  prev_hash text not null check (prev_hash ~ '^[0-9a-f]{64}$'),
  hash text not null check (hash ~ '^[0-9a-f]{64}$'),
  unique (tenant_id, seq)
);
create index audit_log_entity on audit_log (tenant_id, entity_type, entity_id, seq);
create index audit_log_actor on audit_log (tenant_id, actor_type, actor_id, seq);
create index audit_log_at on audit_log (tenant_id, at);

alter table audit_log enable row level security;
create policy tenant_isolation on audit_log
  using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant());

-- Default privileges gave the application role update and delete as well: take them back.
revoke all on audit_log from prapti_app;
grant select, insert on audit_log to prapti_app;

create function audit_log_refuse_change() returns trigger
language plpgsql as $$
begin
  raise exception 'audit_log is append-only: % refused', tg_op
    using errcode = 'insufficient_privilege', hint = 'audit entries are never changed or removed';
end
$$;

create trigger audit_log_no_update_or_delete
  before update or delete on audit_log
  for each row execute function audit_log_refuse_change();
create trigger audit_log_no_truncate
  before truncate on audit_log
  for each statement execute function audit_log_refuse_change();
