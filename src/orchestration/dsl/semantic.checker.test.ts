import { describe, expect, it } from "vitest";
import type { Diagnostic } from "./diagnostic.types.ts";
import { validateWorkflowDocument, type ValidationOptions } from "./workflow.validator.ts";

const header = `document: { dsl: '1.0.0', namespace: test, name: semantic, version: '1.0.0' }\n`;

function check(
  body: string,
  options?: ValidationOptions,
): { errors: Diagnostic[]; warnings: Diagnostic[]; ok: boolean } {
  return validateWorkflowDocument(header + body, options);
}

function at(diagnostics: Diagnostic[], code: string): string[] {
  return diagnostics.filter((found) => found.code === code).map((found) => found.path);
}

describe("flow directive targets", () => {
  it("reports then targets missing from the same task list, including switch cases", () => {
    const result = check(`
do:
  - first:
      set: { a: 1 }
      then: nowhere
  - second:
      switch:
        - big:
            when: .a > 1
            then: alsoNowhere
        - other:
            then: first
  - nested:
      do:
        - inner:
            set: { b: 2 }
            then: second
`);
    expect(at(result.errors, "unknown-then-target")).toEqual([
      "/do/0/first/then",
      "/do/1/second/switch/0/big/then",
      "/do/2/nested/do/0/inner/then",
    ]);
    expect(result.ok).toBe(false);
  });

  it("accepts continue, exit and end and targets of the same list", () => {
    const result = check(`
do:
  - a:
      set: { x: 1 }
      then: c
  - b:
      set: { x: 2 }
      then: end
  - c:
      set: { x: 3 }
      then: b
  - d:
      if: .x == 3
      set: { x: 4 }
      then: exit
`);
    expect(result.errors.filter((found) => found.code === "unknown-then-target")).toEqual([]);
  });
});

describe("duplicate task names", () => {
  it("reports the second and later uses of a name in one list only", () => {
    const result = check(`
do:
  - step:
      set: { a: 1 }
  - other:
      do:
        - step:
            set: { b: 1 }
  - step:
      set: { c: 1 }
`);
    expect(at(result.errors, "duplicate-task-name")).toEqual(["/do/2/step"]);
  });

  it("checks fork branches too", () => {
    const result = check(`
do:
  - race:
      fork:
        branches:
          - left: { set: { a: 1 } }
          - left: { set: { a: 2 } }
`);
    expect(at(result.errors, "duplicate-task-name")).toEqual(["/do/0/race/fork/branches/1/left"]);
  });
});

describe("functions", () => {
  it("accepts built-in calls and use.functions, rejects unknown plain names", () => {
    const result = check(`
use:
  functions:
    getPet:
      call: http
      with: { method: get, endpoint: https://example.com/pets/1 }
do:
  - viaFunction:
      call: getPet
  - unknown:
      call: sendLetter
`);
    expect(at(result.errors, "unknown-function")).toEqual(["/do/1/unknown/call"]);
  });

  it("accepts dotted module actions with a warning when no catalog is given", () => {
    const result = check(`
do:
  - verify:
      call: invoicing.verify
      with: { invoiceId: '\${ .id }' }
`);
    expect(result.ok).toBe(true);
    expect(at(result.warnings, "unverified-function")).toEqual(["/do/0/verify/call"]);
  });

  it("uses the caller's catalog when one is given", () => {
    const body = `
do:
  - verify:
      call: invoicing.verify
  - remind:
      call: followup.sendReminder
`;
    const result = check(body, { knownFunctions: (name) => name === "invoicing.verify" });
    expect(at(result.errors, "unknown-function")).toEqual(["/do/1/remind/call"]);
    expect(result.warnings.filter((found) => found.code === "unverified-function")).toEqual([]);
  });
});

describe("runtime expressions", () => {
  it("reports every expression that does not compile, at the string holding it", () => {
    const result = check(`
input:
  from: .a |||
do:
  - a:
      if: .x ==
      set:
        ok: \${ .value }
        broken: \${ .value | }
        text: "Dear \${ .name }, you owe \${ .amount + }"
  - b:
      for: { in: '.items[', each: item }
      while: '$item.ok and'
      do:
        - c:
            set: { v: '\${ $item }' }
  - d:
      switch:
        - yes: { when: '.a = = 1', then: continue }
  - e:
      listen:
        to:
          any:
            - with: { type: com.example, data: '\${ .temperature > }' }
          until: 'length >'
  - f:
      raise:
        error: { type: https://example.com/errors/x, status: 400, detail: '\${ "x" + }' }
  - g:
      try:
        - h: { set: { a: 1 } }
      catch:
        when: '$error.status =='
  - i:
      call: http
      with: { method: get, endpoint: { uri: '\${ "https://x/" + }' } }
      output: { as: '.[' }
      export: { as: '$context +' }
`);
    expect(at(result.errors, "expression-syntax")).toEqual([
      "/input/from",
      "/do/0/a/if",
      "/do/0/a/set/broken",
      "/do/0/a/set/text",
      "/do/1/b/for/in",
      "/do/1/b/while",
      "/do/2/d/switch/0/yes/when",
      "/do/3/e/listen/to/any/0/with/data",
      "/do/3/e/listen/to/until",
      "/do/4/f/raise/error/detail",
      "/do/5/g/catch/when",
      "/do/6/i/output/as",
      "/do/6/i/export/as",
      "/do/6/i/with/endpoint/uri",
    ]);
  });

  it("binds exactly the arguments each expression may use", () => {
    const result = check(`
do:
  - loop:
      for: { in: .items, each: invoice, at: position }
      do:
        - useLoopVariables:
            set: { n: '\${ $invoice.number }', at: '\${ $position }', ctx: '\${ $context }' }
  - outsideLoop:
      set: { n: '\${ $invoice }' }
  - outputOnlyInExport:
      set: { a: '\${ $output }' }
      export: { as: '$context + { last: $output }' }
  - guarded:
      try:
        - risky: { set: { a: 1 } }
      catch:
        as: problem
        do:
          - report:
              set: { status: '\${ $problem.status }', wrong: '\${ $error }' }
`);
    expect(
      result.errors
        .filter((found) => found.code === "expression-syntax")
        .map((found) => [found.path, found.message]),
    ).toEqual([
      ["/do/1/outsideLoop/set/n", "runtime expression '$invoice' does not compile: $invoice is not defined"],
      [
        "/do/2/outputOnlyInExport/set/a",
        "runtime expression '$output' does not compile: $output is not defined",
      ],
      [
        "/do/3/guarded/catch/do/0/report/set/wrong",
        "runtime expression '$error' does not compile: $error is not defined",
      ],
    ]);
  });

  it("rejects variable names jq cannot bind", () => {
    const result = check(`
do:
  - loop:
      for: { in: .items, each: my-item }
      do:
        - x: { set: { a: 1 } }
`);
    expect(at(result.errors, "invalid-variable-name")).toEqual(["/do/0/loop/for/each"]);
  });
});

describe("error types and references", () => {
  it("flags types in the spec namespace that are not standard, and unknown references", () => {
    const result = check(`
use:
  errors:
    typo:
      type: https://serverlessworkflow.io/spec/1.0.0/errors/comunication
      status: 500
    custom:
      type: https://prapti.example/errors/overdue
      status: 409
do:
  - standard:
      raise:
        error: { type: https://serverlessworkflow.io/spec/1.0.0/errors/validation, status: 400 }
  - legacyNamespace:
      if: .never
      raise:
        error: { type: https://serverlessworkflow.io/dsl/errors/types/teapot, status: 418 }
  - fine:
      if: .never
      raise:
        error: custom
  - missing:
      if: .never
      raise:
        error: doesNotExist
  - guarded:
      try:
        - a: { set: { a: 1 } }
      catch:
        errors:
          with: { type: https://serverlessworkflow.io/spec/1.0.0/errors/timeouts }
        retry: nope
`);
    expect(at(result.errors, "unknown-error-type")).toEqual([
      "/use/errors/typo/type",
      "/do/1/legacyNamespace/raise/error/type",
      "/do/4/guarded/catch/errors/with/type",
    ]);
    expect(at(result.errors, "unknown-reference")).toEqual([
      "/do/3/missing/raise/error",
      "/do/4/guarded/catch/retry",
    ]);
  });

  it("checks timeout, authentication and secret references", () => {
    const result = check(`
use:
  secrets: [ apiKey ]
  timeouts:
    short: { after: PT5S }
  authentications:
    fromSecret: { bearer: { use: apiKey } }
    fromMissingSecret: { basic: { use: nope } }
do:
  - a:
      timeout: short
      call: http
      with: { method: get, endpoint: { uri: https://x.example/a, authentication: { use: fromSecret } } }
  - b:
      timeout: long
      call: http
      with: { method: get, endpoint: { uri: https://x.example/b, authentication: { use: undefinedPolicy } } }
`);
    expect(new Set(at(result.errors, "unknown-reference"))).toEqual(
      new Set([
        "/do/1/b/timeout",
        "/use/authentications/fromMissingSecret/basic/use",
        "/do/1/b/with/endpoint/authentication/use",
      ]),
    );
  });
});

describe("reachability", () => {
  it("reports tasks after an unconditional jump that nothing targets", () => {
    const result = check(`
do:
  - start:
      set: { a: 1 }
      then: finish
  - skipped:
      set: { a: 2 }
  - alsoSkipped:
      set: { a: 3 }
  - finish:
      set: { a: 4 }
      then: end
  - afterEnd:
      set: { a: 5 }
`);
    expect(at(result.errors, "unreachable-task")).toEqual([
      "/do/1/skipped",
      "/do/2/alsoSkipped",
      "/do/4/afterEnd",
    ]);
  });

  it("treats if, switch cases, targets and raise correctly", () => {
    const result = check(`
do:
  - conditional:
      if: .flag
      set: { a: 1 }
      then: end
  - reachedWhenSkipped:
      switch:
        - one: { when: .a == 1, then: viaCase }
        - two: { when: .a == 2, then: exit }
      then: end
  - viaCase:
      set: { b: 1 }
      then: guarded
  - neverReached:
      set: { c: 1 }
  - guarded:
      do:
        - fail:
            raise: { error: { type: https://prapti.example/errors/x, status: 400 } }
        - afterRaise:
            set: { d: 1 }
`);
    expect(at(result.errors, "unreachable-task")).toEqual([
      "/do/3/neverReached",
      "/do/4/guarded/do/1/afterRaise",
    ]);
    expect(result.errors.find((found) => found.path === "/do/4/guarded/do/1/afterRaise")?.message).toBe(
      "task 'afterRaise' can never run: task 'fail' always raises an error before it",
    );
  });

  it("does not confuse a default switch case with falling through", () => {
    const result = check(`
do:
  - route:
      switch:
        - paid: { when: .paid, then: thank }
        - otherwise: { then: remind }
  - fallThrough:
      set: { never: true }
  - thank:
      set: { a: 1 }
      then: end
  - remind:
      set: { a: 2 }
`);
    expect(at(result.errors, "unreachable-task")).toEqual(["/do/1/fallThrough"]);
  });
});

describe("durations", () => {
  it("refuses calendar units in literal durations", () => {
    const result = check(`
do:
  - pause:
      wait: P1M
  - fine:
      wait: P1DT2H
`);
    expect(at(result.errors, "invalid-duration")).toEqual(["/do/0/pause/wait"]);
  });
});

describe("unsupported features", () => {
  it("validates them with a warning naming the feature", () => {
    const result = check(`
do:
  - build:
      run:
        container: { image: alpine }
  - rpc:
      call: grpc
      with:
        proto: { endpoint: file://app/greet.proto }
        service: { name: Greeter, host: localhost }
        method: SayHello
`);
    expect(result.ok).toBe(true);
    expect(result.warnings.map((found) => [found.path, found.message])).toEqual([
      ["/do/0/build/run/container", "not supported by this runtime: run: container"],
      ["/do/1/rpc/call", "not supported by this runtime: call: grpc"],
    ]);
  });
});
