import { randomBytes, randomUUID } from "node:crypto";
import { generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { isAppError } from "../../kernel/app-error.ts";
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER, createAccessTokenService } from "./token.service.ts";

const secret = randomBytes(32);
let now = Date.parse("2025-04-01T10:00:00Z");
const clock = () => new Date(now);
const tokens = createAccessTokenService({ secret, ttlSeconds: 900, clock });
const subject = {
  userId: randomUUID(),
  tenantId: randomUUID(),
  sessionId: randomUUID(),
  role: "accountant" as const,
  isPlatformAdmin: false,
};

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isAppError(error) && error.code === "UNAUTHENTICATED") return String(error.details.reason);
    throw error;
  }
  return "accepted";
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function claimsAt(seconds: number, extra: Record<string, unknown> = {}) {
  return {
    sub: subject.userId,
    tid: subject.tenantId,
    sid: subject.sessionId,
    role: subject.role,
    platform_admin: false,
    iss: ACCESS_TOKEN_ISSUER,
    aud: ACCESS_TOKEN_AUDIENCE,
    jti: randomUUID(),
    iat: seconds,
    exp: seconds + 900,
    ...extra,
  };
}

describe("access tokens", () => {
  it("round-trips the claims", async () => {
    const issued = await tokens.issue(subject);
    expect(issued.expiresAt.toISOString()).toBe("2025-04-01T10:15:00.000Z");
    const claims = await tokens.verify(issued.token);
    expect(claims).toMatchObject({ ...subject, tokenId: issued.tokenId });
    const header = JSON.parse(
      Buffer.from(issued.token.split(".")[0] ?? "", "base64url").toString(),
    ) as object;
    expect(header).toEqual({ alg: "HS256", typ: "at+jwt" });
  });

  it("refuses a token signed with another secret", async () => {
    const forger = createAccessTokenService({ secret: randomBytes(32), ttlSeconds: 900, clock });
    expect(await reasonOf(tokens.verify((await forger.issue(subject)).token))).toBe("invalid");
  });

  it("refuses alg none", async () => {
    const seconds = Math.floor(now / 1000);
    const unsigned = `${encode({ alg: "none", typ: "at+jwt" })}.${encode(claimsAt(seconds))}.`;
    expect(await reasonOf(tokens.verify(unsigned))).toBe("invalid");
  });

  it("refuses another algorithm, even with the right secret, and an asymmetric key", async () => {
    const seconds = Math.floor(now / 1000);
    const hs512 = await new SignJWT(claimsAt(seconds))
      .setProtectedHeader({ alg: "HS512", typ: "at+jwt" })
      .sign(secret);
    expect(await reasonOf(tokens.verify(hs512))).toBe("invalid");
    const { privateKey } = await generateKeyPair("RS256");
    const rs256 = await new SignJWT(claimsAt(seconds))
      .setProtectedHeader({ alg: "RS256", typ: "at+jwt" })
      .sign(privateKey);
    expect(await reasonOf(tokens.verify(rs256))).toBe("invalid");
  });

  it("refuses a token whose claims were edited after signing (another tenant)", async () => {
    const [header, , signature] = (await tokens.issue(subject)).token.split(".");
    const edited = `${header}.${encode(claimsAt(Math.floor(now / 1000), { tid: randomUUID() }))}.${signature}`;
    expect(await reasonOf(tokens.verify(edited))).toBe("invalid");
  });

  it("refuses an expired token, allowing five seconds of clock skew", async () => {
    const issued = await tokens.issue(subject);
    now += 900_000 + 4_000;
    expect(await reasonOf(tokens.verify(issued.token))).toBe("accepted");
    now += 2_000;
    expect(await reasonOf(tokens.verify(issued.token))).toBe("expired");
    now -= 906_000;
  });

  it("refuses the wrong issuer, audience or type, and missing claims", async () => {
    const seconds = Math.floor(now / 1000);
    const sign = (claims: Record<string, unknown>, typ = "at+jwt") =>
      new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ }).sign(secret);
    expect(await reasonOf(tokens.verify(await sign(claimsAt(seconds))))).toBe("accepted");
    expect(await reasonOf(tokens.verify(await sign(claimsAt(seconds, { iss: "someone-else" }))))).toBe(
      "invalid",
    );
    expect(await reasonOf(tokens.verify(await sign(claimsAt(seconds, { aud: "other-api" }))))).toBe(
      "invalid",
    );
    expect(await reasonOf(tokens.verify(await sign(claimsAt(seconds), "JWT")))).toBe("invalid");
    expect(await reasonOf(tokens.verify(await sign(claimsAt(seconds, { tid: undefined }))))).toBe("invalid");
    expect(await reasonOf(tokens.verify(await sign(claimsAt(seconds, { role: "superuser" }))))).toBe(
      "invalid",
    );
    expect(await reasonOf(tokens.verify("not.a.token"))).toBe("invalid");
  });

  it("refuses a short secret", () => {
    expect(() => createAccessTokenService({ secret: randomBytes(16), ttlSeconds: 900 })).toThrow(/32 bytes/);
  });
});
