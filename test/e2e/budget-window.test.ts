import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MASTER_KEY, startGateway } from "../support/gateway";

let gateway: Awaited<ReturnType<typeof startGateway>>;

beforeAll(async () => {
  gateway = await startGateway({
    model_list: [
      {
        model_name: "priced",
        litellm_params: { model: "mock/priced", mock_response: "a reply long enough to cost something" },
        model_info: { input_cost_per_token: 0.001, output_cost_per_token: 0.001 },
      },
    ],
  });
});

afterAll(async () => {
  await gateway?.shutdown();
});

const admin = async (path: string, body?: unknown) => {
  const response = await fetch(`${gateway.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return response.json();
};

const ask = (client: OpenAI) =>
  client.chat.completions
    .create({ model: "priced", messages: [{ role: "user", content: "hi" }], max_tokens: 10 })
    .then(
      () => 200,
      (error: { status?: number }) => error.status ?? 0,
    );

describe("budget_duration", () => {
  it("starts a new budget window, with spend back to 0, once the old one ends", async () => {
    const created = await admin("/key/generate", { max_budget: 0.001, budget_duration: "2s" });
    const client = new OpenAI({ apiKey: created.key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    const firstWindowEnds = new Date(created.budget_reset_at).getTime();

    // The first request fits the budget; its cost uses it up, so the next is refused.
    expect(await ask(client)).toBe(200);
    expect(await ask(client)).toBe(403);

    // Once the window has ended (and the key's short cache has expired), requests pass again.
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = await ask(client);
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(status).toBe(200);
    expect(Date.now()).toBeGreaterThan(firstWindowEnds);

    // The stored window rolls over when a replica next loads the key (its cache lasts 5 s).
    let info = await admin(`/key/info?key=${created.token}`);
    while (Date.now() < deadline && new Date(info.info.budget_reset_at).getTime() <= firstWindowEnds) {
      await ask(client);
      await new Promise((resolve) => setTimeout(resolve, 500));
      info = await admin(`/key/info?key=${created.token}`);
    }
    expect(new Date(info.info.budget_reset_at).getTime()).toBeGreaterThan(Date.now() - 2_000);
  }, 30_000);
});
