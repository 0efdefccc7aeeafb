-- Identity: sign-in sessions with rotating refresh tokens, API keys, failed sign-in counters, pending OpenID
-- Connect sign-ins. Sessions, refresh tokens and API keys belong to a tenant and sit under row-level
-- security; refresh tokens and API keys carry their tenant id in the clear, so even their lookup runs inside
-- the tenant. Only finding a user by email happens before a tenant is known: `auth_login_lookup` answers that
-- one question for the application role.

-- A sign-in: one family of refresh tokens. Revoking it ends every token of the family and, because each
-- request with an access token checks its session, the access tokens too.
create table auth_sessions (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  user_id uuid not null references users (id) on delete cascade,
  method text not null check (method in ('password', 'oidc')),
  created_at timestamptz not null,
  -- Absolute end of the sign-in, whatever the refresh tokens say.
  expires_at timestamptz not null,
  revoked_at timestamptz,
  revoked_reason text,
  ip text,
  user_agent text
);
create index auth_sessions_user on auth_sessions (tenant_id, user_id) where revoked_at is null;
alter table auth_sessions enable row level security;
create policy tenant_isolation on auth_sessions
  using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant());
revoke delete, truncate on auth_sessions from prapti_app;

-- Refresh tokens are opaque; only the SHA-256 of each is stored. A token is used once: using it retires it
-- (`used_at`) and issues its successor (`replaced_by`); presenting a retired token again revokes the session.
create table auth_refresh_tokens (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  session_id uuid not null references auth_sessions (id) on delete cascade,
  token_hash text not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
  issued_at timestamptz not null,
  expires_at timestamptz not null,
  used_at timestamptz,
  replaced_by uuid
);
create index auth_refresh_tokens_session on auth_refresh_tokens (session_id);
alter table auth_refresh_tokens enable row level security;
create policy tenant_isolation on auth_refresh_tokens
  using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant());
revoke delete, truncate on auth_refresh_tokens from prapti_app;

-- Keys for integrations: the secret is shown once; the SHA-256 of the whole key is stored. The application
-- role may change only the name, the last-used time and the revocation, never the permissions or the hash.
create table api_keys (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  name text not null check (length(trim(name)) between 1 and 100),
  -- The start of the key, shown in listings so a person can tell keys apart.
  prefix text not null,
  secret_hash text not null unique check (secret_hash ~ '^[0-9a-f]{64}$'),
  permissions text[] not null,
  created_by uuid references users (id) on delete set null,
  created_at timestamptz not null,
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz
);
create index api_keys_tenant on api_keys (tenant_id, created_at);
alter table api_keys enable row level security;
create policy tenant_isolation on api_keys
  using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant());
revoke all on api_keys from prapti_app;
grant select, insert on api_keys to prapti_app;
grant update (name, last_used_at, revoked_at) on api_keys to prapti_app;

-- Failed sign-ins per email (keyed by the SHA-256 of the normalised address, known or not, so that the
-- back-off behaves the same for addresses that have no account).
create table auth_login_failures (
  subject text primary key check (subject ~ '^[0-9a-f]{64}$'),
  failures integer not null,
  last_failure_at timestamptz not null,
  locked_until timestamptz
);
grant select, insert, update, delete on auth_login_failures to prapti_app;

-- OpenID Connect sign-ins between the redirect to the provider and the return: single use, short-lived.
create table auth_oidc_requests (
  state text primary key,
  nonce text not null,
  code_verifier text not null,
  tenant_id uuid,
  return_to text,
  created_at timestamptz not null,
  expires_at timestamptz not null
);
grant select, insert, delete on auth_oidc_requests to prapti_app;

-- The one question asked before a tenant is known: who has this email, and where are they a member. Runs with
-- the rights of the migrating role (which owns the tables, so row-level security does not filter it).
create function auth_login_lookup(p_email text)
returns table (
  user_id uuid,
  email text,
  display_name text,
  password_hash text,
  is_platform_admin boolean,
  tenant_id uuid,
  tenant_name text,
  tenant_slug text,
  role text
)
language sql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
  select u.id, u.email, u.display_name, u.password_hash, u.is_platform_admin, m.tenant_id, t.name, t.slug, m.role
  from public.users u
  left join public.memberships m on m.user_id = u.id
  left join public.tenants t on t.id = m.tenant_id
  where lower(u.email) = lower(p_email)
  order by t.name, m.tenant_id
$$;
revoke all on function auth_login_lookup(text) from public;
grant execute on function auth_login_lookup(text) to prapti_app;
