import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sharedPath } from "../support/shared-path.ts";
import { runScenario } from "./ctk.steps.ts";
import { startFakeServices, type FakeServices } from "./fake-services.server.ts";
import { parseFeature } from "./gherkin.reader.ts";

/**
 * Every scenario of the specification's conformance kit, run through `runLocally`. Calls to public hosts
 * go to loopback stand-ins (fake-services.server.ts); nothing reaches the internet.
 */

const directory = sharedPath("conformance/serverless-workflow/ctk");
const files = readdirSync(directory)
  .filter((file) => file.endsWith(".feature"))
  .sort();
const features = files.map((file) => ({
  file,
  feature: parseFeature(readFileSync(join(directory, file), "utf8"), file),
}));

/** Scenarios this runtime cannot pass, with the reason. Empty: every scenario runs. */
const IMPOSSIBLE: Record<string, string> = {};

let services: FakeServices;
const tally = { passed: 0, total: 0 };

beforeAll(async () => {
  services = await startFakeServices();
});

afterAll(async () => {
  await services?.close();
  process.stdout.write(`\nServerless Workflow CTK: ${tally.passed} of ${tally.total} scenarios passed\n`);
});

it("reads every feature of the kit", () => {
  expect(files.length).toBeGreaterThanOrEqual(11);
  expect(features.every(({ feature }) => feature.scenarios.length > 0)).toBe(true);
});

for (const { file, feature } of features) {
  describe(`${file}: ${feature.name}`, () => {
    for (const scenario of feature.scenarios) {
      const reason = IMPOSSIBLE[`${file}:${scenario.name}`];
      if (reason) {
        it.skip(`${scenario.name} (${reason})`, () => undefined);
        continue;
      }
      it(scenario.name, async () => {
        tally.total += 1;
        const before = services.requests.length;
        await runScenario(scenario, { fetch: services.fetch });
        const calls = services.requests.slice(before);
        const callsHttp = /call: (http|openapi)/.test(JSON.stringify(scenario.steps));
        expect(calls.length > 0).toBe(callsHttp);
        for (const call of calls) expect(call.headers["idempotency-key"]).toMatch(/:\/do\//);
        tally.passed += 1;
      });
    }
  });
}
