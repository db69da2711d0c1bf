import type { PromptParts } from "../tokens/prompt-tokens";
import type { ExpandedRequest } from "./expand";
import type { Json } from "./types";

/** Chat's framing: a few tokens around each message, a few to prime the reply. */
const PER_ITEM = 3;
const REPLY_PRIMING = 3;

function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (!Array.isArray(value)) return "";
  return (value as Json[])
    .map((part) =>
      typeof part.text === "string" ? part.text : typeof part.refusal === "string" ? part.refusal : "",
    )
    .join("\n");
}

/**
 * A Responses request's prompt as text to tokenise: instructions, every item's text (messages,
 * call names and arguments, call outputs) and the tools. Items the gateway does not read count as
 * their JSON, an overestimate rather than nothing.
 */
export function responsesPrompt(request: ExpandedRequest): PromptParts {
  const pieces: string[] = [];
  if (typeof request.instructions === "string") pieces.push(request.instructions);
  for (const item of request.input) {
    if (item.type === "message") pieces.push(textOf(item.content));
    else if (item.type === "function_call") pieces.push(String(item.name), String(item.arguments));
    else if (item.type === "function_call_output") pieces.push(textOf(item.output));
    else if (item.type !== "reasoning") pieces.push(JSON.stringify(item));
  }
  if (request.tools != null && request.tools.length > 0) pieces.push(JSON.stringify(request.tools));
  return { text: pieces.join("\n"), tokens: PER_ITEM * request.input.length + REPLY_PRIMING };
}
