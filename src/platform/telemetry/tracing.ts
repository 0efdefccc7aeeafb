import {
  context,
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchSpanProcessor,
  SimpleSpanProcessor,
  TracerProvider,
  type SpanExporter,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";

/**
 * Traces across API → workflow → gateway → module. Spans are made by hand at those boundaries (no
 * monkey-patching of libraries), and a W3C `traceparent` carries the trace from an HTTP request into the
 * workflow executions it starts, even when another process runs them.
 */
export interface Tracing {
  /** Whether spans are recorded and exported; when false every call is a cheap no-op. */
  readonly enabled: boolean;
  /** Runs `work` in a new span (child of the active one), ending it and recording a thrown error. */
  inSpan<T>(
    name: string,
    options: { kind?: SpanKind; attributes?: Attributes; parent?: Context },
    work: (span: Span) => Promise<T>,
  ): Promise<T>;
  /** The active span as a W3C `traceparent` header value, to hand to another process. */
  currentTraceParent(): string | undefined;
  /** The context a `traceparent` (from a header or a stored value) names, or the empty root. */
  contextOf(carrier: Record<string, string | string[] | undefined>): Context;
  /** Starts a span that the caller ends (for spans that open and close in different callbacks). */
  startSpan(name: string, options: { kind?: SpanKind; attributes?: Attributes; parent?: Context }): Span;
  /** Runs `work` with `span` active, so spans it starts become its children. */
  withSpan<T>(span: Span, work: () => T): T;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  serviceName: string;
  serviceVersion?: string;
  /** OTLP/HTTP endpoint of a collector, e.g. `http://otel-collector:4318` (`/v1/traces` is appended). */
  otlpEndpoint?: string;
  /** Where spans go instead of (or besides) OTLP; tests pass an in-memory exporter. */
  exporter?: SpanExporter;
}

const propagator = new W3CTraceContextPropagator();
const headerGetter: TextMapGetter<Record<string, string | string[] | undefined>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key.toLowerCase()],
};
const headerSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/** The active span as a W3C `traceparent`, or undefined outside a recorded span. */
export function activeTraceParent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagator.inject(context.active(), carrier, headerSetter);
  return carrier.traceparent;
}

let contextManagerInstalled = false;

/** Async context (which span is active) follows awaits; installed once per process, on first use. */
function installContextManager(): void {
  if (contextManagerInstalled) return;
  contextManagerInstalled = context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

function tracesUrl(endpoint: string): string {
  const trimmed = endpoint.replace(/\/+$/, "");
  return trimmed.endsWith("/v1/traces") ? trimmed : `${trimmed}/v1/traces`;
}

function buildTracing(tracer: Tracer, enabled: boolean, shutdown: () => Promise<void>): Tracing {
  const startSpan: Tracing["startSpan"] = (name, options) =>
    tracer.startSpan(
      name,
      {
        kind: options.kind ?? SpanKind.INTERNAL,
        ...(options.attributes ? { attributes: options.attributes } : {}),
      },
      options.parent ?? context.active(),
    );
  return {
    enabled,
    startSpan,
    withSpan: (span, work) => context.with(trace.setSpan(context.active(), span), work),
    async inSpan(name, options, work) {
      if (!enabled) return work(trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
      const span = startSpan(name, options);
      return context.with(trace.setSpan(options.parent ?? context.active(), span), async () => {
        try {
          return await work(span);
        } catch (error) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
          throw error;
        } finally {
          span.end();
        }
      });
    },
    currentTraceParent: () => (enabled ? activeTraceParent() : undefined),
    contextOf(carrier) {
      if (!enabled) return ROOT_CONTEXT;
      return propagator.extract(ROOT_CONTEXT, carrier, headerGetter);
    },
    shutdown,
  };
}

/** Tracing that records nothing: the default when no collector or exporter is configured. */
export const disabledTracing: Tracing = buildTracing(
  trace.getTracer("prapti-disabled"),
  false,
  async () => undefined,
);

/** Tracing with its own provider (never the global one, so several runtimes in one process stay apart). */
export function createTracing(options: TracingOptions): Tracing {
  const processors: SpanProcessor[] = [];
  if (options.otlpEndpoint) {
    processors.push(
      new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: tracesUrl(options.otlpEndpoint) }) }),
    );
  }
  if (options.exporter) processors.push(new SimpleSpanProcessor({ exporter: options.exporter }));
  if (processors.length === 0) return disabledTracing;
  installContextManager();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.serviceName,
      ...(options.serviceVersion ? { [ATTR_SERVICE_VERSION]: options.serviceVersion } : {}),
    }),
    spanProcessors: processors,
  });
  return buildTracing(provider.getTracer("prapti"), true, () => provider.shutdown());
}

export { SpanKind };
