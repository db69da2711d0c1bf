import { describe, expect, it } from "vitest";
import type { Deployment } from "../../config/deployment";
import type { ChatRequest } from "../../openai/types";
import { deployment as baseDeployment } from "../../router/test-fixtures";
import { toAnthropicRequest } from "./request";

const deployment = (overrides: Partial<Deployment> = {}): Deployment =>
  baseDeployment("anthropic/claude-test", {
    provider: "anthropic",
    model: "claude-test",
    apiKey: "sk-ant-test",
    ...overrides,
  });

const translate = (request: Partial<ChatRequest>, overrides?: Partial<Deployment>) =>
  JSON.parse(
    JSON.stringify(
      toAnthropicRequest(
        { model: "claude", messages: [{ role: "user", content: "hi" }], ...request },
        deployment(overrides),
      ),
    ),
  );

describe("toAnthropicRequest", () => {
  it("uses the deployment model and a max_tokens fallback, dropping OpenAI-only params", () => {
    const body = translate({
      n: 2,
      presence_penalty: 1,
      logprobs: true,
      seed: 7,
    });
    expect(body).toEqual({
      model: "claude-test",
      max_tokens: 4096,
      messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
    });
  });

  it("asks for structured output with a forced tool whose input schema is the one requested", () => {
    const schema = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
    const body = translate({
      response_format: { type: "json_schema", json_schema: { name: "place", schema, strict: true } },
    });
    expect(body.tools).toEqual([
      { name: "json_tool_call", description: "Respond with JSON in this shape.", input_schema: schema },
    ]);
    expect(body.tool_choice).toEqual({ type: "tool", name: "json_tool_call" });
    expect(translate({ response_format: { type: "json_object" } }).tools[0].input_schema).toEqual({
      type: "object",
    });
    // With tools of its own the model may call them first: the JSON tool is offered, not forced.
    const withTools = translate({
      response_format: { type: "json_schema", json_schema: { name: "place", schema } },
      tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }],
    });
    expect(withTools.tools.map((t: { name: string }) => t.name)).toEqual(["lookup", "json_tool_call"]);
    expect(withTools.tool_choice).toBeUndefined();
  });

  it("takes max_completion_tokens, then max_tokens, then the deployment's maxOutputTokens", () => {
    expect(translate({ max_completion_tokens: 10, max_tokens: 20 }).max_tokens).toBe(10);
    expect(translate({ max_tokens: 20 }).max_tokens).toBe(20);
    expect(translate({}, { maxOutputTokens: 30 }).max_tokens).toBe(30);
  });

  it("concatenates system and developer messages into system", () => {
    const body = translate({
      messages: [
        { role: "system", content: "Be brief." },
        { role: "developer", content: [{ type: "text", text: "Use French." }] },
        { role: "user", content: "hi" },
      ],
    });
    expect(body.system).toBe("Be brief.\n\nUse French.");
    expect(body.messages).toEqual([{ role: "user", content: [{ type: "text", text: "hi" }] }]);
  });

  it("translates image parts from data URLs and http URLs", () => {
    const body = translate({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
            { type: "image_url", image_url: { url: "https://example.com/cat.jpg", detail: "high" } },
          ],
        },
      ],
    });
    expect(body.messages[0].content).toEqual([
      { type: "text", text: "What is this?" },
      { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
      { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
    ]);
  });

  it("turns assistant tool_calls into tool_use blocks and merges consecutive tool results", () => {
    const body = translate({
      messages: [
        { role: "user", content: "Weather in Paris and Rome?" },
        {
          role: "assistant",
          content: "Checking.",
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } },
            { id: "call_2", type: "function", function: { name: "weather", arguments: "{not json" } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "18C" },
        { role: "tool", tool_call_id: "call_2", content: [{ type: "text", text: "21C" }] },
        { role: "user", content: "Thanks" },
      ],
    });
    expect(body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Weather in Paris and Rome?" }] },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Checking." },
          { type: "tool_use", id: "call_1", name: "weather", input: { city: "Paris" } },
          { type: "tool_use", id: "call_2", name: "weather", input: {} },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "call_1", content: "18C" },
          { type: "tool_result", tool_use_id: "call_2", content: [{ type: "text", text: "21C" }] },
          { type: "text", text: "Thanks" },
        ],
      },
    ]);
  });

  it("merges consecutive same-role messages and skips empty ones", () => {
    const body = translate({
      messages: [
        { role: "user", content: "one" },
        { role: "user", content: "two" },
        { role: "assistant", content: "" },
        { role: "assistant", content: null, tool_calls: [] },
      ],
    });
    expect(body.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "one" },
          { type: "text", text: "two" },
        ],
      },
    ]);
  });

  it("translates tools, defaulting parameters to an empty object schema", () => {
    const body = translate({
      tools: [
        {
          type: "function",
          function: {
            name: "weather",
            description: "Get weather",
            parameters: { type: "object", properties: { city: { type: "string" } } },
          },
        },
        { type: "function", function: { name: "now" } },
      ],
    });
    expect(body.tools).toEqual([
      {
        name: "weather",
        description: "Get weather",
        input_schema: { type: "object", properties: { city: { type: "string" } } },
      },
      { name: "now", input_schema: { type: "object", properties: {} } },
    ]);
  });

  it("translates every tool_choice", () => {
    expect(translate({ tool_choice: "auto" }).tool_choice).toEqual({ type: "auto" });
    expect(translate({ tool_choice: "required" }).tool_choice).toEqual({ type: "any" });
    expect(translate({ tool_choice: "none" }).tool_choice).toEqual({ type: "none" });
    expect(
      translate({ tool_choice: { type: "function", function: { name: "weather" } } }).tool_choice,
    ).toEqual({
      type: "tool",
      name: "weather",
    });
  });

  it("maps stop, sampling params, user and stream", () => {
    expect(translate({ stop: "END" }).stop_sequences).toEqual(["END"]);
    const body = translate({
      stop: ["a", "b"],
      temperature: 0.2,
      top_p: 0.9,
      user: "u-1",
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(body).toMatchObject({
      stop_sequences: ["a", "b"],
      temperature: 0.2,
      top_p: 0.9,
      metadata: { user_id: "u-1" },
      stream: true,
    });
    expect(body).not.toHaveProperty("stream_options");
    expect(translate({ temperature: null, stop: null, stream: false })).not.toHaveProperty("temperature");
    expect(translate({ stream: false })).not.toHaveProperty("stream");
  });
});
