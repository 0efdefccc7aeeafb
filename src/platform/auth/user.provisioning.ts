import type { Kysely } from "kysely";
import { AppError } from "../../kernel/app-error.ts";
import type { AuditActor, AuditLog } from "../audit/audit.log.ts";
import type { DB, TenantRole } from "../db/schema.ts";
import { assertPasswordPolicy, type PasswordHasher } from "./password.hasher.ts";

export interface ProvisionUserInput {
  email: string;
  displayName: string;
  /** Unset for an account that signs in only through OpenID Connect. */
  password?: string;
  isPlatformAdmin?: boolean;
  memberships?: { tenantId: string; role: TenantRole }[];
  actor?: AuditActor;
  requestId?: string;
}

export interface UserProvisioning {
  provisionUser(input: ProvisionUserInput): Promise<{ id: string }>;
}

/**
 * Creating an account is provisioning: users are global (one person may work for several businesses), so the
 * row is written with the owner connection, as tenants are. Each membership is recorded in that tenant's
 * audit log, in the same transaction.
 */
const duplicate = () => AppError.conflict("an account with this email already exists", { field: "email" });

export function createUserProvisioning(deps: {
  owner: Kysely<DB>;
  hasher: PasswordHasher;
  audit: AuditLog;
}): UserProvisioning {
  return {
    async provisionUser(input) {
      const email = input.email.trim();
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
        throw AppError.invalidInput([{ field: "email", reason: "must be an email address" }]);
      }
      if (input.displayName.trim() === "") {
        throw AppError.invalidInput([{ field: "displayName", reason: "is required" }]);
      }
      if (input.password !== undefined) assertPasswordPolicy(input.password);
      const passwordHash = input.password === undefined ? null : await deps.hasher.hash(input.password);
      const provision = () =>
        deps.owner.transaction().execute(async (trx) => {
          const existing = await trx
            .selectFrom("users")
            .select("id")
            .where((eb) => eb(eb.fn("lower", ["email"]), "=", email.toLowerCase()))
            .executeTakeFirst();
          if (existing) throw duplicate();
          const created = await trx
            .insertInto("users")
            .values({
              email,
              display_name: input.displayName.trim(),
              password_hash: passwordHash,
              is_platform_admin: input.isPlatformAdmin ?? false,
            })
            .returning("id")
            .executeTakeFirstOrThrow();
          for (const membership of input.memberships ?? []) {
            await trx
              .insertInto("memberships")
              .values({ tenant_id: membership.tenantId, user_id: created.id, role: membership.role })
              .execute();
            await deps.audit.append(trx, {
              tenantId: membership.tenantId,
              actor: input.actor ?? { type: "system" },
              action: "user.provisioned",
              entity: { type: "user", id: created.id },
              after: { email, role: membership.role, isPlatformAdmin: input.isPlatformAdmin ?? false },
              ...(input.requestId ? { requestId: input.requestId } : {}),
            });
          }
          return created;
        });
      try {
        return await provision();
      } catch (error) {
        // Two provisions of one address racing: the unique index decides, reported like the check above.
        if ((error as { constraint?: string }).constraint === "users_email_unique") throw duplicate();
        throw error;
      }
    },
  };
}
