import { translateChatStream } from "../openai/chat-stream-translation";
import type { ChatCompletionChunk, FinishReason, Usage } from "../openai/types";
import { emptyResponse, statusOf, toResponsesUsage } from "./from-chat";
import { newId } from "./items";
import { encodeEvent } from "./sse";
import type {
  FunctionCall,
  OutputMessage,
  OutputText,
  Refusal,
  ResponseEvent,
  ResponseObject,
} from "./types";

type ToolCallDelta = NonNullable<ChatCompletionChunk["choices"][number]["delta"]["tool_calls"]>[number];
type Emit = (event: ResponseEvent) => void;
type PartKind = "output_text" | "refusal";

/**
 * Turns OpenAI chat chunks into Responses stream events. Text and each tool call become output
 * items in arrival order; one item is open at a time, and each is closed (its `…done` events)
 * before the next opens, as OpenAI streams them.
 */
class ResponseEvents {
  private readonly response: ResponseObject = emptyResponse();
  private started = false;
  private open: { index: number; item: OutputMessage | FunctionCall } | undefined;
  private readonly calls = new Map<number, { index: number; item: FunctionCall }>();
  private finishReason: FinishReason = null;
  private usage: Usage | undefined;

  constructor(private readonly emit: Emit) {}

  chunk(chunk: ChatCompletionChunk): void {
    if (chunk.usage) this.usage = chunk.usage;
    this.start();
    const choice = chunk.choices.find((candidate) => candidate.index === 0);
    if (!choice) return;
    const delta = choice.delta as typeof choice.delta & { refusal?: string | null };
    if (delta.content) this.part("output_text", delta.content);
    if (delta.refusal) this.part("refusal", delta.refusal);
    for (const call of delta.tool_calls ?? []) this.toolCall(call);
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
  }

  /** Usage comes after the finish_reason chunk, so the closing events wait for the end of the stream. */
  finish(): void {
    this.start();
    this.close();
    const { status, incomplete_details } = statusOf(this.finishReason);
    Object.assign(this.response, {
      status,
      incomplete_details,
      usage: this.usage === undefined ? null : toResponsesUsage(this.usage),
    });
    const type = status === "completed" ? "response.completed" : "response.incomplete";
    this.emit({ type, response: this.snapshot() });
  }

  private snapshot(): ResponseObject {
    return structuredClone(this.response);
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.emit({ type: "response.created", response: this.snapshot() });
    this.emit({ type: "response.in_progress", response: this.snapshot() });
  }

  private openItem<T extends OutputMessage | FunctionCall>(item: T): { index: number; item: T } {
    this.close();
    const opened = { index: this.response.output.length, item };
    this.response.output.push(item);
    this.open = opened;
    this.emit({
      type: "response.output_item.added",
      output_index: opened.index,
      item: structuredClone(item),
    });
    return opened;
  }

  private part(kind: PartKind, delta: string): void {
    const current =
      this.open?.item.type === "message" ? (this.open as { index: number; item: OutputMessage }) : undefined;
    const message =
      current ??
      this.openItem<OutputMessage>({
        type: "message",
        id: newId("msg"),
        role: "assistant",
        status: "in_progress",
        content: [],
      });
    const { item, index } = message;
    let contentIndex = item.content.length - 1;
    if (item.content.at(-1)?.type !== kind) {
      this.closePart(message);
      const part: OutputText | Refusal =
        kind === "output_text" ? { type: kind, text: "", annotations: [] } : { type: kind, refusal: "" };
      item.content.push(part);
      contentIndex = item.content.length - 1;
      this.emit({
        type: "response.content_part.added",
        item_id: item.id,
        output_index: index,
        content_index: contentIndex,
        part: structuredClone(part),
      });
    }
    const part = item.content[contentIndex] as OutputText | Refusal;
    const at = { item_id: item.id, output_index: index, content_index: contentIndex };
    if (part.type === "output_text") {
      part.text += delta;
      this.emit({ type: "response.output_text.delta", ...at, delta, logprobs: [] });
    } else {
      part.refusal += delta;
      this.emit({ type: "response.refusal.delta", ...at, delta });
    }
  }

  private toolCall(call: ToolCallDelta): void {
    // Arguments for a call already closed (servers that interleave calls) still reach its item.
    let opened = this.calls.get(call.index);
    if (opened === undefined) {
      opened = this.openItem<FunctionCall>({
        type: "function_call",
        id: newId("fc"),
        // Some OpenAI-compatible servers omit the id; the client needs one to answer the call.
        call_id: call.id ?? newId("call"),
        name: call.function?.name ?? "",
        arguments: "",
        status: "in_progress",
      });
      this.calls.set(call.index, opened);
    }
    const delta = call.function?.arguments;
    if (!delta) return;
    opened.item.arguments += delta;
    this.emit({
      type: "response.function_call_arguments.delta",
      item_id: opened.item.id,
      output_index: opened.index,
      delta,
    });
  }

  private closePart({ item, index }: { index: number; item: OutputMessage }): void {
    const contentIndex = item.content.length - 1;
    const part = item.content[contentIndex];
    if (part === undefined) return;
    const at = { item_id: item.id, output_index: index, content_index: contentIndex };
    if (part.type === "output_text") {
      this.emit({ type: "response.output_text.done", ...at, text: part.text, logprobs: [] });
    } else {
      this.emit({ type: "response.refusal.done", ...at, refusal: part.refusal });
    }
    this.emit({ type: "response.content_part.done", ...at, part: structuredClone(part) });
  }

  private close(): void {
    const opened = this.open;
    if (opened === undefined) return;
    this.open = undefined;
    const { item, index } = opened;
    if (item.type === "message") this.closePart({ item, index });
    else {
      this.emit({
        type: "response.function_call_arguments.done",
        item_id: item.id,
        output_index: index,
        arguments: item.arguments,
        name: item.name,
      });
    }
    item.status = "completed";
    this.emit({ type: "response.output_item.done", output_index: index, item: structuredClone(item) });
  }
}

/**
 * Re-encodes an OpenAI chat completion SSE stream as a Responses SSE stream. A failure of the
 * chat stream fails this one (whoever reads it reports the error and charges what was used);
 * cancelling it cancels `chatSse`, so a client that goes away stops the upstream request.
 */
export function chatStreamToResponses(chatSse: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  return translateChatStream(chatSse, (emit) => new ResponseEvents((event) => emit(encodeEvent(event))));
}
