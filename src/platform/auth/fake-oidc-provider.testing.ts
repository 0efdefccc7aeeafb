import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";

/** The person the fake provider signs in, and ways for a test to make it misbehave. */
export interface FakeOidcBehaviour {
  account: { sub: string; email: string; emailVerified: boolean | "true" | "absent"; name?: string };
  /** Sign with a key that is not in the JWKS. */
  rogueKey?: boolean;
  /** Put another nonce / audience / issuer into the ID token. */
  nonce?: string;
  audience?: string;
  issuer?: string;
  /** Issue an ID token that expired an hour ago. */
  expired?: boolean;
}

export interface FakeOidcProvider {
  issuer: string;
  behaviour: FakeOidcBehaviour;
  /** Token requests received, for assertions on client authentication and PKCE. */
  tokenRequests: { authorization: string | undefined; form: Record<string, string> }[];
  close(): Promise<void>;
}

interface IssuedCode {
  clientId: string;
  redirectUri: string;
  nonce: string;
  challenge: string;
  used: boolean;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/**
 * An OpenID provider on 127.0.0.1 for tests: discovery, JWKS, an authorization endpoint that approves at
 * once (302 back with code, state and iss), and a token endpoint that checks client authentication, the
 * redirect URI and the PKCE verifier before signing an RS256 ID token.
 */
export async function startFakeOidcProvider(options: {
  clientId: string;
  clientSecret: string;
  behaviour: FakeOidcBehaviour;
}): Promise<FakeOidcProvider> {
  const signing = await generateKeyPair("RS256");
  const rogue = await generateKeyPair("RS256");
  const publicJwk = { ...(await exportJWK(signing.publicKey)), kid: "fake-1", alg: "RS256", use: "sig" };
  const codes = new Map<string, IssuedCode>();
  let issuer = "";
  const provider: FakeOidcProvider = {
    issuer: "",
    behaviour: options.behaviour,
    tokenRequests: [],
    close: () => new Promise((done) => server.close(() => done())),
  };

  async function idToken(code: IssuedCode): Promise<string> {
    const { behaviour } = provider;
    const now = Math.floor(Date.now() / 1000) - (behaviour.expired ? 7200 : 0);
    const claims: Record<string, unknown> = {
      nonce: behaviour.nonce ?? code.nonce,
      email: behaviour.account.email,
    };
    if (behaviour.account.emailVerified !== "absent") claims.email_verified = behaviour.account.emailVerified;
    if (behaviour.account.name) claims.name = behaviour.account.name;
    const key: CryptoKey = behaviour.rogueKey ? rogue.privateKey : signing.privateKey;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: "fake-1" })
      .setIssuer(behaviour.issuer ?? issuer)
      .setSubject(behaviour.account.sub)
      .setAudience(behaviour.audience ?? code.clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(key);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", issuer);
    if (url.pathname === "/.well-known/openid-configuration") {
      return json(response, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
        code_challenge_methods_supported: ["S256"],
        token_endpoint_auth_methods_supported: ["client_secret_basic"],
      });
    }
    if (url.pathname === "/jwks") return json(response, 200, { keys: [publicJwk] });
    if (url.pathname === "/authorize") {
      const query = url.searchParams;
      if (
        query.get("response_type") !== "code" ||
        query.get("client_id") !== options.clientId ||
        query.get("code_challenge_method") !== "S256" ||
        !query.get("code_challenge") ||
        !query.get("redirect_uri") ||
        !(query.get("scope") ?? "").split(" ").includes("openid")
      ) {
        return json(response, 400, { error: "invalid_request" });
      }
      const code = randomBytes(16).toString("hex");
      codes.set(code, {
        clientId: options.clientId,
        redirectUri: query.get("redirect_uri") ?? "",
        nonce: query.get("nonce") ?? "",
        challenge: query.get("code_challenge") ?? "",
        used: false,
      });
      const back = new URL(query.get("redirect_uri") ?? "");
      back.searchParams.set("code", code);
      back.searchParams.set("state", query.get("state") ?? "");
      back.searchParams.set("iss", issuer);
      response.writeHead(302, { location: back.toString() }).end();
      return;
    }
    if (url.pathname === "/token" && request.method === "POST") {
      const form = Object.fromEntries(new URLSearchParams(await readBody(request)));
      provider.tokenRequests.push({ authorization: request.headers.authorization, form });
      const expected = `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`).toString("base64")}`;
      if (request.headers.authorization !== expected) return json(response, 401, { error: "invalid_client" });
      const code = codes.get(form.code ?? "");
      if (
        !code ||
        code.used ||
        form.grant_type !== "authorization_code" ||
        form.redirect_uri !== code.redirectUri
      ) {
        return json(response, 400, { error: "invalid_grant" });
      }
      const challenge = createHash("sha256")
        .update(form.code_verifier ?? "")
        .digest("base64url");
      if (challenge !== code.challenge)
        return json(response, 400, { error: "invalid_grant", error_description: "PKCE" });
      code.used = true;
      return json(response, 200, {
        access_token: randomBytes(16).toString("hex"),
        token_type: "Bearer",
        expires_in: 300,
        id_token: await idToken(code),
      });
    }
    json(response, 404, { error: "not_found" });
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => json(response, 500, { error: String(error) }));
  });
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  provider.issuer = issuer;
  return provider;
}
