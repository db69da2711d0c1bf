import { describe, expect, it } from "vitest";
import { GatewayError } from "../errors";
import { parseMessagesRequest } from "./schema";

const valid = { model: "claude-sonnet", max_tokens: 100, messages: [{ role: "user", content: "hi" }] };

function rejection(body: unknown): GatewayError {
  try {
    parseMessagesRequest(body);
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error("expected the body to be rejected");
}

describe("parseMessagesRequest", () => {
  it("accepts a full request and keeps unknown fields", () => {
    const body = {
      ...valid,
      system: [{ type: "text", text: "be brief", cache_control: { type: "ephemeral" } }],
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "look" },
            { type: "image", source: { type: "url", url: "u" } },
          ],
        },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "hmm", signature: "sig" },
            { type: "redacted_thinking", data: "x" },
            { type: "tool_use", id: "t1", name: "get", input: { a: 1 } },
          ],
        },
        {
          role: "user",
          content: [
            {
              type: "tool_result",
              tool_use_id: "t1",
              content: [{ type: "text", text: "ok" }],
              is_error: false,
            },
          ],
        },
      ],
      tools: [{ name: "get", input_schema: { type: "object" } }],
      tool_choice: { type: "tool", name: "get" },
      stop_sequences: ["END"],
      temperature: 0.5,
      top_p: 0.9,
      top_k: 5,
      stream: true,
      metadata: { user_id: "u1" },
      thinking: { type: "enabled", budget_tokens: 1024 },
    };
    const parsed = parseMessagesRequest(body);
    expect(parsed.thinking).toEqual({ type: "enabled", budget_tokens: 1024 });
    expect(parsed.system).toEqual(body.system);
    expect(parsed.messages).toHaveLength(3);
  });

  it("names a content that is neither string nor array", () => {
    const error = rejection({ ...valid, messages: [{ role: "user", content: 5 }] });
    expect(error.status).toBe(400);
    expect(error.type).toBe("invalid_request_error");
    expect(error.param).toBe("messages[0].content");
    expect(error.message).toBe("messages[0].content: expected string or array of content blocks");
  });

  it("reports missing required fields, every issue joined", () => {
    const error = rejection({ model: "m", messages: [] });
    expect(error.message).toBe("max_tokens: required; messages: Too small: expected array to have >=1 items");
    expect(error.param).toBe("max_tokens");
  });

  it("looks inside a content array for the failing block", () => {
    const error = rejection({
      ...valid,
      messages: [{ role: "user", content: [{ type: "text", text: "a" }, { type: "text" }] }],
    });
    expect(error.message).toBe("messages[0].content[1].text: required");
    expect(error.param).toBe("messages[0].content[1].text");
  });

  it("rejects an unknown content block type", () => {
    const error = rejection({ ...valid, messages: [{ role: "user", content: [{ type: "document" }] }] });
    expect(error.param).toBe("messages[0].content[0].type");
    expect(error.message).toContain('expected content block type "text", "image"');
  });

  it("rejects a bad image source and a bad tool result", () => {
    const error = rejection({
      ...valid,
      messages: [
        {
          role: "user",
          content: [
            { type: "image", source: { type: "file", file_id: "f" } },
            { type: "tool_result", tool_use_id: "t", content: 3 },
          ],
        },
      ],
    });
    expect(error.message).toBe(
      'messages[0].content[0].source.type: expected image source type "base64" or "url"; ' +
        "messages[0].content[1].content: expected string or array of text and image blocks",
    );
  });

  it("checks role, max_tokens, temperature and tool_choice", () => {
    const error = rejection({
      model: "m",
      max_tokens: 1.5,
      messages: [{ role: "system", content: "x" }],
      temperature: 1.5,
      tool_choice: { type: "tool" },
    });
    expect(error.message.split("; ").sort()).toEqual([
      "max_tokens: Invalid input: expected int, received number",
      'messages[0].role: Invalid option: expected one of "user"|"assistant"',
      "temperature: Too big: expected number to be <=1",
      "tool_choice.name: required",
    ]);
    expect(error.param).toBe("max_tokens");
  });

  it("rejects an unknown tool_choice type and a tool without input_schema", () => {
    const error = rejection({ ...valid, tools: [{ name: "t" }], tool_choice: { type: "sometimes" } });
    expect(error.message).toBe(
      'tools[0].input_schema: required; tool_choice.type: expected tool_choice type "auto", "any", "tool" or "none"',
    );
  });

  it("rejects a body that is not an object without naming a param", () => {
    const error = rejection("hello");
    expect(error.param).toBeNull();
    expect(error.message).toBe("Invalid input: expected object, received string");
  });
});
