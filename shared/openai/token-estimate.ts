import type { ChatRequest, ContentPart } from "./types";

/**
 * Rough token count (about 4 characters a token). Used where a real count is not worth its cost:
 * context-window checks before routing, tpm headroom, and the mock provider's usage.
 */
export const estimateTokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4));

const partText = (part: ContentPart): string =>
  part.type === "text" && typeof part.text === "string" ? part.text : "";

/**
 * Tool definitions (and the legacy `functions`) are prompt as well: the upstream bills them as
 * input, so a reservation that left them out would let a prompt hide there.
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
    else if (Array.isArray(content)) for (const part of content) chars += partText(part).length;
    for (const call of message.tool_calls ?? [])
      chars += call.function.arguments.length + call.function.name.length;
  }
  return Math.max(1, Math.ceil(chars / 4));
}
