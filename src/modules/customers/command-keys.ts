import { runCommandOnce } from "../../platform/db/command-keys.ts";
import type { CustomersDb } from "./customers.tables.ts";

/** How an answer is kept at rest: `seal` before it is stored, `open` on whatever comes back. */
export interface StoredAnswerCodec {
  seal(answer: unknown): unknown;
  open(stored: unknown): unknown;
}

/**
 * Runs a command once per idempotency key (see runCommandOnce), with this module's keys in
 * `customer_command_keys`. The stored answer passes through `codec.seal` (contacts encrypted), and the answer
 * returned, fresh or replayed, through `codec.open`.
 */
export async function runOnce<T>(
  trx: CustomersDb,
  options: { tenantId: string; key: string | undefined; command: string; request: unknown },
  work: () => Promise<T>,
  codec?: StoredAnswerCodec,
): Promise<T> {
  if (codec === undefined || options.key === undefined || options.key === "") {
    return runCommandOnce(trx, "customer_command_keys", options, work);
  }
  const stored = await runCommandOnce(trx, "customer_command_keys", options, async () =>
    codec.seal(await work()),
  );
  return codec.open(stored) as T;
}
