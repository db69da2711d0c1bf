import type { ChatCompletion, FinishReason } from "../openai/types";

export type StopReason = "end_turn" | "max_tokens" | "stop_sequence" | "tool_use" | "pause_turn" | "refusal";

export interface MessagesUsage {
  input_tokens: number;
  output_tokens: number;
}

export type ResponseContentBlock =
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> };

export interface MessagesResponse {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: ResponseContentBlock[];
  stop_reason: StopReason | null;
  stop_sequence: null;
  usage: MessagesUsage;
}

/** Keeps the upstream id recognisable in logs on both sides while using Anthropic's prefix. */
export const toMessageId = (chatId: string): string => `msg_${chatId.replace(/^chatcmpl-/, "")}`;

/** OpenAI does not say which stop sequence fired, so a stop is always reported as end_turn. */
export function toStopReason(reason: FinishReason): StopReason {
  switch (reason) {
    case "length":
      return "max_tokens";
    case "tool_calls":
    case "function_call":
      return "tool_use";
    case "content_filter":
      return "refusal";
    default:
      return "end_turn";
  }
}

/** Anthropic requires tool input to be an object; a model's malformed arguments must not fail the reply. */
function parseToolInput(args: string): Record<string, unknown> {
  try {
    const input: unknown = JSON.parse(args);
    if (typeof input === "object" && input !== null && !Array.isArray(input)) {
      return input as Record<string, unknown>;
    }
  } catch {
    // Falls through to the empty input.
  }
  return {};
}

/** Translates a complete OpenAI chat completion into an Anthropic message; `model` is the name the client asked for. */
export function chatToMessage(completion: ChatCompletion, model: string): MessagesResponse {
  const choice = completion.choices[0];
  const content: ResponseContentBlock[] = [];
  if (choice?.message.content) content.push({ type: "text", text: choice.message.content });
  for (const call of choice?.message.tool_calls ?? []) {
    content.push({
      type: "tool_use",
      id: call.id,
      name: call.function.name,
      input: parseToolInput(call.function.arguments),
    });
  }
  return {
    id: toMessageId(completion.id),
    type: "message",
    role: "assistant",
    model,
    content,
    stop_reason: toStopReason(choice?.finish_reason ?? null),
    stop_sequence: null,
    usage: {
      input_tokens: completion.usage?.prompt_tokens ?? 0,
      output_tokens: completion.usage?.completion_tokens ?? 0,
    },
  };
}
