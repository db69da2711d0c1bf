import { describe, expect, it } from "vitest";
import type { Deployment } from "../config/deployment";
import { loadConfig } from "../config/load";
import { GatewayError, UpstreamError } from "../errors";
import { silentLogger } from "../logging/logger";
import { prometheusMetrics } from "../metrics/prometheus";
import type { RequestChoice } from "./choice";
import { route } from "./dispatch";
import { MemoryRouterState } from "./memory-state";

const config = loadConfig(
  JSON.stringify({
    model_list: [
      { model_name: "a", litellm_params: { model: "mock/a1" } },
      { model_name: "a", litellm_params: { model: "mock/a2" } },
      { model_name: "b", litellm_params: { model: "mock/b1" } },
      { model_name: "long", litellm_params: { model: "mock/long" } },
    ],
    router_settings: {
      num_retries: 3,
      allowed_fails: 1,
      cooldown_time: 60,
      fallbacks: [{ a: ["b"] }],
      context_window_fallbacks: [{ a: ["long"] }],
    },
  }),
  {},
).config;

function harness(choice?: RequestChoice) {
  const routerState = new MemoryRouterState();
  const deps = {
    routerState,
    metrics: prometheusMetrics({ defaultMetrics: false }),
    logger: silentLogger,
    random: () => 0,
    sleep: async () => {},
  };
  const called: string[] = [];
  const send = (
    behave: (d: Deployment) => unknown,
    allows: (group: string) => boolean = () => true,
  ): Promise<unknown> =>
    route(config, deps, {
      modelGroup: "a",
      estimatedTokens: 1,
      signal: new AbortController().signal,
      allows,
      choice,
      call: async (d) => {
        called.push(d.id);
        return behave(d);
      },
    }).then(({ deployment, settle }) => {
      settle(0);
      return deployment.id;
    });
  const cooling = async () =>
    (await routerState.stats(config.groups.get("a") ?? [])).filter((s) => s.cooldownUntil > 0).length;
  return { send, called, cooling };
}

describe("route: only what an upstream did counts against a deployment", () => {
  it("passes an error of the gateway's own through at once: no retry, no fallback, no cooldown", async () => {
    const { send, called, cooling } = harness();
    for (let i = 0; i < 5; i++) {
      await expect(
        send(() => {
          throw new RangeError("Maximum call stack size exceeded");
        }),
      ).rejects.toThrow(RangeError);
    }
    expect(called).toHaveLength(5);
    expect(called.every((id) => id.startsWith("mock/a"))).toBe(true);
    expect(await cooling()).toBe(0);
    // The group still serves.
    await expect(send(() => "ok")).resolves.toMatch(/^mock\/a/);
  });

  it("answers a client error raised while calling with its own status, unretried", async () => {
    const { send, called, cooling } = harness();
    const refused = new GatewayError({
      status: 400,
      type: "invalid_request_error",
      code: "bad",
      message: "no",
    });
    const error = await send(() => {
      throw refused;
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).status).toBe(400);
    expect((error as GatewayError).headers["x-routeiq-attempts"]).toBe("1");
    expect(called).toHaveLength(1);
    expect(await cooling()).toBe(0);
  });

  it("still cools down and fails over on upstream failures", async () => {
    const { send, called, cooling } = harness();
    const served = await send((d) => {
      if (d.id === "mock/a1") throw new UpstreamError("http", 503, "down");
      return "ok";
    });
    expect(served).toBe("mock/a2");
    expect(called).toEqual(["mock/a1", "mock/a2"]);
    expect(await cooling()).toBe(1);
  });
});

describe("route: fallbacks the caller may not use are skipped", () => {
  const failing = (d: Deployment) => {
    if (d.modelGroup === "a") throw new UpstreamError("http", 500, "down");
    return "ok";
  };

  it("never answers from a fallback group outside the caller's models", async () => {
    const { send, called } = harness();
    await expect(send(failing, (group) => group === "a")).rejects.toMatchObject({ status: 502 });
    expect(called.some((id) => id === "mock/b1")).toBe(false);
  });

  it("uses the fallback when the caller may", async () => {
    const { send } = harness();
    await expect(send(failing, () => true)).resolves.toBe("mock/b1");
  });

  it("skips a context-window fallback the caller may not use", async () => {
    const tooLong = (d: Deployment) => {
      if (d.modelGroup === "a") throw new UpstreamError("context_window", 400, "prompt is too long");
      return "ok";
    };
    const { send, called } = harness();
    await expect(send(tooLong, (group) => group !== "long")).rejects.toMatchObject({ status: 400 });
    expect(called.includes("mock/long")).toBe(false);
    await expect(harness().send(tooLong)).resolves.toBe("mock/long");
  });
});

describe("route: a request's own choice picks within the requested group, the policy stays routing's", () => {
  /** Prefers a2 over a1, and tells what each attempt came to. */
  function preferA2() {
    const attempts: string[] = [];
    const offered: string[][] = [];
    const choice: RequestChoice = {
      strategy: (candidates) => {
        offered.push(candidates.map((c) => c.deployment.id));
        return candidates.find((c) => c.deployment.id === "mock/a2") ?? candidates[0];
      },
      attempted: (d, result) => attempts.push(`${d.id}:${result}`),
    };
    return { choice, attempts, offered };
  }

  it("sends the request where the choice says, and reports the attempt once it settles", async () => {
    const { choice, attempts } = preferA2();
    const { send, called } = harness(choice);
    // The configured strategy (shuffle with random 0) would pick mock/a1.
    expect(await harness().send(() => "ok")).toBe("mock/a1");
    expect(await send(() => "ok")).toBe("mock/a2");
    expect(called).toEqual(["mock/a2"]);
    expect(attempts).toEqual(["mock/a2:ok"]);
  });

  it("still retries elsewhere, cools down and falls back; only the requested group's attempts are reported", async () => {
    const { choice, attempts, offered } = preferA2();
    const { send, called, cooling } = harness(choice);
    const served = await send((d) => {
      if (d.modelGroup === "a") throw new UpstreamError("http", 503, "down");
      return "ok";
    });
    expect(served).toBe("mock/b1");
    expect(called).toEqual(["mock/a2", "mock/a1", "mock/b1"]);
    expect(attempts).toEqual(["mock/a2:failed", "mock/a1:failed"]);
    // After a2 failed, the choice was offered only what the policy still allowed.
    expect(offered).toEqual([["mock/a1", "mock/a2"], ["mock/a1"]]);
    expect(await cooling()).toBe(2);
  });
});

describe("route: context-window fallbacks that lead back to a group already tried", () => {
  // a → b → a: a config may name each as the other's context-window fallback (or a group as its own).
  const cyclic = loadConfig(
    JSON.stringify({
      model_list: [
        { model_name: "a", litellm_params: { model: "mock/a1" }, model_info: { max_input_tokens: 100 } },
        { model_name: "b", litellm_params: { model: "mock/b1" }, model_info: { max_input_tokens: 100 } },
      ],
      router_settings: { num_retries: 0, context_window_fallbacks: [{ a: ["b", "a"] }, { b: ["a"] }] },
    }),
    {},
  ).config;
  const deps = () => ({
    routerState: new MemoryRouterState(),
    metrics: prometheusMetrics({ defaultMetrics: false }),
    logger: silentLogger,
    random: () => 0,
    sleep: async () => {},
  });

  it("tries each group once when the upstreams say the prompt is too long, then answers 400", async () => {
    const called: string[] = [];
    const routed = route(cyclic, deps(), {
      modelGroup: "a",
      estimatedTokens: 1,
      signal: new AbortController().signal,
      allows: () => true,
      call: async (d) => {
        called.push(d.id);
        // Without a bound the chain never ends: stop the test instead of the worker.
        if (called.length > 10) throw new Error("runaway fallback chain");
        throw new UpstreamError("context_window", 400, "prompt is too long");
      },
    });
    await expect(routed).rejects.toMatchObject({ status: 400 });
    expect(called).toEqual(["mock/a1", "mock/b1"]);
  });

  it("answers 400 without calling anyone when the prompt exceeds every group's max_input_tokens", async () => {
    const called: string[] = [];
    let checks = 0;
    const routed = route(cyclic, deps(), {
      modelGroup: "a",
      estimatedTokens: 1_000,
      signal: new AbortController().signal,
      // This walk never awaits: without a bound it would block the event loop for good.
      allows: () => {
        checks += 1;
        if (checks > 100) throw new Error("runaway fallback chain");
        return true;
      },
      call: async (d) => {
        called.push(d.id);
        return "ok";
      },
    });
    await expect(routed).rejects.toMatchObject({ status: 400, code: "context_length_exceeded" });
    expect(called).toEqual([]);
  });
});
