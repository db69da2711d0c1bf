import type { ChatCompletion, FinishReason, ToolCall, Usage } from "../../openai/types";
import type { ConverseOutput, ConverseUsage } from "./wire";

// A Map, not an object literal, so an upstream value like "constructor" cannot hit the prototype.
const FINISH_REASONS = new Map<string, FinishReason>([
  ["end_turn", "stop"],
  ["stop_sequence", "stop"],
  ["max_tokens", "length"],
  ["model_context_window_exceeded", "length"],
  ["tool_use", "tool_calls"],
  ["guardrail_intervened", "content_filter"],
  ["content_filtered", "content_filter"],
]);

export function toFinishReason(stopReason: string | null | undefined): FinishReason {
  return FINISH_REASONS.get(stopReason ?? "") ?? "stop";
}

/** Tokens read from or written to the prompt cache are billed prompt tokens too. */
export function toUsage(usage: ConverseUsage | null | undefined): Usage {
  const prompt =
    (usage?.inputTokens ?? 0) + (usage?.cacheReadInputTokens ?? 0) + (usage?.cacheWriteInputTokens ?? 0);
  const completion = usage?.outputTokens ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export const chatId = (requestId: string | null | undefined): string =>
  `chatcmpl-${requestId ?? crypto.randomUUID()}`;

export function toChatCompletion(output: ConverseOutput, model: string): ChatCompletion {
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of output.output.message?.content ?? []) {
    if (block === null) continue;
    if ("text" in block) texts.push(block.text);
    else {
      const { toolUseId, name, input } = block.toolUse;
      toolCalls.push({
        id: toolUseId,
        type: "function",
        function: { name, arguments: JSON.stringify(input ?? {}) },
      });
    }
  }
  return {
    id: chatId(output.$metadata?.requestId),
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: texts.length > 0 ? texts.join("") : null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        finish_reason: toFinishReason(output.stopReason),
        logprobs: null,
      },
    ],
    usage: toUsage(output.usage),
  };
}
