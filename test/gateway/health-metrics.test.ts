import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../shared/app";
import { Lifecycle } from "../../shared/http/lifecycle";
import type { ReadinessCheck } from "../../shared/http/readiness";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { sample } from "../support/metrics";

type Gateway = Awaited<ReturnType<typeof startGateway>>;

const INPUT_COST = 0.000_002;
const OUTPUT_COST = 0.000_01;

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

const auth = { authorization: `Bearer ${MASTER_KEY}` };

function chat(gateway: Gateway, model: string, extra: Record<string, unknown> = {}): Promise<Response> {
  return fetch(`${gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hello there" }], ...extra }),
  });
}

async function metrics(gateway: Gateway, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(`${gateway.url}/metrics`, { headers });
  expect(response.status).toBe(200);
  return response.text();
}

let gateway: Gateway;
let brokenPort: number;

beforeAll(async () => {
  brokenPort = await closedPort();
  gateway = await startGateway({
    model_list: [
      {
        model_name: "priced",
        litellm_params: { model: "mock/priced", mock_response: "one two three four" },
        model_info: { input_cost_per_token: INPUT_COST, output_cost_per_token: OUTPUT_COST },
      },
      { model_name: "free", litellm_params: { model: "mock/free" } },
      { model_name: "slow", litellm_params: { model: "mock/slow", mock_latency_ms: 400 } },
      {
        model_name: "broken",
        litellm_params: {
          model: "openai/gpt-4o",
          api_base: `http://127.0.0.1:${brokenPort}/v1`,
          api_key: "sk-unused",
        },
      },
    ],
  });
});

afterAll(async () => {
  await gateway?.shutdown();
});

describe("probes", () => {
  it("/_health/live answers 200 without a key", async () => {
    const response = await fetch(`${gateway.url}/_health/live`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "alive" });
  });

  it("/_health/ready answers 200 ready without a key", async () => {
    const response = await fetch(`${gateway.url}/_health/ready`);
    expect(response.status).toBe(200);
    // Test gateways use the machine's PostgreSQL, so readiness checks it.
    expect(await response.json()).toEqual({ status: "ready", checks: { database: "ok" } });
  });

  it("LiteLLM's /health/liveliness and /health/readiness answer without a key", async () => {
    const live = await fetch(`${gateway.url}/health/liveliness`);
    expect(live.status).toBe(200);
    expect(await live.json()).toBe("I'm alive!");
    const ready = await fetch(`${gateway.url}/health/readiness`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "healthy" });
  });

  it("readiness is 503 naming the failing check, on both readiness routes", async () => {
    const failing: ReadinessCheck = {
      name: "redis",
      check: async () => {
        throw new Error("connect ECONNREFUSED 10.0.0.5:6379");
      },
    };
    const passing: ReadinessCheck = { name: "database", check: async () => {} };
    const app = createApp({ ...gateway.deps, readiness: [passing, failing] });

    const ready = await app.request("/_health/ready");
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({
      status: "not_ready",
      checks: { database: "ok", redis: "connect ECONNREFUSED 10.0.0.5:6379" },
    });
    const litellm = await app.request("/health/readiness");
    expect(litellm.status).toBe(503);
    expect(await litellm.json()).toMatchObject({
      status: "not_ready",
      checks: { redis: expect.any(String) },
    });
    // Liveness does not depend on dependencies: restarting would not fix Redis.
    expect((await app.request("/_health/live")).status).toBe(200);
  });

  it("readiness stays 200 with a dependency's warning in the body, on both readiness routes", async () => {
    const warning = "maxmemory-policy allkeys-lru evicts any key, rate-limit and budget state included";
    const redis: ReadinessCheck = { name: "redis", check: async () => {}, warning: async () => warning };
    const app = createApp({ ...gateway.deps, readiness: [redis] });
    const ready = await app.request("/_health/ready");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: "ready",
      checks: { redis: "ok" },
      warnings: { redis: warning },
    });
    const litellm = await app.request("/health/readiness");
    expect(litellm.status).toBe(200);
    expect(await litellm.json()).toMatchObject({ status: "healthy", warnings: { redis: warning } });
  });

  it("readiness is 200 degraded, naming the database, while its grace lasts; 503 without one", async () => {
    const database = (graceMs: number): ReadinessCheck => ({
      name: "database",
      check: async () => {
        throw new Error("database unavailable: connect ECONNREFUSED 10.0.0.6:5432");
      },
      graceMs: () => graceMs,
    });
    const degraded = createApp({ ...gateway.deps, readiness: [database(300_000)] });
    const ready = await degraded.request("/_health/ready");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: "degraded",
      checks: { database: "database unavailable: connect ECONNREFUSED 10.0.0.6:5432" },
      degraded_until: { database: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    });
    const litellm = await degraded.request("/health/readiness");
    expect([litellm.status, ((await litellm.json()) as { status: string }).status]).toEqual([
      200,
      "degraded",
    ]);

    const strict = createApp({ ...gateway.deps, readiness: [database(0)] });
    expect((await strict.request("/_health/ready")).status).toBe(503);
    expect((await strict.request("/_health/live")).status).toBe(200);
  });

  it("readiness is 503 draining once shutdown starts, while liveness stays 200", async () => {
    const lifecycle = new Lifecycle();
    const app = createApp({ ...gateway.deps, lifecycle });
    expect((await app.request("/_health/ready")).status).toBe(200);
    lifecycle.startDrain();
    const ready = await app.request("/_health/ready");
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: "draining" });
    expect((await app.request("/_health/live")).status).toBe(200);
  });
});

describe("GET /health", () => {
  it("requires the master key", async () => {
    const response = await fetch(`${gateway.url}/health`);
    expect(response.status).toBe(401);
    const wrong = await fetch(`${gateway.url}/health`, { headers: { authorization: "Bearer sk-wrong" } });
    expect(wrong.status).toBe(401);
  });

  it("calls every deployment and reports the healthy and the unreachable ones", async () => {
    const response = await fetch(`${gateway.url}/health`, { headers: auth });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      healthy_endpoints: Array<Record<string, unknown>>;
      unhealthy_endpoints: Array<Record<string, unknown>>;
      healthy_count: number;
      unhealthy_count: number;
    };
    expect(body.healthy_count).toBe(3);
    expect(body.unhealthy_count).toBe(1);
    expect(body.healthy_endpoints).toContainEqual({
      model: "priced",
      deployment: "mock/priced",
      api_base: null,
    });
    expect(body.healthy_endpoints.map((e) => e.model).sort()).toEqual(["free", "priced", "slow"]);
    expect(body.unhealthy_endpoints).toEqual([
      {
        model: "broken",
        deployment: "openai/gpt-4o",
        api_base: `http://127.0.0.1:${brokenPort}/v1`,
        error: expect.stringContaining("could not reach upstream"),
      },
    ]);
  });
});

describe("/metrics", () => {
  it("is open without a key by default, in Prometheus text format", async () => {
    const response = await fetch(`${gateway.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    expect(await response.text()).toContain("# TYPE litellm_proxy_total_requests_metric_total counter");
  });

  it("counts requests by route, requested model and status, with their latency", async () => {
    const before = await metrics(gateway);
    const labels = { route: "/v1/chat/completions", requested_model: "free", status_code: "200" };
    const count = (text: string) => sample(text, "litellm_proxy_total_requests_metric_total", labels) ?? 0;
    const latency = (text: string) =>
      sample(text, "litellm_request_total_latency_metric_count", {
        route: "/v1/chat/completions",
        requested_model: "free",
      }) ?? 0;

    expect((await chat(gateway, "free")).status).toBe(200);
    expect((await chat(gateway, "free")).status).toBe(200);
    const missing = await chat(gateway, "no-such-model");
    expect(missing.status).toBe(404);

    const after = await metrics(gateway);
    expect(count(after) - count(before)).toBe(2);
    expect(latency(after) - latency(before)).toBe(2);
    expect(
      sample(after, "litellm_request_total_latency_metric_bucket", {
        route: "/v1/chat/completions",
        requested_model: "free",
        le: "+Inf",
      }),
    ).toBe(latency(after));
    expect(
      sample(after, "litellm_proxy_total_requests_metric_total", {
        route: "/v1/chat/completions",
        status_code: "404",
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(after, "litellm_proxy_failed_requests_metric_total", {
        route: "/v1/chat/completions",
        status_code: "404",
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(after, "litellm_deployment_success_responses_total", {
        model_group: "free",
        deployment: "mock/free",
        api_provider: "mock",
      }),
    ).toBeGreaterThanOrEqual(2);
  });

  it("counts tokens and spend from model_info prices", async () => {
    const before = await metrics(gateway);
    const response = await chat(gateway, "priced");
    expect(response.status).toBe(200);
    const { usage } = (await response.json()) as {
      usage: { prompt_tokens: number; completion_tokens: number };
    };
    expect(usage.prompt_tokens).toBeGreaterThan(0);
    expect(usage.completion_tokens).toBeGreaterThan(0);
    const after = await metrics(gateway);

    const labels = { model_group: "priced", deployment: "mock/priced" };
    const delta = (name: string) => (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    expect(delta("litellm_input_tokens_metric_total")).toBe(usage.prompt_tokens);
    expect(delta("litellm_output_tokens_metric_total")).toBe(usage.completion_tokens);
    expect(delta("litellm_spend_metric_total")).toBeCloseTo(
      usage.prompt_tokens * INPUT_COST + usage.completion_tokens * OUTPUT_COST,
      12,
    );
    // A model without prices costs nothing, so it has no spend series.
    expect((await chat(gateway, "free")).status).toBe(200);
    const later = await metrics(gateway);
    expect(sample(later, "litellm_input_tokens_metric_total", { model_group: "free" })).toBeGreaterThan(0);
    expect(sample(later, "litellm_spend_metric_total", { model_group: "free" })).toBeUndefined();
  });

  it("observes time to first token for a streamed request", async () => {
    const labels = { model_group: "priced", deployment: "mock/priced" };
    const ttft = (text: string) =>
      sample(text, "litellm_llm_api_time_to_first_token_metric_count", labels) ?? 0;
    const before = ttft(await metrics(gateway));
    const response = await chat(gateway, "priced", { stream: true });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const text = await response.text();
    expect(text).toContain("data: [DONE]");
    const after = await metrics(gateway);
    expect(ttft(after) - before).toBe(1);
    // The streamed request is counted once it finished, tokens included.
    expect(sample(after, "litellm_output_tokens_metric_total", labels)).toBeGreaterThan(0);
  });

  it("shows a request in flight while it runs, and none after", async () => {
    const pending = chat(gateway, "slow");
    let seen: number | undefined;
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      seen = sample(await metrics(gateway), "litellm_in_flight_requests");
      if (seen === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(seen).toBe(1);
    expect((await pending).status).toBe(200);
    expect(sample(await metrics(gateway), "litellm_in_flight_requests")).toBe(0);
  });
});

describe("/metrics with require_auth_for_metrics_endpoint", () => {
  let locked: Gateway;

  beforeAll(async () => {
    locked = await startGateway({
      model_list: [{ model_name: "free", litellm_params: { model: "mock/free" } }],
      litellm_settings: { require_auth_for_metrics_endpoint: true },
    });
  });

  afterAll(async () => {
    await locked?.shutdown();
  });

  it("requires the master key", async () => {
    expect((await fetch(`${locked.url}/metrics`)).status).toBe(401);
    expect(
      (await fetch(`${locked.url}/metrics`, { headers: { authorization: "Bearer sk-wrong" } })).status,
    ).toBe(401);
    const text = await metrics(locked, auth);
    expect(text).toContain("litellm_in_flight_requests");
  });

  it("leaves the probes open", async () => {
    expect((await fetch(`${locked.url}/_health/ready`)).status).toBe(200);
    expect((await fetch(`${locked.url}/_health/live`)).status).toBe(200);
  });
});
