import type { ChatRequest, ContentPart } from "./types";

/**
 * Rough token count (about 4 characters a token). Used where a real count is not worth its cost:
 * context-window checks before routing, tpm headroom, and the mock provider's usage.
 */
export const estimateTokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4));

/**
 * What one image may cost, in prompt tokens, at most: OpenAI's high detail tops out near 1,450, an
 * Anthropic image (1,568 px on its long side) near 1,600, Gemini's is 258.
 */
export const IMAGE_TOKENS_BOUND = 1_600;

/**
 * A content part's weight in characters: its text, an image's bound, and for anything else (audio,
 * files) the size of what it carries, since its tokens come from that.
 */
function partChars(part: ContentPart): number {
  if (part.type === "text") return typeof part.text === "string" ? part.text.length : 0;
  if (part.type === "image_url") return IMAGE_TOKENS_BOUND * 4;
  return JSON.stringify(part).length;
}

/**
 * Tool definitions (and the legacy `functions`) and images are prompt as well: the upstream bills
 * them as input, so a reservation that left them out would let a prompt hide there.
 */
export function estimateChatTokens(request: Pick<ChatRequest, "messages" | "tools">): number {
  const { functions } = request as { functions?: unknown };
  let chars = 0;
  for (const definitions of [request.tools, functions]) {
    if (definitions !== undefined && definitions !== null) chars += JSON.stringify(definitions).length;
  }
  for (const message of request.messages) {
    const content = message.content;
    if (typeof content === "string") chars += content.length;
    else if (Array.isArray(content)) for (const part of content) chars += partChars(part);
    for (const call of message.tool_calls ?? [])
      chars += call.function.arguments.length + call.function.name.length;
  }
  return Math.max(1, Math.ceil(chars / 4));
}
