import type { ChatCompletion, FinishReason, ToolCall, Usage } from "../../openai/types";
import { JSON_TOOL } from "./json-tool";
import type { AnthropicMessage, AnthropicUsage } from "./wire";

// A Map, not an object literal, so an upstream value like "constructor" cannot hit the prototype.
const FINISH_REASONS = new Map<string, FinishReason>([
  ["end_turn", "stop"],
  ["stop_sequence", "stop"],
  ["pause_turn", "stop"],
  ["max_tokens", "length"],
  ["model_context_window_exceeded", "length"],
  ["tool_use", "tool_calls"],
  ["refusal", "content_filter"],
]);

export function toFinishReason(stopReason: string | null | undefined): FinishReason {
  return FINISH_REASONS.get(stopReason ?? "") ?? "stop";
}

/** Cached input tokens are billed prompt tokens too, so they count toward prompt_tokens. */
export function toUsage(usage: AnthropicUsage): Usage {
  const prompt =
    (usage.input_tokens ?? 0) +
    (usage.cache_creation_input_tokens ?? 0) +
    (usage.cache_read_input_tokens ?? 0);
  const completion = usage.output_tokens ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/**
 * `structured`: the request asked for JSON, which comes back as the JSON tool's input (see
 * json-tool.ts) and is answered as the message's text.
 */
export function toChatCompletion(message: AnthropicMessage, structured = false): ChatCompletion {
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  let answered = false;
  for (const block of message.content) {
    if (block?.type === "text") texts.push(block.text);
    if (block?.type === "tool_use" && structured && block.name === JSON_TOOL) {
      texts.push(JSON.stringify(block.input ?? {}));
      answered = true;
    } else if (block?.type === "tool_use") {
      const args = JSON.stringify(block.input ?? {});
      toolCalls.push({ id: block.id, type: "function", function: { name: block.name, arguments: args } });
    }
  }
  return {
    id: `chatcmpl-${message.id}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: message.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: texts.length > 0 ? texts.join("") : null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        finish_reason:
          answered && toolCalls.length === 0 && message.stop_reason === "tool_use"
            ? "stop"
            : toFinishReason(message.stop_reason),
        logprobs: null,
      },
    ],
    usage: toUsage(message.usage),
  };
}
