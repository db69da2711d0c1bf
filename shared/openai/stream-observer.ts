import { type AnswerShape, generatedText, parseAnswer } from "./generated-text";
import { encodeSse, parseSse, SSE_DONE } from "./sse";
import type { Usage } from "./types";
import { usageFrom } from "./usage";

/**
 * How long a stream whose answer is complete waits for the upstream's usage after the client has
 * left: usage follows the last content chunk at once, and it holds what the delivered text cannot
 * (a reasoning model's hidden tokens, cached prompt tokens).
 */
export const USAGE_GRACE_MS = 1_000;

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
   * Called once every choice has its `finish_reason`: all the upstream still has to send is its
   * usage, so a client leaving now need not cut it off (see USAGE_GRACE_MS).
   */
  readonly onAnswered?: () => void;
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
  // Choices seen, and those finished: the answer is complete once every one has finished.
  const choices = new Set<number>();
  const finished = new Set<number>();
  let answered = false;
  const noteFinished = (chunk: AnswerShape) => {
    for (const choice of chunk.choices ?? []) {
      const index = typeof choice.index === "number" ? choice.index : 0;
      choices.add(index);
      if (typeof choice.finish_reason === "string") finished.add(index);
    }
    if (!answered && finished.size > 0 && finished.size === choices.size) {
      answered = true;
      hooks.onAnswered?.();
    }
  };
  /** After the client left a complete answer: reads on until the usage, the end, or the grace. */
  const awaitUsage = async (): Promise<void> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), USAGE_GRACE_MS);
    });
    try {
      for (;;) {
        const next = await Promise.race([reader.read(), grace]);
        if (next === undefined || next.done) return;
        const found = next.value.data === SSE_DONE ? undefined : parseAnswer(next.value.data)?.usage;
        usage = usageFrom(found) ?? usage;
        if (usage !== undefined) return;
      }
    } catch {
      // The upstream ended it first (a Worker cuts it when the client leaves): counted instead.
    } finally {
      clearTimeout(timer);
    }
  };
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
          if (chunk !== undefined) noteFinished(chunk);
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
      if (answered && usage === undefined) await awaitUsage();
      await Promise.all([end("cancelled"), reader.cancel(reason)]);
    },
  });
}
