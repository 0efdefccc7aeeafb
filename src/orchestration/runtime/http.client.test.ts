import { describe, expect, it } from "vitest";
import { decodeContent } from "./http.client.ts";
import type { HttpResponse } from "./runtime-host.port.ts";

describe("HTTP content", () => {
  const response = (type: string | undefined, body: Buffer): HttpResponse => ({
    status: 200,
    statusText: "OK",
    headers: type ? { "content-type": type } : {},
    bodyBase64: body.toString("base64"),
  });

  it("parses JSON, keeps text, base64-encodes binary and maps empty bodies to null", () => {
    expect(decodeContent(response("application/problem+json", Buffer.from('{"a":1}')))).toEqual({ a: 1 });
    expect(decodeContent(response("text/csv", Buffer.from("a,b")))).toBe("a,b");
    expect(decodeContent(response("image/png", Buffer.from([1, 2, 3])))).toBe("AQID");
    expect(decodeContent(response(undefined, Buffer.from("[1]")))).toEqual([1]);
    expect(decodeContent(response("application/json", Buffer.alloc(0)))).toBeNull();
  });
});
