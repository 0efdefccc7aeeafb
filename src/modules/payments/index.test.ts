import { describe, expect, it } from "vitest";
import * as payments from "./index.ts";

describe("payments public surface", () => {
  it("exports the entry points other parts of the hub use", () => {
    for (const name of [
      "parsePayment",
      "planAllocation",
      "applyAllocation",
      "reverseReceipt",
      "computeIncomeTaxTds",
      "computeGstTds",
      "parseForm26asCsv",
      "reconcileForm26as",
      "buildUpiLink",
      "renderUpiQr",
      "createRazorpayGateway",
      "createCashfreeGateway",
      "verifyRazorpayWebhook",
      "verifyCashfreeWebhook",
      "normaliseGatewayPayment",
      "parseMt940",
      "parseCamt",
      "parseBankCsv",
      "toReconciliationLines",
      "matchReconciliation",
      "generateReconciliationScenario",
      "evaluateReconciliation",
      "createPaymentsConsumers",
      "createReceivablesConsumer",
      "effectiveTdsBasisPoints",
    ]) {
      expect(typeof (payments as Record<string, unknown>)[name], name).toBe("function");
    }
    expect(payments.PAYMENT_EVENT_TYPES).toEqual([
      "payment.received",
      "payment.allocated",
      "payment.reversed",
      "payment.allocation-undone",
      "tds.credit-missing",
    ]);
  });
});
