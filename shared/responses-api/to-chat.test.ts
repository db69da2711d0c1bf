import { describe, expect, it } from "vitest";
import { expandRequest } from "./expand";
import { parseResponsesRequest } from "./schema";
import { responsesToChat } from "./to-chat";

const translate = (body: Record<string, unknown>, history: Record<string, unknown>[] = []) =>
  responsesToChat(expandRequest(parseResponsesRequest({ model: "m", ...body }), history as never));

describe("responsesToChat", () => {
  it("puts instructions first and earlier turns before the request's own input", () => {
    const chat = translate({ instructions: "Be brief.", input: "And now?" }, [
      { type: "message", id: "msg_1", role: "user", content: [{ type: "input_text", text: "Hi" }] },
      {
        type: "message",
        id: "msg_2",
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: "Hello", annotations: [] }],
      },
      { type: "reasoning", id: "rs_1", summary: [] },
    ]);
    expect(chat.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: [{ type: "text", text: "Hi" }] },
      { role: "assistant", content: "Hello" },
      { role: "user", content: [{ type: "text", text: "And now?" }] },
    ]);
  });

  it("joins consecutive function calls to the assistant turn, and answers them as tool messages", () => {
    const chat = translate({
      input: [
        { role: "user", content: "Weather in Paris and Rome?" },
        { type: "function_call", call_id: "c1", name: "weather", arguments: '{"city":"Paris"}' },
        { type: "function_call", call_id: "c2", name: "weather", arguments: '{"city":"Rome"}' },
        { type: "function_call_output", call_id: "c1", output: "18°C" },
        { type: "function_call_output", call_id: "c2", output: [{ type: "input_text", text: "21°C" }] },
      ],
    });
    expect(chat.messages.slice(1)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "c1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } },
          { id: "c2", type: "function", function: { name: "weather", arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: "tool", tool_call_id: "c1", content: "18°C" },
      { role: "tool", tool_call_id: "c2", content: "21°C" },
    ]);
  });

  it("maps images, tools, tool_choice, text.format and the sampling and length settings", () => {
    const chat = translate({
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text: "What is this?" },
            { type: "input_image", image_url: "https://example.test/a.png", detail: "low" },
          ],
        },
      ],
      tools: [
        {
          type: "function",
          name: "look",
          description: "Look closer",
          parameters: { type: "object" },
          strict: true,
        },
      ],
      tool_choice: { type: "function", name: "look" },
      parallel_tool_calls: false,
      text: { format: { type: "json_schema", name: "answer", schema: { type: "object" }, strict: true } },
      max_output_tokens: 200,
      temperature: 0.2,
      top_p: 0.9,
      stream: true,
    });
    expect(chat).toMatchObject({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: "https://example.test/a.png", detail: "low" } },
          ],
        },
      ],
      tools: [
        {
          type: "function",
          function: {
            name: "look",
            description: "Look closer",
            parameters: { type: "object" },
            strict: true,
          },
        },
      ],
      tool_choice: { type: "function", function: { name: "look" } },
      parallel_tool_calls: false,
      response_format: {
        type: "json_schema",
        json_schema: { name: "answer", schema: { type: "object" }, strict: true },
      },
      max_tokens: 200,
      temperature: 0.2,
      top_p: 0.9,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("refuses items only the Responses API itself understands, naming them", () => {
    expect(() =>
      translate({ input: [{ type: "web_search_call", id: "ws_1", status: "completed" }] }),
    ).toThrow(/"web_search_call" needs an OpenAI or Azure deployment/);
  });
});
