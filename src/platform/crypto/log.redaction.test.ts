import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { logRedaction } from "./log.redaction.ts";

function capture(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString("utf8"));
      done();
    },
  });
  const logger = pino({ ...logRedaction(), base: null, timestamp: false }, stream);
  return {
    logger,
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe("log redaction", () => {
  it("hides secrets and masks personal identifiers at several depths", () => {
    const { logger, lines } = capture();
    logger.info(
      {
        password: "hunter2hunter2",
        refreshToken: "prt_abc",
        email: "ravi@example.com",
        customer: { phone: "9876543221", accountNumber: "5010001234", name: "Ravi" },
        payer: { accountNumbers: ["60011122233"] },
        bank: { accountIdentifier: "30012345678" },
        body: { login: { email: "asha@example.in", password: "x" } },
        req: { headers: { authorization: "Bearer eyJ", "x-api-key": "prk_1", accept: "*/*" } },
      },
      "signing in",
    );
    const [line] = lines();
    expect(line).toMatchObject({
      password: "****",
      refreshToken: "****",
      email: "r***@example.com",
      customer: { phone: "98******21", accountNumber: "XXXXXX1234", name: "Ravi" },
      payer: { accountNumbers: ["XXXXXXX2233"] },
      bank: { accountIdentifier: "XXXXXXX5678" },
      body: { login: { email: "a***@example.in", password: "****" } },
      req: { headers: { authorization: "****", "x-api-key": "****", accept: "*/*" } },
      msg: "signing in",
    });
    expect(JSON.stringify(line)).not.toMatch(/hunter2|prt_abc|9876543221|Bearer|60011122233|30012345678/);
  });
});
