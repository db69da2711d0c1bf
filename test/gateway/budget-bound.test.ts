import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway } from "../support/gateway";
import { type OpenAIUpstream, startOpenAIUpstream } from "../support/openai-upstream";
import { admin, chat, waitFor } from "../support/replicas";

/**
 * The README's budget bound under concurrency: requests in flight together overshoot a budget by
 * at most one request's reservation, which covers `n` completions of the request's output limit
 * (`max_tokens`, `max_completion_tokens`, else the model's `max_output_tokens`). Here every request
 * costs exactly its worst case, far more than a per-request estimate without `n` would hold.
 */

const PRICE = 1.5 / 8_000; // USD per output token: n 8 × 1,000 tokens = $1.50 a request
const BUDGET = 2;
const TOOLED_INPUT_PRICE = 1e-4; // USD per prompt token: 7,500 tokens of tool definitions = $0.75
const MINI_INPUT_PRICE = 1e-5; // USD per prompt token: one gpt-4o-mini image of 48,169 tokens = $0.48
const WATCHER_INPUT_PRICE = 1e-5; // USD per prompt token: a video its upstream bills at 100,000 tokens = $1

/** Tool definitions are prompt, as OpenAI bills them, and so is each image (high detail, 765). */
const PROMPT_TOKENS = (body: { messages: unknown; tools?: unknown }) =>
  Math.ceil(JSON.stringify([body.messages, body.tools ?? []]).length / 4) +
  765 * (JSON.stringify(body.messages).split('"image_url"').length - 1);

let upstream: OpenAIUpstream;
let gateway: Awaited<ReturnType<typeof startGateway>>;

beforeAll(async () => {
  upstream = await startOpenAIUpstream({ name: "bound" });
  // The upstream generates every token it may: n completions of the output limit.
  upstream.setBehaviour({
    delayMs: 300,
    promptTokens: PROMPT_TOKENS,
    completionTokens: (body) => (body.n ?? 1) * (body.max_completion_tokens ?? body.max_tokens ?? 1_000),
  });
  const model = (name: string, info: Record<string, unknown> = {}) => ({
    model_name: name,
    litellm_params: { model: `openai/${name}-up`, api_base: `${upstream.url}/v1`, api_key: "sk-up" },
    model_info: { input_cost_per_token: 0, output_cost_per_token: PRICE, ...info },
  });
  gateway = await startGateway({
    model_list: [
      model("gpt"),
      model("capped", { max_output_tokens: 1_000 }),
      model("tooled", { input_cost_per_token: TOOLED_INPUT_PRICE, output_cost_per_token: 0 }),
      {
        model_name: "watcher",
        litellm_params: { model: "openai/watcher-up", api_base: `${upstream.url}/v1`, api_key: "sk-up" },
        model_info: {
          input_cost_per_token: WATCHER_INPUT_PRICE,
          output_cost_per_token: 0,
          max_input_tokens: 100_000,
        },
      },
      {
        model_name: "mini",
        litellm_params: { model: "openai/gpt-4o-mini", api_base: `${upstream.url}/v1`, api_key: "sk-up" },
        model_info: { input_cost_per_token: MINI_INPUT_PRICE, output_cost_per_token: 0 },
      },
    ],
    router_settings: { num_retries: 0 },
  });
});

afterAll(async () => {
  await gateway?.shutdown();
  await upstream?.close();
});

async function spendOf(keyHash: string, expectedRows: number): Promise<number> {
  const sum = async () => {
    const { rows } = await gateway.deps.sql.query<{ n: string; spend: string | null }>(
      "SELECT count(*) AS n, sum(spend) AS spend FROM routeiq_spend_logs WHERE key_hash = $1",
      [keyHash],
    );
    return rows[0] ?? { n: "0", spend: null };
  };
  await waitFor("every row", async () => Number((await sum()).n) === expectedRows, 10_000);
  return Number((await sum()).spend ?? 0);
}

async function burst(
  model: string,
  params: Record<string, unknown>,
): Promise<{ spend: number; served: number }> {
  const { body } = await admin(gateway, "/key/generate", { max_budget: BUDGET });
  const outcomes = await Promise.all(
    Array.from({ length: 6 }, () => chat(gateway, body.key as string, { model, n: 8, ...params })),
  );
  const served = outcomes.filter((o) => o.status === 200).length;
  for (const o of outcomes) if (o.status !== 200) expect(o.code).toBe("budget_exceeded");
  // Refused requests were never admitted: only the served ones have rows.
  return { spend: await spendOf(body.token as string, served), served };
}

/**
 * Six concurrent requests of one prompt-heavy body against a $2 budget: what one served request's
 * prompt cost, and what the key spent in all.
 */
async function promptBurst(
  model: string,
  params: Record<string, unknown>,
  inputPrice: number,
): Promise<{ perRequest: number; spend: number }> {
  const { body } = await admin(gateway, "/key/generate", { max_budget: BUDGET });
  const outcomes = await Promise.all(
    Array.from({ length: 6 }, () => chat(gateway, body.key as string, { model, max_tokens: 1, ...params })),
  );
  const served = outcomes.filter((o) => o.status === 200);
  for (const o of outcomes) if (o.status !== 200) expect(o.code).toBe("budget_exceeded");
  const perRequest = (served[0]?.completion?.usage?.prompt_tokens ?? 0) * inputPrice;
  return { perRequest, spend: await spendOf(body.token as string, served.length) };
}

describe("six concurrent n: 8 requests against a $2 budget", () => {
  it("overshoot by at most one request's cost with max_tokens", async () => {
    const { spend, served } = await burst("gpt", { max_tokens: 1_000 });
    expect(served).toBeGreaterThanOrEqual(1);
    expect(spend).toBeLessThanOrEqual(BUDGET + 1.5 + 1e-9);
  });

  it("overshoot by at most one request's cost with max_completion_tokens", async () => {
    const { spend } = await burst("gpt", { max_completion_tokens: 1_000 });
    expect(spend).toBeLessThanOrEqual(BUDGET + 1.5 + 1e-9);
  });

  it("overshoot by at most one request's cost with only the model's max_output_tokens", async () => {
    const { spend } = await burst("capped", {});
    expect(spend).toBeLessThanOrEqual(BUDGET + 1.5 + 1e-9);
  });
});

describe("six concurrent requests whose prompt is in their tool definitions, against a $2 budget", () => {
  it("overshoot by at most one request's cost", async () => {
    const tools = [
      {
        type: "function" as const,
        function: { name: "lookup", description: "x".repeat(30_000), parameters: { type: "object" } },
      },
    ];
    const { perRequest, spend } = await promptBurst("tooled", { tools }, TOOLED_INPUT_PRICE);
    expect(perRequest).toBeGreaterThan(0.7);
    expect(spend).toBeLessThanOrEqual(BUDGET + perRequest + 1e-9);
  });
});

describe("six concurrent requests whose prompt is mostly images, against a $2 budget", () => {
  it("overshoot by at most one request's cost", async () => {
    const content = [
      { type: "text" as const, text: "describe" },
      ...Array.from({ length: 10 }, () => ({
        type: "image_url" as const,
        image_url: { url: "https://example.com/a.png" },
      })),
    ];
    const { perRequest, spend } = await promptBurst(
      "tooled",
      { messages: [{ role: "user", content }] },
      TOOLED_INPUT_PRICE,
    );
    expect(perRequest).toBeGreaterThan(0.7);
    expect(spend).toBeLessThanOrEqual(BUDGET + perRequest + 1e-9);
  });
});

describe("six concurrent requests whose prompt is text dense in tokens, against a $2 budget", () => {
  it.each([
    // CJK takes about two o200k tokens a character, private-use characters three: English takes a quarter of one.
    ["CJK", (i: number) => String.fromCharCode(0x4e00 + ((i * 7_919) % 20_000))],
    ["private-use", (i: number) => String.fromCharCode(0xe000 + ((i * 7_919) % 6_000))],
  ])("overshoot by at most one request's cost when the prompt is %s text", async (_name, char) => {
    const text = Array.from({ length: 4_000 }, (_, i) => char(i)).join("");
    // Counted as a real upstream counts it: by its tokenizer, not by characters.
    upstream.setBehaviour({
      promptTokens: (body) =>
        countTokens(body.messages.map((m: { content: string }) => m.content).join("\n"), {
          disallowedSpecial: new Set(),
        }),
    });
    try {
      const { perRequest, spend } = await promptBurst(
        "tooled",
        { messages: [{ role: "user", content: text }] },
        TOOLED_INPUT_PRICE,
      );
      // Far more than the 4-characters-a-token estimate ($0.10) would reserve.
      expect(perRequest).toBeGreaterThan(0.7);
      expect(spend).toBeLessThanOrEqual(BUDGET + perRequest + 1e-9);
    } finally {
      upstream.setBehaviour({ promptTokens: PROMPT_TOKENS });
    }
  });
});

describe("six concurrent requests with an image for gpt-4o-mini, against a $2 budget", () => {
  it("overshoot by at most one request's cost, the image billed as that model bills it", async () => {
    // gpt-4o-mini bills an image at up to 2,833 + 8 × 5,667 tokens, 30 times what GPT-4o's 1,600 hold.
    upstream.setBehaviour({
      promptTokens: (body) => 48_169 * (JSON.stringify(body.messages).split('"type":"image_url"').length - 1),
    });
    try {
      const content = [
        { type: "text" as const, text: "describe" },
        { type: "image_url" as const, image_url: { url: "https://example.com/a.png" } },
      ];
      const { perRequest, spend } = await promptBurst(
        "mini",
        { messages: [{ role: "user", content }] },
        MINI_INPUT_PRICE,
      );
      expect(perRequest).toBeGreaterThan(0.45);
      expect(spend).toBeLessThanOrEqual(BUDGET + perRequest + 1e-9);
    } finally {
      upstream.setBehaviour({ promptTokens: PROMPT_TOKENS });
    }
  });
});

describe("six concurrent requests with a video the upstream fetches itself, against a $2 budget", () => {
  it("overshoot by at most one request's cost, the prompt reserved at the model's context window", async () => {
    // What the request carries is a URL: the upstream bills the video's tokens, up to its context window.
    upstream.setBehaviour({
      promptTokens: (body) => 100_000 * (JSON.stringify(body.messages).split(".mp4").length - 1),
    });
    try {
      const content = [
        { type: "text" as const, text: "summarise" },
        { type: "image_url" as const, image_url: { url: "https://example.com/talk.mp4" } },
      ];
      const { perRequest, spend } = await promptBurst(
        "watcher",
        { messages: [{ role: "user", content }] },
        WATCHER_INPUT_PRICE,
      );
      expect(perRequest).toBeGreaterThan(0.9);
      expect(spend).toBeLessThanOrEqual(BUDGET + perRequest + 1e-9);
    } finally {
      upstream.setBehaviour({ promptTokens: PROMPT_TOKENS });
    }
  });
});
