import { z } from "zod";
import type { RemoteActionContract } from "../remote-module.adapter.ts";

/** The contracts of the test ledger module, shared by the serving process and the calling hub. */
export const ledgerContracts = {
  echo: {
    name: "echo",
    kind: "query",
    permission: "ledger.read",
    description: "Returns the text and the context the module received",
    input: z.object({ text: z.string().min(1) }),
    output: z.object({
      text: z.string(),
      tenantId: z.string(),
      actor: z.string(),
      idempotencyKey: z.string().nullable(),
      pid: z.number().int(),
    }),
  },
  post: {
    name: "post",
    kind: "command",
    permission: "ledger.write",
    input: z.object({ amount: z.number().int().positive() }),
    output: z.object({ balance: z.number().int() }),
  },
  close: {
    name: "close",
    kind: "command",
    permission: "ledger.write",
    input: z.object({ account: z.string() }),
    output: z.object({ closed: z.boolean() }),
  },
} satisfies Record<string, RemoteActionContract>;
