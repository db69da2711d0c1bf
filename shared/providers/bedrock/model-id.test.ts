import { describe, expect, it } from "vitest";
import { bedrockTarget } from "./model-id";

describe("bedrockTarget", () => {
  it("sends Claude through InvokeModel and every other model through Converse, as ids, profiles or ARNs", () => {
    expect(bedrockTarget("anthropic.claude-3-5-sonnet-20240620-v1:0", "d")).toEqual({
      api: "invoke",
      modelId: "anthropic.claude-3-5-sonnet-20240620-v1:0",
    });
    expect(bedrockTarget("us.anthropic.claude-3-5-haiku-20241022-v1:0", "d").api).toBe("invoke");
    const arn =
      "arn:aws:bedrock:us-east-1:111111111111:inference-profile/eu.anthropic.claude-sonnet-4-20250514-v1:0";
    expect(bedrockTarget(arn, "d")).toEqual({ api: "invoke", modelId: arn });
    expect(bedrockTarget("us.amazon.nova-pro-v1:0", "d").api).toBe("converse");
    expect(bedrockTarget("meta.llama3-1-70b-instruct-v1:0", "d").api).toBe("converse");
  });

  it("follows LiteLLM's converse/ and invoke/ routes, refusing invoke/ for models whose body it does not speak", () => {
    expect(bedrockTarget("converse/anthropic.claude-3-haiku-20240307-v1:0", "d")).toEqual({
      api: "converse",
      modelId: "anthropic.claude-3-haiku-20240307-v1:0",
    });
    expect(bedrockTarget("invoke/us.anthropic.claude-3-haiku-20240307-v1:0", "d").api).toBe("invoke");
    expect(() => bedrockTarget("invoke/meta.llama3-1-70b-instruct-v1:0", "bedrock/x")).toThrow(
      /bedrock\/x: bedrock\/invoke\/ is served for Anthropic's models only/,
    );
  });
});
