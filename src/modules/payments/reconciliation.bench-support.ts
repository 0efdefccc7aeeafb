import { performance } from "node:perf_hooks";
import { buildReconciliationIndex, matchReconciliation } from "./reconciliation.matcher.ts";
import { evaluateReconciliation, generateReconciliationScenario } from "./reconciliation.scenario.ts";

export interface ReconciliationBenchmarkOptions {
  lines?: number;
  invoices?: number;
  customers?: number;
  seed?: number;
  /**
   * Figures of other suites to append, e.g. the integrations module's `runImportPlanningBenchmark` (planning an
   * import of 100,000 invoices from CSV): modules do not import each other, so the caller passes it in.
   */
  importPlanning?: () => Promise<string[]>;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

const ms = (value: number): string => `${value.toFixed(1)} ms`;
const times = (value: number, baseline: number): string =>
  baseline > 0 ? `${(value / baseline).toFixed(1)}× baseline` : "baseline too small to compare";
const share = (value: number): string => value.toFixed(3);

/**
 * The reconciliation benchmark: 10,000 bank credits against 50,000 open invoices of 2,000 customers (a generated
 * workload with known truth). The baseline, measured in the same run, is loading the 50,000 invoices into memory:
 * a map by id plus the invoices sorted by open balance (median of five runs). Index building and matching are
 * timed against it, and the matcher's precision and recall are printed for receipts with TDS, short payments and
 * the rest, with the precision of what it would apply without a person.
 */
export async function runReconciliationBenchmark(
  options: ReconciliationBenchmarkOptions = {},
): Promise<string[]> {
  const lines = options.lines ?? 10_000;
  const invoiceCount = options.invoices ?? 50_000;
  const customerCount = options.customers ?? 2_000;
  const seed = options.seed ?? 20_250_820;
  const output: string[] = [];

  let started = performance.now();
  const scenario = generateReconciliationScenario({
    seed,
    lines,
    invoices: invoiceCount,
    customers: customerCount,
  });
  const generated = performance.now() - started;
  output.push(
    `reconciliation workload: ${scenario.lines.length} credit lines, ${scenario.invoices.length} open invoices, ${scenario.customers.length} customers (seed ${seed}, generated in ${ms(generated)})`,
  );

  const baselines: number[] = [];
  for (let run = 0; run < 5; run += 1) {
    started = performance.now();
    const byId = new Map(scenario.invoices.map((invoice) => [invoice.id, invoice]));
    const sorted = [...scenario.invoices].sort((a, b) =>
      a.openPaise < b.openPaise ? -1 : a.openPaise > b.openPaise ? 1 : 0,
    );
    baselines.push(performance.now() - started);
    if (byId.size !== sorted.length) throw new Error("duplicate invoice ids in the workload");
  }
  const baseline = median(baselines);
  output.push(
    `baseline (load ${invoiceCount} invoices into a map by id and sort them by open balance, median of 5): ${ms(baseline)}`,
  );

  started = performance.now();
  const index = buildReconciliationIndex({ invoices: scenario.invoices, customers: scenario.customers });
  const indexMs = performance.now() - started;
  output.push(`index build: ${ms(indexMs)} (${times(indexMs, baseline)})`);

  started = performance.now();
  const result = matchReconciliation({ lines: scenario.lines, index });
  const matchMs = performance.now() - started;
  output.push(`matching ${scenario.lines.length} lines: ${ms(matchMs)} (${times(matchMs, baseline)})`);
  output.push(`index build + matching: ${ms(indexMs + matchMs)} (${times(indexMs + matchMs, baseline)})`);
  output.push(`per line: ${(matchMs / Math.max(1, scenario.lines.length)).toFixed(3)} ms`);
  output.push(
    `proposed: ${result.proposedCount}, auto-applicable: ${result.autoApplicableCount}, unmatched: ${result.unmatchedCount}`,
  );

  const metrics = evaluateReconciliation({ scenario, result });
  for (const [group, label] of [
    ["with-tds", "receipts with TDS"],
    ["short-payment", "short payments"],
    ["rest", "the rest (exact, several invoices, noise)"],
  ] as const) {
    const figures = metrics[group];
    output.push(`${label}: ${figures.lines} lines, ${figures.matchable} matchable`);
    output.push(`${label} precision: ${share(figures.precision)}`);
    output.push(`${label} recall: ${share(figures.recall)}`);
    output.push(
      `${label} auto-applied precision: ${share(figures.autoPrecision)} (${figures.autoCorrect} of ${figures.autoApplied} auto-applied correct)`,
    );
  }
  const all = metrics.all;
  output.push(`all lines precision: ${share(all.precision)}, recall: ${share(all.recall)}`);

  if (options.importPlanning) output.push(...(await options.importPlanning()));
  else {
    output.push(
      "import planning (100,000 invoices from CSV): run the integrations module's runImportPlanningBenchmark",
    );
  }
  return output;
}
