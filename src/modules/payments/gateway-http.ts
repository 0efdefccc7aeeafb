import { AppError } from "../../kernel/app-error.ts";

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface GatewayResponse {
  status: number;
  body: unknown;
}

/**
 * Sends one JSON request to a gateway. Network failures and timeouts become UNAVAILABLE (retryable); the body of
 * any response is returned parsed (or as text when it is not JSON) for the adapter to interpret.
 */
export async function sendGatewayRequest(options: {
  fetch: FetchLike;
  provider: string;
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  timeoutMs: number;
}): Promise<GatewayResponse> {
  let response: Response;
  try {
    response = await options.fetch(options.url, {
      method: options.method,
      headers: {
        accept: "application/json",
        ...(options.body === undefined ? {} : { "content-type": "application/json" }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: AbortSignal.timeout(options.timeoutMs),
      redirect: "error",
    });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    throw new AppError({
      code: "UNAVAILABLE",
      message: `${options.provider} ${timedOut ? "did not answer in time" : "could not be reached"}`,
      retryable: true,
      cause: error,
      details: { provider: options.provider },
    });
  }
  const text = await response.text();
  let body: unknown = text;
  if (text !== "") {
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      body = text;
    }
  }
  return { status: response.status, body };
}

/** Maps an HTTP failure to the application's error codes. */
export function gatewayError(options: {
  provider: string;
  status: number;
  description: string;
  field?: string;
  providerCode?: string;
}): AppError {
  const details = {
    provider: options.provider,
    status: options.status,
    ...(options.providerCode ? { providerCode: options.providerCode } : {}),
  };
  const message = `${options.provider}: ${options.description}`;
  if (options.status === 400 || options.status === 422) {
    return new AppError({
      code: "INVALID_INPUT",
      message,
      issues: [
        { field: options.field ? `gateway.${options.field}` : "gateway", reason: options.description },
      ],
      details,
    });
  }
  if (options.status === 401)
    return new AppError({
      code: "UNAUTHENTICATED",
      message: `${options.provider} refused the API credentials`,
      details,
    });
  if (options.status === 403) return new AppError({ code: "FORBIDDEN", message, details });
  if (options.status === 404) return new AppError({ code: "NOT_FOUND", message, details });
  if (options.status === 409) return new AppError({ code: "CONFLICT", message, details });
  if (options.status === 429)
    return new AppError({ code: "RATE_LIMITED", message, details, retryable: true });
  if (options.status >= 500) return new AppError({ code: "UNAVAILABLE", message, details, retryable: true });
  return new AppError({
    code: "INTERNAL",
    message: `${message} (unexpected HTTP ${options.status})`,
    details,
  });
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined;
}

export function trimBaseUrl(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, "");
}
