import type { FastifyInstance } from "fastify";
import type { Kysely } from "kysely";
import type { SecurityConfig } from "../../config/config.ts";
import { createAuditLog, type AuditLog } from "../audit/audit.log.ts";
import { createBlindIndex, type BlindIndex } from "../crypto/blind.index.ts";
import { createFieldCipher, type FieldCipher } from "../crypto/field.cipher.ts";
import type { Secrets } from "../crypto/secret.store.ts";
import type { DB } from "../db/schema.ts";
import { createApiKeyService, type ApiKeyService } from "./api-key.service.ts";
import { registerAuthentication } from "./auth.hooks.ts";
import { createAuthService, type AuthService } from "./auth.service.ts";
import { createLoginThrottle, type LoginThrottleOptions } from "./login.throttle.ts";
import { createOidcSignIn, type OidcSignIn } from "./oidc.client.ts";
import { createPasswordHasher, type Argon2Parameters, type PasswordHasher } from "./password.hasher.ts";
import { rateLimit } from "./rate-limit.hook.ts";
import {
  createMemoryRateLimitStore,
  createRateLimiter,
  type RateLimiter,
  type RateLimitStore,
} from "./rate.limiter.ts";
import { createAccessTokenService, type AccessTokenService } from "./token.service.ts";
import { createUserProvisioning, type UserProvisioning } from "./user.provisioning.ts";

export interface SecurityServices {
  audit: AuditLog;
  hasher: PasswordHasher;
  tokens: AccessTokenService;
  auth: AuthService;
  apiKeys: ApiKeyService;
  provisioning: UserProvisioning;
  /** Present when PRAPTI_OIDC_ISSUER is set. */
  oidc: OidcSignIn | undefined;
  cipher: FieldCipher;
  blindIndex: BlindIndex;
  rateLimiter: RateLimiter;
}

/**
 * Builds identity, audit, encryption and rate limiting from configuration and resolved secrets
 * (`resolveSecrets`). `app` runs as the application role; `owner` is used only to provision accounts.
 */
export function createSecurityServices(deps: {
  app: Kysely<DB>;
  owner: Kysely<DB>;
  config: SecurityConfig;
  secrets: Secrets;
  clock?: () => Date;
  argon2?: Argon2Parameters;
  throttle?: LoginThrottleOptions;
  rateLimitStore?: RateLimitStore;
}): SecurityServices {
  const clock = deps.clock ?? (() => new Date());
  const audit = createAuditLog({ db: deps.app, clock });
  const hasher = createPasswordHasher(deps.argon2);
  const tokens = createAccessTokenService({
    secret: deps.secrets.jwtSecret,
    ttlSeconds: deps.config.accessTokenTtlSeconds,
    clock,
  });
  const throttle = createLoginThrottle({
    db: deps.app,
    clock,
    ...(deps.throttle ? { options: deps.throttle } : {}),
  });
  return {
    audit,
    hasher,
    tokens,
    auth: createAuthService({
      db: deps.app,
      clock,
      config: { refreshTokenTtlSeconds: deps.config.refreshTokenTtlSeconds },
      hasher,
      tokens,
      audit,
      throttle,
    }),
    apiKeys: createApiKeyService({ db: deps.app, clock, audit }),
    provisioning: createUserProvisioning({ owner: deps.owner, hasher, audit }),
    oidc: deps.config.oidc ? createOidcSignIn({ db: deps.app, config: deps.config.oidc, clock }) : undefined,
    cipher: createFieldCipher(deps.secrets.keyRing),
    blindIndex: createBlindIndex(deps.secrets.blindIndexKey),
    rateLimiter: createRateLimiter({
      store: deps.rateLimitStore ?? createMemoryRateLimitStore(),
      clock,
      burst: deps.config.rateLimit.burst,
      perMinute: deps.config.rateLimit.perMinute,
    }),
  };
}

/** Authentication (bearer token or API key) then rate limiting, for every route registered after this. */
export function registerSecurityHooks(app: FastifyInstance, services: SecurityServices): void {
  registerAuthentication(app, { auth: services.auth, apiKeys: services.apiKeys, audit: services.audit });
  app.addHook("onRequest", rateLimit({ limiter: services.rateLimiter }));
}
