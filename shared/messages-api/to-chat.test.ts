import { describe, expect, it } from "vitest";
import { parseMessagesRequest } from "./schema";
import { messagesToChat } from "./to-chat";

const translate = (body: Record<string, unknown>) =>
  messagesToChat(parseMessagesRequest({ model: "claude-x", max_tokens: 256, ...body }));

const hi = [{ role: "user", content: "hi" }];

describe("messagesToChat", () => {
  it("maps a plain request and its sampling fields", () => {
    const chat = translate({
      messages: hi,
      stop_sequences: ["END", "STOP"],
      temperature: 0.2,
      top_p: 0.8,
      top_k: 40,
      metadata: { user_id: "user-7" },
    });
    expect(chat).toEqual({
      model: "claude-x",
      max_tokens: 256,
      messages: [{ role: "user", content: "hi" }],
      stop: ["END", "STOP"],
      temperature: 0.2,
      top_p: 0.8,
      user: "user-7",
    });
  });

  it("puts the system prompt first, from a string or text blocks", () => {
    expect(translate({ system: "be brief", messages: hi }).messages[0]).toEqual({
      role: "system",
      content: "be brief",
    });
    const blocks = [
      { type: "text", text: "one" },
      { type: "text", text: "two", cache_control: { type: "ephemeral" } },
    ];
    expect(translate({ system: blocks, messages: hi }).messages[0]).toEqual({
      role: "system",
      content: "one\ntwo",
    });
    expect(translate({ system: "", messages: hi }).messages).toEqual([{ role: "user", content: "hi" }]);
  });

  it("turns text and image blocks into content parts", () => {
    const chat = translate({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what is this?" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBOR" } },
            { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
          ],
        },
      ],
    });
    expect(chat.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "what is this?" },
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBOR" } },
          { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
        ],
      },
    ]);
  });

  it("maps an assistant tool call and the tool results, results before the user's text", () => {
    const chat = translate({
      messages: [
        { role: "user", content: "weather in Paris and Rome?" },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "two calls", signature: "s" },
            { type: "text", text: "Checking." },
            { type: "tool_use", id: "toolu_1", name: "weather", input: { city: "Paris" } },
            { type: "tool_use", id: "toolu_2", name: "weather", input: { city: "Rome" } },
          ],
        },
        {
          role: "user",
          content: [
            { type: "text", text: "also, be quick" },
            { type: "tool_result", tool_use_id: "toolu_1", content: "18C" },
            {
              type: "tool_result",
              tool_use_id: "toolu_2",
              content: [
                { type: "text", text: "21C" },
                { type: "text", text: "sunny" },
                { type: "image", source: { type: "url", url: "https://example.com/map.png" } },
              ],
              is_error: false,
            },
          ],
        },
      ],
    });
    expect(chat.messages).toEqual([
      { role: "user", content: "weather in Paris and Rome?" },
      {
        role: "assistant",
        content: "Checking.",
        tool_calls: [
          { id: "toolu_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } },
          { id: "toolu_2", type: "function", function: { name: "weather", arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: "tool", tool_call_id: "toolu_1", content: "18C" },
      { role: "tool", tool_call_id: "toolu_2", content: "21C\nsunny" },
      {
        role: "user",
        content: [
          { type: "text", text: "also, be quick" },
          { type: "image_url", image_url: { url: "https://example.com/map.png" } },
        ],
      },
    ]);
  });

  it("sends only tool messages when a user turn holds only tool results", () => {
    const chat = translate({
      messages: [
        { role: "user", content: "go" },
        { role: "assistant", content: [{ type: "tool_use", id: "t", name: "run", input: {} }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "t" }] },
      ],
    });
    expect(chat.messages.slice(1)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "t", type: "function", function: { name: "run", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: "t", content: "" },
    ]);
  });

  it("maps tools and every tool_choice", () => {
    const tools = [
      { name: "weather", description: "Current weather", input_schema: { type: "object", properties: {} } },
      { name: "time", input_schema: { type: "object" } },
    ];
    const chat = translate({ messages: hi, tools, tool_choice: { type: "auto" } });
    expect(chat.tools).toEqual([
      {
        type: "function",
        function: {
          name: "weather",
          description: "Current weather",
          parameters: { type: "object", properties: {} },
        },
      },
      { type: "function", function: { name: "time", parameters: { type: "object" } } },
    ]);
    expect(chat.tool_choice).toBe("auto");
    expect(translate({ messages: hi, tools, tool_choice: { type: "any" } }).tool_choice).toBe("required");
    expect(translate({ messages: hi, tools, tool_choice: { type: "none" } }).tool_choice).toBe("none");
    expect(
      translate({ messages: hi, tools, tool_choice: { type: "tool", name: "time" } }).tool_choice,
    ).toEqual({
      type: "function",
      function: { name: "time" },
    });
  });

  it("maps disable_parallel_tool_use, and drops tool settings when there are no tools", () => {
    const tools = [{ name: "time", input_schema: { type: "object" } }];
    const choice = { type: "any", disable_parallel_tool_use: true };
    expect(translate({ messages: hi, tools, tool_choice: choice }).parallel_tool_calls).toBe(false);
    const toolless = translate({ messages: hi, tool_choice: choice });
    expect(toolless).not.toHaveProperty("tool_choice");
    expect(toolless).not.toHaveProperty("parallel_tool_calls");
  });

  it("asks for usage when streaming", () => {
    const chat = translate({ messages: hi, stream: true });
    expect(chat.stream).toBe(true);
    expect(chat.stream_options).toEqual({ include_usage: true });
    expect(translate({ messages: hi, stream: false })).not.toHaveProperty("stream");
  });
});
