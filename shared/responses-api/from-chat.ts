import type { ChatCompletion, FinishReason, Usage } from "../openai/types";
import { newId } from "./items";
import type { FunctionCall, OutputItem, ResponseObject, ResponseStatus, ResponsesUsage } from "./types";

/** Detail fields some chat upstreams add to usage (OpenAI, vLLM). */
interface ChatUsageDetails extends Usage {
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

export function toResponsesUsage(usage: Usage): ResponsesUsage {
  const details = usage as ChatUsageDetails;
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: details.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: details.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: usage.total_tokens,
  };
}

/** The Responses usage in the gateway's terms (spend, limits, metrics count chat usage). */
export function toChatUsage(usage: unknown): Usage | undefined {
  if (usage === null || typeof usage !== "object") return undefined;
  const { input_tokens, output_tokens, total_tokens } = usage as Partial<ResponsesUsage>;
  if (typeof input_tokens !== "number" || typeof output_tokens !== "number") return undefined;
  return {
    prompt_tokens: input_tokens,
    completion_tokens: output_tokens,
    total_tokens: typeof total_tokens === "number" ? total_tokens : input_tokens + output_tokens,
  };
}

/** Why a chat completion stopped, as a response's status. */
export function statusOf(reason: FinishReason): {
  status: ResponseStatus;
  incomplete_details: { reason: string } | null;
} {
  if (reason === "length")
    return { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } };
  if (reason === "content_filter") {
    return { status: "incomplete", incomplete_details: { reason: "content_filter" } };
  }
  return { status: "completed", incomplete_details: null };
}

/** A response in progress, before any output: what `response.created` carries. */
export function emptyResponse(): ResponseObject {
  return {
    id: newId("resp"),
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    status: "in_progress",
    model: "",
    output: [],
    error: null,
    incomplete_details: null,
    usage: null,
  };
}

/** Translates a complete chat completion into a Response (its request echo is stamped on later). */
export function chatToResponse(completion: ChatCompletion): ResponseObject {
  const choice = completion.choices[0];
  const output: OutputItem[] = [];
  const message = choice?.message;
  if (message?.content || message?.refusal) {
    output.push({
      type: "message",
      id: newId("msg"),
      role: "assistant",
      status: "completed",
      content: message.refusal
        ? [{ type: "refusal", refusal: message.refusal }]
        : [{ type: "output_text", text: message.content ?? "", annotations: [] }],
    });
  }
  for (const call of message?.tool_calls ?? []) {
    const item: FunctionCall = {
      type: "function_call",
      id: newId("fc"),
      call_id: call.id,
      name: call.function.name,
      arguments: call.function.arguments,
      status: "completed",
    };
    output.push(item);
  }
  return {
    ...emptyResponse(),
    ...statusOf(choice?.finish_reason ?? null),
    output,
    usage: completion.usage === undefined ? null : toResponsesUsage(completion.usage),
  };
}
