import { runCommandOnce } from "../../platform/db/command-keys.ts";
import type { IntegrationsDb } from "./integrations.tables.ts";

/** Runs a command once per idempotency key (see runCommandOnce), with this module's keys in `import_command_keys`. */
export function runOnce<T>(
  trx: IntegrationsDb,
  options: { tenantId: string; key: string | undefined; command: string; request: unknown },
  work: () => Promise<T>,
): Promise<T> {
  return runCommandOnce(trx, "import_command_keys", options, work);
}
