import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway } from "../support/gateway";
import type { OpenAIUpstream } from "../support/openai-upstream";
import { closedPort, deployment, gatewayClient, upstreamPool } from "../support/routing";

// Retries within one model group, and what the client sees once they are exhausted.
// allowed_fails is high so cooldown (routing-cooldown.test.ts) never hides a retry here.
// A weight of 1e-9 makes the other deployment of a pair the first pick, deterministically.
const LAST_PICK = { weight: 1e-9 };

const pool = upstreamPool();
let gateway: Awaited<ReturnType<typeof startGateway>>;
let client: ReturnType<typeof gatewayClient>;
const up: Record<string, OpenAIUpstream> = {};

beforeAll(async () => {
  for (const name of [
    "flaky",
    "healthy",
    "broken",
    "limited",
    "limited-long",
    "limited-first",
    "limited-spare",
    "strict",
    "down-a",
    "down-b",
    "slow",
  ]) {
    up[name] = await pool.start(name);
  }
  const url = (name: string) => up[name]?.url as string;
  const refused = `http://127.0.0.1:${await closedPort()}`;
  gateway = await startGateway({
    model_list: [
      deployment("flaky", "flaky", url("flaky")),
      deployment("half-down", "broken", url("broken")),
      deployment("half-down", "healthy", url("healthy"), LAST_PICK),
      deployment("limited", "limited", url("limited")),
      deployment("limited-long", "limited-long", url("limited-long")),
      deployment("limited-pair", "limited-first", url("limited-first")),
      deployment("limited-pair", "limited-spare", url("limited-spare"), LAST_PICK),
      deployment("strict", "strict", url("strict")),
      deployment("all-down", "down-a", url("down-a")),
      deployment("all-down", "down-b", url("down-b")),
      deployment("refused", "refused", refused),
      deployment("slow", "slow", url("slow"), { timeout: 0.2 }),
    ],
    router_settings: { num_retries: 2, allowed_fails: 1000, cooldown_time: 30 },
  });
  client = gatewayClient(gateway.url);
});

afterAll(async () => {
  await gateway?.shutdown();
  await pool.closeAll();
});

const upstream = (name: string) => up[name] as OpenAIUpstream;

describe("retries", () => {
  it("retries a deployment that failed once and reports two attempts", async () => {
    upstream("flaky").setBehaviour({ failNext: 1, failStatus: 500 });
    const { data, response } = await client.chat("flaky");
    expect(data.choices[0]?.message.content).toBe("Hello from flaky");
    expect(response.headers.get("x-routeiq-attempts")).toBe("2");
    expect(upstream("flaky").requests).toHaveLength(2);
  });

  it("serves every request from the healthy deployment when the other always fails", async () => {
    upstream("broken").setBehaviour({ failNext: 1_000, failStatus: 503 });
    for (let i = 0; i < 4; i++) {
      const { data, response } = await client.chat("half-down");
      expect(data.choices[0]?.message.content).toBe("Hello from healthy");
      expect(response.headers.get("x-routeiq-deployment")).toBe("healthy");
      // The broken deployment is the first pick, so each request needed exactly one retry.
      expect(response.headers.get("x-routeiq-attempts")).toBe("2");
    }
    expect(upstream("broken").requests).toHaveLength(4);
    expect(upstream("healthy").requests).toHaveLength(4);
  });

  it("waits out a short upstream retry-after before trying the same deployment again", async () => {
    upstream("limited").setBehaviour({ failNext: 1, failStatus: 429, retryAfterSeconds: 1 });
    const { data, response } = await client.chat("limited");
    expect(data.choices[0]?.message.content).toBe("Hello from limited");
    expect(response.headers.get("x-routeiq-attempts")).toBe("2");
    const [first, second] = upstream("limited").requests;
    expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it("passes a long upstream retry-after straight through as 429 instead of waiting", async () => {
    upstream("limited-long").setBehaviour({ failNext: 1, failStatus: 429, retryAfterSeconds: 20 });
    const started = Date.now();
    const error = await client.fail("limited-long");
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error.status).toBe(429);
    expect(error.type).toBe("rate_limit_error");
    expect(error.headers?.get("retry-after")).toBe("20");
    expect(upstream("limited-long").requests).toHaveLength(1);
  });

  it("tries another deployment at once when one answers 429 with a long retry-after", async () => {
    upstream("limited-first").setBehaviour({ failNext: 1, failStatus: 429, retryAfterSeconds: 60 });
    const started = Date.now();
    const { data, response } = await client.chat("limited-pair");
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(data.choices[0]?.message.content).toBe("Hello from limited-spare");
    expect(response.headers.get("x-routeiq-attempts")).toBe("2");
    expect(upstream("limited-first").requests).toHaveLength(1);
  });

  it("does not retry an upstream 400: the client gets it as is", async () => {
    upstream("strict").setBehaviour({
      failNext: 1,
      failStatus: 400,
      failMessage: "Invalid value for 'temperature'",
    });
    const error = await client.fail("strict");
    expect(error.status).toBe(400);
    expect(error.type).toBe("invalid_request_error");
    expect(error.message).toContain("Invalid value for 'temperature'");
    expect(upstream("strict").requests).toHaveLength(1);
  });
});

describe("when every attempt fails", () => {
  it("answers 502 api_error after trying each failing deployment", async () => {
    upstream("down-a").setBehaviour({ failNext: 1_000, failStatus: 500 });
    upstream("down-b").setBehaviour({ failNext: 1_000, failStatus: 500 });
    const error = await client.fail("all-down");
    expect(error.status).toBe(502);
    expect(error.type).toBe("api_error");
    expect(error.headers?.get("x-routeiq-attempts")).toBe("3");
    // num_retries: 2 means three attempts, spread over both deployments before repeating one.
    expect(upstream("down-a").requests.length + upstream("down-b").requests.length).toBe(3);
    expect(upstream("down-a").requests.length).toBeGreaterThanOrEqual(1);
    expect(upstream("down-b").requests.length).toBeGreaterThanOrEqual(1);
  });

  it("answers 502 when the upstream refuses connections", async () => {
    const error = await client.fail("refused");
    expect(error.status).toBe(502);
    expect(error.type).toBe("api_error");
    expect(error.message).toContain("could not reach upstream");
  });

  it("answers 504 when the upstream is slower than litellm_params.timeout", async () => {
    upstream("slow").setBehaviour({ delayMs: 1_000 });
    const started = Date.now();
    const error = await client.fail("slow");
    // Three attempts of 0.2 s each (plus backoff), well before the upstream's 1 s answer.
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(error.status).toBe(504);
    expect(error.type).toBe("timeout_error");
    expect(upstream("slow").requests).toHaveLength(3);
  });
});
