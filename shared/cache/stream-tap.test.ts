import { describe, expect, it } from "vitest";
import { tapSse } from "./stream-tap";

const encoder = new TextEncoder();

function source(
  frames: string[],
  end: "close" | "error" | "hang" = "close",
  onCancel?: (reason: unknown) => void,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    cancel: onCancel,
    start(controller) {
      // Split mid-frame so the tap must reassemble events across chunks.
      const bytes = encoder.encode(frames.join(""));
      controller.enqueue(bytes.slice(0, 7));
      controller.enqueue(bytes.slice(7));
      if (end === "close") controller.close();
      if (end === "error") controller.error(new Error("upstream reset"));
    },
  });
}

function tap(frames: string[], end?: "close" | "error" | "hang", maxChars = 1_000) {
  const stored: string[][] = [];
  const cancelled: unknown[] = [];
  const upstream = source(frames, end, (reason) => cancelled.push(reason));
  const body = tapSse(upstream, maxChars, (payloads) => stored.push(payloads));
  return { body, stored, cancelled };
}

const ok = ['data: {"a":1}\n\n', 'data: {"b":2}\n\n', "data: [DONE]\n\n"];

describe("tapSse", () => {
  it("passes the bytes through untouched and hands over the payloads of a completed stream", async () => {
    const { body, stored } = tap(ok);
    expect(await new Response(body).text()).toBe(ok.join(""));
    expect(stored).toEqual([['{"a":1}', '{"b":2}']]);
  });

  it("keeps nothing from a stream without [DONE], with an error event, or too large", async () => {
    for (const run of [
      tap(ok.slice(0, 2)),
      tap(['data: {"a":1}\n\n', 'data: {"error":{"message":"boom"}}\n\n', "data: [DONE]\n\n"]),
      tap(ok, "close", 10),
    ]) {
      await new Response(run.body).text();
      expect(run.stored).toEqual([]);
    }
  });

  it("keeps nothing from a stream that failed or was cancelled, and passes the cancel upstream", async () => {
    const failed = tap(ok, "error");
    await expect(new Response(failed.body).text()).rejects.toThrow("upstream reset");
    expect(failed.stored).toEqual([]);

    const cancelled = tap(ok, "hang");
    const reader = cancelled.body.getReader();
    await reader.read();
    await reader.cancel("client left");
    expect(cancelled.stored).toEqual([]);
    // The pipe passes the cancel on asynchronously.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(cancelled.cancelled).toEqual(["client left"]);
  });
});
