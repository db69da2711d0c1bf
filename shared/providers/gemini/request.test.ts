import { describe, expect, it } from "vitest";
import { GatewayError } from "../../errors";
import { toGeminiRequest } from "./request";

describe("toGeminiRequest", () => {
  it("maps sampling parameters to generationConfig and a JSON schema response format", () => {
    const body = toGeminiRequest({
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 10,
      temperature: 0.5,
      top_p: 0.9,
      n: 2,
      seed: 7,
      response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object" } } },
    });
    expect(body.generationConfig).toEqual({
      maxOutputTokens: 10,
      temperature: 0.5,
      topP: 0.9,
      candidateCount: 2,
      seed: 7,
      responseMimeType: "application/json",
      responseJsonSchema: { type: "object" },
    });
  });

  it("lets Gemini fetch https and gs:// media itself, typed by extension, and refuses other URLs", () => {
    const body = toGeminiRequest({
      model: "m",
      messages: [
        {
          role: "user",
          content: [
            { type: "image_url", image_url: { url: "gs://bucket/cat.JPG" } },
            { type: "file", file: { file_data: "https://example.com/paper.pdf?v=2" } },
          ],
        },
      ],
    });
    expect((body.contents as { parts: unknown[] }[])[0]?.parts).toEqual([
      { fileData: { mimeType: "image/jpeg", fileUri: "gs://bucket/cat.JPG" } },
      { fileData: { mimeType: "application/pdf", fileUri: "https://example.com/paper.pdf?v=2" } },
    ]);
    for (const url of ["http://example.com/a.png", "https://example.com/image", "file:///etc/passwd.png"]) {
      expect(() =>
        toGeminiRequest({
          model: "m",
          messages: [{ role: "user", content: [{ type: "image_url", image_url: { url } }] }],
        }),
      ).toThrow(GatewayError);
    }
  });

  it("refuses a tool result for a call the conversation never made, naming the field", () => {
    try {
      toGeminiRequest({ model: "m", messages: [{ role: "tool", tool_call_id: "nope", content: "1" }] });
      throw new Error("expected a refusal");
    } catch (error) {
      expect(error).toMatchObject({ status: 400, param: "messages[0].tool_call_id" });
    }
  });

  it("says NONE for tool_choice none and omits empty objects", () => {
    const body = toGeminiRequest({
      model: "m",
      messages: [
        { role: "developer", content: "rules" },
        { role: "user", content: "hi" },
      ],
      tools: [{ type: "function", function: { name: "f" } }],
      tool_choice: "none",
    });
    expect(body.toolConfig).toEqual({ functionCallingConfig: { mode: "NONE" } });
    expect(body.systemInstruction).toEqual({ parts: [{ text: "rules" }] });
    expect(body.generationConfig).toBeUndefined();
  });
});
