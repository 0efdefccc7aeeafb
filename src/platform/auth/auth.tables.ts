import type { ColumnType } from "kysely";

type Immutable<T> = ColumnType<T, T, never>;

export interface AuthSessionsTable {
  id: Immutable<string>;
  tenant_id: Immutable<string>;
  user_id: Immutable<string>;
  method: Immutable<"password" | "oidc">;
  created_at: Immutable<Date>;
  expires_at: Immutable<Date>;
  revoked_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  revoked_reason: ColumnType<string | null, string | null | undefined, string | null>;
  ip: ColumnType<string | null, string | null | undefined, never>;
  user_agent: ColumnType<string | null, string | null | undefined, never>;
}

export interface AuthRefreshTokensTable {
  id: Immutable<string>;
  tenant_id: Immutable<string>;
  session_id: Immutable<string>;
  token_hash: Immutable<string>;
  issued_at: Immutable<Date>;
  expires_at: Immutable<Date>;
  used_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  replaced_by: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface ApiKeysTable {
  id: Immutable<string>;
  tenant_id: Immutable<string>;
  name: ColumnType<string, string, string>;
  prefix: Immutable<string>;
  secret_hash: Immutable<string>;
  permissions: Immutable<string[]>;
  created_by: Immutable<string | null>;
  created_at: Immutable<Date>;
  expires_at: Immutable<Date | null>;
  last_used_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  revoked_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface AuthLoginFailuresTable {
  subject: string;
  failures: number;
  last_failure_at: Date;
  locked_until: Date | null;
}

export interface AuthOidcRequestsTable {
  state: string;
  nonce: string;
  code_verifier: string;
  tenant_id: string | null;
  return_to: string | null;
  created_at: Date;
  expires_at: Date;
}

/** Reached through `db.withTables<AuthTables>()`. */
export type AuthTables = {
  auth_sessions: AuthSessionsTable;
  auth_refresh_tokens: AuthRefreshTokensTable;
  api_keys: ApiKeysTable;
  auth_login_failures: AuthLoginFailuresTable;
  auth_oidc_requests: AuthOidcRequestsTable;
};
