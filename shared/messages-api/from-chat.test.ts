import { describe, expect, it } from "vitest";
import type { ChatCompletion, FinishReason, ToolCall } from "../openai/types";
import { chatToMessage } from "./from-chat";

function completion(
  message: { content: string | null; tool_calls?: ToolCall[] },
  finishReason: FinishReason = "stop",
): ChatCompletion {
  return {
    id: "chatcmpl-abc123",
    object: "chat.completion",
    created: 1,
    model: "gpt-4o-2024-08-06",
    choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: finishReason }],
    usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
  };
}

describe("chatToMessage", () => {
  it("maps a text answer with usage, keeping the requested model name", () => {
    expect(chatToMessage(completion({ content: "Hello!" }), "claude-sonnet")).toEqual({
      id: "msg_abc123",
      type: "message",
      role: "assistant",
      model: "claude-sonnet",
      content: [{ type: "text", text: "Hello!" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 7 },
    });
  });

  it("maps tool calls to tool_use blocks after the text", () => {
    const calls: ToolCall[] = [
      { id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } },
      { id: "call_2", type: "function", function: { name: "broken", arguments: '{"city":' } },
      { id: "call_3", type: "function", function: { name: "listy", arguments: "[1,2]" } },
    ];
    const message = chatToMessage(
      completion({ content: "Let me check.", tool_calls: calls }, "tool_calls"),
      "m",
    );
    expect(message.content).toEqual([
      { type: "text", text: "Let me check." },
      { type: "tool_use", id: "call_1", name: "weather", input: { city: "Paris" } },
      { type: "tool_use", id: "call_2", name: "broken", input: {} },
      { type: "tool_use", id: "call_3", name: "listy", input: {} },
    ]);
    expect(message.stop_reason).toBe("tool_use");
  });

  it("leaves out the text block when there is no text", () => {
    const calls: ToolCall[] = [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }];
    expect(
      chatToMessage(completion({ content: null, tool_calls: calls }, "tool_calls"), "m").content,
    ).toEqual([{ type: "tool_use", id: "c", name: "f", input: {} }]);
    expect(chatToMessage(completion({ content: "" }), "m").content).toEqual([]);
  });

  it.each([
    ["stop", "end_turn"],
    ["length", "max_tokens"],
    ["tool_calls", "tool_use"],
    ["function_call", "tool_use"],
    ["content_filter", "refusal"],
    [null, "end_turn"],
  ] as const)("maps finish_reason %s to stop_reason %s", (finishReason, stopReason) => {
    expect(chatToMessage(completion({ content: "x" }, finishReason), "m").stop_reason).toBe(stopReason);
  });

  it("reports zero usage and keeps an id without the chatcmpl- prefix as is", () => {
    const bare = { ...completion({ content: "x" }), id: "resp-9", usage: undefined };
    const message = chatToMessage(bare, "m");
    expect(message.id).toBe("msg_resp-9");
    expect(message.usage).toEqual({ input_tokens: 0, output_tokens: 0 });
  });
});
