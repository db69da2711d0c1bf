import { replayable } from "./items";
import type { ResponsesRequest } from "./schema";
import type { InputItem, OutputItem } from "./types";

/**
 * A request with its conversation spelled out: the earlier turns (from `previous_response_id`)
 * followed by its own input, as an upstream that keeps no state needs it. Holds nothing the
 * gateway generated per request (no item ids), so equal questions share a response-cache entry.
 */
export type ExpandedRequest = Omit<
  NamedFields<ResponsesRequest>,
  "input" | "previous_response_id" | "store"
> & {
  input: InputItem[];
  [key: string]: unknown;
};

/** A loose object's named fields: its index signature would leave `Omit` nothing else to keep. */
type NamedFields<T> = { [K in keyof T as string extends K ? never : K]: T[K] };

export function expandRequest(
  request: ResponsesRequest,
  history: readonly (InputItem | OutputItem)[],
): ExpandedRequest {
  const { previous_response_id: _previous, store: _store, input, ...rest } = request;
  const own: InputItem[] =
    typeof input === "string" ? [{ type: "message", role: "user", content: input }] : input;
  return { ...rest, input: [...replayable(history), ...own] };
}

/** Item types the chat translation understands. */
const TRANSLATED_ITEMS = new Set(["message", "function_call", "function_call_output", "reasoning"]);

/**
 * What in a request only the Responses API itself can serve (built-in tools, their items): the
 * field to name in a refusal and what it holds; undefined when chat completions can serve it all.
 */
export function nativeOnly(request: ExpandedRequest): { param: string; what: string } | undefined {
  const tool = (request.tools ?? []).findIndex((t) => t.type !== "function");
  if (tool >= 0) return { param: `tools[${tool}]`, what: `tool type "${request.tools?.[tool]?.type}"` };
  const choice = request.tool_choice;
  if (choice != null && typeof choice === "object" && choice.type !== "function") {
    return { param: "tool_choice", what: `tool_choice type "${choice.type}"` };
  }
  const item = request.input.find((i) => !TRANSLATED_ITEMS.has(i.type));
  if (item !== undefined) return { param: "input", what: `input item type "${item.type}"` };
  return undefined;
}
