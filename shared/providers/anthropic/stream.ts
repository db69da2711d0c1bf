import { UpstreamError } from "../../errors";
import { encodeSse, parseSse, SSE_DONE } from "../../openai/sse";
import type { ChatCompletionChunk, FinishReason } from "../../openai/types";
import { JSON_TOOL } from "./json-tool";
import { toFinishReason, toUsage } from "./response";
import { type AnthropicStreamEvent, type AnthropicUsage, anthropicStreamEventSchema } from "./wire";

type Delta = ChatCompletionChunk["choices"][number]["delta"];

/** HTTP statuses of Anthropic's error types, so a mid-stream error is as retryable as the same HTTP error. */
const ERROR_STATUS = new Map([
  ["invalid_request_error", 400],
  ["authentication_error", 401],
  ["permission_error", 403],
  ["not_found_error", 404],
  ["request_too_large", 413],
  ["rate_limit_error", 429],
  ["api_error", 500],
  ["overloaded_error", 529],
]);

/**
 * Turns an Anthropic Messages event stream into OpenAI chat.completion.chunk events, ending with
 * the finish chunk, a usage-only chunk and `[DONE]`. Cancelling the result cancels `body`.
 * `structured`: the request asked for JSON, whose JSON tool input streams as content.
 */
export function toChatChunkStream(
  body: ReadableStream<Uint8Array>,
  structured = false,
): ReadableStream<Uint8Array> {
  const events = parseSse(body).getReader();
  const translate = createTranslator(structured);
  const release = (reason?: unknown) => events.cancel(reason).catch(() => undefined);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        for (;;) {
          const { done, value } = await events.read();
          if (done) throw new UpstreamError("network", 502, "anthropic: stream ended before message_stop");
          const event = parseEvent(value.data);
          if (event === undefined) continue;
          const chunks = translate(event);
          for (const chunk of chunks) controller.enqueue(encodeSse(JSON.stringify(chunk)));
          if (event.type === "message_stop") {
            controller.enqueue(encodeSse(SSE_DONE));
            controller.close();
            // Reading to the end instead of cancelling lets the upstream connection finish cleanly.
            void drain(events);
            return;
          }
          if (chunks.length > 0) return;
        }
      } catch (error) {
        controller.error(error);
        await release(error);
      }
    },
    cancel: release,
  });
}

async function drain(events: ReadableStreamDefaultReader<unknown>): Promise<void> {
  try {
    while (!(await events.read()).done);
  } catch {
    // Everything the client needed has been delivered already.
  }
}

function parseEvent(data: string): AnthropicStreamEvent | undefined {
  try {
    const parsed = anthropicStreamEventSchema.safeParse(JSON.parse(data));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** A stateful event -> chunks function for one stream; throws an UpstreamError on an `error` event. */
function createTranslator(structured: boolean): (event: AnthropicStreamEvent) => ChatCompletionChunk[] {
  const created = Math.floor(Date.now() / 1000);
  let id = "";
  let model = "";
  let usage: AnthropicUsage = {};
  let stopReason: string | null | undefined;
  // OpenAI numbers tool calls among themselves; Anthropic numbers all content blocks.
  const toolIndexByBlock = new Map<number, number>();
  // The block holding the JSON tool's input, which is the answer's text.
  let answerBlock: number | undefined;

  const chunk = (delta: Delta, finishReason: FinishReason = null): ChatCompletionChunk => ({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });

  return (event) => {
    switch (event.type) {
      case "message_start":
        id = `chatcmpl-${event.message.id}`;
        model = event.message.model;
        usage = event.message.usage;
        return [chunk({ role: "assistant", content: "" })];
      case "content_block_start": {
        const block = event.content_block;
        if (block?.type === "text") return block.text === "" ? [] : [chunk({ content: block.text })];
        if (block?.type !== "tool_use") return [];
        if (structured && block.name === JSON_TOOL) {
          answerBlock = event.index;
          return [];
        }
        const index = toolIndexByBlock.size;
        toolIndexByBlock.set(event.index, index);
        const call = {
          index,
          id: block.id,
          type: "function" as const,
          function: { name: block.name, arguments: "" },
        };
        return [chunk({ tool_calls: [call] })];
      }
      case "content_block_delta": {
        const delta = event.delta;
        if (delta?.type === "text_delta") return [chunk({ content: delta.text })];
        if (delta?.type === "input_json_delta" && event.index === answerBlock) {
          return delta.partial_json === "" ? [] : [chunk({ content: delta.partial_json })];
        }
        const index = toolIndexByBlock.get(event.index);
        if (delta?.type !== "input_json_delta" || index === undefined || delta.partial_json === "") return [];
        return [chunk({ tool_calls: [{ index, function: { arguments: delta.partial_json } }] })];
      }
      case "message_delta":
        stopReason = event.delta.stop_reason;
        // message_delta counts are cumulative and may restate input counts; absent ones keep message_start's.
        usage = {
          input_tokens: event.usage?.input_tokens ?? usage.input_tokens,
          output_tokens: event.usage?.output_tokens ?? usage.output_tokens,
          cache_creation_input_tokens:
            event.usage?.cache_creation_input_tokens ?? usage.cache_creation_input_tokens,
          cache_read_input_tokens: event.usage?.cache_read_input_tokens ?? usage.cache_read_input_tokens,
        };
        return [];
      case "message_stop": {
        const answered =
          answerBlock !== undefined && toolIndexByBlock.size === 0 && stopReason === "tool_use";
        const finish = answered ? "stop" : toFinishReason(stopReason);
        return [chunk({}, finish), { ...chunk({}), choices: [], usage: toUsage(usage) }];
      }
      case "error": {
        const status = ERROR_STATUS.get(event.error?.type ?? "") ?? 500;
        throw new UpstreamError(
          "http",
          status,
          `anthropic stream error: ${event.error?.message ?? "unknown"}`,
        );
      }
    }
  };
}
