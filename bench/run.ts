import { runImportPlanningBenchmark } from "../src/modules/integrations/index.ts";
import { runReconciliationBenchmark } from "../src/modules/payments/index.ts";
import { runApiBenchmark } from "./api.bench.ts";
import { runEngineBenchmark } from "./engine.bench.ts";
import { runImportBenchmark } from "./import.bench.ts";

/** `npm run bench [engine|api|reconciliation]`: each part prints its figures and their ratios to a baseline measured in the same run. */
const suites: Record<string, () => Promise<string[]>> = {
  engine: runEngineBenchmark,
  api: runApiBenchmark,
  reconciliation: async () => [
    ...(await runReconciliationBenchmark({ importPlanning: () => runImportPlanningBenchmark() })),
    ...(await runImportBenchmark()),
  ],
};

const wanted = process.argv.slice(2).filter((name) => !name.startsWith("-"));
for (const name of wanted.length > 0 ? wanted : Object.keys(suites)) {
  const suite = suites[name];
  if (!suite) {
    process.stderr.write(`unknown benchmark "${name}"; known: ${Object.keys(suites).join(", ")}\n`);
    process.exit(2);
  }
  process.stdout.write(`\n== ${name} ==\n`);
  for (const line of await suite()) process.stdout.write(`${line}\n`);
}
process.exit(0);
