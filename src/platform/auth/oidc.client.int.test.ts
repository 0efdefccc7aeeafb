import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import type { OidcConfig } from "../../config/config.ts";
import { AppError, isAppError } from "../../kernel/app-error.ts";
import { createMember, createTenant, testSecurity } from "./auth.fixtures.testing.ts";
import type { AuthTables } from "./auth.tables.ts";
import {
  startFakeOidcProvider,
  type FakeOidcBehaviour,
  type FakeOidcProvider,
} from "./fake-oidc-provider.testing.ts";
import { createOidcSignIn, type OidcSignIn } from "./oidc.client.ts";
import type { SecurityServices } from "./security.services.ts";

const CLIENT_ID = "prapti-web";
const CLIENT_SECRET = "client-secret-for-tests";
const REDIRECT_URI = "http://127.0.0.1:3000/auth/oidc/callback";
const DEFAULT_BEHAVIOUR: FakeOidcBehaviour = {
  account: { sub: "idp-user-42", email: "meera@asha.example", emailVerified: true, name: "Meera" },
};

let database: TestDatabase;
let provider: FakeOidcProvider;
let security: SecurityServices;
let oidc: OidcSignIn;
let tenant: string;

async function failureOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (isAppError(error)) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

/** Plays the browser: follows the authorization URL to the provider and reads the redirect back. */
async function authorize(input: { tenantId?: string; returnTo?: string } = {}) {
  const { authorizationUrl, state } = await oidc.start(input);
  const response = await fetch(authorizationUrl, { redirect: "manual" });
  expect(response.status).toBe(302);
  const back = new URL(response.headers.get("location") ?? "");
  expect(`${back.origin}${back.pathname}`).toBe(REDIRECT_URI);
  expect(back.searchParams.get("state")).toBe(state);
  return {
    state,
    code: back.searchParams.get("code") ?? "",
    iss: back.searchParams.get("iss") ?? "",
    authorizationUrl: new URL(authorizationUrl),
  };
}

beforeAll(async () => {
  database = await createTestDatabase();
  provider = await startFakeOidcProvider({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    behaviour: { ...DEFAULT_BEHAVIOUR },
  });
  const config: OidcConfig = {
    issuer: provider.issuer,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUri: REDIRECT_URI,
    scopes: ["openid", "email", "profile"],
  };
  security = testSecurity(database);
  oidc = createOidcSignIn({ db: database.app, config });
  tenant = await createTenant(database.owner, "oidc-tenant");
  await createMember(security, {
    email: "Meera@Asha.example",
    memberships: [{ tenantId: tenant, role: "collector" }],
  });
});

afterEach(() => {
  provider.behaviour = { ...DEFAULT_BEHAVIOUR };
});

afterAll(async () => {
  await provider?.close();
  await database?.drop();
});

describe("OpenID Connect sign-in", () => {
  it("runs the code flow with PKCE and signs the verified email's account in", async () => {
    const { state, code, iss, authorizationUrl } = await authorize({ returnTo: "/invoices?status=overdue" });
    expect(Object.fromEntries(authorizationUrl.searchParams)).toMatchObject({
      response_type: "code",
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      scope: "openid email profile",
      code_challenge_method: "S256",
    });
    expect(authorizationUrl.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const identity = await oidc.complete({ state, code, iss });
    expect(identity).toEqual({
      issuer: provider.issuer,
      subject: "idp-user-42",
      email: "meera@asha.example",
      name: "Meera",
      tenantId: null,
      returnTo: "/invoices?status=overdue",
    });
    const request = provider.tokenRequests.at(-1);
    expect(request?.authorization).toMatch(/^Basic /);
    expect(request?.form.code_verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const session = await security.auth.signInWithVerifiedEmail({ email: identity.email, method: "oidc" });
    expect(session).toMatchObject({ tenantId: tenant, role: "collector" });
    const principal = await security.auth.authenticateAccessToken(session.accessToken);
    expect(principal.role).toBe("collector");
    const { entries } = await security.audit.list({ tenantId: tenant, filter: { action: "auth.login" } });
    expect(entries[0]?.metadata).toMatchObject({ method: "oidc" });
  });

  it("uses each state once", async () => {
    const { state, code, iss } = await authorize();
    await oidc.complete({ state, code, iss });
    expect((await failureOf(oidc.complete({ state, code, iss }))).message).toMatch(/unknown or has expired/);
    expect((await failureOf(oidc.complete({ state: "made-up", code, iss }))).code).toBe("UNAUTHENTICATED");
  });

  it("fails when the verifier does not match the challenge (PKCE is checked end to end)", async () => {
    const { state, code, iss } = await authorize();
    await database.owner
      .withTables<AuthTables>()
      .updateTable("auth_oidc_requests")
      .set({ code_verifier: "x".repeat(43) })
      .where("state", "=", state)
      .execute();
    const error = await failureOf(oidc.complete({ state, code, iss }));
    expect(error.message).toMatch(/refused the code: invalid_grant/);
  });

  it.each<[string, Partial<FakeOidcBehaviour>, RegExp]>([
    ["another nonce", { nonce: "replayed-nonce" }, /nonce/],
    ["another audience", { audience: "someone-else" }, /did not verify/],
    ["another issuer", { issuer: "https://evil.example" }, /did not verify/],
    ["a key outside the JWKS", { rogueKey: true }, /did not verify/],
    ["an expired ID token", { expired: true }, /did not verify/],
    [
      "an unverified email",
      { account: { ...DEFAULT_BEHAVIOUR.account, emailVerified: false } },
      /did not vouch/,
    ],
    [
      "no email_verified claim",
      { account: { ...DEFAULT_BEHAVIOUR.account, emailVerified: "absent" } },
      /did not vouch/,
    ],
  ])("refuses an ID token with %s", async (_name, behaviour, message) => {
    provider.behaviour = { ...DEFAULT_BEHAVIOUR, ...behaviour };
    const { state, code, iss } = await authorize();
    const error = await failureOf(oidc.complete({ state, code, iss }));
    expect(error.code).toBe("UNAUTHENTICATED");
    expect(error.message).toMatch(message);
  });

  it("refuses a response naming another issuer, or an error from the provider", async () => {
    const first = await authorize();
    expect((await failureOf(oidc.complete({ ...first, iss: "https://evil.example" }))).message).toMatch(
      /another identity provider/,
    );
    const second = await authorize();
    expect((await failureOf(oidc.complete({ state: second.state, error: "access_denied" }))).message).toMatch(
      /access_denied/,
    );
  });

  it("keeps the tenant asked for and drops a return address that leaves the site", async () => {
    const { state, code, iss } = await authorize({ tenantId: tenant, returnTo: "//evil.example/phish" });
    const identity = await oidc.complete({ state, code, iss });
    expect(identity).toMatchObject({ tenantId: tenant, returnTo: null });
  });

  it("does not sign in an email without an account", async () => {
    provider.behaviour = {
      account: { sub: "idp-9", email: "stranger@elsewhere.example", emailVerified: true },
    };
    const { state, code, iss } = await authorize();
    const identity = await oidc.complete({ state, code, iss });
    const error = await failureOf(
      security.auth.signInWithVerifiedEmail({ email: identity.email, method: "oidc" }),
    );
    expect(error.details.reason).toBe("no-account");
  });

  it("refuses a provider whose discovery document names another issuer", async () => {
    const confused = createOidcSignIn({
      db: database.app,
      config: {
        issuer: `${provider.issuer}/`,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        redirectUri: REDIRECT_URI,
        scopes: ["openid"],
      },
    });
    expect((await failureOf(confused.start())).code).toBe("UNAVAILABLE");
  });
});
