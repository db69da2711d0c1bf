import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { type OpenAIUpstream, startOpenAIUpstream } from "../support/openai-upstream";
import { chat, generateKey } from "../support/replicas";

/**
 * LiteLLM's wildcard routing: `model_name: "*"` (or `openai/*`) with `model: openai/*` serves any
 * name asked for, passed through to the provider; configured names win; keys, budgets, the cache
 * and the router see the requested model, and a made-up name cannot cool the route down.
 */

let wild: OpenAIUpstream;
let exact: OpenAIUpstream;
let gateway: Awaited<ReturnType<typeof startGateway>>;

const route = (model_name: string, model: string, upstream: OpenAIUpstream) => ({
  model_name,
  litellm_params: { model, api_base: `${upstream.url}/v1`, api_key: "sk-up" },
});

beforeAll(async () => {
  wild = await startOpenAIUpstream({ name: "wild" });
  exact = await startOpenAIUpstream({ name: "exact" });
  gateway = await startGateway({
    model_list: [
      // Two deployments, so that a cooldown could skip one: a made-up name must cool neither.
      route("*", "openai/*", wild),
      route("*", "openai/*", wild),
      { ...route("openai/*", "openai/*", wild), model_info: { health_check_model: "openai/gpt-4o-mini" } },
      route("gpt-4o", "openai/gpt-4o-2024-08-06", exact),
    ],
    router_settings: { num_retries: 1, allowed_fails: 1, cooldown_time: 60 },
    litellm_settings: { cache: true },
  });
});

afterAll(async () => {
  await gateway?.shutdown();
  await wild?.close();
  await exact?.close();
});

const lastBody = (upstream: OpenAIUpstream) => upstream.requests.at(-1)?.body as { model: string };
const models = async (key: string) =>
  (await new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1` }).models.list()).data.map((m) => m.id);

describe("wildcard routes", () => {
  it("pass the requested name through to the provider", async () => {
    const answer = await chat(gateway, MASTER_KEY, { model: "gpt-4.1-mini" });
    expect(answer.status).toBe(200);
    expect(lastBody(wild).model).toBe("gpt-4.1-mini");
    expect(answer.headers.get("x-routeiq-deployment")).toMatch(/^openai\/\*(#2)?$/);

    expect((await chat(gateway, MASTER_KEY, { model: "openai/o3-mini" })).status).toBe(200);
    expect(lastBody(wild).model).toBe("o3-mini");
  });

  it("lose to a configured model_name", async () => {
    const before = wild.requests.length;
    const answer = await chat(gateway, MASTER_KEY, { model: "gpt-4o" });
    expect(answer.status).toBe(200);
    expect(lastBody(exact).model).toBe("gpt-4o-2024-08-06");
    expect(wild.requests.length).toBe(before);
  });

  it("are listed in /v1/models with the catalogue's models of a provider wildcard", async () => {
    const listed = await models(MASTER_KEY);
    expect(listed.slice(0, 3)).toEqual(["*", "openai/*", "gpt-4o"]);
    expect(listed).toContain("openai/gpt-4o-mini");
    expect(listed).toContain("openai/text-embedding-3-small");
  });

  it("answer a name the provider does not have with model_not_found, and stay up for everyone", async () => {
    // Both deployments would answer 404: before, each was cooled down for 60 s.
    wild.setBehaviour({ failNext: 2, failStatus: 404, failMessage: "The model `gpt-9` does not exist" });
    try {
      const missing = await chat(gateway, MASTER_KEY, { model: "gpt-9" });
      expect(missing.status).toBe(404);
      expect(missing.code).toBe("model_not_found");
      expect(missing.headers.get("x-routeiq-attempts")).toBe("1");
    } finally {
      wild.setBehaviour({ failNext: 0 });
    }
    for (let i = 0; i < 4; i++)
      expect((await chat(gateway, MASTER_KEY, { model: "gpt-4.1" })).status).toBe(200);
  });

  it("are probed by GET /health with model_info.health_check_model, and say so when they have none", async () => {
    const before = wild.requests.length;
    const health = (await (
      await fetch(`${gateway.url}/health`, { headers: { authorization: `Bearer ${MASTER_KEY}` } })
    ).json()) as {
      healthy_endpoints: { model: string }[];
      unhealthy_endpoints: { model: string; error: string }[];
    };
    expect(health.healthy_endpoints.map((e) => e.model).sort()).toEqual(["gpt-4o", "openai/*"]);
    expect(wild.requests.slice(before).map((r) => r.body.model)).toEqual(["gpt-4o-mini"]);
    expect(health.unhealthy_endpoints).toEqual([
      expect.objectContaining({
        model: "*",
        error: "a wildcard route: set model_info.health_check_model to probe it",
      }),
      expect.objectContaining({
        model: "*",
        error: "a wildcard route: set model_info.health_check_model to probe it",
      }),
    ]);
  });

  it("cache each requested model's answers apart", async () => {
    const ask = (model: string) =>
      chat(gateway, MASTER_KEY, { model, messages: [{ role: "user", content: "cache me" }] });
    expect((await ask("gpt-4.1-nano")).headers.get("x-routeiq-cache")).toBe("miss");
    expect((await ask("gpt-4.1-nano")).headers.get("x-routeiq-cache")).toBe("hit");
    const other = await ask("gpt-4o-mini");
    expect(other.headers.get("x-routeiq-cache")).toBe("miss");
    expect(lastBody(wild).model).toBe("gpt-4o-mini");
  });
});

describe("keys on wildcard routes", () => {
  it("are checked against the name asked for, not the route's pattern", async () => {
    const key = await generateKey(gateway, { models: ["gpt-4.1-mini"] });
    expect((await chat(gateway, key, { model: "gpt-4.1-mini" })).status).toBe(200);
    const refused = await chat(gateway, key, { model: "gpt-4.1-nano" });
    expect(refused.status).toBe(403);
    expect(refused.code).toBe("model_not_allowed");
    expect(await models(key)).toEqual(["gpt-4.1-mini"]);
  });

  it("may list a pattern, which covers what it matches", async () => {
    const key = await generateKey(gateway, { models: ["openai/*"] });
    expect((await chat(gateway, key, { model: "openai/gpt-4.1-nano" })).status).toBe(200);
    expect((await chat(gateway, key, { model: "gpt-4o" })).status).toBe(200);
    const listed = await models(key);
    expect(listed).toContain("openai/*");
    expect(listed).toContain("openai/gpt-4o-mini");
    expect(listed).not.toContain("*");
  });

  it("reserve their budget at the requested model's price", async () => {
    // 100 output tokens of o1 cost $0.006, of gpt-4.1-nano $0.00004: with $0.005 of budget, a
    // second o1 request cannot be admitted while the first holds its reservation; nano ones can.
    wild.setBehaviour({ delayMs: 300 });
    try {
      const dear = await generateKey(gateway, { max_budget: 0.005 });
      const ask = (model: string) => chat(gateway, dear, { model, max_tokens: 100 });
      const both = await Promise.all([ask("o1"), ask("o1")]);
      expect(both.map((o) => o.status).sort()).toEqual([200, 403]);
      const cheap = await generateKey(gateway, { max_budget: 0.005 });
      const nano = await Promise.all(
        [1, 2].map(() => chat(gateway, cheap, { model: "gpt-4.1-nano", max_tokens: 100 })),
      );
      expect(nano.map((o) => o.status)).toEqual([200, 200]);
    } finally {
      wild.setBehaviour({ delayMs: 0 });
    }
  });
});
