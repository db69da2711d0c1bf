import type { ResponsesRequest } from "./schema";
import type { InputItem, OutputItem } from "./types";

/** A fresh OpenAI-style id (`resp_…`, `msg_…`): 128 random bits, hex. */
export const newId = (prefix: string): string => `${prefix}_${crypto.randomUUID().replaceAll("-", "")}`;

const ID_PREFIXES: Readonly<Record<string, string>> = Object.freeze({
  message: "msg",
  function_call: "fc",
  function_call_output: "fco",
});

/** Message content as parts: what `input_items` lists, and the one shape translation reads. */
function messageParts(item: InputItem): InputItem {
  if (item.type !== "message" || typeof item.content !== "string") return item;
  const part =
    item.role === "assistant"
      ? { type: "output_text", text: item.content, annotations: [] }
      : { type: "input_text", text: item.content };
  return { ...item, content: [part] };
}

/** The request's input as items, each with an id (a bare string is one user message). */
export function inputItemsOf(input: ResponsesRequest["input"]): InputItem[] {
  const items: InputItem[] =
    typeof input === "string" ? [{ type: "message", role: "user", content: input }] : input;
  return items.map((item) => {
    const parts = messageParts(item);
    return typeof parts.id === "string" && parts.id !== ""
      ? parts
      : { id: newId(ID_PREFIXES[parts.type] ?? "item"), ...parts };
  });
}

/**
 * Earlier turns as an upstream that keeps no state (`store: false`) must receive them: item ids
 * name items only the gateway stored, so they are dropped, and reasoning items without their
 * encrypted content cannot be replayed at all.
 */
export function replayable(items: readonly (InputItem | OutputItem)[]): InputItem[] {
  return items
    .filter((item) => item.type !== "reasoning" || typeof item.encrypted_content === "string")
    .map(({ id: _id, ...rest }) => rest as InputItem);
}
