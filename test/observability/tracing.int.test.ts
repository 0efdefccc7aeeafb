import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningPrapti } from "../../src/app/runtime.ts";
import { testSecurity } from "../../src/platform/auth/auth.fixtures.testing.ts";
import { createTracing, SpanKind } from "../../src/platform/telemetry/tracing.ts";
import { startInProcess, waitForInstance } from "../support/running-prapti.ts";
import { createTenant } from "../support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";

const exporter = new InMemorySpanExporter();
let database: TestDatabase;
let prapti: RunningPrapti;
let tenantId: string;
let accessToken: string;

const CALLER_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN_ID = "00f067aa0ba902b7";

beforeAll(async () => {
  database = await createTestDatabase();
  tenantId = await createTenant(database.owner, "Traced Traders");
  await testSecurity(database).provisioning.provisionUser({
    email: "owner@traced.example",
    displayName: "Owner",
    password: "a long and careful passphrase",
    memberships: [{ tenantId, role: "owner" }],
  });
  prapti = await startInProcess({
    databaseUrl: database.url,
    tracing: createTracing({ serviceName: "prapti-test", exporter }),
  });
  const login = await fetch(`${prapti.url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "owner@traced.example", password: "a long and careful passphrase" }),
  });
  expect(login.status).toBe(200);
  accessToken = ((await login.json()) as { accessToken: string }).accessToken;
  await prapti.hub.definitions.publish({
    tenantId,
    publishedBy: "test",
    source: `
document: { dsl: '1.0.0', namespace: test, name: traced, version: '1.0.0' }
do:
  - findCustomer:
      call: customers.find
      with:
        name: Nobody In Particular
`,
  });
});

afterAll(async () => {
  await prapti?.stop();
  await database?.drop();
});

const spanId = (span: ReadableSpan) => span.spanContext().spanId;
const traceId = (span: ReadableSpan) => span.spanContext().traceId;
const parentId = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe("traces across API → workflow → gateway → module", () => {
  it("continues the caller's trace from the request through the workflow execution into the module", async () => {
    exporter.reset();
    const response = await fetch(`${prapti.url}/api/v1/workflow-instances`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${accessToken}`,
        traceparent: `00-${CALLER_TRACE_ID}-${CALLER_SPAN_ID}-01`,
      },
      body: JSON.stringify({ namespace: "test", name: "traced", input: {} }),
    });
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: string };
    const finished = await waitForInstance(prapti, tenantId, id, ["completed", "faulted"]);
    expect(finished.status).toBe("completed");

    let spans: ReadableSpan[] = [];
    for (let i = 0; i < 200; i++) {
      spans = exporter.getFinishedSpans().filter((span) => traceId(span) === CALLER_TRACE_ID);
      if (spans.some((span) => span.name === "workflow.execute")) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const byName = (name: string) => {
      const found = spans.find((span) => span.name === name);
      if (!found) throw new Error(`no span ${name} in ${spans.map((span) => span.name).join(", ")}`);
      return found;
    };
    const request = byName("POST /api/v1/workflow-instances");
    const start = byName("workflow.start");
    const execute = byName("workflow.execute");
    const gatewayCall = byName("gateway.call");
    const moduleCall = byName("module customers.find");

    expect(request.kind).toBe(SpanKind.SERVER);
    expect(parentId(request)).toBe(CALLER_SPAN_ID);
    expect(request.attributes["http.response.status_code"]).toBe(201);
    expect(parentId(start)).toBe(spanId(request));
    expect(start.attributes["prapti.workflow.definition"]).toBe("test/traced");
    expect(parentId(execute)).toBe(spanId(start));
    expect(execute.attributes["prapti.workflow.instance_id"]).toBe(id);
    expect(execute.attributes["prapti.workflow.outcome"]).toBeDefined();
    expect(parentId(gatewayCall)).toBe(spanId(execute));
    expect(gatewayCall.attributes["prapti.action"]).toBe("customers.find");
    expect(parentId(moduleCall)).toBe(spanId(gatewayCall));
    expect(spans.every((span) => span.resource.attributes["service.name"] === "prapti-test")).toBe(true);
  });

  it("starts a new trace for a request without traceparent and marks failed module calls", async () => {
    exporter.reset();
    const response = await fetch(`${prapti.url}/api/v1/workflow-instances`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ namespace: "test", name: "no-such-definition", input: {} }),
    });
    expect(response.status).toBe(404);
    const request = exporter
      .getFinishedSpans()
      .find((span) => span.name === "POST /api/v1/workflow-instances");
    expect(request).toBeDefined();
    expect(parentId(request!)).toBeUndefined();
    expect(request!.attributes["http.response.status_code"]).toBe(404);

    await expect(
      prapti.gateway.call(
        "customers.get",
        { customerId: "00000000-0000-4000-8000-000000000000" },
        {
          tenantId,
          actor: "test",
        },
      ),
    ).rejects.toThrow();
    const failed = exporter.getFinishedSpans().find((span) => span.name === "gateway.call");
    expect(failed?.status.code).toBe(2);
    expect(failed?.events.some((event) => event.name === "exception")).toBe(true);
  });
});

describe("OTLP export", () => {
  let collector: Server;
  const received: { path: string; contentType: string; body: string }[] = [];

  beforeAll(async () => {
    collector = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        received.push({
          path: request.url ?? "",
          contentType: String(request.headers["content-type"] ?? ""),
          body: Buffer.concat(chunks).toString("utf8"),
        });
        response.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
  });

  afterAll(() => {
    collector?.close();
  });

  it("sends spans to the configured collector over OTLP/HTTP when the process stops", async () => {
    const port = (collector.address() as AddressInfo).port;
    const tracing = createTracing({ serviceName: "prapti-otlp", otlpEndpoint: `http://127.0.0.1:${port}` });
    expect(tracing.enabled).toBe(true);
    await tracing.inSpan(
      "workflow.start",
      { attributes: { "prapti.workflow.definition": "a/b" } },
      async () => {
        await tracing.inSpan("gateway.call", {}, async () => undefined);
      },
    );
    await tracing.shutdown();
    const traces = received.filter((entry) => entry.path === "/v1/traces");
    expect(traces.length).toBeGreaterThan(0);
    const body = traces.map((entry) => entry.body).join("\n");
    expect(body).toContain("prapti-otlp");
    expect(body).toContain("workflow.start");
    expect(body).toContain("gateway.call");
  });

  it("records nothing and costs nothing when no collector is configured", async () => {
    const tracing = createTracing({ serviceName: "off" });
    expect(tracing.enabled).toBe(false);
    expect(await tracing.inSpan("x", {}, async () => tracing.currentTraceParent())).toBeUndefined();
  });
});
