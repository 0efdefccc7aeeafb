import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { runLocally } from "../../src/orchestration/runtime/run-locally.ts";

const sagaPath = new URL("../../docs/examples/order-saga.yaml", import.meta.url);

async function runSaga(failAt: string | undefined) {
  const calls: string[] = [];
  const step = (name: string) => async () => {
    calls.push(name);
    if (name === failAt) throw Object.assign(new Error(`${name} failed`), { status: 502 });
    return { ok: true };
  };
  const result = await runLocally(
    await readFile(sagaPath, "utf8"),
    { sku: "SKU-1", amountPaise: 118000, pincode: "411026" },
    {
      functions: {
        "stock.reserve": step("stock.reserve"),
        "payments.charge": step("payments.charge"),
        "shipping.book": step("shipping.book"),
        "stock.release": step("stock.release"),
        "payments.refund": step("payments.refund"),
      },
    },
  );
  return { result, calls };
}

describe("saga compensation with try/catch (docs/examples/order-saga.yaml)", () => {
  it("completes without compensating when every step succeeds", async () => {
    const { result, calls } = await runSaga(undefined);
    expect(result.status).toBe("completed");
    expect(calls).toEqual(["stock.reserve", "payments.charge", "shipping.book"]);
  });

  it("undoes the completed steps in reverse order when a later step fails, then faults", async () => {
    const { result, calls } = await runSaga("shipping.book");
    expect(calls).toEqual([
      "stock.reserve",
      "payments.charge",
      "shipping.book",
      "payments.refund",
      "stock.release",
    ]);
    expect(result.status).toBe("faulted");
    expect(result.error).toMatchObject({ title: "The order was rolled back" });
  });

  it("undoes only what was done when an earlier step fails", async () => {
    const { calls } = await runSaga("payments.charge");
    expect(calls).toEqual(["stock.reserve", "payments.charge", "stock.release"]);
  });
});
