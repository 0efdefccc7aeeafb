import { isPlainObject } from "../dsl/json-pointer.util.ts";
import { fault } from "./workflow-fault.ts";

/**
 * RFC 6570 simple string expansion, the only form the DSL supports in URIs: `{name}` is replaced by the
 * top-level property `name` of the task's input (percent-encoded); a missing or null value expands to
 * nothing; objects and arrays are refused with an `expression` error, as the spec asks.
 */
export function expandUriTemplate(template: string, input: unknown, instance: string): string {
  return template.replace(/\{([^{}]+)\}/g, (_placeholder, name: string) => {
    const value = isPlainObject(input) ? input[name] : undefined;
    if (value === undefined || value === null) return "";
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
      return encodeValue(String(value));
    throw fault("expression", {
      title: "Invalid URI template value",
      detail: `'{${name}}' can only be replaced by a string, number, boolean or null, not ${Array.isArray(value) ? "an array" : "an object"}`,
      instance,
    });
  });
}

function encodeValue(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
