import { badRequest } from "../../errors";
import type { ChatMessage, ChatRequest, ContentPart, ToolChoice } from "../../openai/types";
import { imageUrlOf, parseDataUrl, parseToolArguments } from "../openai-parts";
import { asList, mapParams, type ParamTable } from "../param-map";
import { signatureOf } from "./tool-call-id";

type Part = Record<string, unknown>;

interface Content {
  role: "user" | "model";
  parts: Part[];
}

/** Media types Gemini reads from a URL it fetches itself, by the URL's extension. */
const MEDIA_BY_EXTENSION = new Map([
  ["png", "image/png"],
  ["jpg", "image/jpeg"],
  ["jpeg", "image/jpeg"],
  ["webp", "image/webp"],
  ["gif", "image/gif"],
  ["heic", "image/heic"],
  ["pdf", "application/pdf"],
  ["mp3", "audio/mp3"],
  ["wav", "audio/wav"],
  ["mp4", "video/mp4"],
]);

function responseFormat(value: unknown): Readonly<Record<string, unknown>> {
  const format = value as { type?: unknown; json_schema?: { schema?: unknown } };
  if (format.type === "json_object") return { responseMimeType: "application/json" };
  if (format.type === "json_schema")
    return { responseMimeType: "application/json", responseJsonSchema: format.json_schema?.schema };
  return {};
}

/** OpenAI's sampling parameters → `generationConfig`. */
export const GENERATION_PARAMS: ParamTable = Object.freeze({
  max_completion_tokens: { param: "maxOutputTokens" },
  max_tokens: { param: "maxOutputTokens" },
  temperature: { param: "temperature" },
  top_p: { param: "topP" },
  top_k: { param: "topK" },
  stop: { param: "stopSequences", transform: asList },
  n: { param: "candidateCount" },
  presence_penalty: { param: "presencePenalty" },
  frequency_penalty: { param: "frequencyPenalty" },
  seed: { param: "seed" },
  response_format: { expand: responseFormat },
} satisfies ParamTable);

/**
 * Translates an OpenAI chat request into a `generateContent` body (Gemini API and Vertex AI).
 * What Gemini cannot take (a tool result for a call the conversation never made, an image URL
 * with no recognisable type) is the caller's 400, naming the field.
 */
export function toGeminiRequest(req: ChatRequest): Record<string, unknown> {
  const system = req.messages
    .filter((message) => message.role === "system" || message.role === "developer")
    .map((message) => textOf(message.content))
    .filter((text) => text !== "")
    .join("\n\n");
  return {
    contents: toContents(req.messages),
    systemInstruction: system === "" ? undefined : { parts: [{ text: system }] },
    tools: req.tools?.length
      ? [
          {
            functionDeclarations: req.tools.map(({ function: fn }) => ({
              name: fn.name,
              description: fn.description,
              parametersJsonSchema: fn.parameters,
            })),
          },
        ]
      : undefined,
    toolConfig: toToolConfig(req.tool_choice),
    generationConfig: mapParams(req, GENERATION_PARAMS),
  };
}

function toContents(messages: ChatMessage[]): Content[] {
  // Function responses name the function; OpenAI's tool messages only name the call.
  const names = new Map<string, string>();
  const contents: Content[] = [];
  messages.forEach((message, index) => {
    const content = toContent(message, index, names);
    if (content === undefined || content.parts.length === 0) return;
    const last = contents.at(-1);
    if (last?.role === content.role) last.parts.push(...content.parts);
    else contents.push(content);
  });
  return contents;
}

function toContent(message: ChatMessage, index: number, names: Map<string, string>): Content | undefined {
  switch (message.role) {
    case "system":
    case "developer":
      return undefined;
    case "user":
    case "function":
      return { role: "user", parts: toParts(message.content, index) };
    case "assistant": {
      const calls = (message.tool_calls ?? []).map((call) => {
        names.set(call.id, call.function.name);
        const signature = signatureOf(call.id);
        return {
          functionCall: { name: call.function.name, args: parseToolArguments(call.function.arguments) },
          ...(signature === undefined ? {} : { thoughtSignature: signature }),
        };
      });
      return { role: "model", parts: [...toParts(message.content, index), ...calls] };
    }
    case "tool": {
      const name = names.get(message.tool_call_id ?? "");
      if (name === undefined)
        throw badRequest(
          `messages[${index}].tool_call_id: Gemini needs the function's name, and no earlier assistant message has a tool call with this id`,
          `messages[${index}].tool_call_id`,
        );
      const text = textOf(message.content);
      return { role: "user", parts: [{ functionResponse: { name, response: { content: jsonOr(text) } } }] };
    }
  }
}

function toParts(content: ChatMessage["content"], index: number): Part[] {
  if (typeof content === "string") return content === "" ? [] : [{ text: content }];
  return (content ?? []).flatMap((part, j) => toPart(part, `messages[${index}].content[${j}]`));
}

function toPart(part: ContentPart, at: string): Part[] {
  if (part.type === "text")
    return typeof part.text === "string" && part.text !== "" ? [{ text: part.text }] : [];
  if (part.type === "image_url") {
    const url = imageUrlOf(part);
    if (url !== undefined) return [mediaPart(url, `${at}.image_url`)];
  }
  if (part.type === "file") {
    const data = (part.file as { file_data?: unknown } | undefined)?.file_data;
    if (typeof data === "string") return [mediaPart(data, `${at}.file.file_data`)];
  }
  throw badRequest(`${at}: content part type "${part.type}" is not supported by Gemini`, at);
}

/** Inline bytes for data URLs; other URLs Gemini fetches itself, so the gateway never does. */
function mediaPart(url: string, at: string): Part {
  const inline = parseDataUrl(url);
  if (inline !== undefined) return { inlineData: { mimeType: inline.mediaType, data: inline.data } };
  const extension = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(url)?.[1]?.toLowerCase() ?? "";
  const mimeType = MEDIA_BY_EXTENSION.get(extension);
  if (mimeType === undefined || !/^(https|gs):\/\//.test(url))
    throw badRequest(
      `${at}: expected a base64 data URL, or an https:// or gs:// URL ending in a known file extension`,
      at,
    );
  return { fileData: { mimeType, fileUri: url } };
}

function toToolConfig(choice: ToolChoice | undefined): Record<string, unknown> | undefined {
  if (choice === undefined) return undefined;
  if (choice === "none") return { functionCallingConfig: { mode: "NONE" } };
  if (choice === "auto") return { functionCallingConfig: { mode: "AUTO" } };
  if (choice === "required") return { functionCallingConfig: { mode: "ANY" } };
  return { functionCallingConfig: { mode: "ANY", allowedFunctionNames: [choice.function.name] } };
}

/** A tool's JSON result goes back as structured data, anything else as text. */
function jsonOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function textOf(content: ChatMessage["content"]): string {
  if (typeof content === "string") return content;
  return (content ?? [])
    .map((part) => (part.type === "text" && typeof part.text === "string" ? part.text : ""))
    .join("");
}
