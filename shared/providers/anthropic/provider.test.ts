import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { type AnthropicUpstream, startAnthropicUpstream } from "../../../test/support/anthropic-upstream";
import type { Deployment } from "../../config/deployment";
import { UpstreamError } from "../../errors";
import type { ChatCompletion, ChatCompletionChunk } from "../../openai/types";
import { deployment as baseDeployment } from "../../router/test-fixtures";
import type { ProviderContext } from "../types";
import { anthropicProvider } from "./provider";

let upstream: AnthropicUpstream;

const deployment = (overrides: Partial<Deployment> = {}): Deployment =>
  baseDeployment("anthropic/claude-test", {
    provider: "anthropic",
    model: "claude-test",
    apiBase: `${upstream.url}/v1/`,
    apiKey: "sk-ant-test",
    extraHeaders: { "anthropic-beta": "test-beta" },
    ...overrides,
  });

const ctx = (): ProviderContext => ({ fetch, signal: new AbortController().signal });

const chat = (stream: boolean, overrides?: Partial<Deployment>) =>
  anthropicProvider.chat(
    { model: "claude-test", messages: [{ role: "user", content: "Hi there" }], stream },
    deployment(overrides),
    ctx(),
  );

beforeAll(async () => {
  upstream = await startAnthropicUpstream({ name: "claude-mock" });
});
afterAll(() => upstream.close());
beforeEach(() => {
  upstream.requests.length = 0;
  upstream.setBehaviour({
    reply: "Hello from claude-mock",
    chunkDelayMs: 0,
    failNext: 0,
    retryAfterSeconds: undefined,
  });
});

describe("anthropicProvider.chat", () => {
  it("answers a non-stream request as an OpenAI chat completion", async () => {
    const result = await chat(false);
    if (result.type !== "json") throw new Error("expected a JSON result");
    const completion = JSON.parse(result.body) as ChatCompletion;
    expect(completion.choices[0]).toMatchObject({
      message: { content: "Hello from claude-mock" },
      finish_reason: "stop",
    });
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
    expect(result.usage).toEqual(completion.usage);

    const [request] = upstream.requests;
    expect(request?.path).toBe("/v1/messages");
    expect(request?.headers).toMatchObject({
      "x-api-key": "sk-ant-test",
      "anthropic-version": "2023-06-01",
      "anthropic-beta": "test-beta",
    });
    expect(request?.body).toMatchObject({
      model: "claude-test",
      max_tokens: 4096,
      messages: [{ role: "user" }],
    });
  });

  it("streams OpenAI chunks with content and usage", async () => {
    upstream.setBehaviour({ chunkDelayMs: 5 });
    const before = upstream.abortedStreams;
    const result = await chat(true);
    if (result.type !== "stream") throw new Error("expected a stream result");
    const frames = (await new Response(result.body).text()).split("\n\n").filter(Boolean);
    expect(frames.at(-1)).toBe("data: [DONE]");
    const chunks = frames
      .slice(0, -1)
      .map((frame) => JSON.parse(frame.replace(/^data: /, "")) as ChatCompletionChunk);
    expect(chunks.filter((chunk) => chunk.choices[0]?.delta.content).length).toBeGreaterThan(1);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe(
      "Hello from claude-mock",
    );
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop");
    const usage = chunks.at(-1)?.usage;
    expect(usage?.prompt_tokens).toBeGreaterThan(0);
    expect(usage?.completion_tokens).toBe(3);
    expect(upstream.requests[0]?.body.stream).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(upstream.abortedStreams).toBe(before);
  });

  it("streams a tool call as OpenAI tool_call deltas", async () => {
    upstream.setBehaviour({ toolUse: { name: "weather", input: { city: "Paris", days: 3 } } });
    try {
      const result = await chat(true);
      if (result.type !== "stream") throw new Error("expected a stream result");
      const frames = (await new Response(result.body).text()).split("\n\n").filter(Boolean).slice(0, -1);
      const chunks = frames.map((frame) => JSON.parse(frame.replace(/^data: /, "")) as ChatCompletionChunk);
      const calls = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
      expect(calls[0]).toMatchObject({
        index: 0,
        type: "function",
        function: { name: "weather", arguments: "" },
      });
      expect(calls.length).toBeGreaterThan(2);
      const args = calls.map((call) => call.function?.arguments ?? "").join("");
      expect(JSON.parse(args)).toEqual({ city: "Paris", days: 3 });
      expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("tool_calls");
    } finally {
      upstream.setBehaviour({ toolUse: undefined });
    }
  });

  it("turns a 429 into a retryable UpstreamError with retryAfterMs", async () => {
    upstream.setBehaviour({ failNext: 1, failStatus: 429, retryAfterSeconds: 3 });
    const error = await chat(false).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ status: 429, retryAfterMs: 3000, retryable: true });
    expect((error as Error).message).toContain("simulated failure");
  });

  it("fails with 401 when the deployment has no API key", async () => {
    await expect(chat(false, { apiKey: undefined })).rejects.toMatchObject({ status: 401, retryable: false });
  });

  it("aborts the upstream stream when the client cancels mid-way", async () => {
    upstream.setBehaviour({ reply: "word ".repeat(50), chunkDelayMs: 20 });
    const before = upstream.abortedStreams;
    const result = await chat(true);
    if (result.type !== "stream") throw new Error("expected a stream result");
    const reader = result.body.getReader();
    await reader.read();
    await reader.read();
    await reader.cancel();
    await vi.waitFor(() => expect(upstream.abortedStreams).toBe(before + 1));
  });
});
