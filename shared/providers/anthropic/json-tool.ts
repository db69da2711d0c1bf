import type { ChatRequest } from "../../openai/types";

/**
 * Anthropic's Messages API has no `response_format`: structured output is asked for, as LiteLLM
 * does, with a tool whose input schema is the requested one, and the tool's input is the answer.
 * Its name is LiteLLM's, so a conversation moved between the two reads alike.
 */
export const JSON_TOOL = "json_tool_call";

/** The JSON schema a chat request's `response_format` asks for, if it asks for JSON at all. */
export function requestedSchema(request: ChatRequest): Record<string, unknown> | undefined {
  const format = request.response_format as
    | { type?: unknown; json_schema?: { schema?: unknown } }
    | null
    | undefined;
  if (format?.type === "json_object") return { type: "object" };
  if (format?.type !== "json_schema") return undefined;
  const schema = format.json_schema?.schema;
  return schema !== null && typeof schema === "object"
    ? (schema as Record<string, unknown>)
    : { type: "object" };
}
