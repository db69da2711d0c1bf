import { describe, expect, it } from "vitest";
import { UpstreamError } from "../../errors";
import type { ChatCompletionChunk } from "../../openai/types";
import { toChatChunkStream } from "./stream";

const body = (events: unknown[]) =>
  new Response(events.map((e) => `data: ${JSON.stringify(e)}\r\n\r\n`).join(""))
    .body as ReadableStream<Uint8Array>;

async function chunks(events: unknown[]): Promise<ChatCompletionChunk[]> {
  const text = await new Response(toChatChunkStream(body(events), "gemini-x", "gemini")).text();
  const frames = text.split("\n\n").filter(Boolean);
  expect(frames.at(-1)).toBe("data: [DONE]");
  return frames.slice(0, -1).map((f) => JSON.parse(f.slice("data: ".length)) as ChatCompletionChunk);
}

describe("Gemini's SSE as OpenAI chunks", () => {
  it("keeps candidates apart and ends each with its own finish reason, then usage", async () => {
    const out = await chunks([
      {
        candidates: [
          { index: 0, content: { parts: [{ text: "A" }] } },
          { index: 1, content: { parts: [{ text: "B" }] } },
        ],
      },
      {
        candidates: [
          { index: 0, content: { parts: [] }, finishReason: "STOP" },
          { index: 1, content: { parts: [] }, finishReason: "SAFETY" },
        ],
        usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 2, thoughtsTokenCount: 1 },
      },
    ]);
    const finishes = out.flatMap((c) => c.choices.filter((ch) => ch.finish_reason !== null));
    expect(finishes.map((f) => [f.index, f.finish_reason])).toEqual([
      [0, "stop"],
      [1, "content_filter"],
    ]);
    expect(out.at(-1)?.usage).toEqual({ prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 });
  });

  it("fails with the upstream's status when the stream carries an error", async () => {
    const stream = toChatChunkStream(
      body([
        { candidates: [{ content: { parts: [{ text: "A" }] } }] },
        { error: { code: 503, message: "overloaded" } },
      ]),
      "m",
      "gemini",
    );
    const error = await new Response(stream).text().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ status: 503, retryable: true });
  });

  it("answers a blocked prompt with content_filter and a refusal", async () => {
    const out = await chunks([
      { promptFeedback: { blockReason: "PROHIBITED_CONTENT" }, usageMetadata: { promptTokenCount: 3 } },
    ]);
    const finish = out.find((c) => c.choices[0]?.finish_reason === "content_filter");
    expect(JSON.stringify(finish)).toContain("PROHIBITED_CONTENT");
  });
});
