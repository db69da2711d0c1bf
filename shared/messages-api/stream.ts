import { translateChatStream } from "../openai/chat-stream-translation";
import { encodeSse } from "../openai/sse";
import type { ChatCompletionChunk, FinishReason, Usage } from "../openai/types";
import { type MessagesResponse, toMessageId, toStopReason } from "./from-chat";

type ToolCallDelta = NonNullable<ChatCompletionChunk["choices"][number]["delta"]["tool_calls"]>[number];
type Emit = (event: string, data: object) => void;

/**
 * Turns OpenAI chunks into Anthropic stream events. Anthropic numbers content blocks and allows
 * one open block at a time, so text and each tool call index get their own block in arrival order.
 */
class MessageEvents {
  private started = false;
  private nextIndex = 0;
  private openBlock: { index: number; kind: "text" | "tool" } | undefined;
  private readonly toolBlocks = new Map<number, number>();
  private finishReason: FinishReason = null;
  private usage: Usage | undefined;

  constructor(
    private readonly model: string,
    private readonly emit: Emit,
  ) {}

  chunk(chunk: ChatCompletionChunk): void {
    if (chunk.usage) this.usage = chunk.usage;
    this.start(chunk.id);
    const choice = chunk.choices.find((candidate) => candidate.index === 0);
    if (!choice) return;
    if (choice.delta.content) this.text(choice.delta.content);
    for (const call of choice.delta.tool_calls ?? []) this.toolCall(call);
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
  }

  /** Usage comes after the finish_reason chunk, so the closing events wait for the end of the stream. */
  finish(): void {
    this.start(undefined);
    this.closeBlock();
    this.emit("message_delta", {
      type: "message_delta",
      delta: { stop_reason: toStopReason(this.finishReason), stop_sequence: null },
      usage: {
        output_tokens: this.usage?.completion_tokens ?? 0,
        input_tokens: this.usage?.prompt_tokens ?? 0,
      },
    });
    this.emit("message_stop", { type: "message_stop" });
  }

  /** An upstream that sent no chunk still gets a whole message, under an id of our own. */
  private start(chatId: string | undefined): void {
    if (this.started) return;
    this.started = true;
    const message: MessagesResponse = {
      id: toMessageId(chatId ?? crypto.randomUUID()),
      type: "message",
      role: "assistant",
      model: this.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: this.usage?.prompt_tokens ?? 0, output_tokens: 0 },
    };
    this.emit("message_start", { type: "message_start", message });
  }

  private text(text: string): void {
    const index =
      this.openBlock?.kind === "text"
        ? this.openBlock.index
        : this.openNext("text", { type: "text", text: "" });
    this.emit("content_block_delta", {
      type: "content_block_delta",
      index,
      delta: { type: "text_delta", text },
    });
  }

  private toolCall(call: ToolCallDelta): void {
    // Arguments for a call whose block is closed (servers that interleave calls) still go to its block, not lost.
    let index = this.toolBlocks.get(call.index);
    if (index === undefined) {
      index = this.openNext("tool", {
        type: "tool_use",
        // Some OpenAI-compatible servers omit the id; Anthropic clients need one to answer the call.
        id: call.id ?? `toolu_${crypto.randomUUID().replaceAll("-", "")}`,
        name: call.function?.name ?? "",
        input: {},
      });
      this.toolBlocks.set(call.index, index);
    }
    const partialJson = call.function?.arguments;
    if (partialJson) {
      this.emit("content_block_delta", {
        type: "content_block_delta",
        index,
        delta: { type: "input_json_delta", partial_json: partialJson },
      });
    }
  }

  private openNext(kind: "text" | "tool", contentBlock: object): number {
    this.closeBlock();
    const index = this.nextIndex++;
    this.openBlock = { index, kind };
    this.emit("content_block_start", { type: "content_block_start", index, content_block: contentBlock });
    return index;
  }

  private closeBlock(): void {
    if (this.openBlock === undefined) return;
    this.emit("content_block_stop", { type: "content_block_stop", index: this.openBlock.index });
    this.openBlock = undefined;
  }
}

const errorEvent = (error: unknown): Uint8Array =>
  encodeSse(
    JSON.stringify({
      type: "error",
      error: { type: "api_error", message: error instanceof Error ? error.message : String(error) },
    }),
    "error",
  );

/**
 * Re-encodes an OpenAI chat completion SSE stream as an Anthropic Messages SSE stream. Cancelling
 * the result cancels `openaiSse`, so a client that goes away stops the upstream request.
 */
export function chatStreamToMessages(
  openaiSse: ReadableStream<Uint8Array>,
  model: string,
): ReadableStream<Uint8Array> {
  return translateChatStream(
    openaiSse,
    (emit) => new MessageEvents(model, (event, data) => emit(encodeSse(JSON.stringify(data), event))),
    errorEvent,
  );
}
