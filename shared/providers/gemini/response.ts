import type { ChatCompletion, FinishReason, ToolCall, Usage } from "../../openai/types";
import { toolCallId } from "./tool-call-id";
import type { GeminiCandidate, GeminiUsage, GenerateContentResponse } from "./wire";

// A Map, not an object literal, so an upstream value like "constructor" cannot hit the prototype.
// Every reason Google gives for withholding output reads as OpenAI's content_filter.
const FINISH_REASONS = new Map<string, FinishReason>([
  ["STOP", "stop"],
  ["MAX_TOKENS", "length"],
  ["SAFETY", "content_filter"],
  ["RECITATION", "content_filter"],
  ["BLOCKLIST", "content_filter"],
  ["PROHIBITED_CONTENT", "content_filter"],
  ["SPII", "content_filter"],
  ["IMAGE_SAFETY", "content_filter"],
  ["LANGUAGE", "content_filter"],
]);

/** A candidate that called a function finishes with tool_calls, whatever Gemini says (STOP). */
export function toFinishReason(reason: string | null | undefined, calledTools: boolean): FinishReason {
  if (calledTools) return "tool_calls";
  return FINISH_REASONS.get(reason ?? "") ?? "stop";
}

/** Thinking is billed as output, and tool-use prompt tokens as input. */
export function toUsage(usage: GeminiUsage | null | undefined): Usage {
  const prompt = (usage?.promptTokenCount ?? 0) + (usage?.toolUsePromptTokenCount ?? 0);
  const completion = (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** Why Gemini answered nothing at all: the prompt itself was blocked. */
export const blockedPrompt = (reason: string): string =>
  `Gemini blocked the prompt (${reason}) and generated nothing`;

export function chatId(response: GenerateContentResponse): string {
  return `chatcmpl-${response.responseId ?? crypto.randomUUID()}`;
}

function toChoice(candidate: GeminiCandidate, position: number): ChatCompletion["choices"][number] {
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const part of candidate.content?.parts ?? []) {
    if (part === null) continue;
    if ("text" in part) {
      if (part.thought !== true) texts.push(part.text);
    } else {
      toolCalls.push({
        id: toolCallId(part.thoughtSignature),
        type: "function",
        function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) },
      });
    }
  }
  return {
    index: candidate.index ?? position,
    message: {
      role: "assistant",
      content: texts.length > 0 ? texts.join("") : null,
      ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    },
    finish_reason: toFinishReason(candidate.finishReason, toolCalls.length > 0),
    logprobs: null,
  };
}

export function toChatCompletion(response: GenerateContentResponse, model: string): ChatCompletion {
  const candidates = response.candidates ?? [];
  const blockReason = response.promptFeedback?.blockReason;
  const choices =
    candidates.length === 0 && blockReason
      ? [
          {
            index: 0,
            message: { role: "assistant" as const, content: null, refusal: blockedPrompt(blockReason) },
            finish_reason: "content_filter" as const,
            logprobs: null,
          },
        ]
      : candidates.map(toChoice);
  return {
    id: chatId(response),
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: response.modelVersion ?? model,
    choices,
    usage: toUsage(response.usageMetadata),
  };
}
