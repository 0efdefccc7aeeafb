import { sql, type Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import type { AuthTables } from "./auth.tables.ts";
import { sha256Hex } from "./opaque.token.ts";

export interface LoginThrottleOptions {
  /** Failures allowed before the first lock. */
  maxFailures?: number;
  /** The first lock; each further failure doubles it, up to `maxLockSeconds`. */
  baseLockSeconds?: number;
  maxLockSeconds?: number;
  /** Failures older than this are forgotten. */
  forgetAfterSeconds?: number;
}

export interface LoginThrottle {
  subjectOf(email: string): string;
  /** Seconds until sign-in may be tried again; 0 when it may be tried now. */
  lockedFor(subject: string): Promise<number>;
  recordFailure(subject: string): Promise<{ failures: number; lockedUntil: Date | null }>;
  reset(subject: string): Promise<void>;
}

/**
 * Back-off after repeated failed sign-ins, per email address whether or not it has an account (so the
 * behaviour does not reveal which addresses exist). Addresses are stored only as SHA-256 hashes.
 */
export function createLoginThrottle(deps: {
  db: Kysely<DB>;
  clock?: () => Date;
  options?: LoginThrottleOptions;
}): LoginThrottle {
  const clock = deps.clock ?? (() => new Date());
  const maxFailures = deps.options?.maxFailures ?? 5;
  const baseLockSeconds = deps.options?.baseLockSeconds ?? 60;
  const maxLockSeconds = deps.options?.maxLockSeconds ?? 3600;
  const forgetAfterSeconds = deps.options?.forgetAfterSeconds ?? 3600;
  const db = deps.db.withTables<AuthTables>();

  return {
    subjectOf: (email) => sha256Hex(`login:${email.trim().toLowerCase()}`),

    async lockedFor(subject) {
      const row = await db
        .selectFrom("auth_login_failures")
        .select("locked_until")
        .where("subject", "=", subject)
        .executeTakeFirst();
      if (!row?.locked_until) return 0;
      return Math.max(0, Math.ceil((row.locked_until.getTime() - clock().getTime()) / 1000));
    },

    async recordFailure(subject) {
      const now = clock();
      return db.transaction().execute(async (trx) => {
        await trx
          .insertInto("auth_login_failures")
          .values({ subject, failures: 0, last_failure_at: now, locked_until: null })
          .onConflict((conflict) => conflict.column("subject").doNothing())
          .execute();
        const row = await trx
          .selectFrom("auth_login_failures")
          .selectAll()
          .where("subject", "=", subject)
          .forUpdate()
          .executeTakeFirstOrThrow();
        const stale = now.getTime() - row.last_failure_at.getTime() > forgetAfterSeconds * 1000;
        const failures = (stale ? 0 : row.failures) + 1;
        const lockSeconds =
          failures >= maxFailures
            ? Math.min(baseLockSeconds * 2 ** (failures - maxFailures), maxLockSeconds)
            : 0;
        const lockedUntil = lockSeconds > 0 ? new Date(now.getTime() + lockSeconds * 1000) : null;
        await trx
          .updateTable("auth_login_failures")
          .set({ failures, last_failure_at: now, locked_until: lockedUntil })
          .where("subject", "=", subject)
          .execute();
        return { failures, lockedUntil };
      });
    },

    async reset(subject) {
      await sql`delete from auth_login_failures where subject = ${subject}`.execute(db);
    },
  };
}
