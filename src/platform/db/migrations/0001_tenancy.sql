-- The application role: no superuser, no BYPASSRLS, so every row-level-security policy applies to it.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'prapti_app') then
    create role prapti_app nologin nosuperuser nobypassrls noinherit;
  end if;
exception
  -- Roles belong to the whole cluster: another database may be creating it at the same moment.
  when duplicate_object or unique_violation then null;
end
$$;

do $$
begin
  if not pg_has_role(current_user, 'prapti_app', 'member') then
    execute format('grant prapti_app to %I', current_user);
  end if;
end
$$;

grant usage on schema public to prapti_app;
alter default privileges in schema public grant select, insert, update, delete on tables to prapti_app;
alter default privileges in schema public grant usage, select on sequences to prapti_app;

-- The tenant of the current transaction, or null when none is set (then no tenant rows are visible).
create or replace function app_current_tenant() returns uuid
language sql stable as $$
  select nullif(current_setting('app.tenant_id', true), '')::uuid
$$;

create table tenants (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(trim(name)) > 0),
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  gstin text,
  created_at timestamptz not null default now()
);
alter table tenants enable row level security;
create policy tenant_self on tenants using (id = app_current_tenant()) with check (id = app_current_tenant());

create table users (
  id uuid primary key default gen_random_uuid(),
  email text not null,
  display_name text not null,
  password_hash text,
  is_platform_admin boolean not null default false,
  created_at timestamptz not null default now()
);
create unique index users_email_unique on users (lower(email));
-- Users are global (one person may work for several businesses); the application role sees only members of
-- the current tenant.
alter table users enable row level security;

create table memberships (
  tenant_id uuid not null references tenants (id) on delete cascade,
  user_id uuid not null references users (id) on delete cascade,
  role text not null check (role in ('owner', 'admin', 'collector', 'accountant', 'viewer', 'auditor')),
  created_at timestamptz not null default now(),
  primary key (tenant_id, user_id)
);
create index memberships_user on memberships (user_id);
alter table memberships enable row level security;
create policy tenant_isolation on memberships
  using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant());

create policy member_of_current_tenant on users
  using (exists (select 1 from memberships m where m.user_id = users.id and m.tenant_id = app_current_tenant()));

grant select, insert, update, delete on tenants, users, memberships to prapti_app;
