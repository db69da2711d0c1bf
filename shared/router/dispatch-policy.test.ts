import { afterEach, describe, expect, it, vi } from "vitest";
import type { Deployment } from "../config/deployment";
import { loadConfig } from "../config/load";
import { GatewayError, UpstreamError } from "../errors";
import type { Logger } from "../logging/logger";
import type { GatewayMetrics } from "../metrics/port";
import type { RequestChoice } from "./choice";
import { route } from "./dispatch";
import { MemoryRouterState } from "./memory-state";

/** The retry, cooldown and backoff policy of `route`, seen through what it calls and answers. */

function configWith(routerSettings: Record<string, unknown>) {
  return loadConfig(
    JSON.stringify({
      model_list: [
        { model_name: "pair", litellm_params: { model: "mock/p1" } },
        { model_name: "pair", litellm_params: { model: "mock/p2" } },
        { model_name: "solo", litellm_params: { model: "mock/s1" } },
        { model_name: "capped", litellm_params: { model: "mock/c1", max_retries: 0 } },
        { model_name: "spare", litellm_params: { model: "mock/spare" } },
        { model_name: "sized", litellm_params: { model: "mock/z1" }, model_info: { max_input_tokens: 100 } },
      ],
      router_settings: { cooldown_time: 60, ...routerSettings },
    }),
    {},
  ).config;
}

type Behaviour = (d: Deployment, attempt: number) => unknown;

function harness(routerSettings: Record<string, unknown> = {}, random = () => 0) {
  const config = configWith(routerSettings);
  const routerState = new MemoryRouterState();
  const slept: number[] = [];
  const metrics: unknown[][] = [];
  const debug: Array<[string, unknown]> = [];
  const deps = {
    routerState,
    // Every metric call, in order: [method, ...arguments].
    metrics: new Proxy({} as GatewayMetrics, {
      get:
        (_target, method) =>
        (...args: unknown[]) =>
          metrics.push([method, ...args]),
    }),
    logger: {
      debug: (message: string, fields?: unknown) => debug.push([message, fields]),
      info: () => {},
      warn: () => {},
      error: () => {},
    } satisfies Logger,
    random,
    sleep: async (ms: number) => {
      slept.push(ms);
    },
  };
  const called: string[] = [];
  const send = (
    group: string,
    behave: Behaviour,
    options: { estimatedTokens?: number; choice?: RequestChoice } = {},
  ) =>
    route(config, deps, {
      requestId: "req-1",
      modelGroup: group,
      estimatedTokens: options.estimatedTokens ?? 1,
      choice: options.choice,
      signal: new AbortController().signal,
      allows: () => true,
      call: async (d) => {
        called.push(d.id);
        return behave(d, called.length);
      },
    });
  const failure = (group: string, behave: Behaviour, options: Parameters<typeof send>[2] = {}) =>
    send(group, behave, options).then(
      () => {
        throw new Error("expected the request to fail");
      },
      (error: unknown) => {
        if (!(error instanceof GatewayError)) throw error;
        return error;
      },
    );
  const stats = async (group: string) => {
    const deployments = config.groups.get(group) ?? [];
    const all = await routerState.stats(deployments);
    return Object.fromEntries(deployments.map((d, i) => [d.id, all[i]]));
  };
  const calls = (method: string) => metrics.filter(([m]) => m === method).map(([, ...args]) => args);
  return { send, failure, called, slept, stats, calls, debug };
}

const failing =
  (status: number, retryAfterMs?: number): Behaviour =>
  () => {
    throw new UpstreamError("http", status, `upstream said ${status}`, retryAfterMs);
  };

describe("route: cooling down deployments", () => {
  it.each([401, 403, 404, 429])(
    "benches a deployment answering %i at once, before allowed_fails",
    async (status) => {
      const h = harness({ allowed_fails: 3, num_retries: 2 });
      const first = await h.send("pair", (d) => (d.id === "mock/p1" ? failing(status)(d, 0) : "ok"));
      expect(first.deployment.id).toBe("mock/p2");
      expect(first.attempts).toBe(2);
      expect((await h.stats("pair"))["mock/p1"]?.cooldownUntil).toBeGreaterThan(Date.now() + 50_000);
      expect(h.calls("cooldown")).toContainEqual(["pair", "mock/p1", true]);
      // The next request goes straight to the other deployment.
      const second = await h.send("pair", () => "ok");
      expect(second.deployment.id).toBe("mock/p2");
      expect(h.called).toEqual(["mock/p1", "mock/p2", "mock/p2"]);
    },
  );

  it("cools a deployment failing with a 500 only once it fails more than allowed_fails", async () => {
    const h = harness({ allowed_fails: 2, num_retries: 2 });
    const flaky = (d: Deployment) => (d.id === "mock/p1" ? failing(500)(d, 0) : "ok");
    await h.send("pair", flaky);
    expect((await h.stats("pair"))["mock/p1"]?.cooldownUntil).toBe(0);
    expect(h.calls("cooldown").filter(([, , cooling]) => cooling)).toEqual([]);
    await h.send("pair", flaky);
    expect((await h.stats("pair"))["mock/p1"]?.cooldownUntil).toBeGreaterThan(0);
    expect(h.calls("cooldown")).toContainEqual(["pair", "mock/p1", true]);
  });

  it("never cools the only deployment of a group: it is tried again on the next request", async () => {
    const h = harness({ allowed_fails: 1, num_retries: 0 });
    for (let i = 0; i < 3; i++) expect((await h.failure("solo", failing(503))).status).toBe(502);
    expect(h.called).toEqual(["mock/s1", "mock/s1", "mock/s1"]);
    expect((await h.stats("solo"))["mock/s1"]?.cooldownUntil).toBe(0);
    expect(h.calls("cooldown").filter(([, , cooling]) => cooling)).toEqual([]);
  });

  it("owes the client the failures it met when every deployment cooled during its request, not a 503", async () => {
    const h = harness({ allowed_fails: 3, num_retries: 3 });
    const error = await h.failure("pair", failing(429, 2_000));
    expect(error.status).toBe(429);
    expect(error.code).toBe("rate_limit_exceeded");
    expect(error.headers["retry-after"]).toBe("2");
    expect(error.headers["x-routeiq-attempts"]).toBe("2");
    expect(h.called).toEqual(["mock/p1", "mock/p2"]);

    // A later request finds the whole group cooling: that one is the gateway's 503.
    const later = await h.failure("pair", () => "ok");
    expect(later.status).toBe(503);
    expect(later.code).toBe("no_healthy_deployment");
    expect(later.message).toBe('every deployment of "pair" is cooling down after failures; retry in 60s');
    expect(later.headers["retry-after"]).toBe("60");
    expect(later.headers["x-routeiq-attempts"]).toBe("0");
    expect(h.called).toHaveLength(2);
  });

  it("marks the picked deployment as not cooling, for the gauge", async () => {
    const h = harness();
    await h.send("solo", () => "ok");
    expect(h.calls("cooldown")).toEqual([["solo", "mock/s1", false]]);
  });
});

describe("route: retries and backoff", () => {
  it("backs off exponentially between retries of the same deployment, capped at 2 s, jittered by random", async () => {
    const h = harness({ num_retries: 6 });
    await h.failure("solo", failing(500));
    expect(h.slept).toEqual([50, 100, 200, 400, 800, 1_000]);
    expect(h.called).toHaveLength(7);

    const upper = harness({ num_retries: 6 }, () => 0.5);
    await upper.failure("solo", failing(500));
    expect(upper.slept).toEqual([75, 150, 300, 600, 1_200, 1_500]);
  });

  it("waits at least retry_after, and at least what the upstream's retry-after asks", async () => {
    const h = harness({ num_retries: 4, retry_after: 0.3 });
    await h.failure("solo", failing(500));
    expect(h.slept).toEqual([300, 300, 300, 400]);

    const told = harness({ num_retries: 2 });
    const error = await told.failure("solo", failing(429, 7_000));
    expect(told.slept).toEqual([7_000, 7_000]);
    expect(error.headers["retry-after"]).toBe("7");
  });

  it("does not wait out an upstream retry-after beyond 10 s: the client is told at once", async () => {
    const h = harness({ num_retries: 3 });
    const error = await h.failure("solo", failing(429, 10_001));
    expect(h.slept).toEqual([]);
    expect(h.called).toEqual(["mock/s1"]);
    expect(error.status).toBe(429);
    expect(error.headers["retry-after"]).toBe("11");

    const ten = harness({ num_retries: 1 });
    await ten.failure("solo", failing(429, 10_000));
    expect(ten.slept).toEqual([10_000]);
  });

  it("moves to another deployment at once, without waiting, while one is untried", async () => {
    const h = harness({ num_retries: 3, retry_after: 5, allowed_fails: 5 });
    const served = await h.send("pair", (d) => (d.id === "mock/p1" ? failing(500)(d, 0) : "ok"));
    expect(served.deployment.id).toBe("mock/p2");
    expect(h.slept).toEqual([]);
    expect(h.calls("retry")).toEqual([["pair", "mock/p1"]]);
  });

  it("stops after num_retries retries and answers the last failure, counting every attempt", async () => {
    const h = harness({ num_retries: 2 });
    const error = await h.failure("solo", failing(502));
    expect(error.status).toBe(502);
    expect(error.headers["x-routeiq-attempts"]).toBe("3");
    expect(h.calls("retry")).toEqual([
      ["solo", "mock/s1"],
      ["solo", "mock/s1"],
    ]);
  });

  it("honours a deployment's own max_retries below the router's", async () => {
    const h = harness({ num_retries: 5 });
    const error = await h.failure("capped", failing(500));
    expect(h.called).toEqual(["mock/c1"]);
    expect(error.status).toBe(502);
    expect(error.headers["x-routeiq-attempts"]).toBe("1");
  });

  it("does not retry a client error the upstream refused: one attempt, its own status", async () => {
    const h = harness({ num_retries: 3 });
    const error = await h.failure("pair", failing(400));
    expect(error.status).toBe(400);
    expect(h.called).toEqual(["mock/p1"]);
    expect((await h.stats("pair"))["mock/p1"]?.cooldownUntil).toBe(0);
    expect(h.calls("retry")).toEqual([]);
  });

  it("logs each failed attempt at debug with what failed", async () => {
    const h = harness({ num_retries: 0 });
    await h.failure("solo", failing(503));
    expect(h.debug).toEqual([
      [
        "upstream attempt failed",
        {
          request_id: "req-1",
          model_group: "solo",
          deployment: "mock/s1",
          attempt: 1,
          status: 503,
          kind: "http",
          error: "upstream said 503",
        },
      ],
    ]);
    expect(h.calls("deploymentCall")).toEqual([
      [expect.objectContaining({ modelGroup: "solo", deployment: "mock/s1", provider: "mock", status: 503 })],
    ]);
  });
});

describe("route: fallbacks and the answer", () => {
  it("falls back to the next group once a group is exhausted, and says so in metrics", async () => {
    const h = harness({ num_retries: 0, fallbacks: [{ solo: ["spare"] }] });
    const served = await h.send("solo", (d) => (d.id === "mock/s1" ? failing(503)(d, 0) : "ok"));
    expect(served.deployment.id).toBe("mock/spare");
    expect(served.attempts).toBe(2);
    expect(h.calls("fallback")).toEqual([["solo", "spare"]]);
    expect(h.calls("deploymentCall").map(([c]) => (c as { status: number }).status)).toEqual([503, 200]);
  });
});

describe("route: settling a served request", () => {
  it("records its tokens and latency in router state once, and frees its in-flight slot", async () => {
    const h = harness();
    const served = await h.send("solo", () => "ok");
    expect((await h.stats("solo"))["mock/s1"]?.inFlight).toBe(1);
    served.settle(42);
    served.settle(42);
    await Promise.resolve();
    const s = (await h.stats("solo"))["mock/s1"];
    expect(s?.inFlight).toBe(0);
    expect(s?.tpm).toBe(42);
    expect(s?.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it("counts a request that failed after it was served (a broken stream) against its deployment", async () => {
    const h = harness({ allowed_fails: 1 });
    const served = await h.send("pair", () => "ok");
    served.settle(0, "failed");
    expect((await h.stats("pair"))[served.deployment.id]?.cooldownUntil).toBeGreaterThan(0);
  });
});

describe("route: what clients and operators see of time and limits", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Date alone is faked: `advance` moves the clock the router and its state read. */
  function clock() {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.UTC(2026, 10, 29, 12) });
    return (ms: number) => vi.setSystemTime(Date.now() + ms);
  }

  it("measures each attempt's latency, served or failed, from its start", async () => {
    const advance = clock();
    const h = harness({ allowed_fails: 5, num_retries: 1 });
    const served = await h.send("pair", (d) => {
      advance(d.id === "mock/p1" ? 120 : 250);
      if (d.id === "mock/p1") throw new UpstreamError("http", 500, "boom");
      return "ok";
    });
    expect(h.calls("deploymentCall").map(([c]) => (c as { latencyMs: number }).latencyMs)).toEqual([
      120, 250,
    ]);
    advance(1_000);
    served.settle(3);
    await Promise.resolve();
    expect((await h.stats("pair"))["mock/p2"]?.latencyMs).toBe(250);
  });

  it("serves a prompt exactly at max_input_tokens, and names the limit it exceeds past it", async () => {
    const h = harness({ num_retries: 0 });
    expect((await h.send("sized", () => "ok", { estimatedTokens: 100 })).deployment.id).toBe("mock/z1");
    const error = await h.failure("sized", () => "ok", { estimatedTokens: 101 });
    expect(error.status).toBe(400);
    expect(error.message).toContain(
      'prompt of ~101 tokens exceeds every "sized" deployment\'s max_input_tokens',
    );
    expect(h.called).toEqual(["mock/z1"]);
  });

  it("tells a client finding every deployment cooling to come back when the first one is back", async () => {
    const advance = clock();
    const h = harness({ allowed_fails: 5, num_retries: 1 });
    await h.send("pair", (d) => (d.id === "mock/p1" ? failing(429)(d, 0) : "ok"));
    advance(20_000);
    await h.failure("pair", failing(429));
    const error = await h.failure("pair", () => "ok");
    expect(error.status).toBe(503);
    // p1 cooled 20 s before p2: it is back in 40 s, p2 in 60.
    expect(error.headers["retry-after"]).toBe("40");
    expect(error.message).toBe('every deployment of "pair" is cooling down after failures; retry in 40s');
  });

  it("still serves the only deployment of a group that a broken stream cooled down", async () => {
    const h = harness({ allowed_fails: 1 });
    const served = await h.send("solo", () => "ok");
    served.settle(0, "failed");
    expect((await h.stats("solo"))["mock/s1"]?.cooldownUntil).toBeGreaterThan(0);
    expect((await h.send("solo", () => "ok")).deployment.id).toBe("mock/s1");
  });

  it("reports no cooldown when cooldown_time is 0", async () => {
    const h = harness({ cooldown_time: 0, num_retries: 1 });
    await h.send("pair", (d) => (d.id === "mock/p1" ? failing(429)(d, 0) : "ok"));
    expect(h.called).toEqual(["mock/p1", "mock/p2"]);
    expect(h.calls("cooldown").filter(([, , cooling]) => cooling)).toEqual([]);
  });

  it("tells a request's choice only of failures that count against the deployment", async () => {
    const h = harness({ num_retries: 2 });
    const attempts: string[] = [];
    const choice: RequestChoice = {
      strategy: (candidates) => candidates[0],
      attempted: (d, result) => attempts.push(`${d.id}:${result}`),
    };
    await h.failure("pair", failing(400), { choice });
    expect(attempts).toEqual([]);
    await h.failure("pair", failing(500), { choice });
    expect(attempts).toEqual(["mock/p1:failed", "mock/p2:failed", "mock/p1:failed"]);
  });

  it("moves on to an untried deployment even when the one that failed asks for more than 10 s", async () => {
    const h = harness({ num_retries: 2 });
    const served = await h.send("pair", (d) => (d.id === "mock/p1" ? failing(429, 30_000)(d, 0) : "ok"));
    expect(served.deployment.id).toBe("mock/p2");
    expect(h.slept).toEqual([]);
  });

  it("sends a prompt too long for a fallback group to that group's context-window fallback, before any other", async () => {
    const h = harness({
      num_retries: 0,
      fallbacks: [{ solo: ["sized", "pair"] }],
      context_window_fallbacks: [{ sized: ["spare"] }],
    });
    const served = await h.send("solo", (d) => (d.id === "mock/s1" ? failing(503)(d, 0) : "ok"), {
      estimatedTokens: 500,
    });
    expect(served.deployment.id).toBe("mock/spare");
    expect(h.called).toEqual(["mock/s1", "mock/spare"]);
    expect(h.calls("fallback")).toEqual([
      ["solo", "sized"],
      ["solo", "spare"],
    ]);
  });

  it("answers a 503 for a fallback group found cooling, not the failure met before it", async () => {
    const h = harness({ num_retries: 0, allowed_fails: 5, fallbacks: [{ solo: ["pair"] }] });
    // Bench both deployments of pair.
    await h.failure("pair", failing(429));
    await h.failure("pair", failing(429));
    const error = await h.failure("solo", failing(502));
    expect(error.status).toBe(503);
    expect(error.message).toBe('every deployment of "pair" is cooling down after failures; retry in 60s');
  });
});
