import { describe, expect, it, vi } from "vitest";
import { UpstreamError } from "../../errors";
import type { ChatCompletionChunk } from "../../openai/types";
import { toChatChunkStream } from "./stream";

type Event = [string, Record<string, unknown>];

const encoder = new TextEncoder();

/** Anthropic SSE bytes, cut into uneven pieces so events straddle chunk boundaries. */
function sseBody(events: Event[]): ReadableStream<Uint8Array> {
  const text = events
    .map(([type, data]) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`)
    .join("");
  const bytes = encoder.encode(text);
  return new ReadableStream({
    start(controller) {
      for (let offset = 0; offset < bytes.length; offset += 37)
        controller.enqueue(bytes.slice(offset, offset + 37));
      controller.close();
    },
  });
}

/** The OpenAI SSE data payloads of a stream, in order. */
async function collect(stream: ReadableStream<Uint8Array>): Promise<string[]> {
  const text = await new Response(stream).text();
  return text
    .split("\n\n")
    .filter((frame) => frame !== "")
    .map((frame) => {
      expect(frame.startsWith("data: ")).toBe(true);
      return frame.slice("data: ".length);
    });
}

const start: Event = [
  "message_start",
  {
    message: {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "claude-test",
      content: [],
      usage: { input_tokens: 12, cache_read_input_tokens: 4, output_tokens: 1 },
    },
  },
];
const end = (stopReason: string): Event[] => [
  ["message_delta", { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: 9 } }],
  ["message_stop", {}],
];

describe("toChatChunkStream", () => {
  it("streams text deltas, the finish reason, a usage chunk and [DONE]", async () => {
    const frames = await collect(
      toChatChunkStream(
        sseBody([
          start,
          ["content_block_start", { index: 0, content_block: { type: "text", text: "" } }],
          ["ping", {}],
          ["content_block_delta", { index: 0, delta: { type: "text_delta", text: "Hel" } }],
          ["content_block_delta", { index: 0, delta: { type: "text_delta", text: "lo" } }],
          ["content_block_stop", { index: 0 }],
          ...end("end_turn"),
        ]),
      ),
    );
    expect(frames.at(-1)).toBe("[DONE]");
    const chunks = frames.slice(0, -1).map((frame) => JSON.parse(frame) as ChatCompletionChunk);
    for (const chunk of chunks)
      expect(chunk).toMatchObject({
        id: "chatcmpl-msg_1",
        object: "chat.completion.chunk",
        model: "claude-test",
      });
    expect(chunks.map((chunk) => chunk.choices[0]?.delta)).toEqual([
      { role: "assistant", content: "" },
      { content: "Hel" },
      { content: "lo" },
      {},
      undefined,
    ]);
    expect(chunks[3]?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks[4]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 16, completion_tokens: 9, total_tokens: 25 },
    });
  });

  it("streams the JSON tool's input as content when the request asked for structured output", async () => {
    const events: Event[] = [
      start,
      [
        "content_block_start",
        { index: 0, content_block: { type: "tool_use", id: "toolu_1", name: "json_tool_call", input: {} } },
      ],
      ["content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: '{"city":' } }],
      ["content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: '"Paris"}' } }],
      ["content_block_stop", { index: 0 }],
      ...end("tool_use"),
    ];
    const chunks = (await collect(toChatChunkStream(sseBody(events), true)))
      .slice(0, -1)
      .map((frame) => JSON.parse(frame) as ChatCompletionChunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta)).toEqual([
      { role: "assistant", content: "" },
      { content: '{"city":' },
      { content: '"Paris"}' },
      {},
      undefined,
    ]);
    expect(chunks[3]?.choices[0]?.finish_reason).toBe("stop");
    // A request that did not ask for JSON gets a tool of that name as a tool call.
    const plain = await collect(toChatChunkStream(sseBody(events)));
    expect(plain.join("")).toContain('"tool_calls"');
  });

  it("streams tool calls numbered among tool_use blocks only", async () => {
    const frames = await collect(
      toChatChunkStream(
        sseBody([
          start,
          ["content_block_start", { index: 0, content_block: { type: "text", text: "" } }],
          ["content_block_delta", { index: 0, delta: { type: "text_delta", text: "Checking." } }],
          ["content_block_stop", { index: 0 }],
          [
            "content_block_start",
            { index: 1, content_block: { type: "tool_use", id: "toolu_1", name: "weather", input: {} } },
          ],
          ["content_block_delta", { index: 1, delta: { type: "input_json_delta", partial_json: "" } }],
          [
            "content_block_delta",
            { index: 1, delta: { type: "input_json_delta", partial_json: '{"city":' } },
          ],
          [
            "content_block_delta",
            { index: 1, delta: { type: "input_json_delta", partial_json: '"Paris"}' } },
          ],
          ["content_block_stop", { index: 1 }],
          ...end("tool_use"),
        ]),
      ),
    );
    const chunks = frames.slice(0, -1).map((frame) => JSON.parse(frame) as ChatCompletionChunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.tool_calls).filter(Boolean)).toEqual([
      [{ index: 0, id: "toolu_1", type: "function", function: { name: "weather", arguments: "" } }],
      [{ index: 0, function: { arguments: '{"city":' } }],
      [{ index: 0, function: { arguments: '"Paris"}' } }],
    ]);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("tool_calls");
  });

  it("errors the stream with an UpstreamError on an error event", async () => {
    const body = sseBody([start, ["error", { error: { type: "overloaded_error", message: "Overloaded" } }]]);
    const error = await collect(toChatChunkStream(body)).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ status: 529, kind: "http", retryable: true });
    expect((error as Error).message).toContain("Overloaded");
  });

  it("errors the stream when upstream ends before message_stop", async () => {
    const error = await collect(toChatChunkStream(sseBody([start]))).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ status: 502, kind: "network" });
  });

  it("cancels the upstream body when the output is cancelled", async () => {
    const cancel = vi.fn();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const [type, data] = start;
        controller.enqueue(encoder.encode(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`));
      },
      cancel,
    });
    const reader = toChatChunkStream(body).getReader();
    expect((await reader.read()).done).toBe(false);
    await reader.cancel("client went away");
    await vi.waitFor(() => expect(cancel).toHaveBeenCalledOnce());
  });
});
