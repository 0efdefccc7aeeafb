import { randomUUID } from "node:crypto";
import { errors, jwtVerify, SignJWT } from "jose";
import { AppError } from "../../kernel/app-error.ts";
import type { TenantRole } from "../db/schema.ts";
import { isRole } from "./permission.matrix.ts";

/** What an access token says. The session and the current membership are still checked on every request. */
export interface AccessTokenClaims {
  userId: string;
  tenantId: string;
  sessionId: string;
  role: TenantRole;
  isPlatformAdmin: boolean;
  tokenId: string;
  issuedAt: Date;
  expiresAt: Date;
}

export interface IssuedAccessToken {
  token: string;
  tokenId: string;
  expiresAt: Date;
}

export interface AccessTokenService {
  issue(subject: Omit<AccessTokenClaims, "tokenId" | "issuedAt" | "expiresAt">): Promise<IssuedAccessToken>;
  /** Throws UNAUTHENTICATED (details.reason "expired" or "invalid") for anything but a valid, current token. */
  verify(token: string): Promise<AccessTokenClaims>;
}

export const ACCESS_TOKEN_ISSUER = "prapti";
export const ACCESS_TOKEN_AUDIENCE = "prapti-api";
/** RFC 9068's media type for JWT access tokens, checked on the way in. */
const TOKEN_TYPE = "at+jwt";
const CLOCK_TOLERANCE_SECONDS = 5;

function rejected(reason: "expired" | "invalid", message: string, cause?: unknown): AppError {
  return new AppError({ code: "UNAUTHENTICATED", message, details: { reason }, cause });
}

/**
 * Short-lived access tokens: JWT signed with HMAC-SHA256 (the only algorithm accepted on the way in, so
 * `alg: none` and algorithm swaps fail), with issuer, audience and type fixed.
 */
export function createAccessTokenService(deps: {
  secret: Uint8Array;
  ttlSeconds: number;
  clock?: () => Date;
}): AccessTokenService {
  if (deps.secret.length < 32) {
    throw new AppError({ code: "INTERNAL", message: "the access token secret must be at least 32 bytes" });
  }
  const clock = deps.clock ?? (() => new Date());
  return {
    async issue(subject) {
      const now = Math.floor(clock().getTime() / 1000);
      const tokenId = randomUUID();
      const expiresAt = now + deps.ttlSeconds;
      const token = await new SignJWT({
        tid: subject.tenantId,
        sid: subject.sessionId,
        role: subject.role,
        platform_admin: subject.isPlatformAdmin,
      })
        .setProtectedHeader({ alg: "HS256", typ: TOKEN_TYPE })
        .setSubject(subject.userId)
        .setIssuer(ACCESS_TOKEN_ISSUER)
        .setAudience(ACCESS_TOKEN_AUDIENCE)
        .setJti(tokenId)
        .setIssuedAt(now)
        .setExpirationTime(expiresAt)
        .sign(deps.secret);
      return { token, tokenId, expiresAt: new Date(expiresAt * 1000) };
    },

    async verify(token) {
      let payload;
      try {
        ({ payload } = await jwtVerify(token, deps.secret, {
          algorithms: ["HS256"],
          issuer: ACCESS_TOKEN_ISSUER,
          audience: ACCESS_TOKEN_AUDIENCE,
          typ: TOKEN_TYPE,
          currentDate: clock(),
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ["sub", "jti", "iat", "exp"],
        }));
      } catch (error) {
        if (error instanceof errors.JWTExpired) throw rejected("expired", "access token has expired", error);
        throw rejected("invalid", "access token is invalid", error);
      }
      const { sub, jti, iat, exp, tid, sid, role, platform_admin: platformAdmin } = payload;
      if (
        typeof sub !== "string" ||
        typeof jti !== "string" ||
        typeof iat !== "number" ||
        typeof exp !== "number" ||
        typeof tid !== "string" ||
        typeof sid !== "string" ||
        typeof role !== "string" ||
        !isRole(role) ||
        typeof platformAdmin !== "boolean"
      ) {
        throw rejected("invalid", "access token is missing claims");
      }
      return {
        userId: sub,
        tenantId: tid,
        sessionId: sid,
        role,
        isPlatformAdmin: platformAdmin,
        tokenId: jti,
        issuedAt: new Date(iat * 1000),
        expiresAt: new Date(exp * 1000),
      };
    },
  };
}
