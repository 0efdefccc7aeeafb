import { SpanStatusCode, type Span } from "@opentelemetry/api";
import { SpanKind, type Tracing } from "../telemetry/tracing.ts";

const spans = new WeakMap<object, Span>();

interface HookRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  routeOptions: { url?: string | undefined };
}

/** The part of a Fastify instance this needs (any logger and type provider will do). */
interface HookHost {
  addHook(name: "onRequest", hook: (request: HookRequest, reply: unknown, done: () => void) => void): unknown;
  addHook(
    name: "onResponse",
    hook: (request: HookRequest, reply: { statusCode: number }, done: () => void) => void,
  ): unknown;
}

/**
 * A server span per request, continuing the caller's trace when it sends a W3C `traceparent`. The route's
 * handler runs with the span active, so workflow starts and gateway calls it makes become its children.
 */
export function registerRequestSpans(app: HookHost, tracing: Tracing): void {
  app.addHook("onRequest", (request, _reply, done) => {
    const route = request.routeOptions.url ?? "unmatched";
    const span = tracing.startSpan(`${request.method} ${route}`, {
      kind: SpanKind.SERVER,
      parent: tracing.contextOf(request.headers),
      attributes: {
        "http.request.method": request.method,
        "http.route": route,
        "url.path": request.url.split("?")[0] ?? request.url,
        "prapti.request_id": request.id,
      },
    });
    spans.set(request, span);
    tracing.withSpan(span, done);
  });
  app.addHook("onResponse", (request, reply, done) => {
    const span = spans.get(request);
    if (span) {
      span.setAttribute("http.response.status_code", reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      spans.delete(request);
    }
    done();
  });
}
