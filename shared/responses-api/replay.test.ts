import { describe, expect, it } from "vitest";
import { eventsOfResponse, responseOfEvents } from "./replay";
import type { ResponseObject } from "./types";

const response: ResponseObject = {
  id: "resp_1",
  object: "response",
  created_at: 1,
  status: "completed",
  model: "m",
  output: [
    {
      type: "message",
      id: "msg_1",
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: "Calling.", annotations: [] }],
    },
    { type: "function_call", id: "fc_1", call_id: "c1", name: "f", arguments: "{}", status: "completed" },
  ],
  error: null,
  incomplete_details: null,
  usage: null,
};

describe("cached responses replayed", () => {
  it("as a stream whose events add back up to the response", () => {
    const events = eventsOfResponse(response);
    expect(events[0]).toMatchObject({
      type: "response.created",
      response: { status: "in_progress", output: [] },
    });
    expect(events.filter((e) => e.type === "response.output_text.delta")).toMatchObject([
      { delta: "Calling." },
    ]);
    expect(events.filter((e) => e.type === "response.function_call_arguments.delta")).toMatchObject([
      { delta: "{}", output_index: 1 },
    ]);
    expect(responseOfEvents(events.map((e) => JSON.stringify(e)))).toEqual(response);
  });

  it("ends with the terminal event its status names", () => {
    const incomplete = { ...response, status: "incomplete" as const };
    expect(eventsOfResponse(incomplete).at(-1)?.type).toBe("response.incomplete");
  });
});
