import { describe, expect, it } from "vitest";
import type { StreamEnd } from "../openai/stream-observer";
import { observeResponsesStream } from "./observe";
import { encodeEvent, streamOf } from "./sse";
import type { ResponseEvent } from "./types";

const completed: ResponseEvent = {
  type: "response.completed",
  response: {
    id: "resp_1",
    object: "response",
    created_at: 1,
    status: "completed",
    model: "m",
    output: [],
    error: null,
    incomplete_details: null,
    usage: {
      input_tokens: 5,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 3,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 8,
    },
  },
};

async function observe(events: ResponseEvent[]): Promise<{ text: string; end: StreamEnd | undefined }> {
  let end: StreamEnd | undefined;
  const body = observeResponsesStream(streamOf(events.map(encodeEvent)), {
    includeUsage: true,
    onFirstChunk: () => {},
    onEnd: (e) => {
      end = e;
    },
  });
  return { text: await new Response(body).text(), end };
}

describe("observeResponsesStream", () => {
  it("reports the terminal event's usage and the text delivered", async () => {
    const { end } = await observe([
      { type: "response.output_text.delta", delta: "Hel" },
      { type: "response.function_call_arguments.delta", delta: '{"a":1}' },
      completed,
    ]);
    expect(end).toEqual({
      usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
      outcome: "completed",
      delivered: 'Hel{"a":1}',
    });
  });

  it("ends a stream cut before its terminal event with an error event, as failed", async () => {
    const { text, end } = await observe([{ type: "response.output_text.delta", delta: "Hel" }]);
    expect(text).toContain("event: error\n");
    expect(text).toContain('"code":"upstream_stream_error"');
    expect(end).toMatchObject({ usage: undefined, outcome: "failed", delivered: "Hel" });
  });

  it("counts an upstream's error event or failed response as a failure", async () => {
    expect((await observe([{ type: "error", code: "server_error", message: "boom" }])).end?.outcome).toBe(
      "failed",
    );
    const failed = { ...completed, type: "response.failed" };
    expect((await observe([failed])).end?.outcome).toBe("failed");
  });
});
