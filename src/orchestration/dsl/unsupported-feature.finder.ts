import { isPlainObject, joinPointer } from "./json-pointer.util.ts";
import { walkWorkflow } from "./task-list.walker.ts";

/**
 * Parts of the DSL this runtime validates but refuses to run. Publishing or running a document that uses
 * one fails with exactly `not supported by this runtime: <feature>`.
 *
 * - `run: container`, `run: shell`, `run: script`: the hub runs no processes of its own.
 * - `call: grpc`, `call: asyncapi`, `call: mcp`, `call: a2a`: no client for these protocols.
 * - `call: catalog function`: functions named by URI or `name:version@catalog` would fetch and run code
 *   from elsewhere; register the function with the hub instead.
 * - `authentication: digest`, `authentication: certificate`.
 * - `oauth2 grant: <grant>` other than client_credentials and password.
 * - `use.extensions`, `schema: external resource`, `schema format: <format>` other than json,
 *   `evaluate.language: <language>` other than jq, `evaluate.mode: loose`.
 */

export interface UnsupportedFeature {
  feature: string;
  /** JSON pointer of the construct. */
  path: string;
}

const UNSUPPORTED_CALLS = new Set(["grpc", "asyncapi", "mcp", "a2a"]);
const BUILTIN_CALLS = new Set(["http", "openapi", "grpc", "asyncapi", "mcp", "a2a"]);
const SUPPORTED_GRANTS = new Set(["client_credentials", "password"]);

export function unsupportedFeatureMessage(feature: string): string {
  return `not supported by this runtime: ${feature}`;
}

/** True for `call` values that name a function in a catalog or at a URI. */
export function isCatalogFunctionReference(name: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(name) || name.includes("@");
}

/** The distinct unsupported features of a document, in order of first appearance. */
export function unsupportedFeatures(workflow: unknown): string[] {
  return [...new Set(findUnsupportedFeatures(workflow).map((found) => found.feature))];
}

export function findUnsupportedFeatures(workflow: unknown): UnsupportedFeature[] {
  const found: UnsupportedFeature[] = [];
  if (!isPlainObject(workflow)) return found;
  const functions =
    isPlainObject(workflow.use) && isPlainObject(workflow.use.functions) ? workflow.use.functions : {};

  if (isPlainObject(workflow.evaluate)) {
    const { language, mode } = workflow.evaluate;
    if (typeof language === "string" && language !== "jq")
      found.push({ feature: `evaluate.language: ${language}`, path: "/evaluate/language" });
    if (mode === "loose") found.push({ feature: "evaluate.mode: loose", path: "/evaluate/mode" });
  }
  if (
    isPlainObject(workflow.use) &&
    Array.isArray(workflow.use.extensions) &&
    workflow.use.extensions.length > 0
  ) {
    found.push({ feature: "use.extensions", path: "/use/extensions" });
  }

  walkWorkflow(workflow, {
    task({ task, kind, pointer }) {
      if (kind === "run" && isPlainObject(task.run)) {
        for (const process of ["container", "shell", "script"]) {
          if (process in task.run)
            found.push({ feature: `run: ${process}`, path: joinPointer(pointer, "run", process) });
        }
      }
      if (kind === "call" && typeof task.call === "string") {
        const name = task.call;
        if (UNSUPPORTED_CALLS.has(name)) found.push({ feature: `call: ${name}`, path: `${pointer}/call` });
        else if (
          !BUILTIN_CALLS.has(name) &&
          !Object.prototype.hasOwnProperty.call(functions, name) &&
          isCatalogFunctionReference(name)
        ) {
          found.push({ feature: "call: catalog function", path: `${pointer}/call` });
        }
      }
    },
  });

  visitValues(workflow, "", (value, path) => {
    if (!isPlainObject(value)) return;
    const last = path.slice(path.lastIndexOf("/") + 1);
    if (last === "authentication" || /^\/use\/authentications\/[^/]+$/.test(path)) {
      for (const scheme of ["digest", "certificate"]) {
        if (scheme in value)
          found.push({ feature: `authentication: ${scheme}`, path: joinPointer(path, scheme) });
      }
      for (const scheme of ["oauth2", "oidc"]) {
        const policy = value[scheme];
        if (
          isPlainObject(policy) &&
          typeof policy.grant === "string" &&
          !SUPPORTED_GRANTS.has(policy.grant)
        ) {
          found.push({ feature: `oauth2 grant: ${policy.grant}`, path: joinPointer(path, scheme, "grant") });
        }
      }
    }
    if (last === "schema" && /\/(input|output|export)\/schema$/.test(path)) {
      if ("resource" in value) found.push({ feature: "schema: external resource", path: `${path}/resource` });
      if (typeof value.format === "string" && !/^json(:.*)?$/.test(value.format)) {
        found.push({ feature: `schema format: ${value.format}`, path: `${path}/format` });
      }
    }
  });
  return found;
}

/** Calls `visit` for every value of a JSON document with its pointer (depth-limited). */
export function visitValues(
  root: unknown,
  base: string,
  visit: (value: unknown, path: string) => void,
): void {
  const walk = (value: unknown, path: string, depth: number): void => {
    if (depth > 128) return;
    visit(value, path);
    if (Array.isArray(value)) value.forEach((item, index) => walk(item, `${path}/${index}`, depth + 1));
    else if (isPlainObject(value))
      for (const [key, item] of Object.entries(value)) walk(item, joinPointer(path, key), depth + 1);
  };
  walk(root, base, 0);
}
