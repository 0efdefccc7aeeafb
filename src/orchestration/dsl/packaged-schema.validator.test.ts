import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { sharedPath } from "../../../test/support/shared-path.ts";
import { createPackagedSchemaValidator } from "./packaged-schema.validator.ts";

const validator = createPackagedSchemaValidator();

describe("schema compiled into the SDK package (used when the schema document is not on disk)", () => {
  it("accepts the specification's examples", async () => {
    const directory = sharedPath("conformance/serverless-workflow/examples");
    const files = (await readdir(directory)).filter((file) => file.endsWith(".yaml"));
    const refused: string[] = [];
    for (const file of files) {
      const errors = validator.validate(parse(await readFile(join(directory, file), "utf8")));
      if (errors.length > 0) refused.push(`${file}: ${errors[0]?.instancePath} ${errors[0]?.message}`);
    }
    // The package carries the 1.0.0 schema; a handful of newer examples may use later additions.
    expect(refused.length).toBeLessThanOrEqual(Math.ceil(files.length * 0.1));
  });

  it("reports structural errors with their JSON pointers", () => {
    const errors = validator.validate({
      document: { dsl: "1.0.3", namespace: "test", name: "bad", version: "1.0.0" },
      do: [{ first: { set: { a: 1 }, unexpected: true } }],
    });
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.some((error) => error.instancePath.startsWith("/do/0/first"))).toBe(true);
  });
});
