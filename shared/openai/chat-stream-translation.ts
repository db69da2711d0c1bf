import { parseSse, SSE_DONE } from "./sse";
import type { ChatCompletionChunk } from "./types";

/** What turns chat completion chunks into another API's events, emitting them as it goes. */
export interface ChunkTranslator {
  chunk(chunk: ChatCompletionChunk): void;
  finish(): void;
}

/** OpenAI reports a failure inside a stream as a data line holding an error object. */
function parseChunk(data: string): ChatCompletionChunk {
  const parsed = JSON.parse(data) as ChatCompletionChunk | { error: { message?: string } };
  if ("error" in parsed) throw new Error(parsed.error.message ?? "upstream stream error");
  return parsed;
}

async function drain(reader: ReadableStreamDefaultReader<unknown>): Promise<void> {
  try {
    while (!(await reader.read()).done);
  } catch {
    // The client already has the whole answer.
  }
}

/**
 * Re-encodes an OpenAI chat completion SSE stream through `translator`. A failure of the chat
 * stream is written as `failureEvent(error)` before the stream closes when given, or else fails
 * this stream (whoever reads it reports the error and charges what was used). Cancelling the
 * result cancels `chatSse`, so a client that goes away stops the upstream request.
 */
export function translateChatStream(
  chatSse: ReadableStream<Uint8Array>,
  translator: (emit: (bytes: Uint8Array) => void) => ChunkTranslator,
  failureEvent?: (error: unknown) => Uint8Array,
): ReadableStream<Uint8Array> {
  const reader = parseSse(chatSse).getReader();
  let emitted = 0;
  // A cancel resolves the pending upstream read as done; the closed output must not be written to then.
  let cancelled = false;
  let output: ReadableStreamDefaultController<Uint8Array> | undefined;
  const events = translator((bytes) => {
    emitted++;
    output?.enqueue(bytes);
  });
  const release = (reason: unknown) => reader.cancel(reason).catch(() => undefined);

  return new ReadableStream<Uint8Array>({
    start(controller) {
      output = controller;
    },
    async pull(controller) {
      // A pull that enqueues nothing is not repeated, so chunks that produce no event are skipped.
      const before = emitted;
      try {
        while (emitted === before) {
          const { done, value } = await reader.read();
          if (cancelled) return;
          if (done || value.data === SSE_DONE) {
            events.finish();
            controller.close();
            // Reading to the end instead of cancelling lets the upstream connection finish cleanly.
            if (!done) void drain(reader);
            return;
          }
          events.chunk(parseChunk(value.data));
        }
      } catch (error) {
        if (failureEvent === undefined) {
          controller.error(error);
        } else {
          controller.enqueue(failureEvent(error));
          controller.close();
        }
        await release(error);
      }
    },
    cancel(reason) {
      cancelled = true;
      return release(reason);
    },
  });
}
