import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import OpenAI from "openai";
import { MASTER_KEY } from "./gateway";
import { type OpenAIUpstream, startOpenAIUpstream } from "./openai-upstream";

/** Starts mock upstreams on demand and closes them all at the end. */
export function upstreamPool() {
  const started: OpenAIUpstream[] = [];
  return {
    async start(name: string): Promise<OpenAIUpstream> {
      const upstream = await startOpenAIUpstream({ name });
      started.push(upstream);
      return upstream;
    },
    closeAll: () => Promise.all(started.splice(0).map((u) => u.close())),
  };
}

/** A `model_list` entry for an OpenAI-format deployment with a readable id (`model_info.id`). */
export function deployment(
  group: string,
  id: string,
  apiBase: string,
  params: Record<string, unknown> = {},
  info: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    model_name: group,
    litellm_params: { model: `openai/${id}`, api_base: `${apiBase}/v1`, api_key: "sk-upstream", ...params },
    model_info: { id, ...info },
  };
}

/** A local port nothing listens on (connections to it are refused). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The official client against the gateway, with its own retries off so only the gateway retries. */
export function gatewayClient(gatewayUrl: string) {
  const client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${gatewayUrl}/v1`, maxRetries: 0 });
  const request = (model: string, content: string) =>
    client.chat.completions.create({ model, messages: [{ role: "user", content }] });
  return {
    /** A chat completion that must succeed, with the gateway's response headers. */
    chat: (model: string, content = "hi") => request(model, content).withResponse(),
    /** A chat completion that must fail; returns the client's APIError. */
    async fail(model: string, content = "hi"): Promise<InstanceType<typeof OpenAI.APIError>> {
      const error: unknown = await request(model, content).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (!(error instanceof OpenAI.APIError)) throw new Error(`expected an API error, got ${String(error)}`);
      return error;
    },
  };
}

/** Reads one sample from the gateway's Prometheus `/metrics`; undefined when the series does not exist. */
export async function metricValue(
  gatewayUrl: string,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const response = await fetch(`${gatewayUrl}/metrics`);
  if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
  for (const line of (await response.text()).split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [
        m[1],
        m[2],
      ]),
    );
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}
