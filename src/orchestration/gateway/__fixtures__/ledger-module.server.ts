// A module served from its own process, for the remote-module tests: `node bin/run-ts.js <this file>` with
// PORT (and optionally TOKEN) in the environment. Prints "listening <port>" once it accepts calls.
import Fastify from "fastify";
import { AppError } from "../../../kernel/app-error.ts";
import { ActionCatalog } from "../../../platform/actions/action-catalog.ts";
import { serveModuleActions } from "../module-actions.server.ts";
import { ledgerContracts } from "./ledger-module.contracts.ts";

const port = Number(process.env.PORT);
const balances = new Map<string, number>();
const applied = new Map<string, number>();

const catalog = new ActionCatalog();
catalog.registerModule({
  module: "ledger",
  actions: [
    {
      ...ledgerContracts.echo,
      handler: async (input: { text: string }, ctx) => ({
        text: input.text,
        tenantId: ctx.tenantId,
        actor: ctx.actor,
        idempotencyKey: ctx.idempotencyKey ?? null,
        pid: process.pid,
      }),
    },
    {
      ...ledgerContracts.post,
      handler: async (input: { amount: number }, ctx) => {
        const key = `${ctx.tenantId}|${ctx.idempotencyKey ?? ""}`;
        const previous = ctx.idempotencyKey ? applied.get(key) : undefined;
        if (previous !== undefined) return { balance: previous };
        const balance = (balances.get(ctx.tenantId) ?? 0) + input.amount;
        balances.set(ctx.tenantId, balance);
        if (ctx.idempotencyKey) applied.set(key, balance);
        return { balance };
      },
    },
    {
      ...ledgerContracts.close,
      handler: async (input: { account: string }) => {
        throw AppError.conflict(`account ${input.account} has open entries`, { account: input.account });
      },
    },
  ],
});

const app = Fastify();
await serveModuleActions(app, catalog, process.env.TOKEN ? { token: process.env.TOKEN } : {});
await app.listen({ port, host: "127.0.0.1" });
process.stdout.write(`listening ${port}\n`);

const stop = () => {
  void app.close().then(() => process.exit(0));
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
