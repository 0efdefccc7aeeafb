import type { Kysely } from "kysely";
import { withTenant } from "../../platform/db/database.ts";
import type { DB } from "../../platform/db/schema.ts";
import type { CloudEvent } from "../runtime/runtime-host.port.ts";
import type { OrchestrationTables } from "../store/orchestration.tables.ts";
import { filterEventType, type EventFilter } from "./event.dispatcher.ts";
import { toJsonText } from "./instance.store.ts";

/** Correlations registered by `listen` before it waits, and the events delivered to them. */
export function createCorrelationStore(deps: { db: Kysely<DB> }) {
  const inTenant = <T>(tenantId: string, work: (trx: Kysely<DB & OrchestrationTables>) => Promise<T>) =>
    withTenant(deps.db, tenantId, (trx) => work(trx.withTables<OrchestrationTables>()));

  return {
    /** Idempotent: a replayed listen finds its correlation already there (and reopens it if it was closed). */
    async register(input: {
      id: string;
      tenantId: string;
      instanceId: string;
      filters: EventFilter[];
    }): Promise<void> {
      const types = [...new Set(input.filters.map(filterEventType))];
      await inTenant(input.tenantId, (trx) =>
        trx
          .insertInto("workflow_correlations")
          .values({
            id: input.id,
            instance_id: input.instanceId,
            tenant_id: input.tenantId,
            event_types: types,
            filters: toJsonText(input.filters),
            mode: "any",
          })
          .onConflict((conflict) => conflict.column("id").doUpdateSet({ closed_at: null }))
          .execute(),
      );
    },

    async deliveries(tenantId: string, correlationId: string): Promise<CloudEvent[]> {
      const rows = await inTenant(tenantId, (trx) =>
        trx
          .selectFrom("workflow_deliveries")
          .select(["event"])
          .where("correlation_id", "=", correlationId)
          .orderBy("delivered_at")
          .execute(),
      );
      return rows.map((row) => row.event as CloudEvent);
    },

    async closeForTask(tenantId: string, correlationId: string): Promise<void> {
      await inTenant(tenantId, (trx) =>
        trx
          .updateTable("workflow_correlations")
          .set({ closed_at: new Date() })
          .where("id", "=", correlationId)
          .where("closed_at", "is", null)
          .execute(),
      );
    },
  };
}

export type CorrelationStore = ReturnType<typeof createCorrelationStore>;
