import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnthropicUpstream, startAnthropicUpstream } from "../support/anthropic-upstream";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { type OpenAIUpstream, startOpenAIUpstream } from "../support/openai-upstream";

/** 300 words at 50 ms a chunk: about 15 s of stream, far longer than any of these tests waits. */
const LONG_REPLY = Array.from({ length: 300 }, (_, i) => `word${i}`).join(" ");
const CHUNK_DELAY_MS = 50;

/** One upstream per scenario, so each sees exactly the one stream its client abandons. */
let openaiForChat: OpenAIUpstream;
let claudeForChat: AnthropicUpstream;
let openaiForMessages: OpenAIUpstream;
let claudeForMessages: AnthropicUpstream;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let openaiClient: OpenAI;
let anthropicClient: Anthropic;

/**
 * The clients' own connection pool. After an aborted response undici opens a spare connection
 * that never sends a request; closing the pool first keeps it from holding up the gateway's drain.
 */
const clientAgent = new Agent();
const clientFetch = ((input: RequestInfo | URL, init?: RequestInit) =>
  undiciFetch(input as Parameters<typeof undiciFetch>[0], {
    ...(init as Parameters<typeof undiciFetch>[1]),
    dispatcher: clientAgent,
  })) as typeof fetch;

beforeAll(async () => {
  openaiForChat = await startOpenAIUpstream({ name: "openai-chat" });
  openaiForMessages = await startOpenAIUpstream({ name: "openai-messages" });
  claudeForChat = await startAnthropicUpstream({ name: "claude-chat" });
  claudeForMessages = await startAnthropicUpstream({ name: "claude-messages" });
  for (const upstream of [openaiForChat, openaiForMessages, claudeForChat, claudeForMessages]) {
    upstream.setBehaviour({ reply: LONG_REPLY, chunkDelayMs: CHUNK_DELAY_MS });
  }
  const openaiDeployment = (name: string, upstream: OpenAIUpstream) => ({
    model_name: name,
    litellm_params: { model: "openai/gpt-real", api_base: `${upstream.url}/v1`, api_key: "sk-up" },
  });
  const anthropicDeployment = (name: string, upstream: AnthropicUpstream) => ({
    model_name: name,
    litellm_params: { model: "anthropic/claude-real", api_base: upstream.url, api_key: "sk-ant-up" },
  });
  gateway = await startGateway({
    model_list: [
      openaiDeployment("gpt-chat", openaiForChat),
      anthropicDeployment("claude-chat", claudeForChat),
      openaiDeployment("gpt-messages", openaiForMessages),
      anthropicDeployment("claude-messages", claudeForMessages),
    ],
    router_settings: { num_retries: 0 },
  });
  const options = { apiKey: MASTER_KEY, maxRetries: 0, fetch: clientFetch };
  openaiClient = new OpenAI({ ...options, baseURL: `${gateway.url}/v1` });
  anthropicClient = new Anthropic({ ...options, baseURL: gateway.url });
});

afterAll(async () => {
  await clientAgent.destroy();
  await gateway?.shutdown();
  await Promise.all(
    [openaiForChat, openaiForMessages, claudeForChat, claudeForMessages].map((u) => u?.close()),
  );
});

/** The upstream notices within a second, and the gateway no longer counts the request in flight. */
async function expectUpstreamDisconnected(upstream: { readonly abortedStreams: number }): Promise<void> {
  await expect.poll(() => upstream.abortedStreams, { timeout: 1_000, interval: 20 }).toBe(1);
  await expect.poll(() => gateway.deps.lifecycle.inFlight, { timeout: 1_000, interval: 20 }).toBe(0);
}

/** Reads raw SSE bytes until `count` events have arrived. */
async function readEvents(reader: ReadableStreamDefaultReader<Uint8Array>, count: number): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  while (text.split("\n\n").length - 1 < count) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended after ${text.split("\n\n").length - 1} events`);
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

describe("a client that abandons a stream cancels the upstream stream", () => {
  it("openai/ deployment, openai SDK aborted with an AbortController", async () => {
    const controller = new AbortController();
    const stream = await openaiClient.chat.completions.create(
      { model: "gpt-chat", messages: [{ role: "user", content: "talk" }], stream: true },
      { signal: controller.signal },
    );
    let text = "";
    let chunks = 0;
    // The SDK ends the iteration quietly when its own signal aborts it.
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      chunks += 1;
      if (chunks === 3) controller.abort();
    }
    expect(text.startsWith("word0 word1 word2 ")).toBe(true);
    expect(text).not.toContain("word299");
    await expectUpstreamDisconnected(openaiForChat);

    // The gateway keeps serving the same deployment afterwards.
    openaiForChat.setBehaviour({ reply: "short", chunkDelayMs: 0 });
    try {
      const after = await openaiClient.chat.completions.create({
        model: "gpt-chat",
        messages: [{ role: "user", content: "hi" }],
      });
      expect(after.choices[0]?.message.content).toBe("short");
    } finally {
      openaiForChat.setBehaviour({ reply: LONG_REPLY, chunkDelayMs: CHUNK_DELAY_MS });
    }
    expect(openaiForChat.abortedStreams).toBe(1);
  });

  it("anthropic/ deployment, chat completions fetch aborted with an AbortController", async () => {
    const controller = new AbortController();
    const response = await clientFetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "claude-chat",
        messages: [{ role: "user", content: "talk" }],
        stream: true,
      }),
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body?.getReader();
    if (reader === undefined) throw new Error("no body");
    const seen = await readEvents(reader, 3);
    expect(seen).toContain("word0");
    controller.abort();
    await expect(reader.read()).rejects.toThrow();
    await expectUpstreamDisconnected(claudeForChat);
  });

  it("/v1/messages over an openai/ deployment, Anthropic SDK stream aborted", async () => {
    const stream = anthropicClient.messages.stream({
      model: "gpt-messages",
      max_tokens: 4096,
      messages: [{ role: "user", content: "talk" }],
    });
    let text = "";
    stream.on("text", (delta) => {
      text += delta;
      if (text.includes("word2")) stream.abort();
    });
    await expect(stream.finalMessage()).rejects.toBeInstanceOf(Anthropic.APIUserAbortError);
    expect(text.startsWith("word0 word1 word2")).toBe(true);
    expect(text).not.toContain("word299");
    await expectUpstreamDisconnected(openaiForMessages);
  });

  it("/v1/messages over an anthropic/ deployment, fetch aborted", async () => {
    const controller = new AbortController();
    const response = await clientFetch(`${gateway.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": MASTER_KEY, "content-type": "application/json" },
      body: JSON.stringify({
        model: "claude-messages",
        max_tokens: 4096,
        messages: [{ role: "user", content: "talk" }],
        stream: true,
      }),
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body?.getReader();
    if (reader === undefined) throw new Error("no body");
    // message_start, content_block_start, then text deltas.
    const seen = await readEvents(reader, 4);
    expect(seen).toContain("event: content_block_delta");
    controller.abort();
    await expect(reader.read()).rejects.toThrow();
    await expectUpstreamDisconnected(claudeForMessages);
  });
});
