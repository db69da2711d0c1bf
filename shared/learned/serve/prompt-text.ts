import type { CacheRoute } from "../../cache/key";
import type { ChatMessage, ChatRequest, CompletionRequest } from "../../openai/types";
import { MAX_CHARS } from "../features/tokens";

function contentText(content: ChatMessage["content"]): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => (part.type === "text" && typeof part.text === "string" ? part.text : ""))
    .filter((t) => t !== "")
    .join("\n");
}

/**
 * What a learned router reads from a request: the last user message of a chat (the question being
 * asked, as in the training data), a completion's prompt; nothing for embeddings. At most the
 * characters the features read.
 */
export function routingText(route: CacheRoute, request: unknown): string | undefined {
  if (route === "chat") {
    const { messages } = request as ChatRequest;
    const user = [...messages].reverse().find((m) => m.role === "user");
    const text = contentText((user ?? messages[messages.length - 1])?.content ?? "");
    return text === "" ? undefined : text.slice(0, MAX_CHARS);
  }
  if (route === "completion") {
    const { prompt } = request as CompletionRequest;
    const text = typeof prompt === "string" ? prompt : prompt.filter((p) => typeof p === "string").join("\n");
    return text === "" ? undefined : text.slice(0, MAX_CHARS);
  }
  return undefined;
}
