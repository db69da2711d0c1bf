import { afterAll, describe, expect, it } from "vitest";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { admin, chat, generateKey, waitFor } from "../support/replicas";

/**
 * `litellm_settings.max_budget`: one budget across every request the gateway serves. Every
 * request's cost counts toward it; once it is spent, requests are refused, except the master
 * key's (as in LiteLLM, so the operator can still get through).
 */

const started: Awaited<ReturnType<typeof startGateway>>[] = [];

/** A gateway whose every request costs more than its whole budget. */
async function budgetedGateway() {
  const gateway = await startGateway({
    model_list: [
      {
        model_name: "priced",
        litellm_params: { model: "mock/priced", mock_response: "a reply long enough to cost something" },
        model_info: { input_cost_per_token: 0.001, output_cost_per_token: 0.001 },
      },
    ],
    litellm_settings: { max_budget: 0.001 },
  });
  started.push(gateway);
  return gateway;
}

afterAll(async () => {
  await Promise.all(started.map((g) => g.shutdown()));
});

const proxySpend = async (gateway: Awaited<ReturnType<typeof startGateway>>) => {
  const { rows } = await gateway.deps.sql.query<{ spend: number }>("SELECT spend FROM routeiq_proxy_budget");
  return Number(rows[0]?.spend);
};

describe("the proxy-wide budget", () => {
  it("refuses every virtual key once the gateway's spend reaches it, without telling them the figures", async () => {
    const gateway = await budgetedGateway();
    const first = await generateKey(gateway);
    const second = await generateKey(gateway);
    expect((await chat(gateway, first, { model: "priced", max_tokens: 10 })).status).toBe(200);

    for (const key of [first, second]) {
      const refused = await chat(gateway, key, { model: "priced", max_tokens: 10 });
      expect(refused.status).toBe(403);
      expect(refused.code).toBe("budget_exceeded");
      expect(refused.message).toMatch(/gateway's budget \(litellm_settings\.max_budget\) is spent/);
      expect(refused.message).not.toMatch(/\$/);
    }
    expect((await admin(gateway, "/global/spend")).body.max_budget).toBe(0.001);
  });

  it("counts the master key's spend but never refuses it", async () => {
    const gateway = await budgetedGateway();
    for (let i = 0; i < 2; i++) {
      expect((await chat(gateway, MASTER_KEY, { model: "priced", max_tokens: 10 })).status).toBe(200);
    }
    await waitFor("master key spend recorded", async () => (await proxySpend(gateway)) > 0.001, 10_000);
    const key = await generateKey(gateway);
    const refused = await chat(gateway, key, { model: "priced", max_tokens: 10 });
    expect(refused.status).toBe(403);
    expect(refused.code).toBe("budget_exceeded");
    expect((await chat(gateway, MASTER_KEY, { model: "priced", max_tokens: 10 })).status).toBe(200);
  });
});
