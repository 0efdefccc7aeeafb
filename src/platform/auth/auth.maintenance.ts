import { sql, type Kysely } from "kysely";
import type { DB } from "../db/schema.ts";

export interface PrunedAuthRecords {
  refreshTokens: number;
  sessions: number;
  loginFailures: number;
  oidcRequests: number;
}

/**
 * Removes what authentication no longer needs, across tenants (run with the owner connection, for example
 * daily): refresh tokens and sessions that ended more than `retainDays` ago, failure counters that are
 * neither recent nor locking, and abandoned OpenID Connect sign-ins. Audit entries about them stay.
 */
export async function pruneAuthRecords(
  owner: Kysely<DB>,
  options: { now?: Date; retainDays?: number; forgetFailuresAfterSeconds?: number } = {},
): Promise<PrunedAuthRecords> {
  const now = options.now ?? new Date();
  const cutoff = new Date(now.getTime() - (options.retainDays ?? 30) * 86_400_000);
  const failureCutoff = new Date(now.getTime() - (options.forgetFailuresAfterSeconds ?? 3600) * 1000);
  return owner.transaction().execute(async (trx) => {
    const ended = sql`(s.revoked_at is not null and s.revoked_at < ${cutoff}) or s.expires_at < ${cutoff}`;
    const refreshTokens = await sql`
      delete from auth_refresh_tokens t
      using auth_sessions s
      where t.session_id = s.id and (t.expires_at < ${cutoff} or ${ended})`.execute(trx);
    const sessions = await sql`delete from auth_sessions s where ${ended}`.execute(trx);
    const loginFailures = await sql`
      delete from auth_login_failures
      where last_failure_at < ${failureCutoff} and (locked_until is null or locked_until < ${now})`.execute(
      trx,
    );
    const oidcRequests = await sql`delete from auth_oidc_requests where expires_at < ${now}`.execute(trx);
    return {
      refreshTokens: Number(refreshTokens.numAffectedRows ?? 0n),
      sessions: Number(sessions.numAffectedRows ?? 0n),
      loginFailures: Number(loginFailures.numAffectedRows ?? 0n),
      oidcRequests: Number(oidcRequests.numAffectedRows ?? 0n),
    };
  });
}
