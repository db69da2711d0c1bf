import { encodeSse } from "../openai/sse";
import type { ResponseEvent } from "./types";

/** One Responses stream event as bytes: OpenAI names each event after its `type`. */
export const encodeEvent = (event: ResponseEvent): Uint8Array => encodeSse(JSON.stringify(event), event.type);

/** Bytes already at hand as a stream (a replayed response). */
export function streamOf(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}
