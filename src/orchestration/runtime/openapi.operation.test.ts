import { describe, expect, it } from "vitest";
import { buildOperationRequest, findOperation, parseOpenApiDocument } from "./openapi.operation.ts";

describe("OpenAPI operations", () => {
  const swagger = parseOpenApiDocument(
    JSON.stringify({
      swagger: "2.0",
      host: "api.example",
      basePath: "/v2",
      schemes: ["https"],
      paths: {
        "/pet/findByStatus": {
          get: {
            operationId: "find",
            parameters: [{ name: "status", in: "query", type: "array", collectionFormat: "multi" }],
          },
        },
        "/pet/{id}/upload": {
          post: {
            operationId: "upload",
            parameters: [
              { name: "id", in: "path", required: true },
              { name: "note", in: "formData" },
            ],
          },
        },
        "/pet": { post: { operationId: "add", parameters: [{ name: "pet", in: "body", required: true }] } },
      },
    }),
    "/t",
  );

  it("builds Swagger 2 requests with the document's host and collection formats", () => {
    expect(
      buildOperationRequest(
        swagger,
        "http://docs.example/swagger.json",
        findOperation(swagger, "find", "/t"),
        { status: ["a", "b"] },
        "/t",
      ),
    ).toMatchObject({
      method: "GET",
      url: "https://api.example/v2/pet/findByStatus",
      query: { status: ["a", "b"] },
    });
    expect(
      buildOperationRequest(
        swagger,
        "https://docs.example/swagger.json",
        findOperation(swagger, "upload", "/t"),
        { id: 5, note: "x y" },
        "/t",
      ),
    ).toMatchObject({
      url: "https://api.example/v2/pet/5/upload",
      rawBody: { text: "note=x+y", contentType: "application/x-www-form-urlencoded" },
    });
    expect(
      buildOperationRequest(
        swagger,
        "https://docs.example/s.json",
        findOperation(swagger, "add", "/t"),
        { pet: { name: "rex" } },
        "/t",
      ),
    ).toMatchObject({
      method: "POST",
      body: { name: "rex" },
    });
  });

  it("reads YAML documents and refuses unknown operations and missing parameters", () => {
    const yaml = parseOpenApiDocument(
      "openapi: 3.0.0\nservers: [{ url: 'https://api.example/base' }]\npaths:\n  /a/{x}:\n    get: { operationId: a, parameters: [{ name: x, in: path, required: true }] }\n",
      "/t",
    );
    expect(
      buildOperationRequest(
        yaml,
        "https://docs.example/o.yaml",
        findOperation(yaml, "a", "/t"),
        { x: "1" },
        "/t",
      ).url,
    ).toBe("https://api.example/base/a/1");
    expect(() => findOperation(yaml, "nope", "/t")).toThrow(/no operation 'nope'/);
    expect(() =>
      buildOperationRequest(yaml, "https://docs.example/o.yaml", findOperation(yaml, "a", "/t"), {}, "/t"),
    ).toThrow(/'x'/);
    expect(() => parseOpenApiDocument("not: [a document", "/t")).toThrow(/no 'paths'/);
  });
});
