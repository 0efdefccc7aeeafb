import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply } from "fastify";
import { AppError, isAppError } from "../../kernel/app-error.ts";
import {
  parseActionInput,
  parseActionOutput,
  type ActionCatalog,
  type ActionContext,
} from "../../platform/actions/action-catalog.ts";
import { ACTION_HEADERS, problemOfError, toWireJson } from "./action-wire.ts";
import { createModuleGateway } from "./module.gateway.ts";

export interface ServeModuleActionsOptions {
  /** When set, calls must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** Mount point; default none, so the routes are `/actions` and `/actions/:action`. */
  prefix?: string;
  /** Serve only these modules' actions; default every module in the catalog. */
  modules?: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function tokenMatches(expected: string, authorization: string | undefined): boolean {
  if (!authorization?.startsWith("Bearer ")) return false;
  const given = Buffer.from(authorization.slice("Bearer ".length));
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

function sendError(reply: FastifyReply, error: AppError): FastifyReply {
  const problem = problemOfError(error);
  return reply.status(problem.status).type("application/problem+json").send(JSON.stringify(problem));
}

/**
 * Exposes a catalog's local actions to another process, the counterpart of `registerRemoteModule`:
 * `GET /actions` describes them (JSON Schemas), `POST /actions/{module}.{action}` runs one with the JSON
 * body as input and answers `{ "output": ... }`, or problem+json with the error's code and retryability.
 */
export async function serveModuleActions(
  app: FastifyInstance,
  catalog: ActionCatalog,
  options: ServeModuleActionsOptions = {},
): Promise<void> {
  const served = (module: string) => !options.modules || options.modules.includes(module);
  const describer = createModuleGateway({ catalog });

  await app.register(
    async (scope) => {
      scope.setErrorHandler((error, _request, reply) => {
        const appError = isAppError(error)
          ? error
          : (error as { statusCode?: number }).statusCode === 400
            ? AppError.invalidInput([
                { field: "body", reason: error instanceof Error ? error.message : "invalid" },
              ])
            : new AppError({ code: "INTERNAL", message: "the action failed unexpectedly" });
        return sendError(reply, appError);
      });

      scope.addHook("onRequest", async (request, reply) => {
        if (options.token && !tokenMatches(options.token, header(request.headers.authorization))) {
          return sendError(
            reply,
            new AppError({ code: "UNAUTHENTICATED", message: "a valid bearer token is required" }),
          );
        }
      });

      scope.get("/actions", async () => ({
        modules: describer.describe().modules.filter((module) => served(module.module)),
      }));

      scope.post<{ Params: { action: string } }>("/actions/:action", async (request, reply) => {
        const name = request.params.action;
        const action = catalog.get(name);
        if (!action || !served(action.module) || action.remote) {
          return sendError(
            reply,
            new AppError({
              code: "NOT_FOUND",
              message: `action ${name} is not served here`,
              details: { id: name },
            }),
          );
        }
        const tenantId = header(request.headers[ACTION_HEADERS.tenant]);
        const actor = header(request.headers[ACTION_HEADERS.actor]);
        const issues = [
          ...(tenantId && UUID.test(tenantId)
            ? []
            : [{ field: ACTION_HEADERS.tenant, reason: "must be a tenant id" }]),
          ...(actor ? [] : [{ field: ACTION_HEADERS.actor, reason: "is required" }]),
        ];
        if (issues.length > 0 || !tenantId || !actor) {
          return sendError(
            reply,
            AppError.invalidInput(issues, "the call does not say for which tenant or actor"),
          );
        }

        const controller = new AbortController();
        const onClose = () => {
          if (!reply.raw.writableEnded) controller.abort(new Error("the caller went away"));
        };
        reply.raw.once("close", onClose);
        const timeoutMs = Number(header(request.headers[ACTION_HEADERS.timeout]));
        const signal =
          Number.isFinite(timeoutMs) && timeoutMs > 0
            ? AbortSignal.any([controller.signal, AbortSignal.timeout(timeoutMs)])
            : controller.signal;
        const idempotencyKey = header(request.headers[ACTION_HEADERS.idempotencyKey]);
        const ctx: ActionContext = {
          tenantId,
          actor,
          ...(idempotencyKey ? { idempotencyKey } : {}),
          requestId: header(request.headers[ACTION_HEADERS.requestId]) ?? request.id,
          signal,
        };
        try {
          const input = parseActionInput(action, request.body ?? undefined);
          const output = parseActionOutput(action, await action.handler(input, ctx));
          return reply.type("application/json").send(`{"output":${toWireJson(output)}}`);
        } catch (error) {
          if (isAppError(error)) return sendError(reply, error);
          request.log.error({ err: error, action: name }, `${name} failed`);
          return sendError(
            reply,
            new AppError({
              code: "INTERNAL",
              message: `${name} failed unexpectedly`,
              details: { action: name },
            }),
          );
        } finally {
          reply.raw.off("close", onClose);
        }
      });
    },
    options.prefix ? { prefix: options.prefix } : {},
  );
}
