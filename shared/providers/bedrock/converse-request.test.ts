import { describe, expect, it } from "vitest";
import { GatewayError } from "../../errors";
import { toConverseInput } from "./converse-request";

const tools = [{ type: "function" as const, function: { name: "f", parameters: { type: "object" } } }];

describe("toConverseInput", () => {
  it("merges adjacent turns, skips blank text and sends images and PDFs as bytes", () => {
    const input = toConverseInput({
      model: "m",
      messages: [
        { role: "user", content: "  " },
        { role: "user", content: [{ type: "image_url", image_url: { url: "data:image/jpeg;base64,AAEC" } }] },
        {
          role: "user",
          content: [{ type: "file", file: { file_data: "data:application/pdf;base64,JVBE" } }],
        },
      ],
    });
    const [turn] = input.messages as {
      role: string;
      content: Record<string, { format: string; source: { bytes: Uint8Array } }>[];
    }[];
    expect(input.messages).toHaveLength(1);
    expect(turn?.content[0]?.image?.format).toBe("jpeg");
    expect([...(turn?.content[0]?.image?.source.bytes ?? [])]).toEqual([0, 1, 2]);
    expect(turn?.content[1]?.document).toMatchObject({ format: "pdf", name: "document 2 0" });
  });

  it("leaves tools out for tool_choice none, unless the conversation already holds tool calls", () => {
    expect(
      toConverseInput({ model: "m", messages: [{ role: "user", content: "hi" }], tools, tool_choice: "none" })
        .toolConfig,
    ).toBeUndefined();
    const withHistory = toConverseInput({
      model: "m",
      messages: [
        { role: "user", content: "hi" },
        {
          role: "assistant",
          tool_calls: [{ id: "t1", type: "function", function: { name: "f", arguments: "{" } }],
        },
        { role: "tool", tool_call_id: "t1", content: "" },
      ],
      tools,
      tool_choice: "none",
    });
    expect(withHistory.toolConfig).toMatchObject({ tools: [{ toolSpec: { name: "f" } }] });
    // Broken argument JSON becomes {}, an empty tool result a single space (Converse refuses blanks).
    expect(withHistory.messages).toMatchObject([
      {},
      { content: [{ toolUse: { input: {} } }] },
      { content: [{ toolResult: { content: [{ text: " " }] } }] },
    ]);
  });

  it("refuses what Converse cannot take, naming the field", () => {
    const refused = (content: unknown) => {
      try {
        toConverseInput({ model: "m", messages: [{ role: "user", content: content as never }] });
      } catch (error) {
        return error as GatewayError;
      }
      throw new Error("expected a refusal");
    };
    expect(refused([{ type: "image_url", image_url: { url: "https://example.com/a.png" } }])).toMatchObject({
      status: 400,
      param: "messages[0].content[0].image_url",
    });
    expect(refused([{ type: "image_url", image_url: { url: "data:image/bmp;base64,AA" } }]).param).toBe(
      "messages[0].content[0].image_url",
    );
    expect(refused([{ type: "input_audio", input_audio: {} }])).toBeInstanceOf(GatewayError);
  });
});
