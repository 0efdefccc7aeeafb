import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AppError } from "../../../kernel/app-error.ts";
import { validateWorkflowDocument } from "../../dsl/workflow.validator.ts";
import type { Workflow } from "../../dsl/workflow.types.ts";
import { createLocalHost, type LocalHostOptions } from "../local.host.ts";
import { VirtualClock } from "../virtual.clock.ts";
import { interpretWorkflow } from "../workflow.interpreter.ts";

interface Received {
  method: string;
  path: string;
  query: Record<string, string[]>;
  headers: IncomingMessage["headers"];
  body: string;
}

let server: Server;
let origin = "";
let received: Received[] = [];
let tokensIssued = 0;

const OPENAPI = {
  openapi: "3.0.3",
  info: { title: "Invoices", version: "1" },
  servers: [{ url: "/api/{version}", variables: { version: { default: "v1" } } }],
  paths: {
    "/invoices/{invoiceId}": {
      parameters: [{ name: "invoiceId", in: "path", required: true, schema: { type: "string" } }],
      get: {
        operationId: "getInvoice",
        parameters: [
          { name: "expand", in: "query", schema: { type: "array", items: { type: "string" } } },
          { $ref: "#/components/parameters/Tenant" },
        ],
        responses: { "200": { description: "ok" } },
      },
    },
    "/invoices": {
      post: {
        operationId: "createInvoice",
        requestBody: { required: true, content: { "application/json": { schema: { type: "object" } } } },
        responses: { "201": { description: "created" } },
      },
    },
  },
  components: {
    parameters: { Tenant: { name: "X-Tenant", in: "header", required: true, schema: { type: "string" } } },
  },
};

beforeAll(async () => {
  server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const query: Record<string, string[]> = {};
      for (const key of new Set(url.searchParams.keys())) query[key] = url.searchParams.getAll(key);
      received.push({
        method: request.method ?? "",
        path: url.pathname,
        query,
        headers: request.headers,
        body,
      });
      const json = (status: number, value: unknown, headers: Record<string, string> = {}): void => {
        response.writeHead(status, { "content-type": "application/json", ...headers });
        response.end(JSON.stringify(value));
      };
      const path = url.pathname;
      if (path === "/echo")
        return json(200, {
          method: request.method,
          query,
          body: body ? (JSON.parse(body) as unknown) : null,
          contentType: request.headers["content-type"] ?? null,
        });
      if (path === "/text") {
        response.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
        return response.end("plain words");
      }
      if (path === "/binary") {
        response.writeHead(200, { "content-type": "application/pdf" });
        return response.end(Buffer.from([0x25, 0x50, 0x44, 0x46, 0xff]));
      }
      if (path === "/moved") {
        response.writeHead(302, { location: "/echo" });
        return response.end();
      }
      const status = /^\/status\/(\d+)$/.exec(path);
      if (status) return json(Number(status[1]), { problem: "as requested" });
      if (path === "/oauth/token") {
        const form = new URLSearchParams(body);
        const basic =
          request.headers.authorization === `Basic ${Buffer.from("client-b:secret-b").toString("base64")}`;
        const posted = form.get("client_id") === "client-a" && form.get("client_secret") === "secret-a";
        if (form.get("grant_type") !== "client_credentials" || !(basic || posted))
          return json(401, { error: "invalid_client" });
        tokensIssued += 1;
        return json(200, {
          access_token: `token-${tokensIssued}`,
          token_type: "bearer",
          expires_in: 3600,
          scope: form.get("scope"),
        });
      }
      if (path === "/realms/prapti/.well-known/openid-configuration")
        return json(200, { issuer: `${origin}/realms/prapti`, token_endpoint: `${origin}/oauth/token` });
      if (path === "/secure") {
        const auth = request.headers.authorization ?? "";
        return auth.startsWith("Bearer token-") || auth.startsWith("Basic ")
          ? json(200, { authorization: auth })
          : json(401, { error: "unauthorized" });
      }
      if (path === "/openapi.json") return json(200, OPENAPI);
      const invoice = /^\/api\/v1\/invoices\/([^/]+)$/.exec(path);
      if (invoice && request.method === "GET")
        return json(200, {
          id: decodeURIComponent(invoice[1]!),
          expand: query.expand ?? [],
          tenant: request.headers["x-tenant"],
        });
      if (path === "/api/v1/invoices" && request.method === "POST")
        return json(201, { created: JSON.parse(body) as unknown });
      return json(404, { error: "not found" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  received = [];
  tokensIssued = 0;
});

const header = "document: { dsl: '1.0.0', namespace: test, name: calls, version: '1.0.0' }\n";

function parse(body: string): Workflow {
  const result = validateWorkflowDocument(header + body.replaceAll("ORIGIN", origin));
  if (!result.ok || !result.workflow) throw new Error(JSON.stringify(result.errors));
  return result.workflow;
}

async function run(body: string, input: unknown = {}, options: LocalHostOptions = {}) {
  const host = createLocalHost({ clock: new VirtualClock(Date.UTC(2026, 0, 1)), ...options });
  const outcome = await interpretWorkflow({ workflow: parse(body), input, host, instanceId: "call-1" });
  return { ...outcome, host };
}

describe("call: http", () => {
  it("expands the URI template, sends query, headers and a JSON body, and outputs the content", async () => {
    const result = await run(
      `
do:
  - post:
      call: http
      with:
        method: post
        endpoint: ORIGIN/echo?customer={customerId}
        headers: { X-Trace: '\${ .trace }' }
        query: { page: '\${ .page | tostring }' }
        body: { amount: '\${ .amount }', note: fixed }
`,
      { customerId: "C 1/2", trace: "t-1", page: 3, amount: 250 },
    );
    expect(result.status).toBe("completed");
    expect(result.output).toEqual({
      method: "POST",
      query: { customer: ["C 1/2"], page: ["3"] },
      body: { amount: 250, note: "fixed" },
      contentType: "application/json",
    });
    expect(received[0]?.headers["x-trace"]).toBe("t-1");
    expect(received[0]?.headers["idempotency-key"]).toBe("call-1:/do/0/post:0");
  });

  it("outputs the whole response or the raw body on request", async () => {
    const response = await run(
      `do:\n  - get:\n      call: http\n      with: { method: get, endpoint: ORIGIN/text, output: response }\n`,
    );
    expect(response.output).toEqual({
      request: {
        method: "GET",
        uri: `${origin}/text`,
        headers: expect.objectContaining({ "idempotency-key": "call-1:/do/0/get:0" }) as unknown,
      },
      statusCode: 200,
      headers: expect.objectContaining({ "content-type": "text/plain; charset=utf-8" }) as unknown,
      content: "plain words",
    });
    const raw = await run(
      `do:\n  - get:\n      call: http\n      with: { method: get, endpoint: ORIGIN/text, output: raw }\n`,
    );
    expect(raw.output).toBe(Buffer.from("plain words").toString("base64"));
    const binary = await run(
      `do:\n  - get:\n      call: http\n      with: { method: get, endpoint: ORIGIN/binary }\n`,
    );
    expect(binary.output).toBe(Buffer.from([0x25, 0x50, 0x44, 0x46, 0xff]).toString("base64"));
  });

  it("turns error statuses into communication errors", async () => {
    const result = await run(
      `do:\n  - get:\n      call: http\n      with: { method: get, endpoint: ORIGIN/status/503 }\n`,
    );
    expect(result.error).toMatchObject({
      type: "https://serverlessworkflow.io/spec/1.0.0/errors/communication",
      status: 503,
      title: "Service Unavailable",
      instance: "/do/0/get",
    });
    expect(result.error?.detail).toContain('responded 503: {"problem":"as requested"}');
  });

  it("treats redirects as errors unless redirect is true, and never follows them", async () => {
    const refused = await run(
      `do:\n  - get:\n      call: http\n      with: { method: get, endpoint: ORIGIN/moved }\n`,
    );
    expect(refused.error?.status).toBe(302);
    const allowed = await run(
      `do:\n  - get:\n      call: http\n      with: { method: get, endpoint: ORIGIN/moved, redirect: true, output: response }\n`,
    );
    expect(allowed.output).toMatchObject({ statusCode: 302, headers: { location: "/echo" } });
    expect(received.map((request) => request.path)).toEqual(["/moved", "/moved"]);
  });

  it("reports unreachable services as communication errors", async () => {
    const result = await run(
      `do:\n  - get:\n      call: http\n      with: { method: get, endpoint: 'http://127.0.0.1:1/nothing' }\n`,
    );
    expect(result.error).toMatchObject({
      type: "https://serverlessworkflow.io/spec/1.0.0/errors/communication",
      status: 503,
      title: "Service unavailable",
    });
  });

  it("authenticates with basic and with a reusable bearer policy, exposing $authorization", async () => {
    const basic = await run(
      `do:\n  - get:\n      call: http\n      with:\n        method: get\n        endpoint: { uri: ORIGIN/secure, authentication: { basic: { username: '\${ .user }', password: s3cret } } }\n      output: { as: '. + { scheme: $authorization.scheme }' }\n`,
      { user: "asha" },
    );
    expect(basic.output).toEqual({
      authorization: `Basic ${Buffer.from("asha:s3cret").toString("base64")}`,
      scheme: "Basic",
    });
    const bearer = await run(
      `use:\n  authentications:\n    api: { bearer: { token: token-static } }\ndo:\n  - get:\n      call: http\n      with: { method: get, endpoint: { uri: ORIGIN/secure, authentication: { use: api } } }\n`,
    );
    expect(bearer.output).toEqual({ authorization: "Bearer token-static" });
  });

  it("obtains an OAuth2 client-credentials token once and reuses it for its lifetime", async () => {
    const result = await run(`
use:
  authentications:
    bank:
      oauth2:
        authority: ORIGIN
        endpoints: { token: /oauth/token }
        grant: client_credentials
        client: { id: client-a, secret: secret-a }
        scopes: [ statements, payments ]
do:
  - first:
      call: http
      with: { method: get, endpoint: { uri: ORIGIN/secure, authentication: { use: bank } } }
  - pause: { wait: PT30M }
  - second:
      call: http
      with: { method: get, endpoint: { uri: ORIGIN/secure, authentication: { use: bank } } }
  - later: { wait: PT1H }
  - third:
      call: http
      with: { method: get, endpoint: { uri: ORIGIN/secure, authentication: { use: bank } } }
`);
    expect(result.output).toEqual({ authorization: "Bearer token-2" });
    expect(received.map((request) => request.path)).toEqual([
      "/oauth/token",
      "/secure",
      "/secure",
      "/oauth/token",
      "/secure",
    ]);
    expect(new URLSearchParams(received[0]!.body).get("scope")).toBe("statements payments");
  });

  it("supports client_secret_basic, OpenID Connect discovery and secret-based policies", async () => {
    const result = await run(
      `
use:
  secrets: [ bankClient ]
do:
  - viaSecret:
      call: http
      with:
        method: get
        endpoint:
          uri: ORIGIN/secure
          authentication: { oidc: { use: bankClient } }
`,
      {},
      {
        secrets: {
          bankClient: {
            authority: `${origin}/realms/prapti`,
            grant: "client_credentials",
            client: { id: "client-b", secret: "secret-b", authentication: "client_secret_basic" },
          },
        },
      },
    );
    expect(result.output).toEqual({ authorization: "Bearer token-1" });
    expect(received.map((request) => request.path)).toEqual([
      "/realms/prapti/.well-known/openid-configuration",
      "/oauth/token",
      "/secure",
    ]);
  });

  it("faults with an authentication error when the token endpoint refuses", async () => {
    const result = await run(`
do:
  - get:
      call: http
      with:
        method: get
        endpoint:
          uri: ORIGIN/secure
          authentication: { oauth2: { authority: ORIGIN, endpoints: { token: /oauth/token }, grant: client_credentials, client: { id: wrong, secret: wrong } } }
`);
    expect(result.error).toMatchObject({
      type: "https://serverlessworkflow.io/spec/1.0.0/errors/authentication",
      status: 401,
    });
  });

  it("refuses secrets the workflow does not declare", async () => {
    const host = createLocalHost({ secrets: { undeclared: { token: "x" } } });
    const workflow = parse(
      `do:\n  - get:\n      call: http\n      with: { method: get, endpoint: { uri: ORIGIN/secure, authentication: { bearer: { token: x } } } }\n`,
    );
    const tampered = structuredClone(workflow) as unknown as {
      do: Array<Record<string, { with: { endpoint: { authentication: unknown } } }>>;
    };
    tampered.do[0]!.get!.with.endpoint.authentication = { bearer: { use: "undeclared" } };
    const outcome = await interpretWorkflow({
      workflow: tampered as unknown as Workflow,
      host,
      instanceId: "s",
    });
    expect(outcome.error).toMatchObject({
      type: "https://serverlessworkflow.io/spec/1.0.0/errors/authorization",
      status: 403,
    });
  });
});

describe("call: openapi", () => {
  it("finds the operation by id and builds the request from its parameters", async () => {
    const result = await run(
      `
do:
  - fetchInvoice:
      call: openapi
      with:
        document: { endpoint: ORIGIN/openapi.json }
        operationId: getInvoice
        parameters: { invoiceId: '\${ .id }', expand: [ lines, payments ], X-Tenant: acme }
  - createInvoice:
      call: openapi
      with:
        document: { endpoint: ORIGIN/openapi.json }
        operationId: createInvoice
        parameters: { customer: acme, amount: 100 }
        output: response
`,
      { id: "INV 1" },
    );
    expect(result.status).toBe("completed");
    expect(received.map((request) => `${request.method} ${request.path}`)).toEqual([
      "GET /openapi.json",
      "GET /api/v1/invoices/INV%201",
      "POST /api/v1/invoices",
    ]);
    expect(received[1]?.query).toEqual({ expand: ["lines", "payments"] });
    expect(received[1]?.headers["x-tenant"]).toBe("acme");
    expect(result.output).toMatchObject({
      statusCode: 201,
      content: { created: { customer: "acme", amount: 100 } },
    });
  });

  it("refuses a call without a required parameter", async () => {
    const result = await run(`
do:
  - fetchInvoice:
      call: openapi
      with:
        document: { endpoint: ORIGIN/openapi.json }
        operationId: getInvoice
        parameters: { invoiceId: x }
`);
    expect(result.error).toMatchObject({
      type: "https://serverlessworkflow.io/spec/1.0.0/errors/validation",
      title: "Missing parameter",
    });
    expect(result.error?.detail).toContain("X-Tenant");
  });
});

describe("custom functions", () => {
  it("calls hub functions with the evaluated arguments and the effect key", async () => {
    const seen: unknown[] = [];
    const result = await run(
      `do:\n  - verify:\n      call: invoicing.verify\n      with: { invoiceId: '\${ .id }' }\n`,
      { id: "INV-3" },
      {
        functions: {
          "invoicing.verify": (args, context) => {
            seen.push({ args, key: context.key, attempt: context.attempt, instanceId: context.instanceId });
            return { verified: true };
          },
        },
      },
    );
    expect(result.output).toEqual({ verified: true });
    expect(seen).toEqual([
      { args: { invoiceId: "INV-3" }, key: "call-1:/do/0/verify:0", attempt: 0, instanceId: "call-1" },
    ]);
  });

  it("maps function failures to communication errors with a matching status", async () => {
    const result = await run(
      `do:\n  - verify: { call: invoicing.verify }\n`,
      {},
      {
        functions: {
          "invoicing.verify": () => {
            throw AppError.notFound("invoice", "INV-404");
          },
        },
      },
    );
    expect(result.error).toMatchObject({
      type: "https://serverlessworkflow.io/spec/1.0.0/errors/communication",
      status: 404,
      title: "NOT_FOUND",
      detail: "invoicing.verify: invoice INV-404 not found",
      instance: "/do/0/verify",
    });
    const unknown = await run(`do:\n  - verify: { call: invoicing.verify }\n`);
    expect(unknown.error).toMatchObject({
      type: "https://serverlessworkflow.io/spec/1.0.0/errors/configuration",
      title: "Unknown function",
    });
  });

  it("runs functions of use.functions as tasks on their arguments", async () => {
    const result = await run(
      `
use:
  functions:
    getInvoice:
      input:
        schema: { document: { type: object, required: [ invoiceId ] } }
      call: http
      with: { method: get, endpoint: 'ORIGIN/api/v1/invoices/{invoiceId}', headers: { X-Tenant: acme } }
      output: { as: .id }
do:
  - one:
      call: getInvoice
      with: { invoiceId: '\${ .first }' }
  - missing:
      call: getInvoice
      with: { other: 1 }
`,
      { first: "A-1" },
    );
    expect(received.map((request) => request.path)).toEqual(["/api/v1/invoices/A-1"]);
    expect(result.error).toMatchObject({
      type: "https://serverlessworkflow.io/spec/1.0.0/errors/validation",
      instance: "/do/1/missing",
    });
  });

  it("refuses a function that calls itself", async () => {
    const result = await run(`
use:
  functions:
    again: { call: again }
do:
  - loop: { call: again }
`);
    expect(result.error).toMatchObject({
      type: "https://serverlessworkflow.io/spec/1.0.0/errors/configuration",
      title: "Recursive function",
      detail: "function 'again' is called while it runs (again -> again)",
    });
  });

  it("refuses protocols the runtime does not support", async () => {
    const workflow = parse(
      `do:\n  - rpc:\n      call: grpc\n      with: { proto: { endpoint: 'file://a.proto' }, service: { name: A, host: localhost }, method: B }\n`,
    );
    const outcome = await interpretWorkflow({ workflow, host: createLocalHost(), instanceId: "g" });
    expect(outcome.error).toMatchObject({
      type: "https://serverlessworkflow.io/spec/1.0.0/errors/configuration",
      detail: "not supported by this runtime: call: grpc",
    });
  });
});
