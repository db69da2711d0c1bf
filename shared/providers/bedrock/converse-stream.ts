import { UpstreamError } from "../../errors";
import { encodeSse, SSE_DONE } from "../../openai/sse";
import type { ChatCompletionChunk } from "../../openai/types";
import { chatId, toFinishReason, toUsage } from "./converse-response";
import { type ConverseStreamEvent, type ConverseUsage, converseStreamEventSchema } from "./wire";

type Delta = ChatCompletionChunk["choices"][number]["delta"];

/**
 * Turns ConverseStream's events (decoded from Bedrock's binary event stream by the AWS SDK) into
 * OpenAI chunks. Converse sends usage in a `metadata` event after `messageStop`, so the finish
 * chunk waits for it; the stream ends with the finish chunk, a usage-only chunk and `[DONE]`.
 * Whatever the events throw (an exception event, a dropped connection) is mapped by `fail`.
 * Cancelling the result ends the iteration, which closes the upstream connection.
 */
export function toChatChunkStream(
  events: AsyncIterable<unknown>,
  model: string,
  fail: (error: unknown) => Error,
): ReadableStream<Uint8Array> {
  const iterator = events[Symbol.asyncIterator]();
  const translate = createTranslator(model);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        for (;;) {
          const { done, value } = await iterator.next();
          const chunks = done ? translate.end() : translate.next(parseEvent(value));
          for (const chunk of chunks) controller.enqueue(encodeSse(JSON.stringify(chunk)));
          if (done) {
            controller.enqueue(encodeSse(SSE_DONE));
            controller.close();
            return;
          }
          if (chunks.length > 0) return;
        }
      } catch (error) {
        controller.error(fail(error));
        await iterator.return?.().catch(() => undefined);
      }
    },
    async cancel() {
      await iterator.return?.().catch(() => undefined);
    },
  });
}

function parseEvent(value: unknown): ConverseStreamEvent {
  const parsed = converseStreamEventSchema.safeParse(value);
  return parsed.success ? parsed.data : {};
}

function createTranslator(model: string) {
  const created = Math.floor(Date.now() / 1000);
  const id = chatId(undefined);
  let stopReason: string | null | undefined;
  let usage: ConverseUsage | null | undefined;
  // OpenAI numbers tool calls among themselves; Converse numbers all content blocks.
  const toolIndexByBlock = new Map<number, number>();

  const chunk = (delta: Delta, finish: ChatCompletionChunk["choices"][number]["finish_reason"] = null) => ({
    id,
    object: "chat.completion.chunk" as const,
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });

  const next = (event: ConverseStreamEvent): ChatCompletionChunk[] => {
    if (event.messageStart) return [chunk({ role: "assistant", content: "" })];
    const start = event.contentBlockStart;
    if (start?.start) {
      const index = toolIndexByBlock.size;
      toolIndexByBlock.set(start.contentBlockIndex, index);
      const { toolUseId, name } = start.start.toolUse;
      return [
        chunk({
          tool_calls: [{ index, id: toolUseId, type: "function", function: { name, arguments: "" } }],
        }),
      ];
    }
    const delta = event.contentBlockDelta;
    if (delta?.delta) {
      if ("text" in delta.delta) return delta.delta.text === "" ? [] : [chunk({ content: delta.delta.text })];
      const index = toolIndexByBlock.get(delta.contentBlockIndex);
      if (index === undefined || delta.delta.toolUse.input === "") return [];
      return [chunk({ tool_calls: [{ index, function: { arguments: delta.delta.toolUse.input } }] })];
    }
    if (event.messageStop) stopReason = event.messageStop.stopReason ?? "end_turn";
    if (event.metadata) usage = event.metadata.usage;
    return [];
  };

  const end = (): ChatCompletionChunk[] => {
    if (stopReason === undefined)
      throw new UpstreamError("network", 502, "bedrock: stream ended before messageStop");
    return [chunk({}, toFinishReason(stopReason)), { ...chunk({}), choices: [], usage: toUsage(usage) }];
  };

  return { next, end };
}
