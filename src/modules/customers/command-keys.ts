import { runCommandOnce } from "../../platform/db/command-keys.ts";
import type { CustomersDb } from "./customers.tables.ts";

/** Runs a command once per idempotency key (see runCommandOnce), with this module's keys in `customer_command_keys`. */
export function runOnce<T>(
  trx: CustomersDb,
  options: { tenantId: string; key: string | undefined; command: string; request: unknown },
  work: () => Promise<T>,
): Promise<T> {
  return runCommandOnce(trx, "customer_command_keys", options, work);
}
