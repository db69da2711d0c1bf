import { badRequest } from "../errors";
import type { ChatMessage, ChatRequest, ChatTool, ContentPart, ToolChoice } from "../openai/types";
import type { ExpandedRequest } from "./expand";
import type { InputItem, Json } from "./types";

const text = (value: unknown): string => (typeof value === "string" ? value : "");

function chatPart(part: Json): ContentPart {
  switch (part.type) {
    case "input_text":
    case "output_text":
      return { type: "text", text: text(part.text) };
    case "refusal":
      return { type: "text", text: text(part.refusal) };
    case "input_image": {
      const url = typeof part.image_url === "string" ? part.image_url : undefined;
      if (url === undefined) {
        throw badRequest(
          "input_image by file_id needs an OpenAI or Azure deployment; send image_url",
          "input",
        );
      }
      const detail = typeof part.detail === "string" ? { detail: part.detail } : {};
      return { type: "image_url", image_url: { url, ...detail } };
    }
    default: {
      const { type: _type, ...file } = part;
      return { type: "file", file };
    }
  }
}

const partsOf = (content: unknown): Json[] =>
  typeof content === "string" ? [{ type: "input_text", text: content }] : (content as Json[]);

/** Assistant and tool turns carry text only in the chat format. */
const joinedText = (content: unknown): string =>
  partsOf(content)
    .map((part) => text(part.text ?? part.refusal))
    .join("");

function isAssistant(message: ChatMessage | undefined): message is ChatMessage {
  return message?.role === "assistant";
}

/** Items in order, as chat messages: consecutive function calls join the assistant turn before them. */
function toMessages(items: readonly InputItem[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  items.forEach((item, index) => {
    switch (item.type) {
      case "message": {
        const role = item.role as ChatMessage["role"];
        if (role === "assistant") messages.push({ role, content: joinedText(item.content) });
        else if (role === "user") messages.push({ role, content: partsOf(item.content).map(chatPart) });
        else messages.push({ role, content: joinedText(item.content) });
        return;
      }
      case "function_call": {
        const call = {
          id: String(item.call_id),
          type: "function" as const,
          function: { name: String(item.name), arguments: String(item.arguments) },
        };
        const last = messages.at(-1);
        if (isAssistant(last)) last.tool_calls = [...(last.tool_calls ?? []), call];
        else messages.push({ role: "assistant", content: null, tool_calls: [call] });
        return;
      }
      case "function_call_output":
        messages.push({ role: "tool", tool_call_id: String(item.call_id), content: joinedText(item.output) });
        return;
      case "reasoning":
        // Reasoning is the upstream model's own; another model cannot take it as input.
        return;
      default:
        throw badRequest(
          `input item type "${item.type}" needs an OpenAI or Azure deployment; this model is served through chat completions`,
          `input[${index}]`,
          "unsupported_item",
        );
    }
  });
  return messages;
}

function toTools(tools: readonly Json[]): ChatTool[] {
  return tools.map((tool) => ({
    type: "function",
    function: {
      name: String(tool.name),
      ...(typeof tool.description === "string" ? { description: tool.description } : {}),
      ...(tool.parameters != null ? { parameters: tool.parameters as Record<string, unknown> } : {}),
      ...(typeof tool.strict === "boolean" ? { strict: tool.strict } : {}),
    },
  }));
}

function toToolChoice(choice: NonNullable<ExpandedRequest["tool_choice"]>): ToolChoice {
  if (typeof choice === "string") return choice;
  return { type: "function", function: { name: String(choice.name) } };
}

function responseFormat(format: Json): Json | undefined {
  if (format.type === "json_object") return { type: "json_object" };
  if (format.type !== "json_schema") return undefined;
  const { type: _type, ...schema } = format;
  return { type: "json_schema", json_schema: schema };
}

/**
 * Translates a Responses request (earlier turns already expanded into `input`) into the gateway's
 * chat request, for deployments that do not speak the Responses API. Built-in tools were refused
 * before this point (see `nativeOnly`).
 */
export function responsesToChat(req: ExpandedRequest): ChatRequest {
  const messages: ChatMessage[] = [];
  if (typeof req.instructions === "string" && req.instructions !== "") {
    messages.push({ role: "system", content: req.instructions });
  }
  messages.push(...toMessages(req.input));
  const chat: ChatRequest = { model: req.model, messages };
  const tools = req.tools ?? [];
  if (tools.length > 0) {
    chat.tools = toTools(tools);
    // OpenAI rejects tool_choice and parallel_tool_calls when no tools are sent.
    if (req.tool_choice != null) chat.tool_choice = toToolChoice(req.tool_choice);
    if (req.parallel_tool_calls != null) chat.parallel_tool_calls = req.parallel_tool_calls;
  }
  const format = req.text?.format === undefined ? undefined : responseFormat(req.text.format);
  if (format !== undefined) chat.response_format = format;
  if (req.max_output_tokens != null) chat.max_tokens = req.max_output_tokens;
  if (req.temperature != null) chat.temperature = req.temperature;
  if (req.top_p != null) chat.top_p = req.top_p;
  if (req.user !== undefined) chat.user = req.user;
  if (typeof req.reasoning?.effort === "string") chat.reasoning_effort = req.reasoning.effort;
  if (req.stream === true) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  return chat;
}
