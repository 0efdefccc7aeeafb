-- The check every request with an access token makes (is the session live, which role does the user hold in the
-- tenant) in one round trip: the function binds the tenant and reads under row-level security as the caller,
-- like any other query of the application.
create function auth_live_session(p_tenant uuid, p_session uuid, p_user uuid)
returns table (revoked_at timestamptz, expires_at timestamptz, role text, is_platform_admin boolean)
language plpgsql
as $$
begin
  perform set_config('app.tenant_id', p_tenant::text, true);
  return query
    select s.revoked_at, s.expires_at, m.role, u.is_platform_admin
    from auth_sessions s
    join memberships m on m.tenant_id = s.tenant_id and m.user_id = s.user_id
    join users u on u.id = s.user_id
    where s.id = p_session and s.user_id = p_user;
end
$$;
