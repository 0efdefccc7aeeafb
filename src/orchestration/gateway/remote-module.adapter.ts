import { z } from "zod";
import { AppError } from "../../kernel/app-error.ts";
import type { ActionCatalog, ActionDefinition, ActionPolicy } from "../../platform/actions/action-catalog.ts";
import { ACTION_HEADERS, errorFromResponse, toWireJson } from "./action-wire.ts";
import { classifyNetworkError } from "./gateway-errors.ts";
import { activeTraceParent } from "../../platform/telemetry/tracing.ts";

/** An action of a remote module as the hub knows it: its contract, without a handler. */
export type RemoteActionContract = Omit<ActionDefinition, "module" | "handler">;

export interface RegisterRemoteModuleOptions {
  module: string;
  /** Where the module serves its actions, e.g. `http://ledger.internal:8080` (no trailing `/actions`). */
  baseUrl: string;
  actions: RemoteActionContract[];
  /** Module defaults, breaker and bulkhead included. */
  policy?: Partial<ActionPolicy>;
  /** Sent as `Authorization: Bearer <token>`; the module's `serveModuleActions` checks it. */
  token?: string;
  fetch?: typeof fetch;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { detail: text.slice(0, 500) };
  }
}

/** The handler that calls one action of a module in another process over HTTP. */
export function createRemoteHandler(options: {
  baseUrl: string;
  qualifiedName: string;
  timeoutMs?: number;
  token?: string;
  fetch?: typeof fetch;
}): ActionDefinition["handler"] {
  const doFetch = options.fetch ?? fetch;
  const url = `${trimSlash(options.baseUrl)}/actions/${encodeURIComponent(options.qualifiedName)}`;
  return async (input, ctx) => {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: "application/json",
      [ACTION_HEADERS.tenant]: ctx.tenantId,
      [ACTION_HEADERS.actor]: ctx.actor,
    };
    if (ctx.idempotencyKey) headers[ACTION_HEADERS.idempotencyKey] = ctx.idempotencyKey;
    if (ctx.requestId) headers[ACTION_HEADERS.requestId] = ctx.requestId;
    if (options.timeoutMs) headers[ACTION_HEADERS.timeout] = String(options.timeoutMs);
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const traceParent = activeTraceParent();
    if (traceParent) headers.traceparent = traceParent;
    let response: Response;
    try {
      response = await doFetch(url, { method: "POST", headers, body: toWireJson(input), signal: ctx.signal });
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      const network = classifyNetworkError(error);
      throw new AppError({
        code: "UNAVAILABLE",
        message: `${options.qualifiedName} could not reach ${options.baseUrl}: ${
          (error as Error).cause instanceof Error
            ? ((error as Error).cause as Error).message
            : (error as Error).message
        }`,
        details: {
          reason: "network",
          remote: options.baseUrl,
          ...(network === "not-sent" ? {} : { outcomeUnknown: true }),
        },
        retryable: true,
        cause: error,
      });
    }
    const body = await readBody(response);
    if (!response.ok) throw errorFromResponse(response.status, body, options.qualifiedName, options.baseUrl);
    if (typeof body !== "object" || body === null || !("output" in body)) {
      throw new AppError({
        code: "INTERNAL",
        message: `${options.qualifiedName} answered without an output (${options.baseUrl})`,
        details: { remote: options.baseUrl },
      });
    }
    return body.output;
  };
}

/**
 * Registers the actions of a module that runs as its own service: each call becomes
 * `POST {baseUrl}/actions/{module}.{action}` with the JSON input, tenant, actor and idempotency headers;
 * problem answers become AppErrors again. The gateway applies the module's policy as for a local module.
 */
export function registerRemoteModule(catalog: ActionCatalog, options: RegisterRemoteModuleOptions): void {
  const baseUrl = trimSlash(options.baseUrl);
  catalog.registerModule({
    module: options.module,
    ...(options.policy ? { policy: options.policy } : {}),
    remote: { baseUrl },
    actions: options.actions.map((contract) => ({
      ...contract,
      handler: createRemoteHandler({
        baseUrl,
        qualifiedName: `${options.module}.${contract.name}`,
        ...((contract.policy?.timeoutMs ?? options.policy?.timeoutMs)
          ? { timeoutMs: contract.policy?.timeoutMs ?? options.policy?.timeoutMs }
          : {}),
        ...(options.token ? { token: options.token } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
    })),
  });
}

const ZDiscovery = z.object({
  modules: z.array(
    z.object({
      module: z.string(),
      actions: z.array(
        z.object({
          name: z.string(),
          kind: z.enum(["command", "query"]),
          permission: z.string(),
          description: z.string().optional(),
          input: z.record(z.string(), z.unknown()),
          output: z.record(z.string(), z.unknown()),
        }),
      ),
    }),
  ),
});

/**
 * Asks a remote module for its actions (`GET {baseUrl}/actions`) and registers them with schemas rebuilt
 * from their JSON Schemas. For modules whose contracts the hub does not ship with its own code.
 */
export async function discoverRemoteModule(
  catalog: ActionCatalog,
  options: Omit<RegisterRemoteModuleOptions, "actions">,
): Promise<{ actions: string[] }> {
  const doFetch = options.fetch ?? fetch;
  const baseUrl = trimSlash(options.baseUrl);
  const response = await doFetch(`${baseUrl}/actions`, {
    headers: {
      accept: "application/json",
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
  });
  const body = await readBody(response);
  if (!response.ok) throw errorFromResponse(response.status, body, `${options.module} discovery`, baseUrl);
  const parsed = ZDiscovery.safeParse(body);
  if (!parsed.success) {
    throw new AppError({
      code: "INTERNAL",
      message: `${baseUrl}/actions did not answer with an action list`,
    });
  }
  const described = parsed.data.modules.find((entry) => entry.module === options.module);
  if (!described) throw AppError.notFound("module", `${options.module} at ${baseUrl}`);
  const actions: RemoteActionContract[] = described.actions.map((action) => ({
    name: action.name,
    kind: action.kind,
    permission: action.permission,
    ...(action.description ? { description: action.description } : {}),
    input: z.fromJSONSchema(action.input as Parameters<typeof z.fromJSONSchema>[0]),
    output: z.fromJSONSchema(action.output as Parameters<typeof z.fromJSONSchema>[0]),
  }));
  registerRemoteModule(catalog, { ...options, actions });
  return { actions: actions.map((action) => `${options.module}.${action.name}`) };
}
