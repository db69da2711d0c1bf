import { createParser } from "eventsource-parser";
import { SSE_DONE } from "../openai/sse";

const isError = (data: string): boolean => {
  if (!data.includes('"error"')) return false;
  try {
    const event: unknown = JSON.parse(data);
    return event !== null && typeof event === "object" && "error" in event;
  } catch {
    return true;
  }
};

/**
 * Passes an SSE body through untouched while collecting its `data:` payloads, and hands them over
 * only if the stream ended with `[DONE]` (or, for streams that have no `[DONE]`, a payload that
 * `completes`) and no error event: a stream that failed, was cancelled (no flush then) or outgrew
 * `maxChars` is never cached.
 */
export function tapSse(
  body: ReadableStream<Uint8Array>,
  maxChars: number,
  onComplete: (payloads: string[]) => void,
  completes: (payload: string) => boolean = () => false,
): ReadableStream<Uint8Array> {
  const payloads: string[] = [];
  let size = 0;
  let done = false;
  let spoiled = false;
  const decoder = new TextDecoder();
  const parser = createParser({
    onEvent({ data }) {
      if (spoiled) return;
      if (data === SSE_DONE) {
        done = true;
        return;
      }
      size += data.length;
      if (size > maxChars || isError(data)) {
        spoiled = true;
        payloads.length = 0;
        return;
      }
      payloads.push(data);
      if (completes(data)) done = true;
    },
  });
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        controller.enqueue(chunk);
        parser.feed(decoder.decode(chunk, { stream: true }));
      },
      flush() {
        parser.feed(decoder.decode());
        if (done && !spoiled) onComplete(payloads);
      },
    }),
  );
}
