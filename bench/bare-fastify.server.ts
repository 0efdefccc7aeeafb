import Fastify from "fastify";

/**
 * The API benchmark's baseline: a bare Fastify server answering the same JSON the measured routes answer,
 * with no authentication, validation, database or cache. Prints its URL, then serves until killed.
 */
const [listJson, paymentJson] = await new Promise<string[]>((resolve) => {
  let input = "";
  process.stdin.on("data", (chunk: Buffer) => (input += chunk.toString()));
  process.stdin.on("end", () => resolve(input.split("\n\u0000\n")));
});
const app = Fastify({ logger: false });
app.get("/api/v1/invoices", async (_request, reply) => reply.type("application/json").send(listJson));
app.post("/api/v1/payments", async (_request, reply) =>
  reply.status(201).type("application/json").send(paymentJson),
);
const url = await app.listen({ port: 0, host: "127.0.0.1" });
process.stdout.write(`${url}\n`);
