import { runCommandOnce } from "../../platform/db/command-keys.ts";
import type { PaymentsDb } from "./payments.tables.ts";

/** Runs a command once per idempotency key (see runCommandOnce), with this module's keys in `payment_command_keys`. */
export function runOnce<T>(
  trx: PaymentsDb,
  options: { tenantId: string; key: string | undefined; command: string; request: unknown },
  work: () => Promise<T>,
): Promise<T> {
  return runCommandOnce(trx, "payment_command_keys", options, work);
}
