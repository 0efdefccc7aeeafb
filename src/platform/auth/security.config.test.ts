import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError, describeConfig, loadConfig } from "../../config/config.ts";

function failureOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a configuration error");
}

const key = () => randomBytes(32).toString("base64");

describe("security settings", () => {
  it("defaults to generated secrets, 15-minute access and 30-day refresh tokens, no OpenID Connect", () => {
    const { security } = loadConfig({});
    expect(security).toEqual({
      jwtSecret: undefined,
      accessTokenTtlSeconds: 900,
      refreshTokenTtlSeconds: 2_592_000,
      encryptionKeys: undefined,
      blindIndexKey: undefined,
      oidc: undefined,
      rateLimit: { perMinute: 600, burst: 120 },
    });
  });

  it("reads OpenID Connect settings together", () => {
    const { security } = loadConfig({
      PRAPTI_OIDC_ISSUER: "https://login.example.in/realms/prapti",
      PRAPTI_OIDC_CLIENT_ID: "prapti",
      PRAPTI_OIDC_CLIENT_SECRET: "s3cret",
      PRAPTI_OIDC_REDIRECT_URI: "https://prapti.example.in/auth/oidc/callback",
    });
    expect(security.oidc).toEqual({
      issuer: "https://login.example.in/realms/prapti",
      clientId: "prapti",
      clientSecret: "s3cret",
      redirectUri: "https://prapti.example.in/auth/oidc/callback",
      scopes: ["openid", "email", "profile"],
    });
    expect(failureOf({ PRAPTI_OIDC_ISSUER: "https://login.example.in" }).variable).toBe(
      "PRAPTI_OIDC_CLIENT_ID",
    );
    expect(failureOf({ PRAPTI_OIDC_CLIENT_ID: "prapti" }).variable).toBe("PRAPTI_OIDC_CLIENT_ID");
    expect(
      failureOf({ PRAPTI_OIDC_ISSUER: "http://login.example.in", PRAPTI_OIDC_CLIENT_ID: "x" }).variable,
    ).toBe("PRAPTI_OIDC_ISSUER");
  });

  it.each([
    [{ PRAPTI_JWT_SECRET: "too-short" }, "PRAPTI_JWT_SECRET"],
    [{ PRAPTI_ENCRYPTION_KEYS: "k1:abc" }, "PRAPTI_ENCRYPTION_KEYS"],
    [{ PRAPTI_ENCRYPTION_KEYS: `k1:${key()},k1:${key()}` }, "PRAPTI_ENCRYPTION_KEYS"],
    [{ PRAPTI_BLIND_INDEX_KEY: "c2hvcnQ=" }, "PRAPTI_BLIND_INDEX_KEY"],
    [{ PRAPTI_ACCESS_TOKEN_TTL: "10" }, "PRAPTI_ACCESS_TOKEN_TTL"],
    [{ PRAPTI_OIDC_SCOPES: "email profile" }, "PRAPTI_OIDC_SCOPES"],
    [{ PRAPTI_RATE_LIMIT_BURST: "0" }, "PRAPTI_RATE_LIMIT_BURST"],
  ])("refuses %o naming the variable", (env, variable) => {
    expect(failureOf(env).variable).toBe(variable);
  });

  it("never prints a secret value, in errors or in the doctor's listing", () => {
    const secret = "short-secret-value";
    expect(failureOf({ PRAPTI_JWT_SECRET: secret }).message).not.toContain(secret);
    const material = key();
    const config = loadConfig({
      PRAPTI_JWT_SECRET: "j".repeat(40),
      PRAPTI_ENCRYPTION_KEYS: `k2:${material},k1:${key()}`,
      PRAPTI_BLIND_INDEX_KEY: key(),
    });
    const described = JSON.stringify(describeConfig(config));
    expect(described).not.toContain(material);
    expect(described).not.toContain("jjjj");
    expect(describeConfig(config).PRAPTI_ENCRYPTION_KEYS).toBe("(set: key ids k2, k1)");
  });
});
