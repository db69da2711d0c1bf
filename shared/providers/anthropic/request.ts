import type { Deployment } from "../../config/deployment";
import type { ChatMessage, ChatRequest, ContentPart, ToolCall, ToolChoice } from "../../openai/types";
import { JSON_TOOL, requestedSchema } from "./json-tool";

type Block = Record<string, unknown>;

interface Turn {
  role: "user" | "assistant";
  content: Block[];
}

/** Anthropic requires max_tokens; this is the fallback when neither request nor deployment sets one. */
const DEFAULT_MAX_TOKENS = 4096;

const BASE64_DATA_URL = /^data:([^;,]+)[^,]*;base64,/;

/**
 * Translates an OpenAI chat request into an Anthropic Messages request. Only parameters Anthropic
 * understands are copied; undefined fields vanish when the body is serialised.
 */
export function toAnthropicRequest(req: ChatRequest, deployment: Deployment): Record<string, unknown> {
  const system = req.messages
    .filter((message) => message.role === "system" || message.role === "developer")
    .map((message) => textOf(message.content))
    .filter((text) => text !== "")
    .join("\n\n");
  const schema = requestedSchema(req);
  const tools = req.tools?.length
    ? req.tools.map(({ function: fn }) => ({
        name: fn.name,
        description: fn.description,
        input_schema: fn.parameters ?? { type: "object", properties: {} },
      }))
    : [];
  if (schema !== undefined) {
    tools.push({ name: JSON_TOOL, description: "Respond with JSON in this shape.", input_schema: schema });
  }
  // The answer must come through the JSON tool, unless the caller's own tools may be called first.
  const toolChoice =
    schema !== undefined && (req.tools?.length ?? 0) === 0
      ? { type: "tool", name: JSON_TOOL }
      : toToolChoice(req.tool_choice);
  return {
    model: deployment.model,
    system: system === "" ? undefined : system,
    messages: toTurns(req.messages),
    max_tokens:
      req.max_completion_tokens ?? req.max_tokens ?? deployment.maxOutputTokens ?? DEFAULT_MAX_TOKENS,
    stop_sequences: typeof req.stop === "string" ? [req.stop] : (req.stop ?? undefined),
    temperature: req.temperature ?? undefined,
    top_p: req.top_p ?? undefined,
    metadata: req.user ? { user_id: req.user } : undefined,
    tools: tools.length > 0 ? tools : undefined,
    tool_choice: toolChoice,
    stream: req.stream ? true : undefined,
  };
}

/** Anthropic rejects two consecutive turns with the same role, so adjacent ones are merged. */
function toTurns(messages: ChatMessage[]): Turn[] {
  const turns: Turn[] = [];
  for (const message of messages) {
    const turn = toTurn(message);
    if (turn === undefined || turn.content.length === 0) continue;
    const last = turns.at(-1);
    if (last?.role === turn.role) last.content.push(...turn.content);
    else turns.push(turn);
  }
  return turns;
}

function toTurn(message: ChatMessage): Turn | undefined {
  switch (message.role) {
    case "system":
    case "developer":
      return undefined;
    // Legacy function results carry no id to pair with a tool_use block, so they go in as user text.
    case "user":
    case "function":
      return { role: "user", content: toBlocks(message.content) };
    case "assistant":
      return {
        role: "assistant",
        content: [...toBlocks(message.content), ...(message.tool_calls ?? []).map(toToolUse)],
      };
    case "tool":
      return {
        role: "user",
        content: [
          {
            type: "tool_result",
            tool_use_id: message.tool_call_id ?? "",
            content: typeof message.content === "string" ? message.content : toBlocks(message.content),
          },
        ],
      };
  }
}

function toBlocks(content: ChatMessage["content"]): Block[] {
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  return (content ?? []).flatMap(toBlock);
}

/** Unknown parts pass through so Anthropic-native blocks work and unsupported ones fail upstream, not silently. */
function toBlock(part: ContentPart): Block[] {
  if (part.type === "text")
    return typeof part.text === "string" && part.text !== "" ? [{ type: "text", text: part.text }] : [];
  if (part.type === "image_url") {
    const url = (part.image_url as { url?: unknown } | undefined)?.url;
    if (typeof url === "string") return [toImage(url)];
  }
  return [part];
}

function toImage(url: string): Block {
  const match = BASE64_DATA_URL.exec(url);
  if (match === null) return { type: "image", source: { type: "url", url } };
  return {
    type: "image",
    source: { type: "base64", media_type: match[1], data: url.slice(match[0].length) },
  };
}

function toToolUse(call: ToolCall): Block {
  return {
    type: "tool_use",
    id: call.id,
    name: call.function.name,
    input: parseArguments(call.function.arguments),
  };
}

/** Models sometimes emit broken argument JSON; Anthropic needs an object, so anything else becomes `{}`. */
function parseArguments(args: string): unknown {
  try {
    const parsed: unknown = JSON.parse(args);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

function toToolChoice(choice: ToolChoice | undefined): Block | undefined {
  if (choice === undefined) return undefined;
  if (choice === "none" || choice === "auto") return { type: choice };
  if (choice === "required") return { type: "any" };
  return { type: "tool", name: choice.function.name };
}

function textOf(content: ChatMessage["content"]): string {
  if (typeof content === "string") return content;
  return (content ?? [])
    .map((part) => (part.type === "text" && typeof part.text === "string" ? part.text : ""))
    .join("");
}
