import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { otelSettings } from "../../functions/gateway/otel-env";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { type OpenAIUpstream, startOpenAIUpstream } from "../support/openai-upstream";
import { waitFor } from "../support/replicas";

interface AnyValue {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
}
interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: AnyValue }[];
  service: string | undefined;
}

const SERVER = 2;
const CLIENT = 3;
const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN = "00f067aa0ba902b7";

/** A real OTLP/HTTP receiver on loopback: it decodes every export (JSON encoding) into spans. */
async function startReceiver(): Promise<{
  url: string;
  spans: ReceivedSpan[];
  headers: string[];
  close(): Promise<void>;
}> {
  const spans: ReceivedSpan[] = [];
  const headers: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      headers.push(String(req.headers["x-otlp-token"]));
      const decoded = JSON.parse(body) as {
        resourceSpans: {
          resource: { attributes: { key: string; value: AnyValue }[] };
          scopeSpans: { spans: Omit<ReceivedSpan, "service">[] }[];
        }[];
      };
      for (const resource of decoded.resourceSpans) {
        const service = resource.resource.attributes.find((a) => a.key === "service.name")?.value.stringValue;
        for (const scope of resource.scopeSpans)
          for (const span of scope.spans) spans.push({ ...span, service });
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    headers,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const attribute = (span: ReceivedSpan | undefined, key: string) => {
  const value = span?.attributes.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? value?.boolValue : Number(value.intValue));
};

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let upstream: OpenAIUpstream;

beforeAll(async () => {
  receiver = await startReceiver();
  upstream = await startOpenAIUpstream({ name: "traced" });
});

afterAll(async () => {
  await upstream?.close();
  await receiver?.close();
});

describe("OpenTelemetry traces", () => {
  it("exports a server span continuing the client's traceparent and a client span per upstream call", async () => {
    const gateway = await startGateway(
      {
        model_list: [
          {
            model_name: "traced-model",
            litellm_params: { model: "openai/gpt-traced", api_base: `${upstream.url}/v1`, api_key: "sk-up" },
          },
        ],
      },
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_EXPORTER_OTLP_HEADERS: "x-otlp-token=secret%20token",
        OTEL_SERVICE_NAME: "routeiq-under-test",
      },
    );
    try {
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${MASTER_KEY}`,
          "content-type": "application/json",
          traceparent: `00-${TRACE_ID}-${CLIENT_SPAN}-01`,
        },
        body: JSON.stringify({
          model: "traced-model",
          messages: [{ role: "user", content: "a secret prompt" }],
        }),
      });
      expect(response.status).toBe(200);
      // The upstream was handed the trace, as a child of the gateway's client span.
      const sent = String(upstream.requests.at(-1)?.headers.traceparent);
      expect(sent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
    } finally {
      await gateway.shutdown();
    }
    await waitFor("spans exported", async () => receiver.spans.length >= 2, 20_000);
    const server = receiver.spans.find((s) => s.kind === SERVER && s.traceId === TRACE_ID);
    const client = receiver.spans.find((s) => s.kind === CLIENT && s.traceId === TRACE_ID);
    expect(server).toMatchObject({
      parentSpanId: CLIENT_SPAN,
      name: "POST /v1/chat/completions",
      service: "routeiq-under-test",
    });
    expect(attribute(server, "http.response.status_code")).toBe(200);
    expect(attribute(server, "gen_ai.request.model")).toBe("traced-model");
    expect(attribute(server, "gen_ai.usage.input_tokens")).toBeGreaterThan(0);
    expect(attribute(server, "routeiq.deployment")).toBeDefined();
    expect(client?.parentSpanId).toBe(server?.spanId);
    expect(attribute(client, "gen_ai.request.model")).toBe("gpt-traced");
    expect(attribute(client, "gen_ai.operation.name")).toBe("chat");
    expect(attribute(client, "gen_ai.usage.output_tokens")).toBeGreaterThan(0);
    expect(attribute(client, "http.response.status_code")).toBe(200);
    const upstreamTrace = String(upstream.requests.at(-1)?.headers.traceparent);
    expect(upstreamTrace.split("-")[2]).toBe(client?.spanId);
    // Prompts stay out of traces unless OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT says otherwise.
    expect(JSON.stringify(receiver.spans)).not.toContain("a secret prompt");
    expect(receiver.headers).toContain("secret token");
  });

  it("is off unless an OTLP endpoint is set, and names a bad setting", () => {
    expect(otelSettings({})).toBeUndefined();
    expect(
      otelSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "true" }),
    ).toBeUndefined();
    expect(
      otelSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_TRACES_EXPORTER: "none" }),
    ).toBeUndefined();
    expect(otelSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318/" })).toMatchObject({
      url: "http://c:4318/v1/traces",
      protocol: "http/protobuf",
      serviceName: "routeiq-gateway",
      sampler: { name: "parentbased_always_on" },
    });
    expect(() =>
      otelSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4317", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }),
    ).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL/);
    expect(() =>
      otelSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_TRACES_SAMPLER: "sometimes" }),
    ).toThrow(/OTEL_TRACES_SAMPLER/);
  });
});
