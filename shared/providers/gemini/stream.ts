import { UpstreamError } from "../../errors";
import { encodeSse, parseSse, SSE_DONE } from "../../openai/sse";
import type { ChatCompletionChunk, FinishReason } from "../../openai/types";
import { blockedPrompt, chatId, toFinishReason, toUsage } from "./response";
import { toolCallId } from "./tool-call-id";
import { type GenerateContentResponse, generateContentResponseSchema, streamErrorSchema } from "./wire";

type Choice = ChatCompletionChunk["choices"][number];

interface CandidateState {
  tools: number;
  finishReason: string | undefined;
}

/**
 * Turns Gemini's `streamGenerateContent?alt=sse` (one GenerateContentResponse per event, the
 * stream simply ending after the last) into OpenAI chunks, ending with each candidate's finish
 * chunk, a usage-only chunk and `[DONE]`. A stream that ends before every candidate finished, or
 * that carries an error, fails as the upstream's. Cancelling the result cancels `body`.
 */
export function toChatChunkStream(
  body: ReadableStream<Uint8Array>,
  model: string,
  name: string,
): ReadableStream<Uint8Array> {
  const events = parseSse(body).getReader();
  const translator = createTranslator(model, name);
  const release = (reason?: unknown) => events.cancel(reason).catch(() => undefined);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        for (;;) {
          const { done, value } = await events.read();
          const chunks = done ? translator.end() : translator.next(parseEvent(value.data, name));
          for (const chunk of chunks) controller.enqueue(encodeSse(JSON.stringify(chunk)));
          if (done) {
            controller.enqueue(encodeSse(SSE_DONE));
            controller.close();
            return;
          }
          if (chunks.length > 0) return;
        }
      } catch (error) {
        controller.error(error);
        await release(error);
      }
    },
    cancel: release,
  });
}

function parseEvent(data: string, name: string): GenerateContentResponse {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw new UpstreamError("network", 502, `${name}: stream event is not JSON`);
  }
  const failure = streamErrorSchema.safeParse(json);
  if (failure.success) {
    const { code, message } = failure.data.error;
    throw new UpstreamError("http", code ?? 500, `${name} stream error: ${message ?? "unknown"}`);
  }
  const parsed = generateContentResponseSchema.safeParse(json);
  if (!parsed.success) throw new UpstreamError("network", 502, `${name}: unexpected stream event shape`);
  return parsed.data;
}

function createTranslator(model: string, name: string) {
  const created = Math.floor(Date.now() / 1000);
  let id: string | undefined;
  let latest: GenerateContentResponse = {};
  let blocked: string | undefined;
  const candidates = new Map<number, CandidateState>();

  const chunk = (choices: Choice[]): ChatCompletionChunk => ({
    id: id ?? "",
    object: "chat.completion.chunk",
    created,
    model: latest.modelVersion ?? model,
    choices,
  });

  const next = (response: GenerateContentResponse): ChatCompletionChunk[] => {
    const first = id === undefined;
    id ??= chatId(response);
    latest = { ...latest, ...response, usageMetadata: response.usageMetadata ?? latest.usageMetadata };
    const out: ChatCompletionChunk[] = [];
    if (first)
      out.push(chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]));
    const blockReason = response.promptFeedback?.blockReason;
    if (blockReason && (response.candidates ?? []).length === 0) blocked = blockReason;
    (response.candidates ?? []).forEach((candidate, position) => {
      const index = candidate.index ?? position;
      let state = candidates.get(index);
      if (state === undefined) {
        state = { tools: 0, finishReason: undefined };
        candidates.set(index, state);
      }
      for (const part of candidate.content?.parts ?? []) {
        if (part === null) continue;
        if ("text" in part) {
          if (part.thought !== true && part.text !== "")
            out.push(chunk([{ index, delta: { content: part.text }, finish_reason: null }]));
          continue;
        }
        // Gemini sends each call whole, never in pieces.
        const call = {
          index: state.tools++,
          id: toolCallId(part.thoughtSignature),
          type: "function" as const,
          function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) },
        };
        out.push(chunk([{ index, delta: { tool_calls: [call] }, finish_reason: null }]));
      }
      if (candidate.finishReason) state.finishReason = candidate.finishReason;
    });
    return out;
  };

  const end = (): ChatCompletionChunk[] => {
    const finishes: Choice[] = [];
    if (blocked !== undefined) {
      finishes.push({
        index: 0,
        delta: { refusal: blockedPrompt(blocked) } as Choice["delta"],
        finish_reason: "content_filter",
      });
    } else {
      if (candidates.size === 0 || [...candidates.values()].some((c) => c.finishReason === undefined))
        throw new UpstreamError("network", 502, `${name}: stream ended before the answer finished`);
      for (const [index, state] of candidates) {
        const reason: FinishReason = toFinishReason(state.finishReason, state.tools > 0);
        finishes.push({ index, delta: {}, finish_reason: reason });
      }
    }
    return [
      ...finishes.map((finish) => chunk([finish])),
      { ...chunk([]), usage: toUsage(latest.usageMetadata) },
    ];
  };

  return { next, end };
}
