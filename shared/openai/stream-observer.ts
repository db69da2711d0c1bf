import { encodeSse, parseSse, SSE_DONE } from "./sse";
import type { Usage } from "./types";

/** `cancelled`: the client went away, which says nothing about the upstream's health. */
export type StreamOutcome = "completed" | "failed" | "cancelled";

export interface StreamHooks {
  /** Forward the usage-only chunk to the client (it asked with `stream_options.include_usage`). */
  readonly includeUsage: boolean;
  readonly onFirstChunk: () => void;
  /** Called once: with the usage seen (if any) and how the stream ended. */
  readonly onEnd: (usage: Usage | undefined, outcome: StreamOutcome) => void;
}

/**
 * Watches an OpenAI SSE stream on its way to the client: notes the first chunk (time to first
 * token) and the usage, drops the usage-only chunk the client did not ask for, and turns an
 * upstream failure mid-stream into a final `data: {"error":...}` event (what OpenAI SDKs raise on)
 * instead of a silently truncated response. Chunk JSON is forwarded as written, not re-serialised.
 */
export function observeStream(
  upstream: ReadableStream<Uint8Array>,
  hooks: StreamHooks,
): ReadableStream<Uint8Array> {
  const reader = parseSse(upstream).getReader();
  let first = true;
  let usage: Usage | undefined;
  let ended = false;
  const end = (outcome: StreamOutcome) => {
    if (ended) return;
    ended = true;
    hooks.onEnd(usage, outcome);
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) {
            end("completed");
            controller.close();
            return;
          }
          if (value.data === SSE_DONE) {
            controller.enqueue(encodeSse(SSE_DONE));
            continue;
          }
          if (first) {
            first = false;
            hooks.onFirstChunk();
          }
          if (value.data.includes('"usage"')) {
            const chunk = JSON.parse(value.data) as { usage?: Usage | null; choices?: unknown[] };
            if (chunk.usage) usage = chunk.usage;
            if (!hooks.includeUsage && chunk.usage && chunk.choices?.length === 0) continue;
          }
          controller.enqueue(encodeSse(value.data));
          return;
        }
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const body = {
          error: {
            message: `upstream stream failed: ${message}`,
            type: "api_error",
            param: null,
            code: "upstream_stream_error",
          },
        };
        controller.enqueue(encodeSse(JSON.stringify(body)));
        end("failed");
        controller.close();
      }
    },
    cancel(reason) {
      end("cancelled");
      return reader.cancel(reason);
    },
  });
}
