import { ChatCompletionStream } from "openai/lib/ChatCompletionStream";
import { Stream } from "openai/streaming";
import { describe, expect, it } from "vitest";
import { chunksToJson, jsonToChunks, sseBody } from "./replay";

const usage = { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 };
const head = { id: "chatcmpl-1", created: 1_700_000_000, model: "gpt-4o" };

const chatJson = {
  ...head,
  object: "chat.completion",
  system_fingerprint: "fp_1",
  choices: [
    {
      index: 0,
      message: { role: "assistant", content: "Hello there" },
      logprobs: null,
      finish_reason: "stop",
    },
    {
      index: 1,
      message: {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_1", type: "function", function: { name: "get", arguments: '{"q":1}' } }],
      },
      logprobs: null,
      finish_reason: "tool_calls",
    },
  ],
  usage,
};

const textJson = {
  ...head,
  object: "text_completion",
  choices: [{ index: 0, text: "Once upon", logprobs: null, finish_reason: "length" }],
  usage,
};

/** What an upstream streams, in pieces, with the usage-only chunk it was asked for. */
const upstreamChunks = [
  { choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] },
  { choices: [{ index: 0, delta: { content: "Hel" }, finish_reason: null }] },
  { choices: [{ index: 0, delta: { content: "lo" }, finish_reason: null }] },
  {
    choices: [
      {
        index: 0,
        delta: {
          tool_calls: [{ index: 0, id: "call_9", type: "function", function: { name: "f", arguments: "" } }],
        },
        finish_reason: null,
      },
    ],
  },
  {
    choices: [
      {
        index: 0,
        delta: { tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] },
        finish_reason: null,
      },
    ],
  },
  {
    choices: [
      { index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: "2}" } }] }, finish_reason: null },
    ],
  },
  { choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] },
  { choices: [], usage },
].map((chunk) => JSON.stringify({ ...head, object: "chat.completion.chunk", ...chunk }));

async function sseText(body: ReadableStream<Uint8Array>): Promise<string[]> {
  const text = await new Response(body).text();
  return text
    .split("\n\n")
    .filter((frame) => frame !== "")
    .map((frame) => frame.replace(/^data: /, ""));
}

/** Reads an SSE body the way the OpenAI SDK does, and lets it assemble the final completion. */
function sdkFinal(body: ReadableStream<Uint8Array>) {
  const stream = Stream.fromSSEResponse(new Response(body), new AbortController());
  return ChatCompletionStream.fromReadableStream(stream.toReadableStream()).finalChatCompletion();
}

describe("jsonToChunks", () => {
  it("turns a chat answer into a stream the OpenAI SDK assembles back", async () => {
    const events = jsonToChunks("chat", JSON.stringify(chatJson), true);
    const final = await sdkFinal(sseBody(events, true));
    expect(final.choices[0]?.message.content).toBe("Hello there");
    expect(final.choices[0]?.finish_reason).toBe("stop");
    expect(final.choices[1]?.message.tool_calls?.[0]).toMatchObject({
      id: "call_1",
      function: { name: "get", arguments: '{"q":1}' },
    });
    expect(final.choices[1]?.finish_reason).toBe("tool_calls");
    expect(final.usage).toEqual(usage);
  });

  it("starts each choice with the role, ends with usage only when asked, then [DONE]", async () => {
    const frames = await sseText(sseBody(jsonToChunks("chat", JSON.stringify(chatJson), true), false));
    const first = JSON.parse(frames[0] ?? "{}");
    expect(first).toMatchObject({ ...head, object: "chat.completion.chunk", system_fingerprint: "fp_1" });
    expect(first.choices[0].delta).toEqual({ role: "assistant", content: "" });
    expect(frames.at(-1)).toBe("[DONE]");
    expect(frames.some((f) => f.includes('"usage"'))).toBe(false);
    const withUsage = await sseText(sseBody(jsonToChunks("chat", JSON.stringify(chatJson), true), true));
    expect(JSON.parse(withUsage.at(-2) ?? "{}")).toMatchObject({ choices: [], usage });
  });

  it("streams a text completion as text_completion chunks", () => {
    const chunks = jsonToChunks("completion", JSON.stringify(textJson), false).map((c) => JSON.parse(c));
    expect(chunks.map((c) => c.choices[0])).toEqual([
      { index: 0, text: "Once upon", logprobs: null, finish_reason: null },
      { index: 0, text: "", logprobs: null, finish_reason: "length" },
    ]);
    expect(chunks.every((c) => c.object === "text_completion")).toBe(true);
  });
});

describe("chunksToJson", () => {
  it("assembles streamed pieces into one chat.completion", () => {
    const answer = JSON.parse(chunksToJson("chat", upstreamChunks));
    expect(answer).toEqual({
      ...head,
      object: "chat.completion",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "Hello",
            tool_calls: [{ id: "call_9", type: "function", function: { name: "f", arguments: '{"a":2}' } }],
          },
          logprobs: null,
          finish_reason: "tool_calls",
        },
      ],
      usage,
    });
  });

  it("agrees with the OpenAI SDK's own assembly of the same stream", async () => {
    const ours = JSON.parse(chunksToJson("chat", upstreamChunks));
    const sdk = await sdkFinal(sseBody(upstreamChunks, true));
    expect(ours.choices[0].message.content).toBe(sdk.choices[0]?.message.content);
    expect(ours.choices[0].message.tool_calls).toEqual(sdk.choices[0]?.message.tool_calls);
  });

  it("round-trips JSON answers through their stream unchanged", () => {
    const chat = chunksToJson("chat", jsonToChunks("chat", JSON.stringify(chatJson), true));
    expect(JSON.parse(chat)).toEqual(chatJson);
    const text = chunksToJson("completion", jsonToChunks("completion", JSON.stringify(textJson), true));
    expect(JSON.parse(text)).toEqual(textJson);
  });

  it("concatenates logprobs arriving in pieces", () => {
    const piece = (token: string) =>
      JSON.stringify({
        ...head,
        choices: [{ index: 0, delta: { content: token }, logprobs: { content: [{ token, logprob: -1 }] } }],
      });
    const answer = JSON.parse(chunksToJson("chat", [piece("a"), piece("b")]));
    expect(answer.choices[0].logprobs.content.map((t: { token: string }) => t.token)).toEqual(["a", "b"]);
  });
});
