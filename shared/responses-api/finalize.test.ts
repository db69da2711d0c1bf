import { describe, expect, it } from "vitest";
import { finalizeStream } from "./finalize";
import { parseResponsesRequest } from "./schema";
import { encodeEvent, streamOf } from "./sse";
import type { ResponseEvent, ResponseObject } from "./types";

const upstreamResponse = (status: ResponseObject["status"]): ResponseObject => ({
  id: "resp_upstream",
  object: "response",
  created_at: 1,
  status,
  model: "gpt-real-2025",
  output: [],
  error: null,
  incomplete_details: null,
  store: false,
  reasoning: { effort: "low" },
});

const echo = {
  id: "resp_gateway",
  createdAt: 1_700_000_000,
  request: parseResponsesRequest({
    model: "gpt",
    input: "hi",
    instructions: "Be brief.",
    metadata: { app: "t" },
    previous_response_id: "resp_before",
  }),
  store: true,
};

async function events(body: ReadableStream<Uint8Array>): Promise<ResponseEvent[]> {
  const text = await new Response(body).text();
  return text
    .split("\n\n")
    .filter((frame) => frame !== "")
    .map((frame) => {
      const [eventLine, dataLine] = frame.split("\n");
      const event = JSON.parse(dataLine?.slice("data: ".length) ?? "") as ResponseEvent;
      expect(eventLine).toBe(`event: ${event.type}`);
      return event;
    });
}

describe("finalizeStream", () => {
  it("stamps every response with the gateway's id and the request's echo, and numbers events from 0", async () => {
    const body = streamOf(
      [
        { type: "response.created", sequence_number: 7, response: upstreamResponse("in_progress") },
        { type: "response.output_text.delta", sequence_number: 9, delta: "Hi" },
        { type: "response.completed", sequence_number: 12, response: upstreamResponse("completed") },
      ].map(encodeEvent),
    );
    const out = await events(finalizeStream(body, echo, async () => {}));
    expect(out.map((e) => e.sequence_number)).toEqual([0, 1, 2]);
    for (const event of [out[0], out[2]]) {
      expect(event?.response).toMatchObject({
        id: "resp_gateway",
        created_at: 1_700_000_000,
        model: "gpt",
        instructions: "Be brief.",
        metadata: { app: "t" },
        previous_response_id: "resp_before",
        store: true,
        // Only the upstream knows these.
        reasoning: { effort: "low" },
      });
    }
    expect(out[2]?.response?.status).toBe("completed");
  });

  it("hands over the finished response before the client hears it finished", async () => {
    const order: string[] = [];
    const body = streamOf(
      [
        { type: "response.created", response: upstreamResponse("in_progress") },
        { type: "response.completed", response: upstreamResponse("completed") },
      ].map(encodeEvent),
    );
    const stream = finalizeStream(body, echo, async (response) => {
      // A store that takes a while (a round trip to Redis): the terminal event waits for it.
      await new Promise((resolve) => setTimeout(resolve, 10));
      order.push(`stored ${response.id}`);
    });
    for (const event of await events(stream)) order.push(event.type);
    expect(order).toEqual(["stored resp_gateway", "response.created", "response.completed"]);
  });

  it("keeps no failed response", async () => {
    const stored: ResponseObject[] = [];
    const body = streamOf([encodeEvent({ type: "response.failed", response: upstreamResponse("failed") })]);
    await events(finalizeStream(body, echo, async (response) => void stored.push(response)));
    expect(stored).toEqual([]);
  });
});
