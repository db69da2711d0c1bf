import { APIError } from "@anthropic-ai/sdk/core/error";
import { Stream } from "@anthropic-ai/sdk/core/streaming";
import { MessageStream } from "@anthropic-ai/sdk/lib/MessageStream";
import type { MessageStreamEvent } from "@anthropic-ai/sdk/resources/messages";
import { describe, expect, it, vi } from "vitest";
import { encodeSse, parseSse, SSE_DONE } from "../openai/sse";
import type { ChatCompletionChunk } from "../openai/types";
import { chatStreamToMessages } from "./stream";

type Choice = ChatCompletionChunk["choices"][number];
const base = { id: "chatcmpl-s1", object: "chat.completion.chunk", created: 1, model: "gpt-4o" } as const;
const chunk = (delta: Choice["delta"], finish_reason: Choice["finish_reason"] = null) =>
  JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason }] } satisfies ChatCompletionChunk);
const usage = { prompt_tokens: 30, completion_tokens: 9, total_tokens: 39 };
const usageChunk = JSON.stringify({ ...base, choices: [], usage } satisfies ChatCompletionChunk);
const toolCall = (index: number, id: string, name: string, args: string) =>
  chunk({ tool_calls: [{ index, id, type: "function", function: { name, arguments: args } }] });

/** Serves one event per pull, so a failure arrives after the events before it, as on a real socket. */
function openaiStream(datas: string[], failWith?: Error): ReadableStream<Uint8Array> {
  const pending = [...datas];
  return new ReadableStream({
    pull(controller) {
      const data = pending.shift();
      if (data !== undefined) controller.enqueue(encodeSse(data));
      else if (failWith) controller.error(failWith);
      else controller.close();
    },
  });
}

type Event = { type: string; [key: string]: unknown };

/** Reads the translated stream, checking every event's name matches its data's type as Anthropic's do. */
async function translate(datas: string[], failWith?: Error): Promise<Event[]> {
  const events: Event[] = [];
  const reader = parseSse(chatStreamToMessages(openaiStream(datas, failWith), "claude-x")).getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    const data = JSON.parse(next.value.data) as Event;
    expect(next.value.event).toBe(data.type);
    events.push(data);
  }
  return events;
}

const types = (events: Event[]) => events.map((event) => event.type);
const blockStart = (index: number, open: object) => ({
  type: "content_block_start",
  index,
  content_block: open,
});
const blockStop = (index: number) => ({ type: "content_block_stop", index });
const delta = (index: number, delta: object) => ({ type: "content_block_delta", index, delta });
const textDelta = (index: number, text: string) => delta(index, { type: "text_delta", text });
const jsonDelta = (index: number, json: string) =>
  delta(index, { type: "input_json_delta", partial_json: json });

const textRun = [
  chunk({ role: "assistant", content: "" }),
  chunk({ content: "Hel" }),
  chunk({ content: "lo" }),
  chunk({}, "stop"),
  usageChunk,
  SSE_DONE,
];

const toolRun = [
  chunk({ role: "assistant", content: "Checking." }),
  toolCall(0, "call_a", "weather", ""),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
  toolCall(1, "call_b", "time", "{}"),
  chunk({}, "tool_calls"),
  usageChunk,
  SSE_DONE,
];

describe("chatStreamToMessages", () => {
  it("streams text as one block and reports usage that arrives after the finish reason", async () => {
    expect(await translate(textRun)).toEqual([
      {
        type: "message_start",
        message: {
          id: "msg_s1",
          type: "message",
          role: "assistant",
          model: "claude-x",
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 0, output_tokens: 0 },
        },
      },
      blockStart(0, { type: "text", text: "" }),
      textDelta(0, "Hel"),
      textDelta(0, "lo"),
      blockStop(0),
      {
        type: "message_delta",
        delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: { output_tokens: 9, input_tokens: 30 },
      },
      { type: "message_stop" },
    ]);
  });

  it("gives text and each tool call its own block, closing one before the next", async () => {
    const events = await translate(toolRun);
    expect(events.slice(1, -2)).toEqual([
      blockStart(0, { type: "text", text: "" }),
      textDelta(0, "Checking."),
      blockStop(0),
      blockStart(1, { type: "tool_use", id: "call_a", name: "weather", input: {} }),
      jsonDelta(1, '{"city":'),
      jsonDelta(1, '"Paris"}'),
      blockStop(1),
      blockStart(2, { type: "tool_use", id: "call_b", name: "time", input: {} }),
      jsonDelta(2, "{}"),
      blockStop(2),
    ]);
    expect(events.at(-2)).toMatchObject({ delta: { stop_reason: "tool_use" } });
  });

  it("is read by the Anthropic SDK's own stream parser and message accumulator", async () => {
    const response = new Response(chatStreamToMessages(openaiStream(toolRun), "claude-x"));
    const sdkStream = Stream.fromSSEResponse<MessageStreamEvent>(response, new AbortController());
    const message = await MessageStream.fromReadableStream(sdkStream.toReadableStream()).finalMessage();
    expect(message).toMatchObject({
      id: "msg_s1",
      model: "claude-x",
      content: [
        { type: "text", text: "Checking." },
        { type: "tool_use", id: "call_a", name: "weather", input: { city: "Paris" } },
        { type: "tool_use", id: "call_b", name: "time", input: {} },
      ],
      stop_reason: "tool_use",
      usage: { input_tokens: 30, output_tokens: 9 },
    });
  });

  it("finishes the message when the input ends without [DONE], and maps length", async () => {
    const events = await translate([chunk({ content: "cut" }), chunk({}, "length")]);
    expect(types(events)).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(events[4]).toMatchObject({ delta: { stop_reason: "max_tokens" }, usage: { output_tokens: 0 } });
  });

  it("still sends a whole message for an empty stream", async () => {
    const events = await translate([SSE_DONE]);
    expect(types(events)).toEqual(["message_start", "message_delta", "message_stop"]);
    expect(events[0]).toMatchObject({ message: { id: expect.stringMatching(/^msg_/) } });
  });

  it("ends with an Anthropic error event when the input fails", async () => {
    const events = await translate([chunk({ content: "par" })], new Error("socket hang up"));
    expect(types(events)).toEqual(["message_start", "content_block_start", "content_block_delta", "error"]);
    expect(events.at(-1)).toEqual({ type: "error", error: { type: "api_error", message: "socket hang up" } });
  });

  it("turns an upstream error chunk or a malformed chunk into an error event", async () => {
    expect(await translate([JSON.stringify({ error: { message: "overloaded" } })])).toEqual([
      { type: "error", error: { type: "api_error", message: "overloaded" } },
    ]);
    expect(types(await translate(["{not json"]))).toEqual(["error"]);
  });

  it("makes the SDK throw an APIError for the error event", async () => {
    const output = chatStreamToMessages(openaiStream([chunk({ content: "a" })], new Error("boom")), "m");
    const sdkStream = Stream.fromSSEResponse<MessageStreamEvent>(new Response(output), new AbortController());
    const seen: string[] = [];
    await expect(async () => {
      for await (const event of sdkStream) seen.push(event.type);
    }).rejects.toThrow(APIError);
    expect(seen).toEqual(["message_start", "content_block_start", "content_block_delta"]);
  });

  it("cancels the input when the client cancels the output, even mid-read", async () => {
    const cancel = vi.fn();
    // One chunk, then the upstream goes quiet, as a slow model would.
    const input = new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(encodeSse(chunk({ content: "tick" }))),
      cancel,
    });
    const reader = chatStreamToMessages(input, "m").getReader();
    for (let i = 0; i < 3; i++) expect((await reader.read()).done).toBe(false);
    // This read waits on the quiet upstream, so the cancel arrives while the translator is reading.
    const waiting = reader.read();
    await reader.cancel("client went away");
    expect(cancel).toHaveBeenCalledWith("client went away");
    expect(await waiting).toEqual({ done: true, value: undefined });
  });
});
