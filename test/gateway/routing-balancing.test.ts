import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { startGateway } from "../support/gateway";
import type { OpenAIUpstream } from "../support/openai-upstream";
import { deployment, gatewayClient, metricValue, upstreamPool } from "../support/routing";

// How load is spread over a group's deployments: cooldown of failing ones, and routing strategies.
// A weight of 1e-9 makes the other deployment of a pair the first pick, deterministically.
const LAST_PICK = { weight: 1e-9 };

const pool = upstreamPool();
const gateways: Awaited<ReturnType<typeof startGateway>>[] = [];

async function serve(config: Record<string, unknown>) {
  const gateway = await startGateway(config);
  gateways.push(gateway);
  return { gateway, client: gatewayClient(gateway.url) };
}

afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.shutdown()));
  await pool.closeAll();
});

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const inCooldown = (gatewayUrl: string, group: string, id: string) =>
  metricValue(gatewayUrl, "routeiq_deployment_in_cooldown", { model_group: group, deployment: id });

describe("cooldown", () => {
  const settings = { num_retries: 1, allowed_fails: 1, cooldown_time: 30 };

  it("sends no traffic to a deployment that failed allowed_fails times, and shows it on /metrics", async () => {
    const [a, b] = await Promise.all([pool.start("pair-a"), pool.start("pair-b")]);
    const { gateway, client } = await serve({
      model_list: [deployment("pair", "pair-a", a.url), deployment("pair", "pair-b", b.url, LAST_PICK)],
      router_settings: settings,
    });
    a.setBehaviour({ failNext: 1, failStatus: 500 });
    const first = await client.chat("pair");
    expect(first.response.headers.get("x-routeiq-deployment")).toBe("pair-b");
    expect(first.response.headers.get("x-routeiq-attempts")).toBe("2");

    // pair-a would be the first pick every time; cooling down, it is skipped without being tried.
    for (let i = 0; i < 5; i++) {
      const { response } = await client.chat("pair");
      expect(response.headers.get("x-routeiq-deployment")).toBe("pair-b");
      expect(response.headers.get("x-routeiq-attempts")).toBe("1");
    }
    expect(a.requests).toHaveLength(1);
    expect(b.requests).toHaveLength(6);
    expect(await inCooldown(gateway.url, "pair", "pair-a")).toBe(1);
  });

  it("takes a deployment back once cooldown_time has passed, and clears the gauge", async () => {
    const [a, b] = await Promise.all([pool.start("back-a"), pool.start("back-b")]);
    const { gateway, client } = await serve({
      model_list: [deployment("back", "back-a", a.url), deployment("back", "back-b", b.url, LAST_PICK)],
      router_settings: { ...settings, cooldown_time: 0.3 },
    });
    a.setBehaviour({ failNext: 1, failStatus: 500 });
    expect((await client.chat("back")).response.headers.get("x-routeiq-deployment")).toBe("back-b");
    expect(await inCooldown(gateway.url, "back", "back-a")).toBe(1);

    await sleep(400);
    const { data } = await client.chat("back");
    expect(data.choices[0]?.message.content).toBe("Hello from back-a");
    expect(await inCooldown(gateway.url, "back", "back-a")).toBe(0);
  });

  it("never cools down the only deployment of a group: it is still tried after failures", async () => {
    const solo = await pool.start("solo");
    const { gateway, client } = await serve({
      model_list: [deployment("solo", "solo", solo.url)],
      router_settings: settings,
    });
    solo.setBehaviour({ failNext: 2, failStatus: 500 });
    expect((await client.fail("solo")).status).toBe(502);
    // 429 cools a deployment at once in a bigger group; not this one.
    solo.setBehaviour({ failNext: 2, failStatus: 429 });
    expect((await client.fail("solo")).status).toBe(429);

    const { data } = await client.chat("solo");
    expect(data.choices[0]?.message.content).toBe("Hello from solo");
    expect(solo.requests).toHaveLength(5);
    expect(await inCooldown(gateway.url, "solo", "solo")).toBe(0);
  });

  it("answers 503 with retry-after while every deployment of a group is cooling down", async () => {
    const [a, b] = await Promise.all([pool.start("both-a"), pool.start("both-b")]);
    const { client } = await serve({
      model_list: [deployment("both", "both-a", a.url), deployment("both", "both-b", b.url)],
      router_settings: settings,
    });
    a.setBehaviour({ failNext: 1_000, failStatus: 500 });
    b.setBehaviour({ failNext: 1_000, failStatus: 500 });
    expect((await client.fail("both")).status).toBe(502);
    expect(a.requests).toHaveLength(1);
    expect(b.requests).toHaveLength(1);

    const error = await client.fail("both");
    expect(error.status).toBe(503);
    expect(error.type).toBe("service_unavailable_error");
    const retryAfter = Number(error.headers?.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(29);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(a.requests.length + b.requests.length).toBe(2);
  });
});

describe("routing strategies through the gateway", () => {
  it("least-busy sends each concurrent request to an idle deployment", async () => {
    const upstreams = await Promise.all(["busy-a", "busy-b", "busy-c"].map((name) => pool.start(name)));
    for (const u of upstreams) u.setBehaviour({ delayMs: 250 });
    const { client } = await serve({
      model_list: ["busy-a", "busy-b", "busy-c"].map((id, i) =>
        deployment("busy", id, (upstreams[i] as OpenAIUpstream).url),
      ),
      router_settings: { routing_strategy: "least-busy", num_retries: 0 },
    });
    const received = () => upstreams.reduce((sum, u) => sum + u.requests.length, 0);
    const pending: ReturnType<typeof client.chat>[] = [];
    for (let i = 1; i <= 3; i++) {
      pending.push(client.chat("busy"));
      await until(() => received() === i, `request ${i} to reach an upstream`);
    }
    const served = await Promise.all(pending);
    const deployments = served.map(({ response }) => response.headers.get("x-routeiq-deployment"));
    expect(new Set(deployments)).toEqual(new Set(["busy-a", "busy-b", "busy-c"]));
    for (const u of upstreams) expect(u.requests).toHaveLength(1);
  });

  it("cost-based-routing always picks the cheaper deployment", async () => {
    const [pricey, cheap] = await Promise.all([pool.start("pricey"), pool.start("cheap")]);
    const { client } = await serve({
      model_list: [
        deployment("priced", "pricey", pricey.url, {}, { input_cost_per_token: 0.00003 }),
        deployment("priced", "cheap", cheap.url, {}, { input_cost_per_token: 0.000001 }),
      ],
      router_settings: { routing_strategy: "cost-based-routing", num_retries: 0 },
    });
    for (let i = 0; i < 6; i++) {
      const { data } = await client.chat("priced");
      expect(data.choices[0]?.message.content).toBe("Hello from cheap");
    }
    expect(pricey.requests).toHaveLength(0);
  });
});
