import { isAppError } from "../../../kernel/app-error.ts";
import { isPlainObject } from "../../dsl/json-pointer.util.ts";
import { isRuntimeExpression } from "../../dsl/runtime-expression.ts";
import {
  isCatalogFunctionReference,
  unsupportedFeatureMessage,
} from "../../dsl/unsupported-feature.finder.ts";
import { isWorkflowError } from "../../dsl/workflow-error.ts";
import type { CallTask } from "../../dsl/workflow.types.ts";
import { asRecord, performHttpCall, type HttpOutputFormat } from "../http.client.ts";
import { buildOperationRequest, findOperation, parseOpenApiDocument } from "../openapi.operation.ts";
import type { Frame, TaskResult, TaskRunner, TaskState } from "../task.runner.ts";
import { expandUriTemplate } from "../uri-template.ts";
import { fault, isWorkflowFault, statusOfAppError, WorkflowFault } from "../workflow-fault.ts";

const UNSUPPORTED = new Set(["grpc", "asyncapi", "mcp", "a2a"]);
const MAX_FUNCTION_NESTING = 16;

/**
 * `call`: `http`, `openapi`, a function of `use.functions` (run as a task on the evaluated `with`, or on
 * the task's input without `with`), or a custom function of the hub (`invoicing.verify`) through the host.
 * Failures of a call are `communication` errors.
 */
export async function executeCall(runner: TaskRunner, frame: Frame, state: TaskState): Promise<TaskResult> {
  const task = state.task as CallTask;
  const name = task.call;
  if (name === "http") return { output: await callHttp(runner, frame, state, task) };
  if (name === "openapi") return { output: await callOpenApi(runner, frame, state, task) };
  if (UNSUPPORTED.has(name)) {
    throw fault("configuration", {
      title: "Unsupported call",
      detail: unsupportedFeatureMessage(`call: ${name}`),
      instance: state.path,
    });
  }
  const defined = runner.exec.workflow.use?.functions?.[name];
  const input =
    task.with === undefined
      ? state.input
      : await runner.template(task.with, "taskDefinition", frame, state, state.input);
  if (defined) {
    const active = frame.functions ?? [];
    if (active.includes(name) || active.length >= MAX_FUNCTION_NESTING) {
      throw fault("configuration", {
        title: "Recursive function",
        detail: `function '${name}' is called while it runs (${[...active, name].join(" -> ")})`,
        instance: state.path,
      });
    }
    const inner: Frame = { ...frame, functions: [...active, name] };
    // The function runs as part of this task's activation: its effects continue this task's keys.
    const result = await runner.runTask(inner, name, defined, state.path, input, {
      silent: true,
      activation: state.activation,
    });
    return { output: result.output };
  }
  if (isCatalogFunctionReference(name)) {
    throw fault("configuration", {
      title: "Unsupported call",
      detail: unsupportedFeatureMessage("call: catalog function"),
      instance: state.path,
    });
  }
  const exec = runner.exec;
  const identity = exec.nextIdentity(state);
  const output = await exec.effectAt(
    { ...identity, kind: "call", label: name },
    frame.scope,
    async (signal) => {
      try {
        return await exec.host.callFunction({
          ...identity,
          instanceId: exec.instanceId,
          name,
          arguments: input,
          signal,
        });
      } catch (error) {
        throw functionFault(error, name, state.path);
      }
    },
  );
  return { output };
}

async function callHttp(
  runner: TaskRunner,
  frame: Frame,
  state: TaskState,
  task: CallTask,
): Promise<unknown> {
  const raw = isPlainObject(task.with) ? task.with : {};
  const evaluated =
    asRecord(await runner.template(raw, "taskDefinition", frame, state, state.input), "with", state.path) ??
    {};
  const endpoint = resolveEndpoint(raw.endpoint, evaluated.endpoint, state);
  return performHttpCall(runner, frame, state, {
    method: typeof evaluated.method === "string" ? evaluated.method : "GET",
    url: endpoint.url,
    ...optional("headers", asRecord(evaluated.headers, "headers", state.path)),
    ...optional("query", asRecord(evaluated.query, "query", state.path)),
    ...optional("body", evaluated.body),
    output: outputFormat(evaluated.output),
    redirect: evaluated.redirect === true,
    ...optional("authentication", endpoint.authentication),
  });
}

async function callOpenApi(
  runner: TaskRunner,
  frame: Frame,
  state: TaskState,
  task: CallTask,
): Promise<unknown> {
  const raw = isPlainObject(task.with) ? task.with : {};
  const evaluated =
    asRecord(await runner.template(raw, "taskDefinition", frame, state, state.input), "with", state.path) ??
    {};
  const rawDocument = isPlainObject(raw.document) ? raw.document : {};
  const documentSpec = isPlainObject(evaluated.document) ? evaluated.document : {};
  const documentEndpoint = resolveEndpoint(rawDocument.endpoint, documentSpec.endpoint, state);
  const exec = runner.exec;
  let document = exec.documents.get(documentEndpoint.url) as Record<string, unknown> | undefined;
  if (!document) {
    const content = await performHttpCall(runner, frame, state, {
      method: "GET",
      url: documentEndpoint.url,
      output: "content",
      ...optional("authentication", documentEndpoint.authentication),
    });
    document =
      isPlainObject(content) && isPlainObject(content.paths)
        ? content
        : parseOpenApiDocument(typeof content === "string" ? content : JSON.stringify(content), state.path);
    exec.documents.set(documentEndpoint.url, document);
  }
  if (typeof evaluated.operationId !== "string")
    throw fault("configuration", {
      title: "Missing operation",
      detail: "with.operationId is required",
      instance: state.path,
    });
  const operation = findOperation(document, evaluated.operationId, state.path);
  const parameters = asRecord(evaluated.parameters, "parameters", state.path) ?? {};
  const request = buildOperationRequest(document, documentEndpoint.url, operation, parameters, state.path);
  return performHttpCall(runner, frame, state, {
    ...request,
    output: outputFormat(evaluated.output),
    redirect: evaluated.redirect === true,
    ...optional("authentication", evaluated.authentication),
  });
}

/** The URL of an endpoint (string or `{ uri, authentication }`), URI templates expanded against the task's input. */
function resolveEndpoint(
  raw: unknown,
  evaluated: unknown,
  state: TaskState,
): { url: string; authentication?: unknown } {
  const rawUri = isPlainObject(raw) ? raw.uri : raw;
  const uri = isPlainObject(evaluated) ? evaluated.uri : evaluated;
  if (typeof uri !== "string")
    throw fault("configuration", {
      title: "Invalid endpoint",
      detail: "the endpoint has no URI",
      instance: state.path,
    });
  const url =
    typeof rawUri === "string" && isRuntimeExpression(rawUri)
      ? uri
      : expandUriTemplate(uri, state.input, state.path);
  return {
    url,
    ...(isPlainObject(evaluated) && evaluated.authentication !== undefined
      ? { authentication: evaluated.authentication }
      : {}),
  };
}

function outputFormat(value: unknown): HttpOutputFormat {
  return value === "raw" || value === "response" ? value : "content";
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** A failure of a custom function as the spec's `communication` error (a WorkflowError passes through). */
function functionFault(error: unknown, name: string, instance: string): WorkflowFault {
  if (isWorkflowFault(error)) return error;
  if (isWorkflowError(error)) return new WorkflowFault({ ...error, instance: error.instance ?? instance });
  if (isAppError(error)) {
    return fault("communication", {
      status: statusOfAppError(error.code),
      title: error.code,
      detail: `${name}: ${error.message}`,
      instance,
    });
  }
  return fault("communication", {
    title: "Function failed",
    detail: `${name}: ${error instanceof Error ? error.message : String(error)}`,
    instance,
  });
}
