import { createRequire } from "node:module";
import type { ErrorObject } from "ajv/dist/2020.js";
import { isPlainObject } from "./json-pointer.util.ts";

interface SdkModule {
  validate(typeName: string, data: unknown): void;
}

const SDK_DSL_VERSION = "1.0.0";
/** `- <instancePath> | <schemaPath> | <message> | <params JSON>`, one line per ajv error. */
const ERROR_LINE = /^- (\S*) \| (\S*) \| (.*) \| (\{.*\})$/;

/**
 * Validates against the DSL schema compiled into `@serverlessworkflow/sdk`, for installations where the
 * schema document itself is not on disk. The SDK checks one exact DSL version, so the document is checked
 * as that version; its errors come back as text, which is read back into JSON pointers.
 */
export function createPackagedSchemaValidator(): { validate(value: unknown): ErrorObject[] } {
  const sdk = createRequire(import.meta.url)("@serverlessworkflow/sdk") as SdkModule;
  return {
    validate(value: unknown): ErrorObject[] {
      const copy = structuredClone(value) as Record<string, unknown>;
      if (isPlainObject(copy.document)) copy.document = { ...copy.document, dsl: SDK_DSL_VERSION };
      try {
        sdk.validate("Workflow", copy);
        return [];
      } catch (error) {
        const lines = String((error as Error).message ?? error).split("\n");
        const errors: ErrorObject[] = [];
        for (const line of lines) {
          const match = ERROR_LINE.exec(line);
          if (!match) continue;
          let params: Record<string, unknown> = {};
          try {
            params = JSON.parse(match[4] ?? "{}") as Record<string, unknown>;
          } catch {
            params = {};
          }
          const schemaPath = match[2] ?? "";
          errors.push({
            instancePath: match[1] ?? "",
            schemaPath,
            keyword: schemaPath.split("/").at(-1) ?? "",
            params,
            message: match[3] ?? "does not match the schema",
          });
        }
        return errors.length > 0
          ? errors
          : [
              {
                instancePath: "",
                schemaPath: "#",
                keyword: "",
                params: {},
                message: "does not match the workflow schema",
              },
            ];
      }
    },
  };
}
