import { describe, expect, it } from "vitest";
import { costOf, deploymentPrice } from "./cost";
import { PRICE_TABLE, priceOf } from "./price-table";

const usage = (prompt: number, completion: number) => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
});
const deployment = (model: string, input?: number, output?: number) => ({
  model,
  inputCostPerToken: input,
  outputCostPerToken: output,
});

describe("priceOf", () => {
  it("finds exact names", () => {
    expect(priceOf("gpt-4o")).toEqual({ input: 2.5e-6, output: 10e-6 });
    expect(priceOf("claude-3-5-sonnet")).toEqual({ input: 3e-6, output: 15e-6 });
    expect(priceOf("llama-3.3-70b-versatile")).toBe(PRICE_TABLE["llama-3.3-70b-versatile"]);
  });

  it.each([
    ["gpt-4o-2024-08-06", "gpt-4o"],
    ["gpt-4o-mini-2024-07-18", "gpt-4o-mini"],
    ["gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"],
    ["o3-mini-2025-01-31", "o3-mini"],
    ["o1-2024-12-17", "o1"],
    ["gpt-3.5-turbo-0125", "gpt-3.5-turbo"],
    ["claude-3-5-sonnet-20241022", "claude-3-5-sonnet"],
    ["claude-3-5-sonnet-latest", "claude-3-5-sonnet"],
    ["claude-3-5-sonnet@20240620", "claude-3-5-sonnet"],
    ["claude-3-haiku-20240307-v1:0", "claude-3-haiku"],
    ["claude-sonnet-4-20250514", "claude-sonnet-4"],
    ["claude-opus-4-1-20250805", "claude-opus-4-1"],
    ["claude-opus-4-5-20251101", "claude-opus-4-5"],
    ["mistral-large-2411", "mistral-large"],
    ["mistral-small-latest", "mistral-small"],
  ] as const)("prices the dated variant %s as %s", (variant, base) => {
    expect(priceOf(variant)).toBe(PRICE_TABLE[base]);
  });

  it("prefers a snapshot's own entry over its base name", () => {
    expect(priceOf("gpt-4o-2024-05-13")).toEqual({ input: 5e-6, output: 15e-6 });
    expect(priceOf("mistral-small-2409")).toBe(PRICE_TABLE["mistral-small-2409"]);
  });

  it("does not stretch a known name over a different model", () => {
    for (const model of [
      "o1-pro",
      "gpt-4o-realtime-preview",
      "claude-opus-4-6",
      "gpt-4",
      "constructor",
      "",
    ]) {
      expect(priceOf(model), model).toBeUndefined();
    }
  });

  it.each([
    ["anthropic.claude-3-5-sonnet-20240620-v1:0", "claude-3-5-sonnet"],
    ["us.anthropic.claude-3-5-haiku-20241022-v1:0", "claude-3-5-haiku"],
    ["global.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"],
    ["converse/eu.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4"],
    [
      "arn:aws:bedrock:us-east-1:111111111111:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0",
      "claude-3-7-sonnet",
    ],
    ["us.amazon.nova-pro-v1:0", "nova-pro"],
    ["amazon.titan-embed-text-v2:0", "titan-embed-text-v2"],
    ["claude-sonnet-4-5@20250929", "claude-sonnet-4-5"],
    ["models/gemini-2.5-flash", "gemini-2.5-flash"],
    ["gemini-2.5-pro-002", "gemini-2.5-pro"],
  ] as const)("prices the hosted model id %s as %s", (hosted, base) => {
    expect(priceOf(hosted)).toBe(PRICE_TABLE[base]);
  });

  it("leaves other makers' models on Bedrock unpriced: Bedrock's prices are not their makers'", () => {
    for (const model of [
      "mistral.mistral-large-2402-v1:0",
      "meta.llama3-1-70b-instruct-v1:0",
      "arn:aws:bedrock:us-east-1:111111111111:application-inference-profile/abc123",
      "gemini-2.5-flash-preview-05-20",
    ]) {
      expect(priceOf(model), model).toBeUndefined();
    }
  });

  it("is frozen", () => {
    expect(Object.isFrozen(PRICE_TABLE)).toBe(true);
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

  it("costs 0 for an unknown model", () => {
    expect(costOf(deployment("my-finetune"), usage(1000, 1000))).toBe(0);
  });

  it("counts missing or malformed token counts as 0", () => {
    const embedding = { prompt_tokens: 1000 } as unknown as ReturnType<typeof usage>;
    expect(costOf(deployment("text-embedding-3-small"), embedding)).toBeCloseTo(20e-6, 15);
    expect(costOf(deployment("gpt-4o"), usage(Number.NaN, -5))).toBe(0);
  });
});
