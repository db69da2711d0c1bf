import { badRequest } from "../../errors";
import type { ChatMessage, ChatRequest, ContentPart, ToolChoice } from "../../openai/types";
import { imageUrlOf, parseDataUrl, parseToolArguments } from "../openai-parts";
import { asList, mapParams, type ParamTable } from "../param-map";

type Block = Record<string, unknown>;

interface Turn {
  role: "user" | "assistant";
  content: Block[];
}

/** OpenAI's sampling parameters → Converse's `inferenceConfig`; what Converse cannot do is refused. */
export const INFERENCE_PARAMS: ParamTable = Object.freeze({
  max_completion_tokens: { param: "maxTokens" },
  max_tokens: { param: "maxTokens" },
  temperature: { param: "temperature" },
  top_p: { param: "topP" },
  stop: { param: "stopSequences", transform: asList },
  n: { refuse: (n) => (n === 1 ? undefined : "Bedrock's Converse API answers with one choice") },
} satisfies ParamTable);

const IMAGE_FORMATS = new Map([
  ["image/png", "png"],
  ["image/jpeg", "jpeg"],
  ["image/jpg", "jpeg"],
  ["image/gif", "gif"],
  ["image/webp", "webp"],
]);

/**
 * Translates an OpenAI chat request into a Converse input (without `modelId`). Images and PDFs
 * travel as bytes: Converse takes no URLs but S3's, and the gateway fetches nothing on a caller's
 * behalf, so any other URL is the caller's 400, naming the field.
 */
export function toConverseInput(req: ChatRequest): Record<string, unknown> {
  const system = req.messages
    .filter((message) => message.role === "system" || message.role === "developer")
    .map((message) => textOf(message.content))
    .filter((text) => text !== "")
    .map((text) => ({ text }));
  const messages = toTurns(req.messages);
  return {
    messages,
    system: system.length > 0 ? system : undefined,
    inferenceConfig: mapParams(req, INFERENCE_PARAMS),
    toolConfig: toToolConfig(req, messages),
  };
}

/** Converse rejects two consecutive turns with the same role, so adjacent ones are merged. */
function toTurns(messages: ChatMessage[]): Turn[] {
  const turns: Turn[] = [];
  messages.forEach((message, index) => {
    const turn = toTurn(message, index);
    if (turn === undefined || turn.content.length === 0) return;
    const last = turns.at(-1);
    if (last?.role === turn.role) last.content.push(...turn.content);
    else turns.push(turn);
  });
  return turns;
}

function toTurn(message: ChatMessage, index: number): Turn | undefined {
  switch (message.role) {
    case "system":
    case "developer":
      return undefined;
    case "user":
    case "function":
      return { role: "user", content: toBlocks(message.content, index) };
    case "assistant":
      return {
        role: "assistant",
        content: [
          ...toBlocks(message.content, index),
          ...(message.tool_calls ?? []).map((call) => ({
            toolUse: {
              toolUseId: call.id,
              name: call.function.name,
              input: parseToolArguments(call.function.arguments),
            },
          })),
        ],
      };
    case "tool": {
      const text = textOf(message.content);
      return {
        role: "user",
        content: [
          {
            toolResult: {
              toolUseId: message.tool_call_id ?? "",
              content: [{ text: text === "" ? " " : text }],
            },
          },
        ],
      };
    }
  }
}

function toBlocks(content: ChatMessage["content"], index: number): Block[] {
  // Converse refuses blank text blocks.
  if (typeof content === "string") return content.trim() === "" ? [] : [{ text: content }];
  return (content ?? []).flatMap((part, j) => toBlock(part, `messages[${index}].content[${j}]`));
}

function toBlock(part: ContentPart, at: string): Block[] {
  if (part.type === "text")
    return typeof part.text === "string" && part.text.trim() !== "" ? [{ text: part.text }] : [];
  if (part.type === "image_url") {
    const url = imageUrlOf(part);
    if (url !== undefined) return [imageBlock(url, `${at}.image_url`)];
  }
  if (part.type === "file") {
    const data = (part.file as { file_data?: unknown } | undefined)?.file_data;
    if (typeof data === "string") return [documentBlock(data, `${at}.file.file_data`, at)];
  }
  throw badRequest(`${at}: content part type "${part.type}" is not supported by Bedrock`, at);
}

function bytesOf(data: string, at: string): Uint8Array {
  try {
    return Uint8Array.from(atob(data), (char) => char.charCodeAt(0));
  } catch {
    throw badRequest(`${at}: the data URL's payload is not valid base64`, at);
  }
}

function imageBlock(url: string, at: string): Block {
  const inline = parseDataUrl(url);
  const format = inline === undefined ? undefined : IMAGE_FORMATS.get(inline.mediaType.toLowerCase());
  if (inline === undefined || format === undefined)
    throw badRequest(`${at}: Bedrock takes images as base64 data URLs of PNG, JPEG, GIF or WebP`, at);
  return { image: { format, source: { bytes: bytesOf(inline.data, at) } } };
}

function documentBlock(url: string, at: string, part: string): Block {
  const inline = parseDataUrl(url);
  if (inline === undefined || inline.mediaType.toLowerCase() !== "application/pdf")
    throw badRequest(`${at}: Bedrock takes files as base64 data URLs of PDFs`, at);
  // Converse requires a name, unique within the request and limited in its characters.
  const name = `document ${part.replace(/\D+/g, " ").trim()}`;
  return { document: { format: "pdf", name, source: { bytes: bytesOf(inline.data, at) } } };
}

const hasToolBlocks = (turns: readonly Turn[]): boolean =>
  turns.some((turn) => turn.content.some((block) => "toolUse" in block || "toolResult" in block));

/**
 * Converse has no tool_choice "none": its tools are left out, unless the conversation already
 * holds tool calls, which Converse accepts only alongside the tool definitions.
 */
function toToolConfig(req: ChatRequest, turns: readonly Turn[]): Record<string, unknown> | undefined {
  if (!req.tools?.length) return undefined;
  if (req.tool_choice === "none" && !hasToolBlocks(turns)) return undefined;
  return {
    tools: req.tools.map(({ function: fn }) => ({
      toolSpec: {
        name: fn.name,
        description: fn.description,
        inputSchema: { json: fn.parameters ?? { type: "object", properties: {} } },
      },
    })),
    toolChoice: toToolChoice(req.tool_choice),
  };
}

function toToolChoice(choice: ToolChoice | undefined): Block | undefined {
  if (choice === undefined || choice === "none" || choice === "auto")
    return choice === "auto" ? { auto: {} } : undefined;
  if (choice === "required") return { any: {} };
  return { tool: { name: choice.function.name } };
}

function textOf(content: ChatMessage["content"]): string {
  if (typeof content === "string") return content;
  return (content ?? [])
    .map((part) => (part.type === "text" && typeof part.text === "string" ? part.text : ""))
    .join("");
}
