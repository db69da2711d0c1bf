import { describe, expect, it } from "vitest";
import { encodeSse, SSE_DONE } from "../openai/sse";
import { chatStreamToResponses } from "./chat-stream";
import { streamOf } from "./sse";
import type { ResponseEvent } from "./types";

const chunk = (delta: Record<string, unknown>, finish_reason: string | null = null) => ({
  id: "chatcmpl-1",
  object: "chat.completion.chunk",
  created: 1,
  model: "m",
  choices: [{ index: 0, delta, finish_reason }],
});

const usage = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 };

const chatSse = (payloads: unknown[], done = true) =>
  streamOf([...payloads.map((p) => encodeSse(JSON.stringify(p))), ...(done ? [encodeSse(SSE_DONE)] : [])]);

async function eventsOf(body: ReadableStream<Uint8Array>): Promise<ResponseEvent[]> {
  const text = await new Response(body).text();
  return text
    .split("\n\n")
    .filter((frame) => frame !== "")
    .map((frame) => JSON.parse(frame.split("\n")[1]?.slice("data: ".length) ?? "") as ResponseEvent);
}

describe("chatStreamToResponses", () => {
  it("turns text and a tool call into two output items, each closed before the next opens", async () => {
    const events = await eventsOf(
      chatStreamToResponses(
        chatSse([
          chunk({ role: "assistant", content: "" }),
          chunk({ content: "Let me " }),
          chunk({ content: "check." }),
          chunk({
            tool_calls: [
              { index: 0, id: "call_9", type: "function", function: { name: "weather", arguments: "" } },
            ],
          }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
          chunk({}, "tool_calls"),
          { ...chunk({}), choices: [], usage },
        ]),
      ),
    );
    expect(events.map((e) => e.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const final = events.at(-1)?.response;
    expect(final?.status).toBe("completed");
    expect(final?.output).toMatchObject([
      { type: "message", status: "completed", content: [{ type: "output_text", text: "Let me check." }] },
      {
        type: "function_call",
        call_id: "call_9",
        name: "weather",
        arguments: '{"city":"Paris"}',
        status: "completed",
      },
    ]);
    expect(final?.usage).toEqual({
      input_tokens: 11,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 7,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 18,
    });
    expect(events[12]).toMatchObject({ arguments: '{"city":"Paris"}', name: "weather", output_index: 1 });
    // Item ids tie the events of one item together.
    const messageId = (events[2]?.item as { id?: string } | undefined)?.id;
    expect(events[4]).toMatchObject({
      item_id: messageId,
      output_index: 0,
      content_index: 0,
      delta: "Let me ",
    });
  });

  it("ends incomplete at the output limit, without usage when the upstream gave none", async () => {
    const events = await eventsOf(
      chatStreamToResponses(chatSse([chunk({ content: "Once upon" }), chunk({}, "length")])),
    );
    expect(events.at(-1)).toMatchObject({
      type: "response.incomplete",
      response: { status: "incomplete", incomplete_details: { reason: "max_output_tokens" }, usage: null },
    });
  });

  it("streams a refusal as its own content part", async () => {
    const events = await eventsOf(
      chatStreamToResponses(chatSse([chunk({ refusal: "I can't." }), chunk({}, "stop")])),
    );
    expect(events.map((e) => e.type)).toContain("response.refusal.delta");
    expect(events.at(-1)?.response?.output).toMatchObject([
      { content: [{ type: "refusal", refusal: "I can't." }] },
    ]);
  });

  it("fails, rather than completes, when the chat stream reports an error", async () => {
    const failing = chatStreamToResponses(
      chatSse([chunk({ content: "Hi" }), { error: { message: "overloaded" } }], false),
    );
    await expect(new Response(failing).text()).rejects.toThrow(/overloaded/);
  });
});
