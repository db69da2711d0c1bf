import type { ChatMessage, ChatRequest, ContentPart, ToolCall, ToolChoice } from "../openai/types";
import type {
  ImageBlock,
  MessageParam,
  MessagesRequest,
  TextBlock,
  ToolChoiceParam,
  ToolResultBlock,
} from "./schema";

const joinText = (blocks: readonly TextBlock[]): string => blocks.map((block) => block.text).join("\n");

function imagePart(block: ImageBlock): ContentPart {
  const { source } = block;
  const url = source.type === "base64" ? `data:${source.media_type};base64,${source.data}` : source.url;
  return { type: "image_url", image_url: { url } };
}

/** OpenAI tool messages carry text only, so a tool result's images travel in the user message after it. */
function splitToolResult(block: ToolResultBlock): { message: ChatMessage; images: ContentPart[] } {
  const content = block.content ?? "";
  const blocks = typeof content === "string" ? [{ type: "text" as const, text: content }] : content;
  const texts = blocks.filter((inner) => inner.type === "text");
  const images = blocks.filter((inner) => inner.type === "image").map(imagePart);
  return { message: { role: "tool", tool_call_id: block.tool_use_id, content: joinText(texts) }, images };
}

/** OpenAI wants every tool answer right after the assistant turn that asked, before more user text. */
function userMessages(content: Exclude<MessageParam["content"], string>): ChatMessage[] {
  const toolMessages: ChatMessage[] = [];
  const parts: ContentPart[] = [];
  for (const block of content) {
    if (block.type === "tool_result") {
      const { message, images } = splitToolResult(block);
      toolMessages.push(message);
      parts.push(...images);
    } else if (block.type === "text") {
      parts.push({ type: "text", text: block.text });
    } else if (block.type === "image") {
      parts.push(imagePart(block));
    }
  }
  return parts.length > 0 ? [...toolMessages, { role: "user", content: parts }] : toolMessages;
}

function assistantMessage(content: Exclude<MessageParam["content"], string>): ChatMessage {
  const texts: TextBlock[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of content) {
    if (block.type === "text") texts.push(block);
    else if (block.type === "tool_use") {
      toolCalls.push({
        id: block.id,
        type: "function",
        function: { name: block.name, arguments: JSON.stringify(block.input) },
      });
    }
  }
  if (toolCalls.length === 0) return { role: "assistant", content: joinText(texts) };
  return { role: "assistant", content: texts.length > 0 ? joinText(texts) : null, tool_calls: toolCalls };
}

function toChatMessages(message: MessageParam): ChatMessage[] {
  if (typeof message.content === "string") return [{ role: message.role, content: message.content }];
  return message.role === "user" ? userMessages(message.content) : [assistantMessage(message.content)];
}

function toToolChoice(choice: ToolChoiceParam): ToolChoice {
  switch (choice.type) {
    case "auto":
      return "auto";
    case "any":
      return "required";
    case "none":
      return "none";
    case "tool":
      return { type: "function", function: { name: choice.name } };
  }
}

/** Translates a validated Anthropic Messages request into the gateway's OpenAI chat request. */
export function messagesToChat(req: MessagesRequest): ChatRequest {
  const messages: ChatMessage[] = [];
  const system = typeof req.system === "string" ? req.system : joinText(req.system ?? []);
  if (system !== "") messages.push({ role: "system", content: system });
  messages.push(...req.messages.flatMap(toChatMessages));

  const chat: ChatRequest = { model: req.model, messages, max_tokens: req.max_tokens };
  if (req.tools !== undefined && req.tools.length > 0) {
    chat.tools = req.tools.map((tool) => ({
      type: "function",
      function: {
        name: tool.name,
        ...(tool.description === undefined ? {} : { description: tool.description }),
        parameters: tool.input_schema,
      },
    }));
    // OpenAI rejects tool_choice and parallel_tool_calls when no tools are sent.
    if (req.tool_choice !== undefined) chat.tool_choice = toToolChoice(req.tool_choice);
    if (req.tool_choice?.disable_parallel_tool_use === true) chat.parallel_tool_calls = false;
  }
  if (req.stop_sequences !== undefined && req.stop_sequences.length > 0) chat.stop = req.stop_sequences;
  if (req.temperature !== undefined) chat.temperature = req.temperature;
  if (req.top_p !== undefined) chat.top_p = req.top_p;
  if (typeof req.metadata?.user_id === "string") chat.user = req.metadata.user_id;
  if (req.stream === true) {
    chat.stream = true;
    // Anthropic's closing message_delta reports usage, which OpenAI streams only when asked.
    chat.stream_options = { include_usage: true };
  }
  return chat;
}
