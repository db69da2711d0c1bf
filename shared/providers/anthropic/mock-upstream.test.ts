import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnthropicUpstream, startAnthropicUpstream } from "../../../test/support/anthropic-upstream";

// The official SDK parses the mock's answers, so the mock cannot drift from the real wire format.
let upstream: AnthropicUpstream;
let client: Anthropic;
const params = { model: "claude-test", max_tokens: 64, messages: [{ role: "user" as const, content: "Hi" }] };

beforeAll(async () => {
  upstream = await startAnthropicUpstream({ name: "sdk-check" });
  // This SDK sends keys as a bearer token; the mock, like the provider, uses x-api-key.
  const defaultHeaders = { "x-api-key": "sk-ant-test", authorization: null };
  client = new Anthropic({ apiKey: "sk-ant-test", baseURL: upstream.url, maxRetries: 0, defaultHeaders });
});
afterAll(() => upstream.close());

describe("anthropic upstream mock", () => {
  it("answers a message the SDK accepts", async () => {
    const message = await client.messages.create(params);
    expect(message.content).toEqual([{ type: "text", text: "Hello from sdk-check" }]);
    expect(message.stop_reason).toBe("end_turn");
    expect(message.usage.output_tokens).toBe(3);
  });

  it("streams events the SDK assembles into the same message", async () => {
    upstream.setBehaviour({ toolUse: { name: "weather", input: { city: "Paris" } } });
    const message = await client.messages.stream(params).finalMessage();
    upstream.setBehaviour({ toolUse: undefined });
    expect(message.content).toEqual([
      { type: "tool_use", id: expect.any(String), name: "weather", input: { city: "Paris" } },
    ]);
    expect(message.stop_reason).toBe("tool_use");
  });

  it("fails in Anthropic's error shape", async () => {
    upstream.setBehaviour({ failNext: 1, failStatus: 429 });
    const error = await client.messages.create(params).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(error).toMatchObject({ error: { type: "error", error: { type: "rate_limit_error" } } });
    const unauthenticated = new Anthropic({
      apiKey: null,
      authToken: "x",
      baseURL: upstream.url,
      maxRetries: 0,
    });
    await expect(unauthenticated.messages.create(params)).rejects.toBeInstanceOf(
      Anthropic.AuthenticationError,
    );
  });
});
