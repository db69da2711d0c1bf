import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway } from "../support/gateway";
import { type OpenAIUpstream, startOpenAIUpstream } from "../support/openai-upstream";
import { admin, chat, generateKey } from "../support/replicas";

/**
 * A key's models (its own, its team's and its user's, all at once) bound every group that may
 * serve it: fallbacks included, what it is shown in /v1/models and model_not_found, and what its
 * budget reservation is priced on.
 */

let cheap: OpenAIUpstream;
let dear: OpenAIUpstream;
let gateway: Awaited<ReturnType<typeof startGateway>>;

const deployment = (name: string, upstream: OpenAIUpstream, outputCost: number) => ({
  model_name: name,
  litellm_params: { model: `openai/${name}-up`, api_base: `${upstream.url}/v1`, api_key: "sk-up" },
  model_info: { input_cost_per_token: 0, output_cost_per_token: outputCost },
});

beforeAll(async () => {
  cheap = await startOpenAIUpstream({ name: "cheap" });
  dear = await startOpenAIUpstream({ name: "dear" });
  gateway = await startGateway({
    model_list: [deployment("a", cheap, 1e-6), deployment("b", dear, 1e-2), deployment("c", cheap, 1e-6)],
    router_settings: { num_retries: 0, fallbacks: [{ a: ["b"] }] },
  });
});

afterAll(async () => {
  await gateway?.shutdown();
  await cheap?.close();
  await dear?.close();
});

const models = async (key: string) =>
  (await new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1` }).models.list()).data.map((m) => m.id);

describe("fallbacks", () => {
  it("never answer a key from a group it may not use", async () => {
    const key = await generateKey(gateway, { models: ["a"] });
    cheap.setBehaviour({ failNext: 1, failStatus: 500 });
    const before = dear.requests.length;
    const answer = await chat(gateway, key, { model: "a" });
    expect(answer.status).toBe(502);
    expect(dear.requests.length).toBe(before);
  });

  it("answer a key that may use the fallback", async () => {
    const key = await generateKey(gateway, { models: ["a", "b"] });
    cheap.setBehaviour({ failNext: 1, failStatus: 500 });
    const answer = await chat(gateway, key, { model: "a" });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("x-routeiq-deployment")).toBe("openai/b-up");
  });

  it("price a reservation on the dearest group that may serve", async () => {
    // A request to "a" that may fall back to "b" could cost 100 × $0.01 = $1: a $0.5 budget
    // admits one such request at a time. A key that may not use "b" reserves only "a"'s price.
    const withFallback = await generateKey(gateway, { models: ["a", "b"], max_budget: 0.5 });
    const withoutFallback = await generateKey(gateway, { models: ["a"], max_budget: 0.5 });
    cheap.setBehaviour({ delayMs: 300 });
    try {
      const ask = (key: string) => chat(gateway, key, { model: "a", max_tokens: 100 });
      const [first, second] = await Promise.all([ask(withFallback), ask(withFallback)]);
      expect([first.status, second.status].sort()).toEqual([200, 403]);
      const both = await Promise.all([ask(withoutFallback), ask(withoutFallback)]);
      expect(both.map((o) => o.status)).toEqual([200, 200]);
    } finally {
      cheap.setBehaviour({ delayMs: 0 });
    }
  });
});

describe("what a key is shown", () => {
  it("lists only the models a key may use in /v1/models", async () => {
    const key = await generateKey(gateway, { models: ["a", "c"] });
    expect((await models(key)).sort()).toEqual(["a", "c"]);
  });

  it("names only those in model_not_found", async () => {
    const key = await generateKey(gateway, { models: ["c", "retired"] });
    const answer = await chat(gateway, key, { model: "retired" });
    expect(answer.status).toBe(404);
    expect(answer.message).toContain("available models: c");
    expect(answer.message).not.toContain("a,");
  });

  it("answers a name the key may not use with the same 403 whether the gateway serves it or not", async () => {
    const key = await generateKey(gateway, { models: ["c"] });
    const served = await chat(gateway, key, { model: "a" });
    const unknown = await chat(gateway, key, { model: "nope" });
    expect([served.status, served.code]).toEqual([403, "model_not_allowed"]);
    expect([unknown.status, unknown.code]).toEqual([403, "model_not_allowed"]);
  });
});

describe("a user's models", () => {
  it("limit every key the user holds, together with the key's and the team's", async () => {
    const user = `u-${Math.random().toString(36).slice(2, 8)}`;
    const made = await admin(gateway, "/user/new", { user_id: user, models: ["a"], auto_create_key: false });
    expect(made.status).toBe(200);
    const key = await generateKey(gateway, { user_id: user });
    expect((await chat(gateway, key, { model: "a" })).status).toBe(200);
    const refused = await chat(gateway, key, { model: "c" });
    expect(refused.status).toBe(403);
    expect(refused.code).toBe("model_not_allowed");
    expect(refused.message).toContain("this user may not use");
    expect(await models(key)).toEqual(["a"]);
  });
});
