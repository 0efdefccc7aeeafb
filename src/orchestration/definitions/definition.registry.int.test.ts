import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant } from "../../../test/support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import type { AppError } from "../../kernel/app-error.ts";
import { unsupportedFeatures } from "../dsl/unsupported-feature.finder.ts";
import { validateWorkflowDocument } from "../dsl/workflow.validator.ts";
import { createDefinitionRegistry, type DefinitionRegistry } from "./definition.registry.ts";

let database: TestDatabase;
let registry: DefinitionRegistry;
let tenantId: string;
let otherTenantId: string;

const followup = (version: string, reminder = "first") => `
document:
  dsl: '1.0.0'
  namespace: receivables
  name: overdue-followup
  version: '${version}'
do:
  - remind:
      set:
        reminder: ${reminder}
`;

async function failureOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    return error as AppError;
  }
  throw new Error("expected a failure");
}

beforeAll(async () => {
  database = await createTestDatabase();
  registry = createDefinitionRegistry({
    db: database.app,
    validate: (text) => validateWorkflowDocument(text, { knownFunctions: () => true }),
    unsupportedFeatures: (workflow) => unsupportedFeatures(workflow),
  });
  tenantId = await createTenant(database.owner, "Asha Textiles");
  otherTenantId = await createTenant(database.owner, "Bharat Steel");
});

afterAll(async () => {
  await database?.drop();
});

const ref = () => ({ tenantId, namespace: "receivables", name: "overdue-followup" });

describe("definition registry", () => {
  it("publishes versions forward, keeps them all, and uses the newest for new instances", async () => {
    expect(
      await registry.publish({ tenantId, source: followup("1.0.0"), publishedBy: "owner" }),
    ).toMatchObject({ created: true });
    expect(
      await registry.publish({ tenantId, source: followup("1.0.0"), publishedBy: "owner" }),
    ).toMatchObject({ created: false });
    await registry.publish({ tenantId, source: followup("1.1.0", "second"), publishedBy: "owner" });
    expect((await registry.get(ref())).version).toBe("1.1.0");
    expect((await registry.list({ tenantId })).map((entry) => [entry.version, entry.current])).toEqual([
      ["1.1.0", true],
      ["1.0.0", false],
    ]);
    expect(await registry.list({ tenantId: otherTenantId })).toEqual([]);
  });

  it("refuses a changed document under a published version and a version that goes backwards", async () => {
    const changed = await failureOf(
      registry.publish({ tenantId, source: followup("1.1.0", "third"), publishedBy: "owner" }),
    );
    expect(changed.code).toBe("CONFLICT");
    const backwards = await failureOf(
      registry.publish({ tenantId, source: followup("1.0.5"), publishedBy: "owner" }),
    );
    expect(backwards.message).toMatch(/must be above the highest published version 1\.1\.0/);
  });

  it("refuses an invalid definition with every error and its JSON pointer", async () => {
    const source = `
document: { dsl: '1.0.0', namespace: receivables, name: broken, version: '1.0.0' }
do:
  - first:
      set: { a: 1 }
      then: nowhere
  - first:
      set:
        b: '\${ .a + }'
`;
    const error = await failureOf(registry.publish({ tenantId, source, publishedBy: "owner" }));
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.issues.length).toBeGreaterThanOrEqual(3);
    expect(error.issues.map((issue) => issue.field)).toEqual(
      expect.arrayContaining(["/do/0/first/then", "/do/1/first", "/do/1/first/set/b"]),
    );
    expect(await registry.list({ tenantId, name: "broken" })).toEqual([]);
  });

  it("refuses features this runtime does not execute", async () => {
    const source = `
document: { dsl: '1.0.0', namespace: receivables, name: shell, version: '1.0.0' }
do:
  - runIt:
      run:
        shell:
          command: 'echo hi'
`;
    const error = await failureOf(registry.publish({ tenantId, source, publishedBy: "owner" }));
    expect(error.message).toContain("not supported by this runtime: run: shell");
  });

  it("diffs two versions, rolls back, and deprecates only versions that are not current", async () => {
    expect(await registry.diff({ ...ref(), from: "1.0.0", to: "1.1.0" })).toEqual(
      expect.arrayContaining([
        { path: "/document/version", change: "changed", before: "1.0.0", after: "1.1.0" },
        { path: "/do/0/remind/set/reminder", change: "changed", before: "first", after: "second" },
      ]),
    );
    await registry.rollback({ ...ref(), toVersion: "1.0.0" });
    expect((await registry.get(ref())).version).toBe("1.0.0");
    expect((await failureOf(registry.deprecate({ ...ref(), version: "1.0.0" }))).code).toBe("CONFLICT");
    await registry.deprecate({ ...ref(), version: "1.1.0" });
    expect((await failureOf(registry.resolveForStart({ ...ref(), version: "1.1.0" }))).message).toMatch(
      /deprecated/,
    );
    expect((await failureOf(registry.rollback({ ...ref(), toVersion: "1.1.0" }))).code).toBe("CONFLICT");
    expect((await failureOf(registry.get({ ...ref(), version: "9.9.9" }))).code).toBe("NOT_FOUND");
  });
});
