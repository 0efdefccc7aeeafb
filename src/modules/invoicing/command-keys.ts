import { runCommandOnce } from "../../platform/db/command-keys.ts";
import type { InvoicingDb } from "./invoicing.tables.ts";

/** Runs a command once per idempotency key (see runCommandOnce), with this module's keys in `invoicing_command_keys`. */
export function runOnce<T>(
  trx: InvoicingDb,
  options: { tenantId: string; key: string | undefined; command: string; request: unknown },
  work: () => Promise<T>,
): Promise<T> {
  return runCommandOnce(trx, "invoicing_command_keys", options, work);
}
