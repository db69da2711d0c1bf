import type { ChatRequest, CompletionRequest, ContentPart, EmbeddingRequest } from "../openai/types";
import { countTokens } from "./count-tokens";

/** OpenAI's chat format adds a few tokens around each message and primes the reply. */
const PER_MESSAGE = 3;
const REPLY_PRIMING = 3;

const partText = (part: ContentPart): string =>
  part.type === "text" && typeof part.text === "string" ? part.text : "";

/** What a prompt counts, as text to tokenise plus tokens known without tokenising. */
export interface PromptParts {
  readonly text: string;
  readonly tokens: number;
}

export function chatPrompt(request: Pick<ChatRequest, "messages" | "tools">): PromptParts {
  const pieces: string[] = [];
  for (const message of request.messages) {
    if (typeof message.content === "string") pieces.push(message.content);
    else if (Array.isArray(message.content)) for (const part of message.content) pieces.push(partText(part));
    for (const call of message.tool_calls ?? []) pieces.push(call.function.name, call.function.arguments);
  }
  const { functions } = request as { functions?: unknown };
  for (const definitions of [request.tools, functions]) {
    if (definitions !== undefined && definitions !== null) pieces.push(JSON.stringify(definitions));
  }
  return { text: pieces.join("\n"), tokens: PER_MESSAGE * request.messages.length + REPLY_PRIMING };
}

/** Strings are tokenised; token arrays (which both APIs accept) are already counted. */
function textOrTokens(input: CompletionRequest["prompt"] | EmbeddingRequest["input"]): PromptParts {
  if (typeof input === "string") return { text: input, tokens: 0 };
  const pieces: string[] = [];
  let tokens = 0;
  for (const item of input) {
    if (typeof item === "string") pieces.push(item);
    else if (typeof item === "number") tokens += 1;
    else tokens += item.length;
  }
  return { text: pieces.join("\n"), tokens };
}

export const completionPrompt = (request: Pick<CompletionRequest, "prompt">): PromptParts =>
  textOrTokens(request.prompt);

export const embeddingPrompt = (request: Pick<EmbeddingRequest, "input">): PromptParts =>
  textOrTokens(request.input);

export async function countPrompt(parts: PromptParts): Promise<number> {
  return parts.tokens + (await countTokens(parts.text));
}
