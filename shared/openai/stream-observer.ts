import { generatedText, parseAnswer } from "./generated-text";
import { encodeSse, parseSse, SSE_DONE } from "./sse";
import type { Usage } from "./types";
import { usageFrom } from "./usage";

/** `cancelled`: the client went away, which says nothing about the upstream's health. */
export type StreamOutcome = "completed" | "failed" | "cancelled";

export interface StreamEnd {
  /** The usage the upstream reported, if the stream got that far. */
  readonly usage: Usage | undefined;
  readonly outcome: StreamOutcome;
  /** The generated text forwarded to the client (content, tool calls, completions' text). */
  readonly delivered: string;
}

export interface StreamHooks {
  /** Forward the usage-only chunk to the client (it asked with `stream_options.include_usage`). */
  readonly includeUsage: boolean;
  readonly onFirstChunk: () => void;
  /**
   * Called once, however the stream ends; the stream closes (or its cancel settles) only after what
   * it returns, so whatever wraps the stream sees the request fully accounted for.
   */
  readonly onEnd: (end: StreamEnd) => void | Promise<void>;
}

/**
 * Watches an OpenAI SSE stream on its way to the client: notes the first chunk (time to first
 * token), the usage and the text delivered (what a stream cut short is charged on), drops the
 * usage-only chunk the client did not ask for, and turns an upstream failure mid-stream into a
 * final `data: {"error":...}` event (what OpenAI SDKs raise on) instead of a silently truncated
 * response. Chunk JSON is forwarded as written, not re-serialised.
 */
export function observeStream(
  upstream: ReadableStream<Uint8Array>,
  hooks: StreamHooks,
): ReadableStream<Uint8Array> {
  const reader = parseSse(upstream).getReader();
  const delivered: string[] = [];
  let first = true;
  let usage: Usage | undefined;
  let ended: Promise<void> | undefined;
  const end = (outcome: StreamOutcome): Promise<void> => {
    ended ??= Promise.resolve(hooks.onEnd({ usage, outcome, delivered: delivered.join("") }));
    return ended;
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) {
            await end("completed");
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
          const chunk = parseAnswer(value.data);
          if (chunk?.usage) {
            usage = usageFrom(chunk.usage) ?? usage;
            if (!hooks.includeUsage && chunk.choices?.length === 0) continue;
          }
          controller.enqueue(encodeSse(value.data));
          if (chunk !== undefined) generatedText(chunk, delivered);
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
        await end("failed");
        controller.close();
      }
    },
    async cancel(reason) {
      await Promise.all([end("cancelled"), reader.cancel(reason)]);
    },
  });
}
