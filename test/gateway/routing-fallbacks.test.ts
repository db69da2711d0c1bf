import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway } from "../support/gateway";
import type { OpenAIUpstream } from "../support/openai-upstream";
import { deployment, gatewayClient, metricValue, upstreamPool } from "../support/routing";

// Fallbacks from one model group to another: `fallbacks` when a group is exhausted,
// `context_window_fallbacks` when the prompt is too long for it.
const CONTEXT_ERROR =
  "This model's maximum context length is 8192 tokens. However, your messages resulted in 9120 tokens.";
const LONG_PROMPT = "word ".repeat(40); // ~50 tokens by the gateway's estimate

const pool = upstreamPool();
let gateway: Awaited<ReturnType<typeof startGateway>>;
let client: ReturnType<typeof gatewayClient>;
const up: Record<string, OpenAIUpstream> = {};
const upstream = (name: string) => up[name] as OpenAIUpstream;

beforeAll(async () => {
  for (const name of ["primary-a", "primary-b", "backup", "short", "long", "tiny", "tiny-alone"]) {
    up[name] = await pool.start(name);
  }
  const url = (name: string) => upstream(name).url;
  gateway = await startGateway({
    model_list: [
      deployment("primary", "primary-a", url("primary-a")),
      deployment("primary", "primary-b", url("primary-b")),
      deployment("backup", "backup", url("backup")),
      deployment("short", "short", url("short")),
      deployment("long", "long", url("long")),
      deployment("tiny", "tiny", url("tiny"), {}, { max_input_tokens: 10 }),
      deployment("tiny-alone", "tiny-alone", url("tiny-alone"), {}, { max_input_tokens: 10 }),
    ],
    router_settings: {
      num_retries: 1,
      fallbacks: [{ primary: ["backup"] }],
      context_window_fallbacks: [{ short: ["long"] }, { tiny: ["long"] }],
    },
  });
  client = gatewayClient(gateway.url);
});

afterAll(async () => {
  await gateway?.shutdown();
  await pool.closeAll();
});

describe("fallbacks", () => {
  it("answers from the fallback group when every primary deployment fails, and counts it", async () => {
    upstream("primary-a").setBehaviour({ failNext: 1_000, failStatus: 500 });
    upstream("primary-b").setBehaviour({ failNext: 1_000, failStatus: 500 });
    const { data, response } = await client.chat("primary");
    expect(data.choices[0]?.message.content).toBe("Hello from backup");
    expect(response.headers.get("x-routeiq-deployment")).toBe("backup");
    expect(response.headers.get("x-routeiq-attempts")).toBe("3");
    expect(upstream("primary-a").requests).toHaveLength(1);
    expect(upstream("primary-b").requests).toHaveLength(1);
    expect(
      await metricValue(gateway.url, "litellm_deployment_fallbacks_total", {
        requested_model: "primary",
        fallback_model: "backup",
      }),
    ).toBe(1);
  });
});

describe("context window fallbacks", () => {
  it("moves to the context-window fallback when the upstream says the prompt is too long", async () => {
    upstream("short").setBehaviour({ failNext: 1, failStatus: 400, failMessage: CONTEXT_ERROR });
    const { data, response } = await client.chat("short", LONG_PROMPT);
    expect(data.choices[0]?.message.content).toBe("Hello from long");
    expect(response.headers.get("x-routeiq-deployment")).toBe("long");
    // The same deployment is not retried: its context window will not grow.
    expect(upstream("short").requests).toHaveLength(1);
    expect(upstream("long").requests.at(-1)?.body.messages[0].content).toBe(LONG_PROMPT);
  });

  it("does not use the context-window fallback for other 400s", async () => {
    const served = upstream("long").requests.length;
    upstream("short").setBehaviour({ failNext: 1, failStatus: 400, failMessage: "Invalid 'temperature'" });
    const error = await client.fail("short");
    expect(error.status).toBe(400);
    expect(error.message).toContain("Invalid 'temperature'");
    expect(upstream("long").requests).toHaveLength(served);
  });

  it("never calls a deployment whose max_input_tokens the prompt exceeds", async () => {
    const { data, response } = await client.chat("tiny", LONG_PROMPT);
    expect(data.choices[0]?.message.content).toBe("Hello from long");
    expect(response.headers.get("x-routeiq-deployment")).toBe("long");
    expect(upstream("tiny").requests).toHaveLength(0);

    // A prompt that fits is still served by the group itself.
    const short = await client.chat("tiny", "hi");
    expect(short.data.choices[0]?.message.content).toBe("Hello from tiny");
  });

  it("answers 400 context_length_exceeded when no fallback can take the prompt", async () => {
    const error = await client.fail("tiny-alone", LONG_PROMPT);
    expect(error.status).toBe(400);
    expect(error.code).toBe("context_length_exceeded");
    expect(error.type).toBe("invalid_request_error");
    expect(upstream("tiny-alone").requests).toHaveLength(0);
  });
});
