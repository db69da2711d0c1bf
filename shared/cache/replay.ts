import { encodeSse, SSE_DONE } from "../openai/sse";

/**
 * Pure converters between the two shapes an answer is cached in, so either serves both kinds of
 * request: a complete JSON answer (chat.completion / text_completion) and the `data:` payloads of
 * its stream (without `[DONE]`).
 */
export type ReplayRoute = "chat" | "completion";

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === "object" && !Array.isArray(value);

const headOf = (answer: Json, object: string): Json => ({
  id: answer.id,
  object,
  created: answer.created,
  model: answer.model,
  ...(answer.system_fingerprint != null ? { system_fingerprint: answer.system_fingerprint } : {}),
});

const choicesOf = (value: unknown): Json[] => (Array.isArray(value) ? value.filter(isObject) : []);

/** The stream a JSON answer would have been: role, content, tool calls, finish reason, usage if asked. */
export function jsonToChunks(route: ReplayRoute, body: string, includeUsage: boolean): string[] {
  const answer = JSON.parse(body) as Json;
  const isChat = route === "chat";
  const head = headOf(answer, isChat ? "chat.completion.chunk" : "text_completion");
  const chunks: Json[] = [];
  const push = (choice: Json) => chunks.push({ ...head, choices: [choice] });
  for (const choice of choicesOf(answer.choices)) {
    const index = choice.index ?? 0;
    const logprobs = choice.logprobs ?? null;
    if (isChat) {
      const { role: _role, content, tool_calls, ...rest } = isObject(choice.message) ? choice.message : {};
      const extras = Object.fromEntries(Object.entries(rest).filter(([, v]) => v != null));
      push({ index, delta: { role: "assistant", content: "", ...extras }, finish_reason: null });
      if (typeof content === "string" && content !== "")
        push({ index, delta: { content }, finish_reason: null });
      if (Array.isArray(tool_calls) && tool_calls.length > 0) {
        const calls = tool_calls.map((call: unknown, i) => ({ index: i, ...(isObject(call) ? call : {}) }));
        push({ index, delta: { tool_calls: calls }, finish_reason: null });
      }
      push({ index, delta: {}, logprobs, finish_reason: choice.finish_reason ?? null });
    } else {
      push({ index, text: choice.text ?? "", logprobs, finish_reason: null });
      push({ index, text: "", logprobs: null, finish_reason: choice.finish_reason ?? null });
    }
  }
  if (includeUsage && isObject(answer.usage)) chunks.push({ ...head, choices: [], usage: answer.usage });
  return chunks.map((chunk) => JSON.stringify(chunk));
}

/** Logprobs arrive in pieces (chat: `content`/`refusal`; text: `tokens`, `token_logprobs`, ...): arrays concatenate. */
function mergeLogprobs(into: Json | null, piece: unknown): Json | null {
  if (!isObject(piece)) return into;
  const merged: Json = { ...into };
  for (const [key, value] of Object.entries(piece)) {
    const before = merged[key];
    merged[key] = Array.isArray(value) && Array.isArray(before) ? [...before, ...value] : value;
  }
  return merged;
}

interface ToolCallAcc {
  id: string;
  type: string;
  function: { name: string; arguments: string };
}

function mergeToolCalls(calls: ToolCallAcc[], pieces: unknown): void {
  for (const piece of choicesOf(pieces)) {
    const index = typeof piece.index === "number" ? piece.index : calls.length;
    const call = calls[index] ?? { id: "", type: "function", function: { name: "", arguments: "" } };
    calls[index] = call;
    if (typeof piece.id === "string") call.id = piece.id;
    if (typeof piece.type === "string") call.type = piece.type;
    const fn = isObject(piece.function) ? piece.function : {};
    if (typeof fn.name === "string") call.function.name += fn.name;
    if (typeof fn.arguments === "string") call.function.arguments += fn.arguments;
  }
}

interface ChoiceAcc {
  index: number;
  fields: Json;
  toolCalls: ToolCallAcc[];
  logprobs: Json | null;
  finishReason: unknown;
}

/** Strings (content, refusal, reasoning) concatenate; anything else keeps its latest value. */
function mergeFields(fields: Json, delta: Json): void {
  for (const [key, value] of Object.entries(delta)) {
    if (value == null || key === "role" || key === "tool_calls" || key === "index") continue;
    const before = fields[key];
    fields[key] = typeof value === "string" && typeof before === "string" ? before + value : value;
  }
}

/** The JSON answer a stream adds up to, as the upstream would have answered without `stream`. */
export function chunksToJson(route: ReplayRoute, payloads: readonly string[]): string {
  const isChat = route === "chat";
  const choices = new Map<number, ChoiceAcc>();
  let head: Json | undefined;
  let usage: unknown;
  for (const payload of payloads) {
    const chunk = JSON.parse(payload) as Json;
    head ??= headOf(chunk, isChat ? "chat.completion" : "text_completion");
    if (isObject(chunk.usage)) usage = chunk.usage;
    for (const piece of choicesOf(chunk.choices)) {
      const index = typeof piece.index === "number" ? piece.index : 0;
      let acc = choices.get(index);
      if (acc === undefined) {
        acc = { index, fields: {}, toolCalls: [], logprobs: null, finishReason: null };
        choices.set(index, acc);
      }
      const delta = isChat ? (isObject(piece.delta) ? piece.delta : {}) : { text: piece.text };
      mergeFields(acc.fields, delta);
      if (isChat) mergeToolCalls(acc.toolCalls, delta.tool_calls);
      acc.logprobs = mergeLogprobs(acc.logprobs, piece.logprobs);
      if (piece.finish_reason != null) acc.finishReason = piece.finish_reason;
    }
  }
  const assembled = [...choices.values()]
    .sort((a, b) => a.index - b.index)
    .map((acc) => {
      const { index, fields, toolCalls, logprobs, finishReason } = acc;
      if (!isChat) return { index, text: fields.text ?? "", logprobs, finish_reason: finishReason };
      const calls = toolCalls.filter((call) => call !== undefined);
      const { content, ...rest } = fields;
      const message: Json = {
        role: "assistant",
        content: typeof content === "string" && (content !== "" || calls.length === 0) ? content : null,
        ...rest,
        ...(calls.length > 0 ? { tool_calls: calls } : {}),
      };
      return { index, message, logprobs, finish_reason: finishReason };
    });
  return JSON.stringify({ ...head, choices: assembled, ...(usage !== undefined ? { usage } : {}) });
}

const isUsageOnly = (payload: string): boolean => {
  if (!payload.includes('"usage"')) return false;
  const chunk = JSON.parse(payload) as Json;
  return isObject(chunk.usage) && Array.isArray(chunk.choices) && chunk.choices.length === 0;
};

/** Cached stream payloads as an SSE body: the usage-only chunk only when the client asked for it. */
export function sseBody(payloads: readonly string[], includeUsage: boolean): ReadableStream<Uint8Array> {
  const events = includeUsage ? payloads : payloads.filter((p) => !isUsageOnly(p));
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const data of events) controller.enqueue(encodeSse(data));
      controller.enqueue(encodeSse(SSE_DONE));
      controller.close();
    },
  });
}
