import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtobufExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import type { MiddlewareHandler } from "hono";
import type { GatewayEnv } from "../../shared/http/env";
import type { OtelSettings } from "./otel-env";

export interface NodeTracing {
  /**
   * The server span of each request, continuing the client's `traceparent`; the request's upstream
   * calls (`upstreamFetch`) get client spans under it.
   */
  readonly middleware: MiddlewareHandler<GatewayEnv>;
  /** `fetch` with a client span per call made outside a request (health probes, shared embeddings). */
  readonly fetch: typeof fetch;
  /** Exports what is left; called once the server has drained. */
  shutdown(): Promise<void>;
}

const headerGetter: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
};
const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (headers, key, value) => {
    headers[key] = value;
  },
};

function samplerOf({ name, arg }: OtelSettings["sampler"]): Sampler {
  const ratio = () => new TraceIdRatioBasedSampler(arg ?? 1);
  if (name === "always_on") return new AlwaysOnSampler();
  if (name === "always_off") return new AlwaysOffSampler();
  if (name === "traceidratio") return ratio();
  const root =
    name === "parentbased_always_off"
      ? new AlwaysOffSampler()
      : name === "parentbased_traceidratio"
        ? ratio()
        : new AlwaysOnSampler();
  return new ParentBasedSampler({ root });
}

/** GenAI semantic conventions' `gen_ai.system` for an upstream host, when it names a known one. */
function systemOf(host: string): string | undefined {
  if (host.endsWith(".openai.azure.com")) return "az.ai.openai";
  if (host.includes("anthropic")) return "anthropic";
  if (host.includes("openai")) return "openai";
  if (host.includes("bedrock")) return "aws.bedrock";
  if (host.includes("aiplatform.googleapis")) return "gcp.vertex_ai";
  if (host.includes("generativelanguage.googleapis")) return "gcp.gemini";
  return undefined;
}

function operationOf(path: string): string | undefined {
  if (
    path.endsWith("/chat/completions") ||
    path.endsWith("/messages") ||
    path.includes(":generateContent") ||
    path.includes("/converse")
  )
    return "chat";
  if (path.endsWith("/embeddings") || path.includes(":embedContent")) return "embeddings";
  if (path.endsWith("/completions")) return "text_completion";
  if (path.endsWith("/responses")) return "responses";
  return undefined;
}

/** The usage an upstream JSON answer reports, OpenAI's or Anthropic's names. */
function usageAttributes(body: unknown): Attributes {
  const usage = (body as { usage?: Record<string, unknown> } | null)?.usage;
  if (usage === undefined || usage === null) return {};
  const input = usage.prompt_tokens ?? usage.input_tokens;
  const output = usage.completion_tokens ?? usage.output_tokens;
  return {
    ...(typeof input === "number" ? { "gen_ai.usage.input_tokens": input } : {}),
    ...(typeof output === "number" ? { "gen_ai.usage.output_tokens": output } : {}),
  };
}

/**
 * Tracing with the OpenTelemetry SDK, configured by the standard `OTEL_*` variables (otel-env.ts).
 * Nothing global is registered: each gateway keeps its own provider, context and propagator, so
 * the app and its tests never share one by accident. Loaded only when tracing is on.
 */
export function nodeTracing(settings: OtelSettings, inner: typeof fetch): NodeTracing {
  const exporter =
    settings.protocol === "http/json"
      ? new JsonExporter({ url: settings.url, headers: { ...settings.headers } })
      : new ProtobufExporter({ url: settings.url, headers: { ...settings.headers } });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": settings.serviceName }),
    sampler: samplerOf(settings.sampler),
    spanProcessors: [new BatchSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer("routeiq-gateway");
  // The request's span travels explicitly (the `upstreamFetch` it is given), not through
  // AsyncLocalStorage: on Node 20 that hooks every promise of every request, which tripled the
  // gateway's CPU per request in the bench.
  const propagator = new W3CTraceContextPropagator();

  const middleware: MiddlewareHandler<GatewayEnv> = async function traceRequest(c, next) {
    const parent = propagator.extract(ROOT_CONTEXT, c.req.raw.headers, headerGetter);
    const span = tracer.startSpan(
      c.req.method,
      { kind: SpanKind.SERVER, attributes: { "http.request.method": c.req.method, "url.path": c.req.path } },
      parent,
    );
    const context = trace.setSpan(parent, span);
    c.set("upstreamFetch", (input, init) => tracedFetch(context, input, init));
    try {
      await next();
    } finally {
      const status = c.res.status;
      span.updateName(`${c.req.method} ${c.req.routePath}`);
      span.setAttributes({
        "http.route": c.req.routePath,
        "http.response.status_code": status,
        ...optional("gen_ai.request.model", c.get("requestedModel")),
        ...optional("routeiq.deployment", c.res.headers.get("x-routeiq-deployment")),
        ...optional("routeiq.attempts", Number(c.res.headers.get("x-routeiq-attempts") ?? Number.NaN)),
        ...optional("routeiq.cache", c.res.headers.get("x-routeiq-cache")),
        ...(status === 429 ? { "routeiq.limited": true } : {}),
      });
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      const accounted = c.get("accounted");
      // A stream is accounted once it ends: the span ends then, with what it used.
      if (accounted === undefined) span.end();
      else
        void accounted.finally(() => {
          const usage = c.get("usage");
          if (usage !== undefined)
            span.setAttributes({
              "gen_ai.usage.input_tokens": usage.prompt_tokens,
              "gen_ai.usage.output_tokens": usage.completion_tokens,
            });
          span.end();
        });
    }
  };

  async function tracedFetch(
    parent: Context,
    input: Parameters<typeof fetch>[0],
    init: Parameters<typeof fetch>[1],
  ): Promise<Response> {
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    const method = init?.method ?? (input instanceof Request ? input.method : "GET");
    const attributes: Attributes = {
      "http.request.method": method,
      "server.address": url.hostname,
      "url.full": `${url.origin}${url.pathname}`,
      ...optional("gen_ai.system", systemOf(url.hostname)),
      ...optional("gen_ai.operation.name", operationOf(url.pathname)),
    };
    const request = typeof init?.body === "string" ? parseJson(init.body) : undefined;
    if (request !== undefined) {
      Object.assign(attributes, optional("gen_ai.request.model", request.model));
      if (settings.captureContent && request.messages !== undefined)
        attributes["gen_ai.input.messages"] = JSON.stringify(request.messages);
    }
    const span = tracer.startSpan(`${method} ${url.hostname}`, { kind: SpanKind.CLIENT, attributes }, parent);
    // The providers pass headers as a plain record (the undici client takes nothing else).
    const headers: Record<string, string> =
      init?.headers instanceof Headers
        ? Object.fromEntries(init.headers)
        : { ...((init?.headers as Record<string, string> | undefined) ?? {}) };
    propagator.inject(trace.setSpan(parent, span), headers, recordSetter);
    try {
      const response = await inner(input, { ...init, headers });
      span.setAttribute("http.response.status_code", response.status);
      if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      if (!(response.headers.get("content-type") ?? "").includes("application/json")) {
        span.end();
        return response;
      }
      return observed(
        response,
        (body) => {
          span.setAttributes({
            ...usageAttributes(body),
            ...optional("gen_ai.response.model", (body as { model?: unknown } | null)?.model),
          });
          const choices = (body as { choices?: unknown } | null)?.choices;
          if (settings.captureContent && choices !== undefined)
            span.setAttribute("gen_ai.output.messages", JSON.stringify(choices));
        },
        () => span.end(),
      );
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      throw error;
    }
  }

  return {
    middleware,
    fetch: (input, init) => tracedFetch(ROOT_CONTEXT, input, init),
    shutdown: () => provider.shutdown(),
  };
}

/**
 * The response as the provider reads it, its JSON body seen on the way (for usage) and the span
 * ended once it is read, however the provider reads it. Nothing is read twice or buffered apart.
 */
function observed(response: Response, see: (body: unknown) => void, end: () => void): Response {
  let ended = false;
  const finish = () => {
    if (!ended) end();
    ended = true;
  };
  return new Proxy(response, {
    get(target, property) {
      if (property === "text")
        return () =>
          target
            .text()
            .then((text) => {
              see(parseJson(text));
              return text;
            })
            .finally(finish);
      if (property === "json")
        return () =>
          target
            .json()
            .then((body: unknown) => {
              see(body);
              return body;
            })
            .finally(finish);
      if (property === "body") finish();
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const optional = (key: string, value: unknown): Attributes =>
  typeof value === "string" && value !== ""
    ? { [key]: value }
    : typeof value === "number" && Number.isFinite(value)
      ? { [key]: value }
      : {};
