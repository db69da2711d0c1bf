import { describe, expect, it } from "vitest";
import { toChatCompletion } from "./response";
import { type AnthropicMessage, anthropicMessageSchema } from "./wire";

const message = (overrides: Record<string, unknown> = {}): AnthropicMessage =>
  anthropicMessageSchema.parse({
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "claude-test",
    content: [{ type: "text", text: "Hello" }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 5 },
    ...overrides,
  });

describe("toChatCompletion", () => {
  it("builds an OpenAI chat completion from a text message", () => {
    const completion = toChatCompletion(message());
    expect(completion).toMatchObject({
      id: "chatcmpl-msg_1",
      object: "chat.completion",
      model: "claude-test",
      choices: [{ index: 0, message: { role: "assistant", content: "Hello" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    });
    expect(completion.created).toBeCloseTo(Date.now() / 1000, -1);
    expect(completion.choices[0]?.message).not.toHaveProperty("tool_calls");
  });

  it("joins text blocks, skips unknown blocks and maps tool_use to tool_calls", () => {
    const completion = toChatCompletion(
      message({
        content: [
          { type: "thinking", thinking: "hmm", signature: "x" },
          { type: "text", text: "Let me " },
          { type: "text", text: "check." },
          { type: "tool_use", id: "toolu_1", name: "weather", input: { city: "Paris" } },
        ],
        stop_reason: "tool_use",
      }),
    );
    expect(completion.choices[0]).toMatchObject({
      message: {
        content: "Let me check.",
        tool_calls: [
          { id: "toolu_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } },
        ],
      },
      finish_reason: "tool_calls",
    });
  });

  it("answers the JSON tool's input as text when the request asked for structured output", () => {
    const answered = message({
      content: [{ type: "tool_use", id: "toolu_1", name: "json_tool_call", input: { city: "Paris" } }],
      stop_reason: "tool_use",
    });
    expect(toChatCompletion(answered, true).choices[0]).toMatchObject({
      message: { content: '{"city":"Paris"}' },
      finish_reason: "stop",
    });
    expect(toChatCompletion(answered, true).choices[0]?.message).not.toHaveProperty("tool_calls");
    expect(toChatCompletion(answered).choices[0]?.finish_reason).toBe("tool_calls");
  });

  it("has null content when there is no text", () => {
    const completion = toChatCompletion(
      message({
        content: [{ type: "tool_use", id: "toolu_1", name: "now", input: {} }],
        stop_reason: "tool_use",
      }),
    );
    expect(completion.choices[0]?.message.content).toBeNull();
  });

  it.each([
    ["end_turn", "stop"],
    ["stop_sequence", "stop"],
    ["max_tokens", "length"],
    ["tool_use", "tool_calls"],
    ["refusal", "content_filter"],
    ["constructor", "stop"],
  ])("maps stop_reason %s to %s", (stopReason, finishReason) => {
    expect(toChatCompletion(message({ stop_reason: stopReason })).choices[0]?.finish_reason).toBe(
      finishReason,
    );
  });

  it("counts cache creation and cache reads as prompt tokens", () => {
    const usage = {
      input_tokens: 3,
      cache_creation_input_tokens: 100,
      cache_read_input_tokens: 50,
      output_tokens: 7,
    };
    expect(toChatCompletion(message({ usage })).usage).toEqual({
      prompt_tokens: 153,
      completion_tokens: 7,
      total_tokens: 160,
    });
  });
});
