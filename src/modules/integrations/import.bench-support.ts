import { performance } from "node:perf_hooks";
import { parse } from "csv-parse/sync";
import { planCsvImport } from "./csv-import.ts";

const ms = (value: number): string => `${value.toFixed(1)} ms`;

/** A CSV of `count` intra-state GST invoices at 18%, with Indian digit grouping and dd/MM/yyyy dates. */
export function generateInvoiceCsv(count: number): string {
  const rows = ["Ref,Invoice No,Customer,Invoice Date,Due Date,Taxable Value,CGST,SGST,Invoice Value"];
  for (let index = 1; index <= count; index += 1) {
    const taxablePaise = 100_000 + ((index * 7919) % 9_900_000);
    const halfTax = Math.round((taxablePaise * 900) / 10_000);
    const totalPaise = taxablePaise + 2 * halfTax;
    const rupees = (paise: number) => `${Math.floor(paise / 100)}.${String(paise % 100).padStart(2, "0")}`;
    const day = String(1 + (index % 28)).padStart(2, "0");
    rows.push(
      [
        `R-${index}`,
        `INV/2025-26/${String(index).padStart(6, "0")}`,
        `Customer ${index % 2000}`,
        `${day}/07/2025`,
        `${day}/08/2025`,
        rupees(taxablePaise),
        rupees(halfTax),
        rupees(halfTax),
        rupees(totalPaise),
      ].join(","),
    );
  }
  return rows.join("\n");
}

/**
 * Planning an import of 100,000 invoices from CSV (every cell typed and checked, GST arithmetic, duplicate ids),
 * against a baseline measured in the same run: only splitting the same text into CSV records (median of three).
 */
export async function runImportPlanningBenchmark(options: { invoices?: number } = {}): Promise<string[]> {
  const count = options.invoices ?? 100_000;
  const text = generateInvoiceCsv(count);
  const output = [
    `import planning workload: ${count} invoices, ${(text.length / 1_048_576).toFixed(1)} MB of CSV`,
  ];
  const baselines: number[] = [];
  for (let run = 0; run < 3; run += 1) {
    const started = performance.now();
    const records = parse(text, { relax_column_count: true }) as unknown[];
    baselines.push(performance.now() - started);
    if (records.length !== count + 1)
      throw new Error("the generated CSV did not parse into one record per row");
  }
  const baseline = [...baselines].sort((a, b) => a - b)[1] ?? 0;
  output.push(`baseline (split the CSV into records only, median of 3): ${ms(baseline)}`);
  const started = performance.now();
  const plan = planCsvImport({
    entity: "invoices",
    text,
    mapping: {
      externalId: "Ref",
      number: "Invoice No",
      customer: "Customer",
      issueDate: "Invoice Date",
      dueDate: "Due Date",
      taxableValue: "Taxable Value",
      cgst: "CGST",
      sgst: "SGST",
      total: "Invoice Value",
    },
    mode: "all-or-nothing",
    dateLayouts: ["dd/MM/yyyy"],
  });
  const planned = performance.now() - started;
  output.push(
    `plan import of ${count} invoices: ${ms(planned)} (${baseline > 0 ? `${(planned / baseline).toFixed(1)}× baseline` : "baseline too small"})`,
  );
  output.push(`rows per second: ${Math.round(count / (planned / 1000))}`);
  output.push(
    `accepted: ${plan.accepted}, valid rows: ${plan.summary.valid}, invalid rows: ${plan.summary.invalid}`,
  );
  return output;
}
