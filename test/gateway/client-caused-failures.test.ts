import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway } from "../support/gateway";
import { type OpenAIUpstream, startOpenAIUpstream } from "../support/openai-upstream";
import { admin, chat, waitFor } from "../support/replicas";

/**
 * What a client chooses (an operation a model does not serve, a generation longer than the
 * deployment's timeout) must neither take a group down for other keys for free nor go uncharged.
 */

let upstream: OpenAIUpstream;
let gateway: Awaited<ReturnType<typeof startGateway>>;

beforeAll(async () => {
  upstream = await startOpenAIUpstream({ name: "client-caused" });
  const deployment = (group: string, id: string, extra: Record<string, unknown> = {}) => ({
    model_name: group,
    litellm_params: { model: `openai/${id}`, api_base: `${upstream.url}/v1`, api_key: "sk-up", ...extra },
    model_info: { id, input_cost_per_token: 1e-3, output_cost_per_token: 1e-3 },
  });
  gateway = await startGateway({
    model_list: [
      deployment("gpt-4o", "a"),
      deployment("gpt-4o", "b"),
      deployment("gpt-4o", "c"),
      deployment("slow", "s1", { timeout: 1 }),
      deployment("slow", "s2", { timeout: 1 }),
    ],
    router_settings: { num_retries: 2, cooldown_time: 60 },
  });
});

afterAll(async () => {
  await gateway?.shutdown();
  await upstream?.close();
});

describe("an operation the model does not serve", () => {
  it("is the caller's 400, and one such request never takes the group down for other keys", async () => {
    const attacker = await admin(gateway, "/key/generate", { models: ["gpt-4o"] });
    // What OpenAI answers /v1/completions for a chat model.
    upstream.setBehaviour({
      failNext: 3,
      failStatus: 404,
      failMessage:
        "This is a chat model and not supported in the v1/completions endpoint. Did you mean to use v1/chat/completions?",
    });
    const response = await fetch(`${gateway.url}/v1/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${attacker.body.key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o", prompt: "x" }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("unsupported_operation");
    upstream.setBehaviour({ failNext: 0 });
    const victim = await admin(gateway, "/key/generate", {});
    const seen = new Set<string>();
    // simple-shuffle draws at random: 40 draws miss a live deployment with odds of about 1e-7.
    for (let i = 0; i < 40; i++) {
      const answer = await chat(gateway, victim.body.key, { model: "gpt-4o" });
      expect(answer.status).toBe(200);
      seen.add(answer.headers.get("x-routeiq-deployment") ?? "");
    }
    expect(seen).toEqual(new Set(["a", "b", "c"]));
  });
});

describe("a request that outlasts the deployment's timeout", () => {
  it("is charged the prompt the upstream received", async () => {
    upstream.setBehaviour({ delayMs: 1_500 });
    try {
      const { body } = await admin(gateway, "/key/generate", { max_budget: 100 });
      const answer = await chat(gateway, body.key, {
        model: "slow",
        max_tokens: 8_000,
        messages: [{ role: "user", content: "x".repeat(4_000) }],
      });
      expect(answer.status).toBe(504);
      const spendOf = async () => {
        const { rows } = await gateway.deps.sql.query<{ spend: number; prompt_tokens: number }>(
          "SELECT spend, prompt_tokens FROM routeiq_spend_logs WHERE key_hash = $1",
          [body.token],
        );
        return rows;
      };
      await waitFor("the timed-out request's row", async () => (await spendOf()).length === 1, 10_000);
      const [row] = await spendOf();
      expect(row?.prompt_tokens).toBeGreaterThan(100);
      expect(Number(row?.spend)).toBeGreaterThan(0);
    } finally {
      upstream.setBehaviour({ delayMs: 0 });
    }
  });
});
