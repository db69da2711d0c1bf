import { describe, expect, it } from "vitest";
import { UpstreamError } from "../../errors";
import type { EmbeddingRequest } from "../../openai/types";
import { deployment as testDeployment } from "../../router/test-fixtures";
import { MOCK_EMBEDDING_LIMITS, mockProvider } from "./provider";

const deployment = testDeployment("mock/embed", {
  modelGroup: "embed",
  model: "embed",
  timeoutMs: 10_000,
  mode: "embedding",
});

type Ask = Pick<EmbeddingRequest, "input" | "dimensions">;

const embed = (request: Ask) => {
  if (mockProvider.embedding === undefined) throw new Error("the mock provider embeds");
  return mockProvider.embedding({ model: "embed", ...request }, deployment, {
    fetch,
    signal: AbortSignal.timeout(10_000),
  });
};

const refusal = async (request: Ask) => {
  const error = await embed(request).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UpstreamError);
  expect(error).toMatchObject({ kind: "http", status: 400, retryable: false });
  return (error as UpstreamError).message;
};

describe("mock provider embeddings", () => {
  it("answers with vectors of the requested dimensions", async () => {
    const result = await embed({ input: ["a", "b"], dimensions: MOCK_EMBEDDING_LIMITS.dimensions });
    const body = JSON.parse(result.body) as { data: { embedding: number[] }[] };
    expect(body.data.map((item) => item.embedding.length)).toEqual([4_096, 4_096]);
  });

  it("refuses sizes a client could use to exhaust memory, naming the field, before allocating", async () => {
    expect(await refusal({ input: "x", dimensions: 4_097 })).toBe(
      "mock: dimensions: expected a whole number from 1 to 4096, got 4097",
    );
    // A hundred million floats would take the process down if they were allocated.
    expect(await refusal({ input: "x", dimensions: 100_000_000 })).toMatch(/^mock: dimensions: /);
    expect(await refusal({ input: "x", dimensions: 0.5 })).toMatch(/^mock: dimensions: /);
    expect(await refusal({ input: Array(2_049).fill("x"), dimensions: 1 })).toBe(
      "mock: input: at most 2048 inputs per request, got 2049",
    );
    expect(await refusal({ input: Array(512).fill("x"), dimensions: 4_096 })).toBe(
      "mock: dimensions: 512 inputs × 4096 dimensions is more than 1048576 values per request",
    );
  });
});
