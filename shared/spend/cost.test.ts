import { describe, expect, it } from "vitest";
import type { Price } from "./catalogue";
import { costOf, deploymentPrice } from "./cost";
import { contextWindowOf, priceOf } from "./price-table";

const usage = (prompt: number, completion: number) => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
});
const deployment = (model: string, input?: number, output?: number) => ({
  model,
  inputCostPerToken: input,
  outputCostPerToken: output,
});

const perMillion = (input: number, output: number, cacheRead?: number) => ({
  input: input / 1e6,
  output: output / 1e6,
  ...(cacheRead === undefined ? {} : { cacheRead: cacheRead / 1e6 }),
});

/** Compares prices to the catalogue's per-million figures without float noise. */
const inMillions = (price: Price | undefined) =>
  price === undefined
    ? undefined
    : Object.fromEntries(Object.entries(price).map(([k, v]) => [k, Math.round(v * 1e6 * 1e6) / 1e6]));

describe("priceOf (the @pydantic/genai-prices catalogue)", () => {
  it.each([
    ["gpt-4o", undefined, perMillion(2.5, 10, 1.25)],
    // A snapshot priced apart from its base name has its own price in the catalogue.
    ["gpt-4o-2024-05-13", undefined, perMillion(5, 15)],
    ["gpt-4o-mini-2024-07-18", undefined, perMillion(0.15, 0.6, 0.075)],
    ["claude-3-5-sonnet-20241022", undefined, perMillion(3, 15, 0.3)],
    ["claude-sonnet-4-5-20250929", "anthropic", perMillion(3, 15, 0.3)],
    ["claude-haiku-4-5", undefined, perMillion(1, 5, 0.1)],
    ["claude-opus-4-5", undefined, perMillion(5, 25, 0.5)],
    ["gemini-2.5-flash-lite", "gemini", perMillion(0.1, 0.4, 0.01)],
    ["gemini-2.5-pro-002", "vertex_ai", perMillion(1.25, 10)],
    ["claude-sonnet-4-5@20250929", "vertex_ai", perMillion(3, 15, 0.3)],
    ["mistral-large-2411", "mistral", perMillion(2, 6)],
    ["llama-3.3-70b-versatile", "groq", perMillion(0.59, 0.79)],
    ["text-embedding-3-small", "openai", perMillion(0.02, 0)],
  ] as const)("prices %s (provider %s) as the catalogue lists it", (model, provider, price) => {
    expect(inMillions(priceOf(model, provider))).toMatchObject(inMillions(price) ?? {});
  });

  it.each([
    ["us.amazon.nova-pro-v1:0", perMillion(0.8, 3.2)],
    ["anthropic.claude-3-5-sonnet-20240620-v1:0", perMillion(3, 15)],
    ["us.anthropic.claude-sonnet-4-20250514-v1:0", perMillion(3, 15)],
    ["converse/eu.anthropic.claude-sonnet-4-20250514-v1:0", perMillion(3, 15)],
  ] as const)("prices the Bedrock model id %s as Bedrock lists it", (hosted, price) => {
    expect(inMillions(priceOf(hosted, "bedrock"))).toMatchObject(inMillions(price) ?? {});
  });

  it("knows nothing of names it does not list", () => {
    for (const model of ["my-finetune", "constructor", "", "gpt-x", "mock-model"]) {
      expect(priceOf(model), model).toBeUndefined();
    }
  });

  it("gives context windows for model_info.max_input_tokens to default to", () => {
    expect(contextWindowOf("gpt-4o", "openai")).toBe(128_000);
    expect(contextWindowOf("claude-sonnet-4-5", "anthropic")).toBe(200_000);
    expect(contextWindowOf("my-finetune", "openai")).toBeUndefined();
  });
});

describe("costOf", () => {
  it("uses model_info prices when the deployment sets them", () => {
    expect(costOf(deployment("gpt-4o", 1e-6, 2e-6), usage(100, 10))).toBeCloseTo(100e-6 + 20e-6, 15);
  });

  it("treats a missing side of model_info as free rather than falling back to the table", () => {
    expect(deploymentPrice(deployment("gpt-4o", 0))).toEqual({ input: 0, output: 0 });
    expect(costOf(deployment("gpt-4o", 0), usage(1000, 1000))).toBe(0);
  });

  it("falls back to the list price of the upstream model", () => {
    expect(costOf(deployment("gpt-4o-mini-2024-07-18"), usage(1_000_000, 1_000_000))).toBeCloseTo(0.75, 12);
    expect(costOf(deployment("claude-3-5-haiku-20241022"), usage(2000, 500))).toBeCloseTo(0.0036, 12);
  });

  it("prices prompt tokens the provider's cache served at the cache-read price", () => {
    const cachedUsage = { ...usage(1_000_000, 0), prompt_tokens_details: { cached_tokens: 400_000 } };
    // gpt-4o: 600k at $2.50/M, 400k cached at $1.25/M.
    expect(costOf(deployment("gpt-4o"), cachedUsage)).toBeCloseTo(1.5 + 0.5, 9);
    // model_info prices name no cache price: every prompt token is charged alike.
    expect(costOf(deployment("gpt-4o", 1e-6, 0), cachedUsage)).toBeCloseTo(1, 9);
  });

  it("costs 0 for an unknown model", () => {
    expect(costOf(deployment("my-finetune"), usage(1000, 1000))).toBe(0);
  });

  it("counts missing or malformed token counts as 0", () => {
    const embedding = { prompt_tokens: 1000 } as unknown as ReturnType<typeof usage>;
    // The catalogue lists OpenAI's embedding models under OpenAI only: the deployment names its provider.
    expect(costOf({ ...deployment("text-embedding-3-small"), provider: "openai" }, embedding)).toBeCloseTo(
      20e-6,
      15,
    );
    expect(costOf(deployment("gpt-4o"), usage(Number.NaN, -5))).toBe(0);
  });
});
