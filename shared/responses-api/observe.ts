import { encodeSse, parseSse } from "../openai/sse";
import type { StreamHooks, StreamOutcome } from "../openai/stream-observer";
import type { Usage } from "../openai/types";
import { toChatUsage } from "./from-chat";
import { encodeEvent } from "./sse";
import { type ResponseEvent, TERMINAL_EVENTS } from "./types";

/** Events whose `delta` is generated output: what a stream cut short is charged for. */
const GENERATED = new Set([
  "response.output_text.delta",
  "response.refusal.delta",
  "response.function_call_arguments.delta",
  "response.custom_tool_call_input.delta",
  "response.reasoning_text.delta",
  "response.reasoning_summary_text.delta",
]);

function parseEvent(data: string): ResponseEvent | undefined {
  try {
    const parsed: unknown = JSON.parse(data);
    return parsed !== null && typeof parsed === "object" ? (parsed as ResponseEvent) : undefined;
  } catch {
    return undefined;
  }
}

const errorEvent = (message: string): Uint8Array =>
  encodeEvent({ type: "error", code: "upstream_stream_error", message, param: null });

/**
 * Watches a Responses SSE stream on its way to the client, as `observeStream` does for chat
 * completions: the first event (time to first token), the usage of the terminal event, and the
 * text delivered (what a stream cut short is charged on). A stream that breaks, or ends before a
 * terminal event, gets a final `error` event (what the OpenAI SDKs raise on) instead of stopping
 * silently. Events are forwarded as written, not re-serialised.
 */
export function observeResponsesStream(
  upstream: ReadableStream<Uint8Array>,
  hooks: StreamHooks,
): ReadableStream<Uint8Array> {
  const reader = parseSse(upstream).getReader();
  const delivered: string[] = [];
  let first = true;
  let usage: Usage | undefined;
  let outcome: StreamOutcome | undefined;
  let ended: Promise<void> | undefined;
  const end = (how: StreamOutcome): Promise<void> => {
    ended ??= Promise.resolve(hooks.onEnd({ usage, outcome: how, delivered: delivered.join("") }));
    return ended;
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await reader.read();
        if (done) {
          if (outcome === undefined) {
            controller.enqueue(errorEvent("upstream stream ended before the response completed"));
          }
          await end(outcome ?? "failed");
          controller.close();
          return;
        }
        if (first) {
          first = false;
          hooks.onFirstChunk();
        }
        const event = parseEvent(value.data);
        const type = event?.type ?? value.event;
        if (event !== undefined && type !== undefined) {
          if (GENERATED.has(type) && typeof event.delta === "string") delivered.push(event.delta);
          if (TERMINAL_EVENTS.has(type)) {
            usage = toChatUsage(event.response?.usage) ?? usage;
            outcome = type === "response.failed" ? "failed" : "completed";
          }
          if (type === "error") outcome = "failed";
        }
        controller.enqueue(encodeSse(value.data, type));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        controller.enqueue(errorEvent(`upstream stream failed: ${message}`));
        await end("failed");
        controller.close();
      }
    },
    async cancel(reason) {
      await Promise.all([end("cancelled"), reader.cancel(reason)]);
    },
  });
}
