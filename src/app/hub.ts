import type { Logger } from "pino";
import { AppError } from "../kernel/app-error.ts";
import type { Database } from "../platform/db/database.ts";
import { withTenant } from "../platform/db/database.ts";
import type { EventTypeRegistry } from "../platform/events/event-outbox.ts";
import { appendExternalEvent } from "../platform/events/external-event.ts";
import type { WorkflowEngine } from "../platform/engine/workflow-engine.ts";
import { createDefinitionRegistry } from "../orchestration/definitions/definition.registry.ts";
import { unsupportedFeatures } from "../orchestration/dsl/unsupported-feature.finder.ts";
import { validateWorkflowDocument } from "../orchestration/dsl/workflow.validator.ts";
import { createOrchestrator, type Interpret } from "../orchestration/durable/orchestrator.ts";
import type { FunctionCallRequest } from "../orchestration/runtime/runtime-host.port.ts";
import type { Tracing } from "../platform/telemetry/tracing.ts";

/** A custom function (`call: invoicing.verify`) as the hub reaches it: through the module gateway. */
export interface FunctionCatalog {
  has(name: string): boolean;
  call(request: FunctionCallRequest & { tenantId: string }): Promise<unknown>;
}

export interface CreateHubOptions {
  database: Database;
  engine: () => WorkflowEngine;
  events: EventTypeRegistry;
  functions: FunctionCatalog;
  interpret: Interpret;
  logger: Logger;
  parkThresholdMs: number;
  tracing?: Tracing;
}

/** Wires the orchestration hub: definitions registry and the durable orchestrator. */
export function createHub(options: CreateHubOptions) {
  const definitions = createDefinitionRegistry({
    db: options.database.app,
    validate: (text) =>
      validateWorkflowDocument(text, { knownFunctions: (name) => options.functions.has(name) }),
    unsupportedFeatures: (workflow) => unsupportedFeatures(workflow),
  });
  const orchestrator = createOrchestrator({
    db: options.database.app,
    owner: options.database.owner,
    engine: options.engine,
    definitions,
    interpret: options.interpret,
    logger: options.logger,
    parkThresholdMs: options.parkThresholdMs,
    ...(options.tracing ? { tracing: options.tracing } : {}),
    callFunction: (request) => {
      if (!options.functions.has(request.name)) {
        throw new AppError({
          code: "NOT_FOUND",
          message: `no action named ${request.name} in the module catalog`,
        });
      }
      return options.functions.call(request);
    },
    emit: async (request) => {
      await withTenant(options.database.app, request.tenantId, (trx) =>
        appendExternalEvent(trx, options.events, {
          tenantId: request.tenantId,
          id: request.event.id,
          type: request.event.type,
          source: request.event.source,
          ...(request.event.subject ? { subject: request.event.subject } : {}),
          data: request.event.data ?? null,
        }),
      );
    },
  });
  return { definitions, orchestrator };
}

export type Hub = ReturnType<typeof createHub>;
