import { describe, expect, it } from "vitest";
import { encodeSse } from "./sse";
import { observeStream, type StreamEnd } from "./stream-observer";

/** An upstream stream of these chunks that then stays open (the usage chunk has not come yet). */
function openUpstream(chunks: readonly object[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encodeSse(JSON.stringify(chunk)));
    },
  });
}

/** Reads `count` chunks as a client would, then leaves; resolves to how the stream was seen to end. */
async function readThenLeave(chunks: readonly object[]): Promise<StreamEnd> {
  let ended: StreamEnd | undefined;
  const body = observeStream(openUpstream(chunks), {
    includeUsage: false,
    onFirstChunk: () => {},
    onEnd: (end) => {
      ended = end;
    },
  });
  const reader = body.getReader();
  for (let i = 0; i < chunks.length; i++) await reader.read();
  await reader.cancel();
  if (ended === undefined) throw new Error("onEnd was not called");
  return ended;
}

const delta = (d: object) => ({ choices: [{ index: 0, delta: d, finish_reason: null }] });

describe("observeStream: what a stream cut short delivered", () => {
  it("counts content, tool calls and legacy function calls alike", async () => {
    const end = await readThenLeave([
      delta({ role: "assistant", content: "Hello " }),
      delta({ tool_calls: [{ index: 0, function: { name: "lookup", arguments: '{"q":' } }] }),
      delta({ function_call: { name: "legacy", arguments: '{"long":"' } }),
      delta({ function_call: { arguments: 'payload"}' } }),
    ]);
    expect(end.outcome).toBe("cancelled");
    expect(end.usage).toBeUndefined();
    for (const text of ["Hello ", "lookup", '{"q":', "legacy", '{"long":"', 'payload"}']) {
      expect(end.delivered).toContain(text);
    }
  });
});
