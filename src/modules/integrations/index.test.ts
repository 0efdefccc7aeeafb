import { describe, expect, it } from "vitest";
import * as integrations from "./index.ts";

describe("integrations public surface", () => {
  it("exports the importers and the idempotency helpers", () => {
    for (const name of [
      "planCsvImport",
      "requireAcceptedImport",
      "parseTallyXml",
      "mapZohoInvoices",
      "mapZohoContacts",
      "externalIdKey",
      "planReimport",
    ]) {
      expect(typeof (integrations as Record<string, unknown>)[name], name).toBe("function");
    }
  });
});
