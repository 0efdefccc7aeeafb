import { z } from "zod";
import { withTenant, type Database } from "../../platform/db/database.ts";
import type { EventTypeRegistry } from "../../platform/events/event-outbox.ts";
import { appendExternalEvent } from "../../platform/events/external-event.ts";
import { etagOf, requireIfMatch, setEtag } from "../../platform/http/etag.ts";
import { decodeCursor, encodeCursor } from "../../platform/http/pagination.ts";
import type { HttpServer } from "../../platform/http/server.ts";
import type { RouteContext } from "../../platform/modules/module.contract.ts";
import type { DefinitionRegistry } from "../definitions/definition.registry.ts";
import type { Orchestrator } from "../durable/orchestrator.ts";
import type { InstanceRecord } from "../durable/instance.store.ts";
import type { ModuleGateway } from "../gateway/module.gateway.ts";

const ZStatus = z.enum(["pending", "running", "waiting", "suspended", "cancelled", "faulted", "completed"]);
const ZInstance = z.object({
  id: z.string(),
  namespace: z.string(),
  name: z.string(),
  version: z.string(),
  businessKey: z.string().nullable(),
  status: ZStatus,
  input: z.unknown(),
  output: z.unknown(),
  error: z.unknown(),
  execution: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
  endedAt: z.string().nullable(),
});
const ZDefinitionSummary = z.object({
  namespace: z.string(),
  name: z.string(),
  version: z.string(),
  current: z.boolean(),
  deprecated: z.boolean(),
  publishedAt: z.string(),
  publishedBy: z.string(),
  checksum: z.string(),
});
const ZRef = z.object({
  namespace: z.string().regex(/^[a-z0-9-]{1,63}$/),
  name: z.string().regex(/^[a-z0-9-]{1,63}$/),
});
const ZIdParams = z.object({ id: z.uuid() });

function instanceJson(instance: InstanceRecord) {
  return {
    id: instance.id,
    namespace: instance.namespace,
    name: instance.name,
    version: instance.version,
    businessKey: instance.businessKey,
    status: instance.status,
    input: instance.input,
    output: instance.output,
    error: instance.error,
    execution: instance.execution,
    createdAt: instance.createdAt.toISOString(),
    updatedAt: instance.updatedAt.toISOString(),
    endedAt: instance.endedAt?.toISOString() ?? null,
  };
}

export interface WorkflowRoutesDeps {
  definitions: DefinitionRegistry;
  orchestrator: Orchestrator;
  gateway: ModuleGateway;
  database: Database;
  events: EventTypeRegistry;
}

/** The hub's HTTP surface: definitions, instances and their history, events, the module catalog, live updates. */
export function registerWorkflowRoutes(
  app: HttpServer,
  deps: WorkflowRoutesDeps,
  context: RouteContext,
): void {
  const { definitions, orchestrator } = deps;
  const tenantOf = (request: Parameters<RouteContext["principalOf"]>[0]) =>
    context.principalOf(request).tenantId;

  app.get(
    "/api/v1/modules",
    {
      preHandler: context.guard("workflows:read"),
      schema: { tags: ["modules"], summary: "Modules, their actions and JSON Schemas (discovery)" },
    },
    async () => deps.gateway.describe(),
  );

  app.post(
    "/api/v1/workflow-definitions",
    {
      preHandler: context.guard("workflows:publish"),
      schema: {
        tags: ["workflows"],
        summary: "Publish a Serverless Workflow 1.0 definition (YAML or JSON text)",
        body: z.object({ source: z.string().min(1).max(1_000_000) }),
      },
    },
    async (request, reply) => {
      const principal = context.principalOf(request);
      const result = await definitions.publish({
        tenantId: principal.tenantId,
        source: request.body.source,
        publishedBy: principal.actor,
      });
      return reply.status(result.created ? 201 : 200).send(result);
    },
  );

  app.get(
    "/api/v1/workflow-definitions",
    {
      preHandler: context.guard("workflows:read"),
      schema: {
        tags: ["workflows"],
        querystring: z.object({ namespace: z.string().optional(), name: z.string().optional() }),
        response: { 200: z.object({ items: z.array(ZDefinitionSummary) }) },
      },
    },
    async (request) => {
      const items = await definitions.list({ tenantId: tenantOf(request), ...request.query });
      return { items: items.map((item) => ({ ...item, publishedAt: item.publishedAt.toISOString() })) };
    },
  );

  app.get(
    "/api/v1/workflow-definitions/:namespace/:name",
    {
      preHandler: context.guard("workflows:read"),
      schema: {
        tags: ["workflows"],
        params: ZRef,
        querystring: z.object({ version: z.string().optional() }),
      },
    },
    async (request, reply) => {
      const record = await definitions.get({
        tenantId: tenantOf(request),
        ...request.params,
        ...request.query,
      });
      setEtag(reply, etagOf(`${record.namespace}/${record.name}`, `${record.version}:${record.current}`));
      return { ...record, publishedAt: record.publishedAt.toISOString() };
    },
  );

  app.get(
    "/api/v1/workflow-definitions/:namespace/:name/diff",
    {
      preHandler: context.guard("workflows:read"),
      schema: {
        tags: ["workflows"],
        params: ZRef,
        querystring: z.object({ from: z.string(), to: z.string() }),
      },
    },
    async (request) => ({
      changes: await definitions.diff({ tenantId: tenantOf(request), ...request.params, ...request.query }),
    }),
  );

  app.post(
    "/api/v1/workflow-definitions/:namespace/:name/rollback",
    {
      preHandler: context.guard("workflows:publish"),
      schema: { tags: ["workflows"], params: ZRef, body: z.object({ toVersion: z.string() }) },
    },
    async (request) => {
      const tenantId = tenantOf(request);
      const current = await definitions.get({ tenantId, ...request.params });
      requireIfMatch(
        request,
        etagOf(`${current.namespace}/${current.name}`, `${current.version}:${current.current}`),
      );
      await definitions.rollback({ tenantId, ...request.params, toVersion: request.body.toVersion });
      return { namespace: current.namespace, name: current.name, currentVersion: request.body.toVersion };
    },
  );

  app.post(
    "/api/v1/workflow-definitions/:namespace/:name/versions/:version/deprecate",
    {
      preHandler: context.guard("workflows:publish"),
      schema: { tags: ["workflows"], params: ZRef.extend({ version: z.string() }) },
    },
    async (request, reply) => {
      await definitions.deprecate({ tenantId: tenantOf(request), ...request.params });
      return reply.status(204).send();
    },
  );

  app.post(
    "/api/v1/workflow-instances",
    {
      preHandler: context.guard("workflows:operate"),
      schema: {
        tags: ["workflows"],
        summary: "Start an instance (idempotent by business key)",
        body: ZRef.extend({
          version: z.string().optional(),
          input: z.unknown().optional(),
          businessKey: z.string().min(1).max(200).optional(),
        }),
        response: { 200: ZInstance, 201: ZInstance },
      },
    },
    async (request, reply) => {
      const { instance, created } = await orchestrator.start({
        tenantId: tenantOf(request),
        namespace: request.body.namespace,
        name: request.body.name,
        input: request.body.input ?? {},
        ...(request.body.version ? { version: request.body.version } : {}),
        ...(request.body.businessKey ? { businessKey: request.body.businessKey } : {}),
      });
      return reply.status(created ? 201 : 200).send(instanceJson(instance));
    },
  );

  app.get(
    "/api/v1/workflow-instances",
    {
      preHandler: context.guard("workflows:read"),
      schema: {
        tags: ["workflows"],
        querystring: z.object({
          status: z
            .string()
            .transform((value) => value.split(","))
            .pipe(z.array(ZStatus))
            .optional(),
          namespace: z.string().optional(),
          name: z.string().optional(),
          businessKey: z.string().optional(),
          createdAfter: z.iso.datetime().optional(),
          createdBefore: z.iso.datetime().optional(),
          limit: z.coerce.number().int().min(1).max(500).default(50),
          cursor: z.string().optional(),
        }),
        response: { 200: z.object({ items: z.array(ZInstance), nextCursor: z.string().nullable() }) },
      },
    },
    async (request) => {
      const query = request.query;
      const cursor = decodeCursor(query.cursor);
      const rows = await orchestrator.store.list({
        tenantId: tenantOf(request),
        ...(query.status ? { status: query.status } : {}),
        ...(query.namespace ? { namespace: query.namespace } : {}),
        ...(query.name ? { name: query.name } : {}),
        ...(query.businessKey ? { businessKey: query.businessKey } : {}),
        ...(query.createdAfter ? { createdAfter: new Date(query.createdAfter) } : {}),
        ...(query.createdBefore ? { createdBefore: new Date(query.createdBefore) } : {}),
        ...(cursor ? { before: { createdAt: new Date(String(cursor.after)), id: cursor.id } } : {}),
        limit: query.limit + 1,
      });
      const items = rows.slice(0, query.limit);
      const last = items.at(-1);
      return {
        items: items.map(instanceJson),
        nextCursor:
          rows.length > query.limit && last
            ? encodeCursor({ after: last.createdAt.toISOString(), id: last.id })
            : null,
      };
    },
  );

  app.get(
    "/api/v1/workflow-instances/:id",
    {
      preHandler: context.guard("workflows:read"),
      schema: { tags: ["workflows"], params: ZIdParams, response: { 200: ZInstance } },
    },
    async (request) => instanceJson(await orchestrator.store.get(tenantOf(request), request.params.id)),
  );

  app.get(
    "/api/v1/workflow-instances/:id/history",
    { preHandler: context.guard("workflows:read"), schema: { tags: ["workflows"], params: ZIdParams } },
    async (request) => {
      const tenantId = tenantOf(request);
      await orchestrator.store.get(tenantId, request.params.id);
      const history = await orchestrator.store.history(tenantId, request.params.id);
      return { items: history.map((entry) => ({ ...entry, at: entry.at.toISOString() })) };
    },
  );

  for (const verb of ["cancel", "suspend", "resume", "retry"] as const) {
    app.post(
      `/api/v1/workflow-instances/:id/${verb}`,
      {
        preHandler: context.guard("workflows:operate"),
        schema: { tags: ["workflows"], params: ZIdParams, response: { 200: ZInstance } },
      },
      async (request) => {
        const tenantId = tenantOf(request);
        // 404 for an instance this tenant does not have, before a verb can answer with its own status.
        await orchestrator.store.get(tenantId, request.params.id);
        return instanceJson(await orchestrator[verb](tenantId, request.params.id));
      },
    );
  }

  app.get(
    "/api/v1/workflow-exceptions",
    {
      preHandler: context.guard("workflows:read"),
      schema: { tags: ["workflows"], summary: "Instances that need a person: faulted or suspended" },
    },
    async (request) => ({
      items: (
        await orchestrator.store.list({
          tenantId: tenantOf(request),
          status: ["faulted", "suspended"],
          limit: 200,
        })
      ).map(instanceJson),
    }),
  );

  app.post(
    "/api/v1/events",
    {
      preHandler: context.guard("workflows:operate"),
      schema: {
        tags: ["workflows"],
        summary: "Publish an event to waiting workflows",
        body: z.object({
          type: z.string().min(1).max(200),
          source: z.string().min(1).max(500),
          subject: z.string().max(500).optional(),
          data: z.unknown().optional(),
        }),
      },
    },
    async (request, reply) => {
      const tenantId = tenantOf(request);
      const event = await withTenant(deps.database.app, tenantId, (trx) =>
        appendExternalEvent(trx, deps.events, { tenantId, ...request.body, data: request.body.data ?? null }),
      );
      return reply.status(202).send({ id: event.id, type: event.type, time: event.time });
    },
  );

  app.get(
    "/api/v1/stream",
    {
      preHandler: context.guard("workflows:read"),
      schema: {
        tags: ["workflows"],
        summary: "Server-sent events: workflow instance changes as they happen",
        hide: false,
      },
    },
    async (request, reply) => {
      const tenantId = tenantOf(request);
      reply.raw.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        connection: "keep-alive",
      });
      let since = new Date();
      let open = true;
      request.raw.on("close", () => (open = false));
      reply.raw.write(`retry: 2000\n\n`);
      while (open) {
        const changed = await orchestrator.store
          .list({ tenantId, updatedAfter: since, limit: 200 })
          .catch(() => []);
        for (const instance of changed.reverse()) {
          if (instance.updatedAt > since) since = instance.updatedAt;
          const kind =
            instance.status === "faulted" || instance.status === "suspended" ? "exception" : "workflow";
          reply.raw.write(
            `event: ${kind}\nid: ${instance.id}:${instance.updatedAt.getTime()}\ndata: ${JSON.stringify(instanceJson(instance))}\n\n`,
          );
        }
        reply.raw.write(": keep-alive\n\n");
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      reply.raw.end();
      return reply;
    },
  );
}
