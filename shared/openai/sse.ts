import { type EventSourceMessage, EventSourceParserStream } from "eventsource-parser/stream";

export type { EventSourceMessage };

const encoder = new TextEncoder();

/** One server-sent event as bytes; `event` is written only when given (Anthropic names its events). */
export function encodeSse(data: string, event?: string): Uint8Array {
  return encoder.encode(event === undefined ? `data: ${data}\n\n` : `event: ${event}\ndata: ${data}\n\n`);
}

export const SSE_DONE = "[DONE]";

/** Parses a byte stream of server-sent events into messages. */
export function parseSse(body: ReadableStream<Uint8Array>): ReadableStream<EventSourceMessage> {
  // The DOM typings declare TextDecoderStream's input as BufferSource; bytes are what it reads.
  const decoder = new TextDecoderStream() as unknown as ReadableWritablePair<string, Uint8Array>;
  return body.pipeThrough(decoder).pipeThrough(new EventSourceParserStream());
}

export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  connection: "keep-alive",
  // nginx must not buffer a stream, or the client sees nothing until the end.
  "x-accel-buffering": "no",
});
