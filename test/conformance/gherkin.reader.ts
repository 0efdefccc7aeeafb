/**
 * A small Gherkin reader for the conformance kit: Feature, Background, Scenario, steps (Given, When,
 * Then, And, But, *) and doc strings (`"""` or ```` ``` ````, with an optional media type). Doc string
 * lines lose the indentation of their opening delimiter. Anything else the kit does not use (Scenario
 * Outline, Examples, data tables, Rule) is refused rather than silently skipped.
 */

export type StepKeyword = "Given" | "When" | "Then";

export interface Step {
  /** The keyword as written (And and But included). */
  written: string;
  /** Given, When or Then: And and But take the keyword of the step before them. */
  keyword: StepKeyword;
  text: string;
  docString?: { mediaType?: string; content: string };
  line: number;
}

export interface Scenario {
  name: string;
  line: number;
  steps: Step[];
}

export interface Feature {
  name: string;
  scenarios: Scenario[];
}

const STEP = /^(Given|When|Then|And|But|\*)\s+(.*)$/;

export function parseFeature(source: string, fileName = "feature"): Feature {
  const lines = source.replace(/\r\n?/g, "\n").split("\n");
  let feature: Feature | undefined;
  let background: Step[] = [];
  let current: { steps: Step[] } | undefined;
  let previousKeyword: StepKeyword | undefined;
  const fail = (line: number, message: string): never => {
    throw new Error(`${fileName}:${line}: ${message}`);
  };

  for (let index = 0; index < lines.length; index += 1) {
    const raw = lines[index]!;
    const lineNumber = index + 1;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith("@")) continue;

    if (trimmed.startsWith('"""') || trimmed.startsWith("```")) {
      const step = current?.steps[current.steps.length - 1];
      if (!step) fail(lineNumber, "a doc string must follow a step");
      const delimiter = trimmed.slice(0, 3);
      const indent = raw.indexOf(delimiter);
      const mediaType = trimmed.slice(3).trim() || undefined;
      const content: string[] = [];
      let closed = false;
      for (index += 1; index < lines.length; index += 1) {
        const line = lines[index]!;
        if (line.trim() === delimiter) {
          closed = true;
          break;
        }
        content.push(stripIndent(line, indent));
      }
      if (!closed) fail(lineNumber, "unterminated doc string");
      step!.docString = { ...(mediaType ? { mediaType } : {}), content: content.join("\n") };
      continue;
    }

    const heading =
      /^(Feature|Background|Scenario|Scenario Outline|Scenario Template|Examples|Scenarios|Rule|Example):\s*(.*)$/.exec(
        trimmed,
      );
    if (heading) {
      const [, kind, title = ""] = heading;
      if (kind === "Feature") {
        if (feature) fail(lineNumber, "a file holds one feature");
        feature = { name: title, scenarios: [] };
      } else if (kind === "Background") {
        background = [];
        current = { steps: background };
      } else if (kind === "Scenario" || kind === "Example") {
        if (!feature) fail(lineNumber, "a scenario must belong to a feature");
        const scenario: Scenario = {
          name: title,
          line: lineNumber,
          steps: background.map((step) => ({ ...step })),
        };
        feature!.scenarios.push(scenario);
        current = scenario;
      } else {
        fail(lineNumber, `'${kind}' is not supported by this reader`);
      }
      // A scenario's first And/But continues the background's last step.
      previousKeyword =
        kind === "Scenario" || kind === "Example" ? background[background.length - 1]?.keyword : undefined;
      continue;
    }

    const step = STEP.exec(trimmed);
    if (step) {
      if (!current) fail(lineNumber, "a step must belong to a scenario");
      const [, written = "", text = ""] = step;
      let keyword: StepKeyword;
      if (written === "Given" || written === "When" || written === "Then") keyword = written;
      else if (previousKeyword) keyword = previousKeyword;
      else keyword = fail(lineNumber, `'${written}' cannot start a scenario`);
      previousKeyword = keyword;
      current!.steps.push({ written, keyword, text: text.trim(), line: lineNumber });
      continue;
    }

    if (trimmed.startsWith("|")) fail(lineNumber, "data tables are not supported by this reader");
    if (!current) continue; // free description text under Feature:
    if (current.steps.length === 0) continue; // description text under Scenario:
    fail(lineNumber, `cannot read '${trimmed}'`);
  }
  if (!feature) throw new Error(`${fileName}: no Feature`);
  return feature;
}

function stripIndent(line: string, indent: number): string {
  let removable = 0;
  while (
    removable < indent &&
    removable < line.length &&
    (line[removable] === " " || line[removable] === "\t")
  )
    removable += 1;
  return line.slice(removable);
}
