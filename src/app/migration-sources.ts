import { fileURLToPath } from "node:url";
import type { MigrationSource } from "../platform/db/migrator.ts";

const directoryOf = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

/** Every migration folder, in the order they apply: platform first, then each module's own tables. */
export function migrationSources(): MigrationSource[] {
  return [
    { scope: "platform", directory: directoryOf("../platform/db/migrations/") },
    { scope: "events", directory: directoryOf("../platform/events/migrations/") },
    { scope: "auth", directory: directoryOf("../platform/auth/migrations/") },
    { scope: "audit", directory: directoryOf("../platform/audit/migrations/") },
    { scope: "customers", directory: directoryOf("../modules/customers/migrations/") },
    { scope: "invoicing", directory: directoryOf("../modules/invoicing/migrations/") },
    { scope: "payments", directory: directoryOf("../modules/payments/migrations/") },
    { scope: "integrations", directory: directoryOf("../modules/integrations/migrations/") },
    { scope: "orchestration", directory: directoryOf("../orchestration/migrations/") },
  ];
}
