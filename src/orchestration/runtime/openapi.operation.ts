import { parse as parseYaml } from "yaml";
import { isPlainObject, readPointer } from "../dsl/json-pointer.util.ts";
import type { HttpCallSpec } from "./http.client.ts";
import { fault } from "./workflow-fault.ts";

/**
 * Turns an OpenAPI operation (OpenAPI 3.x or Swagger 2.0) and a map of parameters into an HTTP request.
 *
 * - The base URL is the first server (OpenAPI 3, variables at their defaults, relative URLs resolved
 *   against the document's URL) or `scheme://host/basePath` (Swagger 2, missing parts taken from the
 *   document's URL, its scheme preferred when the document lists it).
 * - Path, query and header parameters are taken from `parameters` by name; arrays in the query are
 *   repeated (`explode`, `collectionFormat: multi`) or comma-joined (`csv`, the Swagger default).
 * - The body is the Swagger `in: body` parameter, form fields for `in: formData`, or for OpenAPI 3 the
 *   parameter named `body`, else the parameters that are not declared ones.
 * - A missing required parameter is a `validation` error.
 */

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

export interface OpenApiOperation {
  method: string;
  path: string;
  operation: Record<string, unknown>;
  parameters: Array<Record<string, unknown>>;
}

/** Parses an OpenAPI document (JSON or YAML text). */
export function parseOpenApiDocument(text: string, instance: string): Record<string, unknown> {
  let document: unknown;
  try {
    document = JSON.parse(text) as unknown;
  } catch {
    try {
      document = parseYaml(text) as unknown;
    } catch {
      document = undefined;
    }
  }
  if (!isPlainObject(document) || !isPlainObject(document.paths)) {
    throw fault("configuration", {
      title: "Invalid OpenAPI document",
      detail: "the document has no 'paths'",
      instance,
    });
  }
  return document;
}

export function findOperation(
  document: Record<string, unknown>,
  operationId: string,
  instance: string,
): OpenApiOperation {
  const paths = document.paths as Record<string, unknown>;
  for (const [path, item] of Object.entries(paths)) {
    if (!isPlainObject(item)) continue;
    const shared: unknown[] = Array.isArray(item.parameters) ? (item.parameters as unknown[]) : [];
    for (const method of METHODS) {
      const operation = item[method];
      if (!isPlainObject(operation) || operation.operationId !== operationId) continue;
      const own: unknown[] = Array.isArray(operation.parameters) ? (operation.parameters as unknown[]) : [];
      const merged = new Map<string, Record<string, unknown>>();
      for (const parameter of [...shared, ...own]) {
        const resolved = resolveReference(document, parameter);
        if (isPlainObject(resolved) && typeof resolved.name === "string")
          merged.set(`${String(resolved.in)}:${resolved.name}`, resolved);
      }
      return { method: method.toUpperCase(), path, operation, parameters: [...merged.values()] };
    }
  }
  throw fault("configuration", {
    title: "Unknown operation",
    detail: `the OpenAPI document defines no operation '${operationId}'`,
    instance,
  });
}

export function buildOperationRequest(
  document: Record<string, unknown>,
  documentUrl: string,
  found: OpenApiOperation,
  values: Record<string, unknown>,
  instance: string,
): Pick<HttpCallSpec, "method" | "url" | "headers" | "query" | "body" | "rawBody"> {
  const used = new Set<string>();
  let path = found.path;
  const query: Record<string, unknown> = {};
  const headers: Record<string, unknown> = {};
  const form = new URLSearchParams();
  let body: unknown;
  let hasBody = false;
  const swagger = typeof document.swagger === "string";

  for (const parameter of found.parameters) {
    const name = parameter.name as string;
    const location = parameter.in;
    const value = values[name];
    if (value === undefined || value === null) {
      if (parameter.required === true || location === "path") {
        throw fault("validation", {
          title: "Missing parameter",
          detail: `operation parameter '${name}' (in ${String(location)}) is required`,
          instance,
        });
      }
      continue;
    }
    used.add(name);
    switch (location) {
      case "path":
        path = path.split(`{${name}}`).join(encodeURIComponent(scalar(value)));
        break;
      case "query":
        query[name] = queryValue(parameter, value, swagger);
        break;
      case "header":
        headers[name] = Array.isArray(value) ? value.map(scalar).join(",") : scalar(value);
        break;
      case "body":
        body = value;
        hasBody = true;
        break;
      case "formData":
        for (const item of Array.isArray(value) ? value : [value]) form.append(name, scalar(item));
        break;
      default:
        break;
    }
  }

  const requestBody = resolveReference(document, found.operation.requestBody);
  if (!hasBody && isPlainObject(requestBody)) {
    if (values.body !== undefined) {
      body = values.body;
      hasBody = true;
    } else {
      const rest = Object.fromEntries(Object.entries(values).filter(([name]) => !used.has(name)));
      if (Object.keys(rest).length > 0) {
        body = rest;
        hasBody = true;
      } else if (requestBody.required === true) {
        throw fault("validation", {
          title: "Missing request body",
          detail: "the operation requires a request body",
          instance,
        });
      }
    }
  }

  const url = `${baseUrl(document, documentUrl).replace(/\/+$/, "")}${path.startsWith("/") ? path : `/${path}`}`;
  return {
    method: found.method,
    url,
    headers,
    query,
    ...(hasBody ? { body } : {}),
    ...([...form.keys()].length > 0
      ? { rawBody: { text: form.toString(), contentType: "application/x-www-form-urlencoded" } }
      : {}),
  };
}

function baseUrl(document: Record<string, unknown>, documentUrl: string): string {
  const origin = new URL(documentUrl);
  if (typeof document.swagger === "string") {
    const schemes = Array.isArray(document.schemes)
      ? document.schemes.filter((scheme): scheme is string => typeof scheme === "string")
      : [];
    const documentScheme = origin.protocol.replace(":", "");
    const scheme = schemes.length === 0 || schemes.includes(documentScheme) ? documentScheme : schemes[0]!;
    const host = typeof document.host === "string" ? document.host : origin.host;
    const basePath = typeof document.basePath === "string" ? document.basePath : "";
    return `${scheme}://${host}${basePath}`;
  }
  const servers = Array.isArray(document.servers) ? document.servers : [];
  const server = servers.find(isPlainObject);
  if (!server || typeof server.url !== "string") return origin.origin;
  const variables = isPlainObject(server.variables) ? server.variables : {};
  const expanded = server.url.replace(/\{([^}]+)\}/g, (_match, name: string) => {
    const variable = variables[name];
    return isPlainObject(variable) && variable.default !== undefined ? scalar(variable.default) : "";
  });
  return new URL(expanded, documentUrl).toString();
}

function queryValue(parameter: Record<string, unknown>, value: unknown, swagger: boolean): unknown {
  if (!Array.isArray(value)) return scalar(value);
  const items = value.map(scalar);
  if (swagger) {
    const format = typeof parameter.collectionFormat === "string" ? parameter.collectionFormat : "csv";
    if (format === "multi") return items;
    const separator = { csv: ",", ssv: " ", tsv: "\t", pipes: "|" }[format] ?? ",";
    return items.join(separator);
  }
  const explode = parameter.explode !== false;
  return explode ? items : items.join(",");
}

function scalar(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function resolveReference(document: Record<string, unknown>, value: unknown): unknown {
  let current = value;
  for (let hops = 0; hops < 10 && isPlainObject(current) && typeof current.$ref === "string"; hops += 1) {
    const reference = current.$ref;
    if (!reference.startsWith("#")) return undefined;
    current = readPointer(document, decodeURIComponent(reference.slice(1)));
  }
  return current;
}
