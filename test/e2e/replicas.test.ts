import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MASTER_KEY } from "../support/gateway";
import { type OpenAIUpstream, startOpenAIUpstream } from "../support/openai-upstream";
import {
  admin,
  chat,
  type Gateway,
  generateKey,
  metricTotal,
  type Replicas,
  runTag,
  startReplicas,
  waitFor,
} from "../support/replicas";

// Two replicas of one deployment: one PostgreSQL schema, one Redis. What one replica learns
// (a key changed, an answer cached, a deployment failing) the other must act on.

const tag = runTag();
const CACHED_ID = `cached-${tag}`;
const FLAKY_ID = `flaky-${tag}`;
const STEADY_ID = `steady-${tag}`;

let flaky: OpenAIUpstream;
let steady: OpenAIUpstream;
let replicas: Replicas;
let a: Gateway;
let b: Gateway;

beforeAll(async () => {
  flaky = await startOpenAIUpstream({ name: "flaky" });
  steady = await startOpenAIUpstream({ name: "steady" });
  const upstream = (u: OpenAIUpstream, id: string, weight: number) => ({
    model_name: "routed",
    litellm_params: { model: "openai/gpt-x", api_base: `${u.url}/v1`, api_key: "sk-up", weight },
    model_info: { id },
  });
  const config = {
    model_list: [
      { model_name: "alpha", litellm_params: { model: "mock/alpha", mock_response: "from alpha" } },
      { model_name: "beta", litellm_params: { model: "mock/beta", mock_response: "from beta" } },
      {
        model_name: "cached",
        litellm_params: { model: "mock/cached", mock_latency_ms: 300 },
        model_info: { id: CACHED_ID },
      },
      // Weighted so that, without shared cooldowns, the second replica would pick "flaky" 9 times in 10.
      upstream(flaky, FLAKY_ID, 9),
      upstream(steady, STEADY_ID, 1),
    ],
    router_settings: { allowed_fails: 1, cooldown_time: 30, num_retries: 2 },
    litellm_settings: { cache: true },
  };
  replicas = await startReplicas([config, config]);
  [a, b] = replicas.gateways as [Gateway, Gateway];
});

afterAll(async () => {
  await replicas?.shutdown();
  await flaky?.close();
  await steady?.close();
});

describe("virtual keys across replicas", () => {
  it("a key created through one replica works through the other at once", async () => {
    const key = await generateKey(a);
    const answer = await chat(b, key, { model: "alpha" });
    expect(answer.status).toBe(200);
    expect(answer.completion?.choices[0]?.message.content).toBe("from alpha");
  });

  it("a key imported through one replica works at once on another that refused it a moment ago", async () => {
    // A LiteLLM user switching over imports the keys their clients already send.
    const key = `sk-imported-${tag}-${runTag()}`;
    expect((await chat(b, key, { model: "alpha" })).status).toBe(401);
    expect(await generateKey(a, { key })).toBe(key);
    // B remembers the unknown key for 2 s unless told; the announcement reaches it in milliseconds.
    await waitFor(
      "imported key served by the replica that refused it",
      async () => {
        return (await chat(b, key, { model: "alpha" })).status === 200;
      },
      1_000,
    );
  });

  it("a key deleted through one replica stops working on the other within a second", async () => {
    const key = await generateKey(a);
    // The other replica has the key cached (for 5 s) before it is deleted.
    expect((await chat(b, key, { model: "alpha" })).status).toBe(200);
    expect((await admin(a, "/key/delete", { keys: [key] })).status).toBe(200);
    await waitFor(
      "deleted key refused by the other replica",
      async () => {
        const answer = await chat(b, key, { model: "alpha" });
        return answer.status === 401 && answer.code === "invalid_api_key";
      },
      1_000,
    );
    expect((await chat(a, key, { model: "alpha" })).status).toBe(401);
  });

  it("a key regenerated through one replica is refused under its old secret on the other within a second", async () => {
    const old = await generateKey(a, { max_budget: 50, rpm_limit: 1000 });
    // The other replica has the old secret cached (for 5 s) before the change.
    expect((await chat(b, old, { model: "alpha" })).status).toBe(200);
    const regenerated = await admin(a, "/key/regenerate", { key: old });
    expect(regenerated.status).toBe(200);
    await waitFor(
      "old secret refused by the other replica",
      async () => {
        const answer = await chat(b, old, { model: "alpha" });
        return answer.status === 401 && answer.code === "invalid_api_key";
      },
      1_000,
    );
    expect((await chat(a, old, { model: "alpha" })).status).toBe(401);
    expect((await chat(b, regenerated.body.key, { model: "alpha" })).status).toBe(200);
    expect(regenerated.body).toMatchObject({ max_budget: 50, rpm_limit: 1000 });
  });

  it("a blocked key is refused with 403 on every replica, and works again once unblocked", async () => {
    const key = await generateKey(a);
    for (const g of [a, b]) expect((await chat(g, key, { model: "alpha" })).status).toBe(200);

    expect((await admin(a, "/key/block", { key })).status).toBe(200);
    await waitFor(
      "blocked key refused by the other replica",
      async () => {
        const answer = await chat(b, key, { model: "alpha" });
        return answer.status === 403 && answer.code === "key_blocked";
      },
      1_000,
    );
    const onA = await chat(a, key, { model: "alpha" });
    expect([onA.status, onA.code]).toEqual([403, "key_blocked"]);

    expect((await admin(b, "/key/unblock", { key })).status).toBe(200);
    await waitFor(
      "unblocked key served by the other replica",
      async () => {
        return (await chat(a, key, { model: "alpha" })).status === 200;
      },
      1_000,
    );

    expect((await admin(a, "/key/update", { key, blocked: true })).status).toBe(200);
    await waitFor(
      "key blocked by /key/update refused by the other replica",
      async () => {
        const answer = await chat(b, key, { model: "alpha" });
        return answer.status === 403 && answer.code === "key_blocked";
      },
      1_000,
    );
  });

  it("a key limited to some models is refused others on every replica", async () => {
    const key = await generateKey(a, { models: ["alpha"] });
    for (const g of [a, b]) {
      expect((await chat(g, key, { model: "alpha" })).status).toBe(200);
      const refused = await chat(g, key, { model: "beta" });
      expect([refused.status, refused.code]).toEqual([403, "model_not_allowed"]);
    }
  });
});

describe("response cache across replicas", () => {
  it("an answer cached by one replica is served by the other without calling the model", async () => {
    const key = await generateKey(a);
    const params = { model: "cached", messages: [{ role: "user" as const, content: `cache me ${tag}` }] };
    const first = await chat(a, key, params);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-routeiq-cache")).toBe("miss");
    // The store is written after the answer is sent; wait for it as a client's next request would.
    await a.deps.responseCache.drain();

    const second = await chat(b, key, params);
    expect(second.status).toBe(200);
    expect(second.headers.get("x-routeiq-cache")).toBe("hit");
    expect(second.completion?.id).toBe(first.completion?.id);
    expect(await metricTotal(b, "litellm_deployment_total_requests_total", { deployment: CACHED_ID })).toBe(
      0,
    );
  });
});

describe("router state across replicas", () => {
  it("a deployment that failed on one replica is cooled down on the other", async () => {
    // Each question is new: the response cache (on in this config) must not answer for the router.
    let n = 0;
    const ask = (g: Gateway) =>
      chat(g, MASTER_KEY, { model: "routed", messages: [{ role: "user", content: `route ${tag} ${n++}` }] });
    flaky.setBehaviour({ failNext: 1_000 });
    // Until "flaky" has failed once on replica A (allowed_fails: 1 cools it down at once); each
    // such request is retried on "steady" and still succeeds.
    await waitFor(
      "a request on replica A hitting the failing deployment",
      async () => {
        const answer = await ask(a);
        expect(answer.status).toBe(200);
        return flaky.requests.length > 0;
      },
      5_000,
      0,
    );
    const failedCalls = flaky.requests.length;

    for (let i = 0; i < 10; i++) {
      const answer = await ask(b);
      expect(answer.status).toBe(200);
      expect(answer.headers.get("x-routeiq-deployment")).toBe(STEADY_ID);
      expect(answer.headers.get("x-routeiq-attempts")).toBe("1");
    }
    expect(flaky.requests).toHaveLength(failedCalls);
  });
});
