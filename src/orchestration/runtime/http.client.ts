import { isPlainObject } from "../dsl/json-pointer.util.ts";
import type { HttpResponse } from "./runtime-host.port.ts";
import { guardedFetch } from "./http-transport.ts";
import type { Frame, TaskRunner, TaskState } from "./task.runner.ts";
import { resolveAuthorization } from "./http-authentication.ts";
import { fault } from "./workflow-fault.ts";

/**
 * HTTP calls of `call: http` and `call: openapi`: builds the request, authenticates it, runs the exchange
 * as a journaled effect (with the effect key as `Idempotency-Key`), checks the status and shapes the
 * output (`content`, `response` or `raw`).
 */

export type HttpOutputFormat = "content" | "response" | "raw";

export interface HttpCallSpec {
  method: string;
  /** Absolute URL, without the query parameters of `query`. */
  url: string;
  headers?: Record<string, unknown>;
  query?: Record<string, unknown>;
  body?: unknown;
  output?: HttpOutputFormat;
  /** When true, 3xx responses are results rather than errors (they are never followed). */
  redirect?: boolean;
  /** An authentication policy or a reference to one (`{ use: name }`), not yet evaluated. */
  authentication?: unknown;
  /** Body already serialised, with its content type (OpenAPI form bodies). */
  rawBody?: { text: string; contentType: string };
}

export async function performHttpCall(
  runner: TaskRunner,
  frame: Frame,
  state: TaskState,
  spec: HttpCallSpec,
): Promise<unknown> {
  const method = spec.method.toUpperCase();
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.headers ?? {})) {
    if (value !== undefined && value !== null)
      headers[name.toLowerCase()] = typeof value === "string" ? value : JSON.stringify(value);
  }
  const authorization = await resolveAuthorization(runner, frame, state, spec.authentication);
  if (authorization) {
    state.authorization = authorization;
    headers.authorization = `${authorization.scheme} ${authorization.parameter}`;
  }
  let url: URL;
  try {
    url = new URL(spec.url);
  } catch {
    throw fault("configuration", {
      title: "Invalid endpoint",
      detail: `'${spec.url}' is not an absolute URL`,
      instance: state.path,
    });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw fault("configuration", {
      title: "Invalid endpoint",
      detail: `only http and https endpoints can be called, not ${url.protocol}`,
      instance: state.path,
    });
  }
  for (const [name, value] of Object.entries(spec.query ?? {})) appendQuery(url, name, value);

  let body: string | undefined;
  if (spec.rawBody) {
    body = spec.rawBody.text;
    headers["content-type"] ??= spec.rawBody.contentType;
  } else if (spec.body !== undefined && spec.body !== null && method !== "GET" && method !== "HEAD") {
    if (typeof spec.body === "string") {
      body = spec.body;
      headers["content-type"] ??= "text/plain; charset=utf-8";
    } else {
      body = JSON.stringify(spec.body);
      headers["content-type"] ??= "application/json";
    }
  }
  headers.accept ??= "application/json, */*;q=0.5";

  const exec = runner.exec;
  const identity = exec.nextIdentity(state);
  headers["idempotency-key"] ??= identity.key;
  const target = url.toString();
  const response = await exec.effectAt(
    { ...identity, kind: "call", label: `${method} ${url.origin}${url.pathname}` },
    frame.scope,
    (signal) =>
      guardedFetch(
        runner,
        { method, url: target, headers, ...(body === undefined ? {} : { body }), signal },
        state.path,
      ),
  );
  checkStatus(response, method, target, spec.redirect === true, state.path);
  const content = decodeContent(response);
  switch (spec.output ?? "content") {
    case "raw":
      return response.bodyBase64;
    case "response":
      return {
        request: { method, uri: target, headers: redactHeaders(headers) },
        statusCode: response.status,
        headers: response.headers,
        content,
      };
    case "content":
      return content;
  }
}

function appendQuery(url: URL, name: string, value: unknown): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) appendQuery(url, name, item);
    return;
  }
  url.searchParams.append(name, typeof value === "string" ? value : JSON.stringify(value));
}

function checkStatus(
  response: HttpResponse,
  method: string,
  url: string,
  allowRedirects: boolean,
  instance: string,
): void {
  const upper = allowRedirects ? 399 : 299;
  if (response.status >= 200 && response.status <= upper) return;
  const excerpt = Buffer.from(response.bodyBase64, "base64").toString("utf8").slice(0, 300).trim();
  const location = new URL(url);
  throw fault("communication", {
    status: response.status,
    title: response.statusText || `HTTP ${response.status}`,
    detail: `${method} ${location.origin}${location.pathname} responded ${response.status}${excerpt ? `: ${excerpt}` : ""}`,
    instance,
  });
}

/** The response content: JSON parsed, text as text, anything else base64-encoded; null when empty. */
export function decodeContent(response: HttpResponse): unknown {
  if (response.bodyBase64 === "") return null;
  const bytes = Buffer.from(response.bodyBase64, "base64");
  const type = (response.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  const text = (): string => bytes.toString("utf8");
  if (type === "application/json" || type.endsWith("+json") || type === "") {
    try {
      return JSON.parse(text()) as unknown;
    } catch {
      if (type !== "") return text();
    }
  }
  if (
    type.startsWith("text/") ||
    type.endsWith("+xml") ||
    type === "application/xml" ||
    type === "application/x-www-form-urlencoded" ||
    type === "application/javascript"
  ) {
    return text();
  }
  if (type === "") {
    const decoded = text();
    return decoded.includes("\uFFFD") ? response.bodyBase64 : decoded;
  }
  return response.bodyBase64;
}

function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const copy = { ...headers };
  if ("authorization" in copy) copy.authorization = "[redacted]";
  return copy;
}

/** Reads `headers`/`query` after evaluation: an object of values, or nothing. */
export function asRecord(
  value: unknown,
  what: string,
  instance: string,
): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value))
    throw fault("validation", { title: `Invalid ${what}`, detail: `${what} must be an object`, instance });
  return value;
}
