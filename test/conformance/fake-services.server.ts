import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Loopback stand-ins for the public services the conformance scenarios call, following their documented
 * contracts:
 * - the Swagger Petstore (v2): `GET /v2/swagger.json` (a Swagger 2.0 document with the pet operations),
 *   `GET /v2/pet/findByStatus?status=...`, `GET /v2/pet/{petId}` (404 for unknown or non-numeric ids);
 * - httpbin: `GET /basic-auth/{user}/{passwd}` (200 with the right Basic credentials, 401 otherwise).
 * The test's fetch sends `https://petstore.swagger.io/...` and `https://httpbin.org/...` here.
 */

export interface FakeServices {
  /** Origins by public host name, e.g. `petstore.swagger.io` -> `http://127.0.0.1:40123`. */
  origins: Record<string, string>;
  /** Requests received, in order (`GET /v2/pet/1`). */
  requests: Array<{
    host: string;
    method: string;
    url: string;
    headers: Record<string, string | string[] | undefined>;
  }>;
  /** A fetch that reaches only these services. */
  fetch: typeof fetch;
  close(): Promise<void>;
}

interface Pet {
  id: number;
  category: { id: number; name: string };
  name: string;
  photoUrls: string[];
  tags: Array<{ id: number; name: string }>;
  status: "available" | "pending" | "sold";
}

const PETS: Pet[] = [
  {
    id: 1,
    category: { id: 1, name: "Dogs" },
    name: "doggie",
    photoUrls: ["https://example.com/doggie.png"],
    tags: [{ id: 1, name: "friendly" }],
    status: "available",
  },
  { id: 2, category: { id: 2, name: "Cats" }, name: "Milou", photoUrls: [], tags: [], status: "available" },
  { id: 3, category: { id: 1, name: "Dogs" }, name: "Rintintin", photoUrls: [], tags: [], status: "pending" },
  { id: 4, category: { id: 3, name: "Birds" }, name: "Tweety", photoUrls: [], tags: [], status: "sold" },
];

const PET_SCHEMA = {
  type: "object",
  required: ["name", "photoUrls"],
  properties: {
    id: { type: "integer", format: "int64" },
    category: { $ref: "#/definitions/Category" },
    name: { type: "string", example: "doggie" },
    photoUrls: { type: "array", items: { type: "string" } },
    tags: { type: "array", items: { $ref: "#/definitions/Tag" } },
    status: { type: "string", enum: ["available", "pending", "sold"] },
  },
};

/** The Swagger 2.0 contract of the pet operations the scenarios use. */
export const PETSTORE_SWAGGER = {
  swagger: "2.0",
  info: { title: "Swagger Petstore", version: "1.0.7" },
  host: "petstore.swagger.io",
  basePath: "/v2",
  schemes: ["https", "http"],
  paths: {
    "/pet/findByStatus": {
      get: {
        tags: ["pet"],
        summary: "Finds Pets by status",
        operationId: "findPetsByStatus",
        produces: ["application/json", "application/xml"],
        parameters: [
          {
            name: "status",
            in: "query",
            description: "Status values that need to be considered for filter",
            required: true,
            type: "array",
            items: { type: "string", enum: ["available", "pending", "sold"], default: "available" },
            collectionFormat: "multi",
          },
        ],
        responses: {
          "200": {
            description: "successful operation",
            schema: { type: "array", items: { $ref: "#/definitions/Pet" } },
          },
          "400": { description: "Invalid status value" },
        },
      },
    },
    "/pet/{petId}": {
      get: {
        tags: ["pet"],
        summary: "Find pet by ID",
        operationId: "getPetById",
        produces: ["application/json", "application/xml"],
        parameters: [
          {
            name: "petId",
            in: "path",
            description: "ID of pet to return",
            required: true,
            type: "integer",
            format: "int64",
          },
        ],
        responses: {
          "200": { description: "successful operation", schema: { $ref: "#/definitions/Pet" } },
          "400": { description: "Invalid ID supplied" },
          "404": { description: "Pet not found" },
        },
      },
    },
  },
  definitions: {
    Category: {
      type: "object",
      properties: { id: { type: "integer", format: "int64" }, name: { type: "string" } },
    },
    Tag: {
      type: "object",
      properties: { id: { type: "integer", format: "int64" }, name: { type: "string" } },
    },
    Pet: PET_SCHEMA,
  },
};

type Handler = (
  request: IncomingMessage,
  url: URL,
) => { status: number; body?: unknown; headers?: Record<string, string> };

function petstore(request: IncomingMessage, url: URL): ReturnType<Handler> {
  if (request.method !== "GET")
    return { status: 405, body: { code: 405, type: "unknown", message: "Method Not Allowed" } };
  if (url.pathname === "/v2/swagger.json") return { status: 200, body: PETSTORE_SWAGGER };
  if (url.pathname === "/v2/pet/findByStatus") {
    const statuses = url.searchParams.getAll("status").flatMap((value) => value.split(","));
    return { status: 200, body: PETS.filter((pet) => statuses.includes(pet.status)) };
  }
  const byId = /^\/v2\/pet\/([^/]+)$/.exec(url.pathname);
  if (byId) {
    const id = decodeURIComponent(byId[1]!);
    if (!/^-?\d+$/.test(id)) {
      return {
        status: 404,
        body: {
          code: 404,
          type: "unknown",
          message: `java.lang.NumberFormatException: For input string: "${id}"`,
        },
      };
    }
    const pet = PETS.find((candidate) => candidate.id === Number(id));
    return pet
      ? { status: 200, body: pet }
      : { status: 404, body: { code: 1, type: "error", message: "Pet not found" } };
  }
  return { status: 404, body: { code: 404, type: "unknown", message: "HTTP 404 Not Found" } };
}

function httpbin(request: IncomingMessage, url: URL): ReturnType<Handler> {
  const basic = /^\/basic-auth\/([^/]+)\/([^/]+)$/.exec(url.pathname);
  if (basic && request.method === "GET") {
    const [, user = "", password = ""] = basic;
    const expected = `Basic ${Buffer.from(`${decodeURIComponent(user)}:${decodeURIComponent(password)}`).toString("base64")}`;
    if (request.headers.authorization === expected)
      return { status: 200, body: { authenticated: true, user: decodeURIComponent(user) } };
    return { status: 401, headers: { "www-authenticate": 'Basic realm="Fake Realm"' } };
  }
  return {
    status: 404,
    body: "<!DOCTYPE HTML><title>404 Not Found</title>",
    headers: { "content-type": "text/html" },
  };
}

async function listen(
  host: string,
  handler: Handler,
  log: FakeServices["requests"],
): Promise<{ server: Server; origin: string }> {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    log.push({
      host,
      method: request.method ?? "GET",
      url: `${url.pathname}${url.search}`,
      headers: { ...request.headers },
    });
    request.resume();
    request.on("end", () => {
      const result = handler(request, url);
      const isText = typeof result.body === "string";
      const body =
        result.body === undefined ? "" : isText ? (result.body as string) : JSON.stringify(result.body);
      response.writeHead(result.status, {
        ...(result.body === undefined ? {} : { "content-type": isText ? "text/plain" : "application/json" }),
        ...result.headers,
      });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://127.0.0.1:${port}` };
}

export async function startFakeServices(): Promise<FakeServices> {
  const requests: FakeServices["requests"] = [];
  const petstoreServer = await listen("petstore.swagger.io", petstore, requests);
  const httpbinServer = await listen("httpbin.org", httpbin, requests);
  const origins: Record<string, string> = {
    "petstore.swagger.io": petstoreServer.origin,
    "httpbin.org": httpbinServer.origin,
  };
  const localFetch: typeof fetch = (input, init) => {
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    const origin = origins[url.hostname];
    if (!origin) return Promise.reject(new Error(`the conformance tests do not reach ${url.origin}`));
    return fetch(`${origin}${url.pathname}${url.search}`, init);
  };
  return {
    origins,
    requests,
    fetch: localFetch,
    close: async () => {
      await Promise.all(
        [petstoreServer.server, httpbinServer.server].map(
          (server) => new Promise<void>((resolve) => server.close(() => resolve())),
        ),
      );
    },
  };
}
