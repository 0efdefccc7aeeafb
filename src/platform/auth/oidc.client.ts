import { createHash, randomBytes } from "node:crypto";
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";
import type { Kysely } from "kysely";
import { z } from "zod";
import type { OidcConfig } from "../../config/config.ts";
import { AppError } from "../../kernel/app-error.ts";
import type { DB } from "../db/schema.ts";
import type { AuthTables } from "./auth.tables.ts";

/** What the provider vouches for once the ID token has been checked. */
export interface VerifiedOidcIdentity {
  issuer: string;
  subject: string;
  /** Verified by the provider (`email_verified: true`). */
  email: string;
  name: string | null;
  /** The tenant asked for when the sign-in started, if any. */
  tenantId: string | null;
  /** A path inside Prapti to return to, if one was given. */
  returnTo: string | null;
}

export interface OidcSignIn {
  /** Stores state, nonce and PKCE verifier and returns the provider URL to send the browser to. */
  start(input?: {
    tenantId?: string;
    returnTo?: string;
  }): Promise<{ authorizationUrl: string; state: string }>;
  /**
   * Handles the redirect back: `state` and `code` (or `error`) from the query, and `iss` when the provider
   * sends it (RFC 9207). Exchanges the code with the PKCE verifier and verifies the ID token.
   */
  complete(input: {
    state: string;
    code?: string;
    error?: string;
    iss?: string;
  }): Promise<VerifiedOidcIdentity>;
}

const ZDiscovery = z.object({
  issuer: z.string(),
  authorization_endpoint: z.string(),
  token_endpoint: z.string(),
  jwks_uri: z.string(),
  id_token_signing_alg_values_supported: z.array(z.string()).optional(),
  code_challenge_methods_supported: z.array(z.string()).optional(),
  token_endpoint_auth_methods_supported: z.array(z.string()).optional(),
});
type Discovery = z.infer<typeof ZDiscovery>;

const ZTokenResponse = z.object({ id_token: z.string().min(1), token_type: z.string().optional() });

/** Asymmetric algorithms only: a shared-secret (HS*) or unsigned ID token is never accepted. */
const ACCEPTED_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
];
const HTTP_TIMEOUT_MS = 10_000;
const CLOCK_TOLERANCE_SECONDS = 60;

function failure(message: string, details: Record<string, unknown> = {}, cause?: unknown): AppError {
  return new AppError({ code: "UNAUTHENTICATED", message, details: { reason: "oidc", ...details }, cause });
}

function unavailable(message: string, cause?: unknown): AppError {
  return new AppError({ code: "UNAVAILABLE", message, retryable: true, cause });
}

/** https, or http on the loopback interface (a provider on the same machine, or a test). */
function acceptableEndpoint(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (
    url.protocol === "https:" ||
    (url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname))
  );
}

function base64url(bytes: Buffer): string {
  return bytes.toString("base64url");
}

/** A path inside Prapti (`/invoices?x=1`); anything that could leave the site is dropped. */
function safeReturnPath(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!value.startsWith("/") || value.startsWith("//") || value.includes("\\")) return null;
  return value;
}

/** OpenID Connect sign-in: authorization code flow with PKCE (S256), state and nonce, against discovery. */
export function createOidcSignIn(deps: {
  db: Kysely<DB>;
  config: OidcConfig;
  clock?: () => Date;
  /** How long a started sign-in may take. Default 10 minutes. */
  requestTtlSeconds?: number;
}): OidcSignIn {
  const clock = deps.clock ?? (() => new Date());
  const db = deps.db.withTables<AuthTables>();
  const { config } = deps;
  const ttlMs = (deps.requestTtlSeconds ?? 600) * 1000;
  let discovery: Promise<{ document: Discovery; keys: ReturnType<typeof createRemoteJWKSet> }> | undefined;

  async function discover() {
    discovery ??= (async () => {
      const url = `${config.issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
      let body: unknown;
      try {
        const response = await fetch(url, {
          headers: { accept: "application/json" },
          signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        body = await response.json();
      } catch (error) {
        throw unavailable(`could not read the OpenID configuration at ${url}`, error);
      }
      const parsed = ZDiscovery.safeParse(body);
      if (!parsed.success) throw unavailable(`the OpenID configuration at ${url} is incomplete`);
      const document = parsed.data;
      if (document.issuer !== config.issuer) {
        throw unavailable(`the provider calls itself ${document.issuer}, not ${config.issuer}`);
      }
      const endpoints = [document.authorization_endpoint, document.token_endpoint, document.jwks_uri];
      if (!endpoints.every(acceptableEndpoint)) throw unavailable("the provider's endpoints must use https");
      if (
        document.code_challenge_methods_supported &&
        !document.code_challenge_methods_supported.includes("S256")
      ) {
        throw unavailable("the provider does not support PKCE with S256");
      }
      return { document, keys: createRemoteJWKSet(new URL(document.jwks_uri)) };
    })();
    try {
      return await discovery;
    } catch (error) {
      discovery = undefined;
      throw error;
    }
  }

  async function exchange(document: Discovery, code: string, verifier: string): Promise<string> {
    const form = new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: config.redirectUri,
      code_verifier: verifier,
    });
    const headers: Record<string, string> = {
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    };
    const methods = document.token_endpoint_auth_methods_supported ?? ["client_secret_basic"];
    if (
      config.clientSecret &&
      (methods.includes("client_secret_basic") || !methods.includes("client_secret_post"))
    ) {
      const credentials = `${encodeURIComponent(config.clientId)}:${encodeURIComponent(config.clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(credentials).toString("base64")}`;
    } else {
      form.set("client_id", config.clientId);
      if (config.clientSecret) form.set("client_secret", config.clientSecret);
    }
    let response: Response;
    try {
      response = await fetch(document.token_endpoint, {
        method: "POST",
        headers,
        body: form.toString(),
        signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
      });
    } catch (error) {
      throw unavailable("could not reach the identity provider's token endpoint", error);
    }
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok) {
      const providerError = typeof body.error === "string" ? body.error : `HTTP ${response.status}`;
      throw failure(`the identity provider refused the code: ${providerError}`, { providerError });
    }
    const parsed = ZTokenResponse.safeParse(body);
    if (!parsed.success) throw failure("the identity provider returned no ID token");
    return parsed.data.id_token;
  }

  async function verifyIdToken(
    idToken: string,
    document: Discovery,
    keys: ReturnType<typeof createRemoteJWKSet>,
    nonce: string,
  ): Promise<JWTPayload> {
    const offered = document.id_token_signing_alg_values_supported ?? ["RS256"];
    const algorithms = offered.filter((algorithm) => ACCEPTED_ALGORITHMS.includes(algorithm));
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, keys, {
        issuer: config.issuer,
        audience: config.clientId,
        algorithms,
        currentDate: clock(),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ["sub", "iat", "exp"],
      }));
    } catch (error) {
      throw failure(`the ID token did not verify: ${(error as Error).message}`, {}, error);
    }
    if (payload.nonce !== nonce) throw failure("the ID token's nonce does not match this sign-in");
    if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== config.clientId) {
      throw failure("the ID token was issued to another party (azp)");
    }
    return payload;
  }

  return {
    async start(input = {}) {
      const { document } = await discover();
      const now = clock();
      const state = base64url(randomBytes(32));
      const nonce = base64url(randomBytes(32));
      const verifier = base64url(randomBytes(32));
      const challenge = base64url(createHash("sha256").update(verifier).digest());
      await db.deleteFrom("auth_oidc_requests").where("expires_at", "<", now).execute();
      await db
        .insertInto("auth_oidc_requests")
        .values({
          state,
          nonce,
          code_verifier: verifier,
          tenant_id: input.tenantId ?? null,
          return_to: safeReturnPath(input.returnTo),
          created_at: now,
          expires_at: new Date(now.getTime() + ttlMs),
        })
        .execute();
      const url = new URL(document.authorization_endpoint);
      url.searchParams.set("response_type", "code");
      url.searchParams.set("client_id", config.clientId);
      url.searchParams.set("redirect_uri", config.redirectUri);
      url.searchParams.set("scope", config.scopes.join(" "));
      url.searchParams.set("state", state);
      url.searchParams.set("nonce", nonce);
      url.searchParams.set("code_challenge", challenge);
      url.searchParams.set("code_challenge_method", "S256");
      return { authorizationUrl: url.toString(), state };
    },

    async complete(input) {
      // Single use: the row is gone whatever happens next.
      const request = await db
        .deleteFrom("auth_oidc_requests")
        .where("state", "=", input.state)
        .returningAll()
        .executeTakeFirst();
      if (!request || request.expires_at <= clock())
        throw failure("this sign-in is unknown or has expired; start again");
      if (input.iss !== undefined && input.iss !== config.issuer) {
        throw failure("the response came from another identity provider (iss)");
      }
      if (input.error !== undefined) {
        throw failure(`the identity provider refused the sign-in: ${input.error}`, {
          providerError: input.error,
        });
      }
      if (!input.code) throw failure("the identity provider sent no code");
      const { document, keys } = await discover();
      const idToken = await exchange(document, input.code, request.code_verifier);
      const claims = await verifyIdToken(idToken, document, keys, request.nonce);
      const email = typeof claims.email === "string" ? claims.email.trim() : "";
      const verified = claims.email_verified === true || claims.email_verified === "true";
      if (email === "" || !verified)
        throw failure("the identity provider did not vouch for an email address");
      return {
        issuer: config.issuer,
        subject: claims.sub ?? "",
        email,
        name: typeof claims.name === "string" ? claims.name : null,
        tenantId: request.tenant_id,
        returnTo: request.return_to,
      };
    },
  };
}
