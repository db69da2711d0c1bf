import type { Deployment } from "../../config/deployment";
import { UpstreamError } from "../../errors";
import { encodeSse, SSE_DONE } from "../../openai/sse";
import { estimateChatTokens, estimateTokens } from "../../openai/token-estimate";
import type { ChatRequest, CompletionRequest, EmbeddingRequest, Usage } from "../../openai/types";
import type { JsonResult, Provider, ProviderContext, ProviderResult } from "../types";
import { mockSettings } from "./settings";

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (ms <= 0) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(new UpstreamError("network", 499, "mock: request aborted"));
      },
      { once: true },
    );
  });

/**
 * What one embedding request may make the mock allocate. The vectors are built in memory, so these
 * sizes are chosen by whoever sends the request: refused as an upstream would refuse them (a 400,
 * never retried, never cooled down), before anything is allocated. 4,096 is above any hosted
 * model's `dimensions` and 2,048 is OpenAI's limit on inputs; their product caps an answer at
 * about 20 MB of JSON.
 */
export const MOCK_EMBEDDING_LIMITS = Object.freeze({ dimensions: 4_096, inputs: 2_048, values: 1_048_576 });

const refuse = (message: string) => new UpstreamError("http", 400, `mock: ${message}`);

function embeddingShape(request: EmbeddingRequest): { inputs: readonly unknown[]; dimensions: number } {
  const inputs = Array.isArray(request.input) ? request.input : [request.input];
  const dimensions = request.dimensions ?? 8;
  const limits = MOCK_EMBEDDING_LIMITS;
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > limits.dimensions) {
    throw refuse(`dimensions: expected a whole number from 1 to ${limits.dimensions}, got ${dimensions}`);
  }
  if (inputs.length > limits.inputs) {
    throw refuse(`input: at most ${limits.inputs} inputs per request, got ${inputs.length}`);
  }
  if (inputs.length * dimensions > limits.values) {
    throw refuse(
      `dimensions: ${inputs.length} inputs × ${dimensions} dimensions is more than ${limits.values} values per request`,
    );
  }
  return { inputs, dimensions };
}

/** Requests seen per deployment, so a failure rate of 0.25 fails exactly every 4th request. */
const counters = new WeakMap<Deployment, number>();

async function begin(d: Deployment, ctx: ProviderContext): Promise<ReturnType<typeof mockSettings>> {
  const settings = mockSettings(d);
  const n = counters.get(d) ?? 0;
  counters.set(d, n + 1);
  await sleep(settings.latencyMs, ctx.signal);
  if (Math.floor((n + 1) * settings.failureRate) > Math.floor(n * settings.failureRate)) {
    throw new UpstreamError(
      "http",
      settings.failureStatus,
      `mock: simulated failure (status ${settings.failureStatus})`,
    );
  }
  return settings;
}

const usage = (prompt: number, completion: number): Usage => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
});

/** The reply word by word, then the final chunks (finish reason, usage) and `[DONE]`, as OpenAI streams. */
function streamWords(
  words: readonly string[],
  chunk: (text: string, first: boolean) => object,
  final: readonly object[],
  chunkLatencyMs: number,
  signal: AbortSignal,
): ReadableStream<Uint8Array> {
  let index = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (index < words.length) {
        await sleep(chunkLatencyMs, signal).catch(() => undefined);
        controller.enqueue(encodeSse(JSON.stringify(chunk(words[index] ?? "", index === 0))));
        index += 1;
        return;
      }
      for (const data of final) controller.enqueue(encodeSse(JSON.stringify(data)));
      controller.enqueue(encodeSse(SSE_DONE));
      controller.close();
    },
  });
}

/** Deterministic stand-in for an LLM: fixed reply, configurable latency and failure rate. */
export const mockProvider: Provider = Object.freeze<Provider>({
  name: "mock",

  async chat(request: ChatRequest, d: Deployment, ctx: ProviderContext): Promise<ProviderResult> {
    const settings = await begin(d, ctx);
    const id = `chatcmpl-mock-${crypto.randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const u = usage(estimateChatTokens(request), estimateTokens(settings.response));
    if (!request.stream) {
      const body = {
        id,
        object: "chat.completion",
        created,
        model: d.model,
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: settings.response },
            finish_reason: "stop",
            logprobs: null,
          },
        ],
        usage: u,
      };
      return { type: "json", body: JSON.stringify(body), usage: u };
    }
    const base = { id, object: "chat.completion.chunk", created, model: d.model };
    const words = settings.response.split(/(?<= )/);
    return {
      type: "stream",
      body: streamWords(
        words,
        (text, first) => ({
          ...base,
          choices: [
            {
              index: 0,
              delta: first ? { role: "assistant", content: text } : { content: text },
              finish_reason: null,
            },
          ],
        }),
        [
          { ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
          { ...base, choices: [], usage: u },
        ],
        settings.chunkLatencyMs,
        ctx.signal,
      ),
    };
  },

  async completion(request: CompletionRequest, d: Deployment, ctx: ProviderContext): Promise<ProviderResult> {
    const settings = await begin(d, ctx);
    const prompt = Array.isArray(request.prompt) ? request.prompt.join("") : String(request.prompt);
    const u = usage(estimateTokens(prompt), estimateTokens(settings.response));
    const id = `cmpl-mock-${crypto.randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const base = { id, object: "text_completion", created, model: d.model };
    if (!request.stream) {
      const body = {
        ...base,
        choices: [{ index: 0, text: settings.response, finish_reason: "stop", logprobs: null }],
        usage: u,
      };
      return { type: "json", body: JSON.stringify(body), usage: u };
    }
    return {
      type: "stream",
      body: streamWords(
        settings.response.split(/(?<= )/),
        (text) => ({ ...base, choices: [{ index: 0, text, finish_reason: null, logprobs: null }] }),
        [
          { ...base, choices: [{ index: 0, text: "", finish_reason: "stop", logprobs: null }] },
          { ...base, choices: [], usage: u },
        ],
        settings.chunkLatencyMs,
        ctx.signal,
      ),
    };
  },

  async embedding(request: EmbeddingRequest, d: Deployment, ctx: ProviderContext): Promise<JsonResult> {
    const { inputs, dimensions } = embeddingShape(request);
    await begin(d, ctx);
    const data = inputs.map((input, index) => {
      const vector = deterministicVector(JSON.stringify(input), dimensions);
      // The openai SDKs ask for base64 by default: little-endian float32s.
      const embedding = request.encoding_format === "base64" ? float32Base64(vector) : vector;
      return { object: "embedding", index, embedding };
    });
    const prompt = inputs.reduce<number>((sum, input) => sum + estimateTokens(JSON.stringify(input)), 0);
    const u = usage(prompt, 0);
    const body = {
      object: "list",
      data,
      model: d.model,
      usage: { prompt_tokens: prompt, total_tokens: prompt },
    };
    return { type: "json", body: JSON.stringify(body), usage: u };
  },
});

/** The same text always maps to the same unit vector. */
function deterministicVector(text: string, dimensions: number): number[] {
  let seed = 2166136261;
  for (let i = 0; i < text.length; i++) seed = Math.imul(seed ^ text.charCodeAt(i), 16777619) >>> 0;
  const values = Array.from({ length: dimensions }, () => {
    seed = Math.imul(seed ^ (seed >>> 15), 2246822507) >>> 0;
    return (seed / 0xffffffff) * 2 - 1;
  });
  const norm = Math.hypot(...values) || 1;
  return values.map((v) => v / norm);
}

function float32Base64(values: readonly number[]): string {
  const bytes = new Uint8Array(new Float32Array(values).buffer);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
