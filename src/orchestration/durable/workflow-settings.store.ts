import type { Kysely } from "kysely";
import { AppError } from "../../kernel/app-error.ts";
import { withTenant } from "../../platform/db/database.ts";
import type { DB } from "../../platform/db/schema.ts";
import type { OrchestrationTables } from "../store/orchestration.tables.ts";
import { DEFAULT_TIME_ZONE, isTimeZone } from "./schedule.slots.ts";

export interface WorkflowSettings {
  /** IANA time zone cron schedules are read in; Asia/Kolkata unless the business chose another. */
  timeZone: string;
}

/** A business's workflow settings (row-level security: each business sees only its own). */
export function createWorkflowSettingsStore(deps: { db: Kysely<DB> }) {
  const inTenant = <T>(tenantId: string, work: (trx: Kysely<DB & OrchestrationTables>) => Promise<T>) =>
    withTenant(deps.db, tenantId, (trx) => work(trx.withTables<OrchestrationTables>()));

  return {
    async get(tenantId: string): Promise<WorkflowSettings> {
      const row = await inTenant(tenantId, (trx) =>
        trx.selectFrom("workflow_settings").select("time_zone").executeTakeFirst(),
      );
      return { timeZone: row?.time_zone ?? DEFAULT_TIME_ZONE };
    },

    /** Changes the time zone; the sweep re-reads every cron schedule of the business in it. */
    async setTimeZone(tenantId: string, timeZone: string): Promise<WorkflowSettings> {
      if (!isTimeZone(timeZone)) {
        throw AppError.invalidInput([
          { field: "timeZone", reason: `'${timeZone}' is not a known IANA time zone (e.g. Asia/Kolkata)` },
        ]);
      }
      await inTenant(tenantId, (trx) =>
        trx
          .insertInto("workflow_settings")
          .values({ tenant_id: tenantId, time_zone: timeZone })
          .onConflict((conflict) =>
            conflict.column("tenant_id").doUpdateSet({ time_zone: timeZone, updated_at: new Date() }),
          )
          .execute(),
      );
      return { timeZone };
    },
  };
}

export type WorkflowSettingsStore = ReturnType<typeof createWorkflowSettingsStore>;
